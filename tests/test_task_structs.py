"""Task and Collected (azaudit/collect/tasks.py) keep the contract the scheduler and the collectors
rely on now that they are msgspec structs: positional and keyword construction, fresh lists per
answer, a frozen and hashable Task equal by its fields, a Collected that can be weakly referenced
(tests/test_scheduler_memory.py) and a repr naming every field."""

from __future__ import annotations

import weakref

import pytest

from azaudit.collect.tasks import Collected, Task
from azaudit.inventory.coverage import Dataset


def _run() -> Collected:
    return Collected()


def test_a_task_is_frozen_hashable_and_equal_by_its_fields() -> None:
    task = Task(Dataset.KEYS, "sub", "keys.get", _run, "/id", "name")
    same = Task(
        dataset=Dataset.KEYS,
        subscription_id="sub",
        operation="keys.get",
        run=_run,
        resource_id="/id",
        resource_name="name",
    )
    assert task == same and hash(task) == hash(same) and len({task, same}) == 1
    assert task != Task(Dataset.KEYS, "sub", "keys.get", _run, "/id", "other")
    assert (Task(Dataset.KEYS, "", "op", _run).resource_id, Task(Dataset.KEYS, "", "op", _run).resource_name) == (
        "",
        "",
    )
    with pytest.raises(AttributeError):
        task.operation = "changed"  # type: ignore[misc]
    assert repr(task).startswith(
        "Task(dataset=<Dataset.KEYS: 'keys'>, subscription_id='sub', operation='keys.get', run="
    )
    assert repr(task).endswith("resource_id='/id', resource_name='name', ahead=0, paced=True)")
    assert task != Task(Dataset.KEYS, "sub", "keys.get", _run, "/id", "name", ahead=1)
    assert task != Task(Dataset.KEYS, "sub", "keys.get", _run, "/id", "name", paced=False)


def test_each_answer_has_its_own_lists_and_can_be_weakly_referenced() -> None:
    one, other = Collected(), Collected()
    one.records.append("record")
    one.followups.append(Task(Dataset.KEYS, "", "op", _run))
    assert other.records == other.notes == other.followups == other.errors == []
    assert Collected(records=["a"]).records == ["a"]
    reference = weakref.ref(one)
    assert reference() is one
    del one
    assert reference() is None
    with pytest.raises(TypeError):
        hash(other)  # mutable: unhashable, as the dataclass was
