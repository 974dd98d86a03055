"""Run collection tasks concurrently, with a bound, without ever blocking a worker on another.

A task that discovers more work (a vault whose secrets must be listed) returns it as follow-up
tasks instead of waiting for them, so a full pool can never deadlock, however many vaults or
keys a subscription holds. The calling thread alone waits; workers only run requests.

A thread takes the ready task with the highest ``Task.ahead``, the first that came among equals
(:class:`Ready`).
In a live run over several subscriptions it also looks at ARM's read limits
(:class:`PacedReady`): a task whose first read would wait for its subscription's bucket
(:mod:`azaudit.transport.pacing`) is set aside, in its order, and the thread takes the next ready
task instead: one of a subscription whose bucket holds a token, or one that reads no ARM (a Key
Vault or registry data plane, a Resource Graph query). Otherwise every thread could sit in the
pacer on one subscription's empty bucket while another's refilled unused and the data planes
waited behind them. The tasks set aside go first again, before any other, as soon as their
bucket's next token is due (no subscription starves; among several, the one due first). When
every ready task would wait, the thread takes the one whose token comes soonest, and waits for it
in the pacer: bounded and cut short by a stop as every pace is (``transport/bounds.py``,
``lifecycle.py``), never turning round in the scheduler. A task costs one look at the pacer when
it reaches the front (a lock, the clock, some arithmetic; none when its bucket is already set
aside), and the dry buckets are kept in a heap by when their next token is due: never a scan of
the ready tasks (about 2 us of CPU a task more than :class:`Ready`). With one subscription (its
bucket is the only one to wait on) or no pacer (replayed and injected runs), the order is
:class:`Ready`'s, as it was.
"""

from __future__ import annotations

import heapq
import itertools
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from azaudit.collect.dedup import Ledger
from azaudit.collect.tasks import Collected, Task
from azaudit.errors import AzauditError
from azaudit.inventory.coverage import CollectionError, CollectionNote
from azaudit.lifecycle import stopping_waits
from azaudit.transport import request_scope

if TYPE_CHECKING:
    from azaudit.transport.pacing import ArmPacer

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
    """The tasks waiting for a thread, those with the highest ``Task.ahead`` first, in the order
    they came among equals. A thread blocks on a queue of tickets, one per task put
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


class PacedReady(Ready):
    """:class:`Ready` that gives a thread a task whose first read will not wait for ARM's bucket,
    when there is one (see the module docstring). Tasks of a dry bucket wait in the order they were
    set aside, in a deque per bucket; the dry buckets in a heap by when their next token is due, as
    the pacer last said (a token mostly comes later than said: reads taken since, a lower header, a
    429's pause; so a bucket is asked again when its turn seems due, and when it tops the heap). It
    can come earlier when a read that waited for it gives it back (a wait cut short by a stop, or
    past the request's cap: ``ArmPacer.before``); its tasks then go at the time said, a little late."""

    # A token due within this counts as there: its read waits at most this long in the pacer.
    EARLY = 0.001

    __slots__ = ("_aside", "_dry", "_lock", "_order", "_pacer")

    def __init__(self, pacer: ArmPacer) -> None:
        super().__init__()
        self._pacer = pacer
        self._lock = threading.Lock()  # the choice is one thread's at a time; put() needs none
        self._aside: dict[str, deque[Task]] = {}  # bucket -> its tasks set aside, in order
        self._dry: list[tuple[float, int, str]] = []  # heap: (its next token due, order, bucket)
        self._order = itertools.count()  # ties by when the bucket was set aside

    def get(self) -> Task | None:
        if not self._tickets.get():
            return None
        with self._lock:
            return self._choose()

    def _choose(self) -> Task:
        """The next task; a ticket was taken, so there is one in the levels or set aside."""
        wait_for = self._pacer.wait_for
        aside, dry, early = self._aside, self._dry, self.EARLY
        # Set aside first, once their bucket's token is due: a refilled subscription takes its turn.
        if dry and dry[0][0] <= self._pacer.now() + early:
            while dry:
                due, _, bucket = dry[0]
                now, wait = wait_for(bucket)
                if due > now + early:
                    break
                if wait > early:  # later than said: in its place again
                    heapq.heapreplace(dry, (now + wait, next(self._order), bucket))
                    continue
                return self._take(bucket)
        for level in self._descending:
            while level:
                try:
                    task = level.popleft()
                except IndexError:  # another thread's put() cannot empty it; kept for safety
                    break
                if not task.paced:
                    return task
                bucket = task.subscription_id.lower()
                held = aside.get(bucket)
                if held is not None:  # its bucket is dry: behind the ones set aside before it
                    held.append(task)
                    continue
                now, wait = wait_for(bucket)
                if wait <= early:
                    return task
                aside[bucket] = deque((task,))
                heapq.heappush(dry, (now + wait, next(self._order), bucket))
        # Every ready task would wait: the one whose token comes soonest, to wait for it in the pacer.
        while True:
            due, _, bucket = dry[0]
            now, wait = wait_for(bucket)
            if now + wait <= due + early:
                return self._take(bucket)
            heapq.heapreplace(dry, (now + wait, next(self._order), bucket))

    def _take(self, bucket: str) -> Task:
        """The first task set aside for ``bucket`` (at the top of the heap)."""
        held = self._aside[bucket]
        task = held.popleft()
        if not held:
            del self._aside[bucket]
            heapq.heappop(self._dry)
        return task


def run_tasks(
    initial: Iterable[Task],
    followups_of: Callable[[object], Iterable[Task]],
    concurrency: int,
    progress: Progress | None = None,
    pacer: ArmPacer | None = None,
) -> Outcome:
    """Run ``initial`` and every task they lead to. ``followups_of(record)`` gives the tasks a
    collected record calls for (e.g. the diagnostic settings of a registry). A resource listed
    twice is kept once, before its follow-ups are scheduled, with a note (see ``dedup``).
    ``pacer``, the run's ARM pacing: with it, and ``initial`` over more than one subscription, a
    task whose bucket is dry yields its thread (:class:`PacedReady`)."""
    ledger = Ledger()
    outcome = Outcome()
    done_count = 0
    limit = max(1, concurrency)
    # Tasks go to the threads through Ready and come back on a queue, each with what it returned
    # or raised: no Future, condition, callback or executor lock per task. The scheduler handled
    # about 16,000 tasks a collection process at 10,000 resources, and ThreadPoolExecutor's
    # bookkeeping cost the calling thread and the workers about 100 µs of CPU a task.
    todo = Ready()
    if pacer is not None:
        initial = list(initial)
        if len({t.subscription_id.lower() for t in initial if t.paced and t.subscription_id}) > 1:
            todo = PacedReady(pacer)
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
