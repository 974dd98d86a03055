"""Run collection tasks concurrently, with a bound, without ever blocking a worker on another.

A task that discovers more work (a vault whose secrets must be listed) returns it as follow-up
tasks instead of waiting for them, so a full pool can never deadlock, however many vaults or
keys a subscription holds. The calling thread alone waits; workers only run requests.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

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
                message=f"throttled: the service asked to wait {throttled.asked:.0f} s before retrying "
                f"{throttled.kind}; azaudit waited {throttled.waited:.3g} s (its limit for one request) "
                "and the retry was answered",
            )
        )
    return collected


def _report_done(
    finished: queue.SimpleQueue[tuple[Future[Collected], Task]], task: Task, future: Future[Collected]
) -> None:
    finished.put((future, task))


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
    # Finished futures arrive on a queue (O(1) per completion). `concurrent.futures.wait` over
    # thousands of pending futures costs O(pending) per call and made large tenants quadratic.
    finished: queue.SimpleQueue[tuple[Future[Collected], Task]] = queue.SimpleQueue()
    pending = 0
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="azaudit") as pool:
        # The futures not yet handled (to cancel them if the run stops). A handled one is dropped:
        # kept, each held its answer and about 2 KB of its own until the run ended (25,000
        # requests a collection process at 10,000 resources: some 50 MB).
        futures: set[Future[Collected]] = set()

        def submit(task: Task) -> None:
            nonlocal pending
            future = pool.submit(run_scoped, task)
            pending += 1
            futures.add(future)
            future.add_done_callback(partial(_report_done, finished, task))

        try:
            # Inside the try: a Ctrl-C while the first tasks are handed out (they may already be
            # waiting out a Retry-After) must cut their waits short too.
            for task in initial:
                submit(task)
            while pending:
                future, task = finished.get()
                futures.discard(future)
                pending -= 1
                done_count += 1
                try:
                    collected = future.result()
                except AzauditError:
                    raise
                except Exception as exc:  # every other failure is a coverage record
                    outcome.errors.append(task.failed(exc))
                    collected = None
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
            for queued in futures:
                queued.cancel()
            with stopping_waits():
                pool.shutdown(wait=True)
            raise
    outcome.notes.extend(ledger.notes)
    return outcome
