"""Collect with several processes, each auditing a share of the subscriptions.

Collection is network-bound, but at thousands of requests the Azure SDK's per-request work
(pipeline policies, response objects, deserialisation: about 2 ms of CPU each) saturates the one
core Python threads can use. Forked worker processes each run their own bounded thread pool over
a share of the subscriptions, with a fresh HTTP session (no socket is shared across a fork) and
the parent's credential, tokens already cached; the parent merges their inventories.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed

import msgspec

from azaudit.inventory.common import Subscription

# (subscriptions, run_wide) -> (inventory JSON, request statistics, tokens acquired)
ShardJob = Callable[[Sequence[Subscription], bool], "ShardResult"]


class ShardResult(msgspec.Struct, frozen=True):
    inventory_json: bytes
    total: int
    challenges: int
    peak_in_flight: int
    by_kind: dict[str, int]
    by_url: dict[str, int]
    tokens: dict[str, int]


_JOB: ShardJob | None = None  # set in the parent just before forking; inherited by the workers


def _run(arguments: tuple[list[Subscription], bool]) -> ShardResult:
    assert _JOB is not None
    return _JOB(*arguments)


def can_fork() -> bool:
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def process_count(requested: int, subscriptions: int) -> int:
    """``requested`` when set (> 0); otherwise one process per core, at most 4, and only when
    there are enough subscriptions (5 or more per process) to be worth a fork."""
    if not can_fork():
        return 1
    if requested > 0:
        return max(1, min(requested, subscriptions))
    return max(1, min(os.cpu_count() or 1, 4, subscriptions // 5))


def run_shards(
    job: ShardJob,
    subscriptions: Sequence[Subscription],
    processes: int,
    progress: Callable[[int, int], None] | None = None,
) -> list[ShardResult]:
    """Run ``job`` over round-robin shards of ``subscriptions`` in ``processes`` forked workers;
    the first shard also collects the run-wide data. ``progress`` hears of finished shards."""
    global _JOB
    shards = [list(subscriptions[i::processes]) for i in range(processes)]
    arguments = [(shard, index == 0) for index, shard in enumerate(shards) if shard]
    _JOB = job
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
            futures = [pool.submit(_run, argument) for argument in arguments]
            for done, _ in enumerate(as_completed(futures), 1):
                if progress is not None:
                    progress(done, len(futures))
            return [future.result() for future in futures]
    finally:
        _JOB = None
