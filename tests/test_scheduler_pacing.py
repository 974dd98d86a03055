"""The scheduler's choice by ARM's read limits (azaudit/collect/scheduler.py, PacedReady): a task
whose subscription's bucket is dry yields its thread to a task of another subscription or to one
that reads no ARM; the tasks set aside go first once their token is due (no starvation); with
every ready task waiting, a thread takes the one whose token comes soonest and waits in the pacer,
where a stop cuts it short; one subscription, or no pacer, keeps the order as it was. The pacer's
clock is injected: no test sleeps or times anything."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from azaudit import collect as collect_module
from azaudit.collect import collect, scheduler
from azaudit.collect.scheduler import PacedReady, Ready, run_tasks
from azaudit.collect.tasks import Collected, Task
from azaudit.inventory.coverage import Dataset
from azaudit.transport import bounds
from azaudit.transport.pacing import ArmPacer

HOST = "management.azure.com"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _never(seconds: float, bucket: str) -> None:
    raise AssertionError("no read is sent in these tests")


def dry(clock: Clock, *buckets: str, promised: int = 0) -> ArmPacer:
    """A pacer (2 reads, 10 a second) whose ``buckets`` are empty: their next token in 0.1 s
    (plus 0.1 s for each read ``promised``)."""
    pacer = ArmPacer(HOST, capacity=2, rate=10, clock=clock, wait=lambda s, b: None)
    for bucket in buckets:
        for _ in range(2 + promised):
            pacer.before(bucket)
    return pacer


def task(name: str, sub: str, ahead: int = 0, paced: bool = True, run: Callable[[], Collected] = Collected) -> Task:
    return Task(Dataset.VAULTS, sub, name, run, ahead=ahead, paced=paced)


def order(ready: Ready, tasks: list[Task]) -> list[str]:
    for t in tasks:
        ready.put(t)
    return [ready.get().operation for _ in tasks]  # type: ignore[union-attr]


def test_a_dry_buckets_tasks_yield_to_another_subscription_and_to_data_planes() -> None:
    clock = Clock()
    tasks = [
        task("a-chain", "A", ahead=3),  # the subscription's id as written: buckets are lower case
        task("a-single", "a"),
        task("b-single", "b"),
        task("secrets", "a", paced=False),  # a vault's data plane, in subscription a
    ]
    assert order(Ready(), tasks) == ["a-chain", "a-single", "b-single", "secrets"]
    # a's bucket dry: its tasks wait (in their order) until nothing else can go
    assert order(PacedReady(dry(clock, "a")), tasks) == ["b-single", "secrets", "a-chain", "a-single"]
    # nothing dry: the order is Ready's
    assert order(PacedReady(dry(clock)), tasks) == ["a-chain", "a-single", "b-single", "secrets"]


def test_tasks_set_aside_go_first_once_their_token_is_due() -> None:
    """No starvation: a refilled bucket's tasks take their turn before any other, however many
    tasks of other subscriptions (with more ahead of them) keep coming."""
    clock = Clock()
    ready = PacedReady(dry(clock, "a"))
    ready.put(task("a1", "a", ahead=6))
    ready.put(task("a2", "a", ahead=6))
    ready.put(task("b0", "b"))
    assert ready.get().operation == "b0"  # type: ignore[union-attr]  # a1 and a2 set aside
    for i in range(1, 4):
        ready.put(task(f"b{i}", "b", ahead=6))
    clock.now += 0.1  # a's next token
    assert ready.get().operation == "a1"  # type: ignore[union-attr]
    assert ready.get().operation == "a2"  # type: ignore[union-attr]  # a1's read is not sent: a token still
    assert [ready.get().operation for _ in range(3)] == ["b1", "b2", "b3"]  # type: ignore[union-attr]


def test_of_several_buckets_due_the_one_due_first_goes_first() -> None:
    clock = Clock()
    pacer = dry(clock, "c", promised=1)  # c's token in 0.2 s
    for _ in range(2):
        pacer.before("a")  # a's in 0.1 s
    ready = PacedReady(pacer)
    for t in (task("c1", "c"), task("a1", "a"), task("n", "", paced=False)):
        ready.put(t)
    assert ready.get().operation == "n"  # type: ignore[union-attr]
    clock.now += 0.3  # both due
    ready.put(task("n2", "", paced=False))
    assert [ready.get().operation for _ in range(3)] == ["a1", "c1", "n2"]  # type: ignore[union-attr]


def test_with_every_task_waiting_a_thread_takes_the_soonest_token_at_once() -> None:
    """No turning round in the scheduler: get() returns the task whose bucket refills first (its
    read then waits in the pacer: bounded, cut short by a stop), as the pacer says now, not as it
    said when the task was set aside."""
    clock = Clock()
    pacer = dry(clock, "a", promised=1)  # a's token in 0.2 s
    dry_b = dry(clock, "b")
    for _ in range(2):
        pacer.before("b")  # b's in 0.1 s
    del dry_b
    reads = 0
    wait_for = pacer.wait_for

    def counted(bucket: str) -> tuple[float, float]:
        nonlocal reads
        reads += 1
        return wait_for(bucket)

    pacer.wait_for = counted  # type: ignore[method-assign]
    ready = PacedReady(pacer)
    for t in (task("a1", "a"), task("a2", "a"), task("b1", "b"), task("b2", "b")):
        ready.put(t)
    assert ready.get().operation == "b1"  # type: ignore[union-attr]
    assert reads <= 4  # one look a task (a2 joins a1 without one), and one at the heap's top
    pacer.before("b")  # b1's read takes b's token: b's next one now comes after a's
    pacer.before("b")
    assert ready.get().operation == "a1"  # type: ignore[union-attr]


def test_the_choice_looks_at_the_pacer_once_for_a_task_not_at_every_ready_task() -> None:
    clock = Clock()
    pacer = dry(clock, "a")
    looked: list[str] = []
    wait_for = pacer.wait_for

    def counted(bucket: str) -> tuple[float, float]:
        looked.append(bucket)
        return wait_for(bucket)

    pacer.wait_for = counted  # type: ignore[method-assign]
    ready = PacedReady(pacer)
    for i in range(1000):
        ready.put(task(f"a{i}", "a", ahead=1))
        ready.put(task(f"b{i}", "b"))
    assert ready.get().operation == "b0"  # type: ignore[union-attr]  # a's 1,000 set aside, one look
    assert looked == ["a", "b"]
    looked.clear()
    assert [ready.get().operation for _ in range(3)] == ["b1", "b2", "b3"]  # type: ignore[union-attr]
    assert looked == ["b", "b", "b"]  # a, dry and not due, is not asked again


def _gated_run(tasks: Iterator[Task] | list[Task], pacer: ArmPacer | None) -> list[str]:
    """The order one thread runs ``tasks`` in, all of them ready (a gate holds the thread first)."""
    ran: list[str] = []
    handed_out = threading.Event()

    def noting(name: str) -> Callable[[], Collected]:
        def run() -> Collected:
            ran.append(name)
            if name == "gate":
                assert handed_out.wait(10)
            return Collected()

        return run

    def initial() -> Iterator[Task]:
        yield task("gate", "", ahead=99, paced=False, run=noting("gate"))
        for t in tasks:
            yield Task(t.dataset, t.subscription_id, t.operation, noting(t.operation), ahead=t.ahead, paced=t.paced)

    def hand_out() -> Iterator[Task]:
        yield from initial()
        handed_out.set()

    outcome = run_tasks(hand_out(), lambda r: [], concurrency=1, pacer=pacer)
    assert not outcome.errors
    return ran


MIXED = [
    task("sub-chain", "sub", ahead=3),
    task("sub-single", "SUB"),
    task("tenant", ""),  # the tenant's bucket: not another subscription
    task("secrets", "sub", paced=False),
]


def test_one_subscription_keeps_the_order_of_the_levels() -> None:
    """With one subscription there is no other bucket to go to: the order is Ready's, even when
    its bucket is dry (data-plane tasks do not jump ahead), as without a pacer."""
    clock = Clock()
    unpaced = _gated_run(MIXED, None)
    assert unpaced == ["gate", "sub-chain", "sub-single", "tenant", "secrets"]
    assert _gated_run(MIXED, dry(clock, "sub", "")) == unpaced


def test_several_subscriptions_in_a_run_yield_to_the_bucket_with_tokens() -> None:
    clock = Clock()
    tasks = [*MIXED, task("other", "other")]
    assert _gated_run(tasks, None) == ["gate", "sub-chain", "sub-single", "tenant", "secrets", "other"]
    assert _gated_run(tasks, dry(clock, "sub")) == ["gate", "tenant", "secrets", "other", "sub-chain", "sub-single"]


def test_collect_gives_the_scheduler_the_runs_pacer(monkeypatch: pytest.MonkeyPatch) -> None:
    given: list[object] = []

    def spy(initial: object, followups_of: object, concurrency: int, progress: object, pacer: object) -> Any:
        given.append(pacer)
        return scheduler.Outcome()

    monkeypatch.setattr(collect_module, "run_tasks", spy)
    pacer = dry(Clock())
    clients: Any = SimpleNamespace(transport=SimpleNamespace(pacer=pacer))
    collect(clients, [], [], 4)
    assert given == [pacer]


def test_a_stop_while_every_task_waits_for_a_token_ends_the_run_at_once() -> None:
    """Every ARM task's bucket dry for 100 s (the clock stands still): the threads take the tasks
    and wait in the pacer (the real bounded wait), not in the scheduler; a Ctrl-C cuts them short
    and the run ends with no thread left."""
    clock = Clock()
    waiting = threading.Semaphore(0)

    def bounded(seconds: float, bucket: str) -> None:
        waiting.release()
        bounds.wait_to_pace(seconds, f"ARM's read limit for subscription {bucket}")

    pacer = ArmPacer(HOST, capacity=1, rate=0.01, clock=clock, wait=bounded)
    for bucket in ("a", "b"):
        pacer.before(bucket)

    def reads(bucket: str) -> Callable[[], Collected]:
        def run() -> Collected:
            pacer.before(bucket)  # as the guarded transport asks before the read
            return Collected()

        return run

    def interrupts() -> Collected:
        assert waiting.acquire(timeout=10) and waiting.acquire(timeout=10)  # both threads in the pacer
        return Collected(records=["stop"])

    def followups_of(record: object) -> list[Task]:
        raise KeyboardInterrupt

    raised: list[BaseException] = []

    def caller() -> None:
        try:
            tasks = [task("a", "a", run=reads("a")), task("b", "b", run=reads("b"))]
            run_tasks(
                [*tasks, task("n", "", paced=False, run=interrupts)],
                followups_of,
                concurrency=3,
                pacer=pacer,
            )
        except BaseException as exc:  # the test's to judge
            raised.append(exc)

    thread = threading.Thread(target=caller)
    thread.start()
    thread.join(30)  # the pacer's waits are of 60 s (the cap): only a stop ends them sooner
    assert not thread.is_alive(), "the stopped run did not end"
    assert len(raised) == 1 and type(raised[0]) is KeyboardInterrupt, raised
    assert not any(t.name.startswith("azaudit_") and t.is_alive() for t in threading.enumerate())
