"""Run collection tasks concurrently, with a bound, without ever blocking a worker on another.

A task that discovers more work (a vault whose secrets must be listed) returns it as follow-up
tasks instead of waiting for them, so a full pool can never deadlock, however many vaults or
keys a subscription holds. The calling thread alone waits; workers only run requests.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from azaudit.collect.dedup import Ledger
from azaudit.collect.tasks import Collected, Task
from azaudit.errors import AzauditError
from azaudit.inventory.coverage import CollectionError, CollectionNote
from azaudit.lifecycle import stopping_waits
from azaudit.transport import request_scope

Progress = Callable[[int, int], None]


@dataclass
class Outcome:
    records: list[object] = field(default_factory=list)
    errors: list[CollectionError] = field(default_factory=list)
    notes: list[CollectionNote] = field(default_factory=list)


def run_scoped(task: Task) -> Collected:
    """Run ``task`` in its own request scope: a paged list that loops fails this task alone, and
    a wait for the service that azaudit cut short becomes a note on the task's scope."""
    with request_scope() as scope:
        collected = task.run()
    for throttled in scope.throttled:
        collected.notes.append(
            CollectionNote(
                dataset=task.dataset,
                subscription_id=task.subscription_id,
                resource_id=task.resource_id,
                resource_name=task.resource_name,
                message=throttled.note,
            )
        )
    return collected


class Ready:
    """The tasks waiting for a thread, those with the most requests ahead (``Task.ahead``) first,
    in the order they came among equals. A thread blocks on a queue of tickets, one per task put
    (or a stop): holding one, it finds a task in the levels, highest first (a deque's append and
    popleft are atomic, and every ticket was put after its task, so there is one to find). About
    half a microsecond of CPU a task more than one plain queue (process_time, 200 x 1,000 tasks)."""

    TOP = 7  # the level of Task.ahead 7 and more

    __slots__ = ("_descending", "_levels", "_tickets")

    def __init__(self) -> None:
        self._levels = tuple(deque[Task]() for _ in range(self.TOP + 1))
        self._descending = self._levels[::-1]
        self._tickets: queue.SimpleQueue[bool] = queue.SimpleQueue()

    def put(self, task: Task) -> None:
        self._levels[min(task.ahead, self.TOP)].append(task)
        self._tickets.put(True)

    def stop(self) -> None:
        """Tell one waiting thread to leave (it tells the next, see ``run_tasks``)."""
        self._tickets.put(False)

    def get(self) -> Task | None:
        """The next task, blocking until there is one; None to leave."""
        if not self._tickets.get():
            return None
        while True:  # another thread may pop a level between the look and the pop: look again
            for level in self._descending:
                if level:
                    try:
                        return level.popleft()
                    except IndexError:
                        pass


def run_tasks(
    initial: Iterable[Task],
    followups_of: Callable[[object], Iterable[Task]],
    concurrency: int,
    progress: Progress | None = None,
) -> Outcome:
    """Run ``initial`` and every task they lead to. ``followups_of(record)`` gives the tasks a
    collected record calls for (e.g. the diagnostic settings of a registry). A resource listed
    twice is kept once, before its follow-ups are scheduled, with a note (see ``dedup``)."""
    ledger = Ledger()
    outcome = Outcome()
    done_count = 0
    limit = max(1, concurrency)
    # Tasks go to the threads through Ready and come back on a queue, each with what it returned
    # or raised: no Future, condition, callback or executor lock per task. The scheduler handled
    # about 16,000 tasks a collection process at 10,000 resources, and ThreadPoolExecutor's
    # bookkeeping cost the calling thread and the workers about 100 µs of CPU a task.
    todo = Ready()
    finished: queue.SimpleQueue[tuple[Task, Collected | None, BaseException | None]] = queue.SimpleQueue()
    threads: list[threading.Thread] = []
    # Set when the run stops: what has not started is dropped (answered with nothing).
    dropping = threading.Event()

    def work() -> None:
        while (task := todo.get()) is not None:
            if dropping.is_set():
                continue
            try:
                collected = run_scoped(task)
            except BaseException as exc:  # every failure is the calling thread's to judge
                finished.put((task, None, exc))
            else:
                finished.put((task, collected, None))
                # a handled answer must not outlive its handling here (see test_scheduler_memory)
                del collected
        todo.stop()  # the next thread's signal to leave

    pending = 0

    def submit(task: Task) -> None:
        nonlocal pending
        pending += 1
        if len(threads) < min(limit, pending):
            # listed before it starts: a Ctrl-C may land inside start(), once the thread runs
            thread = threading.Thread(target=work, name=f"azaudit_{len(threads)}")
            threads.append(thread)
            thread.start()
        todo.put(task)

    def stop_threads() -> None:
        todo.stop()  # after every task: each thread passes it on as it leaves
        for thread in threads:
            if thread.ident is not None:  # not one whose start() was cut short before it ran
                _join(thread)

    try:
        # Inside the try: a Ctrl-C while the first tasks are handed out (they may already be
        # waiting out a Retry-After) must cut their waits short too.
        for task in initial:
            submit(task)
        while pending:
            task, collected, failure = finished.get()
            pending -= 1
            done_count += 1
            if failure is not None:
                if isinstance(failure, AzauditError) or not isinstance(failure, Exception):
                    raise failure
                outcome.errors.append(task.failed(failure))
            if collected is not None:
                outcome.notes.extend(collected.notes)
                outcome.errors.extend(collected.errors)
                for follow in collected.followups:
                    if ledger.admit_task(follow, task):
                        submit(follow)
                for record in collected.records:
                    if ledger.admit(record, task):
                        outcome.records.append(record)
                        for follow in followups_of(record):
                            submit(follow)
            if progress is not None:
                progress(done_count, done_count + pending)
    except BaseException:
        # Ctrl-C, SIGTERM or an error that ends the run: drop what has not started, and cut
        # short the waits (Retry-After) of what has, so that the run ends now, not in a minute.
        dropping.set()
        with stopping_waits():
            stop_threads()
        raise
    stop_threads()
    outcome.notes.extend(ledger.notes)
    return outcome


def _join(thread: threading.Thread) -> None:
    """Wait for ``thread`` to end. A thread whose start() a Ctrl-C cut short may be launched (its
    ident set) without having told start() that it runs: join() refuses it for that short while
    ("cannot join thread before it is started"), a RuntimeError that would take the Ctrl-C's place
    and leave the threads after it running."""
    while True:
        try:
            thread.join()
        except RuntimeError:
            time.sleep(0.001)  # launched, not yet running
        else:
            return
