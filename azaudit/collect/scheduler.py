"""Run collection tasks concurrently, with a bound, without ever blocking a worker on another.

A task that discovers more work (a vault whose secrets must be listed) returns it as follow-up
tasks instead of waiting for them, so a full pool can never deadlock, however many vaults or
keys a subscription holds. The calling thread alone waits; workers only run requests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from azaudit.collect.tasks import Collected, Task
from azaudit.errors import AzauditError
from azaudit.inventory.coverage import CollectionError, CollectionNote

Progress = Callable[[int, int], None]


@dataclass
class Outcome:
    records: list[object] = field(default_factory=list)
    errors: list[CollectionError] = field(default_factory=list)
    notes: list[CollectionNote] = field(default_factory=list)


def run_tasks(
    initial: Iterable[Task],
    followups_of: Callable[[object], Iterable[Task]],
    concurrency: int,
    progress: Progress | None = None,
) -> Outcome:
    """Run ``initial`` and every task they lead to. ``followups_of(record)`` gives the tasks a
    collected record calls for (e.g. the diagnostic settings of a registry)."""
    outcome = Outcome()
    done_count = 0
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="azaudit") as pool:
        pending: dict[Future[Collected], Task] = {}

        def submit(task: Task) -> None:
            pending[pool.submit(task.run)] = task

        for task in initial:
            submit(task)
        try:
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    task = pending.pop(future)
                    done_count += 1
                    try:
                        collected = future.result()
                    except AzauditError:
                        raise
                    except Exception as exc:  # every other failure is a coverage record
                        outcome.errors.append(task.failed(exc))
                        continue
                    outcome.records.extend(collected.records)
                    outcome.notes.extend(collected.notes)
                    for follow in collected.followups:
                        submit(follow)
                    for record in collected.records:
                        for follow in followups_of(record):
                            submit(follow)
                if progress is not None:
                    progress(done_count, done_count + len(pending))
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    return outcome
