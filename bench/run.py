"""``nox -s bench``: the real audit path over a synthetic tenant on a simulated network.

Prints wall time, requests (total, by kind, per resource), peak concurrency, peak memory and
tokens acquired, for 1,000 and 10,000 resources at 50 ms +/- 10 ms per request.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import platform
import resource
import time
from pathlib import Path

from azaudit.audit import run_audit
from azaudit.replay import ReplayAdapter, ReplayCredential
from azaudit.runconfig import RunConfig
from bench.network import SimulatedNetwork, simulated_session
from bench.synthetic import SyntheticTenant


def peak_rss_mb() -> float:
    """The largest resident set of this process or of any collection worker it forked."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, workers) / 1024


def run(
    subscriptions: int, per_subscription: int, latency: float, jitter: float, concurrency: int
) -> dict[str, object]:
    tenant = SyntheticTenant(subscriptions, per_subscription)
    network = SimulatedNetwork(ReplayAdapter(tenant.responses, "synthetic"), latency=latency, jitter=jitter)
    config = RunConfig(replay=Path("synthetic"), concurrency=concurrency, working_directory=Path("/nonexistent"))
    gc.collect()
    started = time.perf_counter()
    audit = run_audit(config, session=simulated_session(network), credential=ReplayCredential())
    wall = time.perf_counter() - started
    stats = audit.stats
    return {
        "resources": tenant.resource_count,
        "subscriptions": subscriptions,
        "wall_s": round(wall, 2),
        "requests": stats.total,
        "expected": tenant.request_count(),
        "duplicates": sum(1 for n in stats.by_url.values() if n > 1),
        "per_resource": round(stats.total / tenant.resource_count, 2),
        "peak_in_flight": stats.peak_in_flight,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "tokens": dict(audit.tokens_acquired),
        "findings": len(audit.report.findings),
        "complete": audit.report.complete,
        "by_kind": dict(sorted(stats.by_kind.items(), key=lambda kv: -kv[1])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000", help="resource counts (10 per cent of them per subscription)")
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--jitter", type=float, default=0.01)
    parser.add_argument("--concurrency", type=int, default=None, help="default: the CLI default")
    args = parser.parse_args()
    from azaudit.runconfig import DEFAULT_CONCURRENCY

    concurrency = args.concurrency or DEFAULT_CONCURRENCY
    print(f"# azaudit benchmark, {dt.date.today()}, {platform.python_version()}, {platform.machine()}")
    print(f"latency {args.latency * 1000:.0f} ms +/- {args.jitter * 1000:.0f} ms, concurrency {concurrency}\n")
    for size in (int(s) for s in args.sizes.split(",")):
        subscriptions = 10 if size <= 1000 else size // 100
        result = run(subscriptions, size // subscriptions, args.latency, args.jitter, concurrency)
        by_kind = result.pop("by_kind")
        print(" ".join(f"{k}={v}" for k, v in result.items()))
        for kind, count in by_kind.items():  # type: ignore[attr-defined]
            print(f"    {count:7d}  {kind}")
        print()


if __name__ == "__main__":
    main()
