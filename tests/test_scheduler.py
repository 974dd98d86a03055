"""The scheduler's own threads (azaudit/collect/scheduler.py): a task's answer or failure reaches
the calling thread, and however the run ends, no collection thread is left behind (a process
forks its collection workers only when no other thread runs)."""

from __future__ import annotations

import threading

import pytest

from azaudit import lifecycle
from azaudit.collect import scheduler
from azaudit.collect.scheduler import run_tasks
from azaudit.collect.tasks import Collected, Task
from azaudit.errors import AzauditError
from azaudit.inventory.coverage import Dataset


def _task(name: str, run: object) -> Task:
    return Task(Dataset.VAULTS, "sub", name, run)  # type: ignore[arg-type]


def test_answers_failures_and_follow_ups_reach_the_calling_thread() -> None:
    def broken() -> Collected:
        raise ValueError("an odd answer")

    def leaf() -> Collected:
        return Collected(records=["leaf"])

    def root() -> Collected:
        return Collected(records=["root"], followups=[_task(f"leaf{i}", leaf) for i in range(20)])

    seen: list[tuple[int, int]] = []
    outcome = run_tasks(
        [_task("root", root), _task("broken", broken)],
        lambda r: [],
        concurrency=4,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert sorted(map(str, outcome.records)) == ["leaf"] * 20 + ["root"]
    assert [e.operation for e in outcome.errors] == ["broken"]
    assert seen[-1] == (22, 22)
    assert not any(t.name.startswith("azaudit_") for t in threading.enumerate())


def test_an_azaudit_error_in_a_task_ends_the_run() -> None:
    class Refused(AzauditError):
        pass

    def refused() -> Collected:
        raise Refused("no")

    with pytest.raises(Refused):
        run_tasks([_task("refused", refused)], lambda r: [], concurrency=2)
    assert not any(t.name.startswith("azaudit_") for t in threading.enumerate())


def test_a_ctrl_c_inside_a_thread_start_leaves_no_thread_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Ctrl-C can land while a collection thread starts (start() waits for it to run): that
    thread is stopped and joined with the others, and the waits they sit in are cut short."""
    started: list[threading.Thread] = []

    class CutShort(threading.Thread):
        def start(self) -> None:
            super().start()
            started.append(self)
            if len(started) == 2:
                raise KeyboardInterrupt

    def waits() -> Collected:
        lifecycle.wait(60)  # a Retry-After
        return Collected()

    raised: list[BaseException] = []

    def run() -> None:
        try:
            run_tasks([_task(f"t{i}", waits) for i in range(5)], lambda r: [], concurrency=4)
        except BaseException as exc:
            raised.append(exc)

    caller = threading.Thread(target=run)  # a plain thread; only the scheduler's are CutShort
    monkeypatch.setattr(scheduler.threading, "Thread", CutShort)
    caller.start()
    caller.join(10)
    monkeypatch.undo()
    assert not caller.is_alive(), "the interrupted run did not end"
    assert len(raised) == 1 and isinstance(raised[0], KeyboardInterrupt)
    assert len(started) == 2 and not any(t.is_alive() for t in started)
