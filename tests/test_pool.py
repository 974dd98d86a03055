"""Collecting with several processes (the pool's parts) gives exactly what one process gives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from azaudit.audit import Audit, run_audit
from azaudit.collect.pool import can_fork, process_count
from azaudit.replay import ReplayAdapter, ReplayCredential
from azaudit.runconfig import RunConfig
from bench.network import SimulatedNetwork, simulated_session
from bench.synthetic import SyntheticTenant

TENANT = SyntheticTenant(subscriptions=6, resources_per_subscription=12, seed=5)


def audit(processes: int, progress: list[tuple[int, int]] | None = None) -> Audit:
    network = SimulatedNetwork(ReplayAdapter(TENANT.responses, "synthetic"))
    config = RunConfig(processes=processes, concurrency=8, working_directory=Path("/nonexistent"))

    def heard(done: int, total: int) -> None:
        if progress is not None:
            progress.append((done, total))

    return run_audit(config, progress=heard, session=simulated_session(network), credential=ReplayCredential())


@pytest.mark.skipif(not can_fork(), reason="multi-process collection needs fork (Linux)")
def test_collection_in_parts_matches_a_single_process() -> None:
    seen: list[tuple[int, int]] = []
    one, two = audit(1), audit(3, seen)
    assert seen[-1] == (3, 3), "the progress display hears of each finished part"
    assert two.inventory == one.inventory
    assert two.report.findings == one.report.findings
    # each part asks Resource Graph for Defender's image findings of its own subscriptions
    assert one.stats.total == TENANT.request_count() and two.stats.total == TENANT.request_count(parts=3)
    assert two.stats.challenges == one.stats.challenges == 0
    # (one Resource Graph URL, a body per part: not a request sent twice)
    assert not [url for url, n in two.stats.by_url.items() if n > 1 and "Microsoft.ResourceGraph" not in url]
    assert sum(1 for key in two.stats.by_kind if "roleDefinitions" in key) == 1
    assert all(count == 1 for count in two.tokens_acquired.values()), "one token per audience, across processes"


def test_process_count() -> None:
    if not can_fork():
        assert process_count(4, 100) == 1
        return
    assert process_count(1, 100) == 1
    assert process_count(8, 3) == 3
    assert process_count(0, 4) == 1  # too few subscriptions to be worth a fork


@pytest.mark.skipif(not can_fork(), reason="multi-process collection needs fork (Linux)")
def test_a_forked_part_answers_without_closing_its_connections_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A forked part's sockets close when it exits, right after it answers: it does not close its
    pooled connections one by one before answering (10 to 30 ms at 1,000 resources, at the end of
    the run). The parent's own transport is still shut down."""
    from azaudit.transport.guarded import GuardedTransport

    shutdown = GuardedTransport.shutdown

    def noting(self: GuardedTransport) -> None:
        (tmp_path / f"shutdown-{os.getpid()}").touch()
        shutdown(self)

    monkeypatch.setattr(GuardedTransport, "shutdown", noting)
    two = audit(3)
    assert two.report.complete
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"shutdown-{os.getpid()}"]
