"""The scheduler lets go of a task's answer once it has handled it (azaudit/collect/scheduler.py):
a collection process sends tens of thousands of requests, and keeping every finished future (its
answer and its own locks) until the end cost about 2 KB each."""

from __future__ import annotations

import gc
import weakref

from azaudit.collect.scheduler import run_tasks
from azaudit.collect.tasks import Collected, Task
from azaudit.inventory.coverage import Dataset


def _task(name: str, run: object) -> Task:
    return Task(Dataset.VAULTS, "", name, run)  # type: ignore[arg-type]


def test_a_handled_answer_is_freed_while_the_run_goes_on() -> None:
    first_answer: list[weakref.ref[Collected]] = []
    freed: list[bool] = []

    def third() -> Collected:
        # runs after the scheduler handled `second`: nothing of `first` is needed any more
        gc.collect()
        freed.append(first_answer[0]() is None)
        return Collected()

    def second() -> Collected:
        return Collected(followups=[_task("third", third)])

    def first() -> Collected:
        answer = Collected(followups=[_task("second", second)])
        first_answer.append(weakref.ref(answer))
        return answer

    outcome = run_tasks([_task("first", first)], lambda record: [], concurrency=1)
    assert freed == [True]
    assert outcome.errors == []
