"""``nox -s bench``: the real audit path over a synthetic tenant, over HTTPS or in memory.

``--network https`` (the default): a live run (``run_audit`` with no replay: the network session,
its TLS and connection pools, the guarded transport, the SDK clients, collectors, checks, report)
against a fake Azure on 127.0.0.1 (``bench/tls_server.py``, its own process) that serves the
synthetic tenant over real TLS with 50 ms per request, one host name per vault as in Azure. Only
name resolution (to loopback, in this process) and the CA (a ``trustme`` test CA) differ from a
live audit; the credential is the replay credential (no sign-in traffic). Two ways to trust the
CA, each in a fresh process:

- ``env``: ``REQUESTS_CA_BUNDLE`` names a bundle (certifi's roots plus the test CA), as a
  corporate TLS-inspecting proxy needs;
- ``system``: the same bundle is the machine's trust store (``SSL_CERT_FILE``, which OpenSSL's
  default paths and the OS-store path read, and requests' default bundle path), no variable for
  azaudit to read.

``--throttle azure`` (the default): the fake Azure enforces Azure's documented limits, as Azure does
to every live run: Azure Resource Manager's read limits (``bench/arm_throttle.py``: 250 reads a
subscription, and 250 for the tenant, refilled at 25 a second) and Resource Graph's query quota
(``bench/graph_throttle.py``: 15 queries in a 5-second window). The usual shapes (100 resources a
subscription, about 224 ARM reads each) stay within the first 250 reads, so only a tenant with
larger subscriptions (``--per-subscription 500``) meets ARM's 429; ``--source graph`` sends its
queries under Resource Graph's quota. ``--throttle arm`` or ``graph`` enforces one of them (``arm``
was the default before Resource Graph's quota was enforced), ``none`` serves without limits.

Prints wall time, CPU time (this process and its collection workers) per request, TLS handshakes
and connections the server saw, peak RSS (the audit's processes; the fake server's apart), requests
by kind.

Before measuring, the bytecode of azaudit, its checks and the benchmark is compiled
(:func:`compile_ahead`), as ``pip install`` does for an installed package: an editable checkout
under ``PYTHONDONTWRITEBYTECODE`` (CI images, some sandboxes) would otherwise compile the modules
the audit imports while it runs, about 0.35 s of CPU in every measured run.

``--network memory``: the previous benchmark, answers from memory under azure-core's transport
behind a simulated latency (no sockets, no TLS).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from azaudit.audit import Audit, run_audit
from azaudit.collect import graph_source
from azaudit.collect.pool import process_count
from azaudit.inventory.running import joined_containers
from azaudit.model import Severity
from azaudit.replay import ReplayAdapter, ReplayCredential
from azaudit.reports.gate import exit_code_for
from azaudit.runconfig import DEFAULT_CONCURRENCY, RunConfig, Source
from bench.network import SimulatedNetwork, simulated_session
from bench.synthetic import GraphAdapter, SyntheticTenant


def peak_rss_mb() -> float:
    """The largest resident set of this process or of any child it has reaped (the collection
    workers once ``run_audit`` returns; also the fake Azure server once closed, so read it first)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, workers) / 1024


def rss_parts_mb() -> tuple[float, float]:
    """The peak resident sets of this process and of its largest reaped child, apart."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return own / 1024, workers / 1024


def duplicate_reads(by_url: dict[str, int]) -> int:
    """URLs read (GET or HEAD) more than once. A POST's URL does not name what it asks: each
    collection process sends its own Resource Graph query to the same URL, with another body."""
    return sum(1 for key, n in by_url.items() if n > 1 and key.startswith(("GET ", "HEAD ")))


def repeated_reads(by_url: dict[str, int]) -> int:
    """Reads (GET or HEAD) sent again: each further send of a URL already read, which in a run
    where every read is needed once are the retries (after a 429, a 5xx, a broken connection)."""
    return sum(n - 1 for key, n in by_url.items() if n > 1 and key.startswith(("GET ", "HEAD ")))


def cpu_seconds() -> float:
    """CPU time of this process and of the collection workers it forked and reaped."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def images(audit: Audit) -> dict[str, object]:
    """What the image checks read: the container groups, the containers that run an image from an
    audited registry, and the distinct (registry, repository, tag, digest) lookups made for them."""
    inventory = audit.inventory
    running = sum(1 for joined in joined_containers(inventory) if joined.registry is not None)
    lookups = len(inventory.image_artifacts)
    return {
        "container_groups": len(inventory.container_groups),
        "audited_containers": running,
        "image_lookups": lookups,
        "dedup_ratio": round(lookups / running, 3) if running else None,
    }


def run_memory(
    subscriptions: int,
    per_subscription: int,
    latency: float,
    jitter: float,
    concurrency: int,
    source: Source = Source.ARM,
) -> dict[str, object]:
    graph = source is Source.GRAPH  # an injected network: auto means arm (graph_source.resolve)
    tenant = SyntheticTenant(subscriptions, per_subscription, graph=graph)
    adapter = GraphAdapter(tenant) if graph else ReplayAdapter(tenant.responses, "synthetic")
    network = SimulatedNetwork(adapter, latency=latency, jitter=jitter)
    config = RunConfig(concurrency=concurrency, working_directory=Path("/nonexistent"), source=source)
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
        "expected": tenant.request_count(process_count(0, subscriptions)),
        "duplicates": duplicate_reads(stats.by_url),
        "per_resource": round(stats.total / tenant.resource_count, 2),
        "peak_in_flight": stats.peak_in_flight,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "tokens": dict(audit.tokens_acquired),
        "findings": len(audit.report.findings),
        "complete": audit.report.complete,
        **images(audit),
        "by_kind": dict(sorted(stats.by_kind.items(), key=lambda kv: -kv[1])),
    }


def _trust(folder: Path, ca_pem: Path, mode: str) -> None:
    """Make this process trust the test CA the way ``mode`` says (see the module docstring)."""
    import certifi
    import requests.adapters

    bundle = folder / "bundle.pem"
    bundle.write_text(Path(certifi.where()).read_text() + "\n" + ca_pem.read_text())
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        os.environ.pop(name, None)
    if mode == "env":
        os.environ["REQUESTS_CA_BUNDLE"] = str(bundle)
    else:
        os.environ["SSL_CERT_FILE"] = str(bundle)
        requests.adapters.DEFAULT_CA_BUNDLE_PATH = str(bundle)  # type: ignore[attr-defined]


def run_https(
    subscriptions: int,
    per_subscription: int,
    latency: float,
    jitter: float,
    concurrency: int,
    ca: str,
    source: Source = Source.ARM,
    throttle: str = "azure",
) -> dict[str, object]:
    from bench.tls_server import Certificates, ServerProcess, resolve_to_loopback

    folder = Path(tempfile.mkdtemp(prefix="azaudit-bench-tls-"))
    certificates = Certificates.issue(folder)
    server = ServerProcess(
        [
            f"--subscriptions={subscriptions}",
            f"--per-subscription={per_subscription}",
            f"--server-pem={certificates.server_pem}",
            f"--ca-pem={certificates.ca_pem}",
            f"--latency={latency}",
            f"--jitter={jitter}",
            *(["--graph"] if graph_source.resolve(source, subscriptions) is Source.GRAPH else []),  # a live run
            f"--parts={process_count(0, subscriptions)}",
            f"--throttle={throttle}",
        ]
    )
    try:
        _trust(folder, certificates.ca_pem, ca)
        config = RunConfig(concurrency=concurrency, working_directory=Path("/nonexistent"), source=source)
        gc.collect()
        with resolve_to_loopback(server.port):
            cpu_before = cpu_seconds()
            started = time.perf_counter()
            audit = run_audit(config, credential=ReplayCredential())
            wall = time.perf_counter() - started
            cpu = cpu_seconds() - cpu_before
            # Read before the server (a child process too) is reaped: its RSS would count as a worker's.
            audit_peak_rss = (peak_rss_mb(), *rss_parts_mb())
        seen = server.stats()
    finally:
        server.close()
    stats = audit.stats
    resources = int(seen.pop("resources"))  # type: ignore[call-overload]
    return {
        "ca": ca,
        "source": source.value,
        "resources": resources,
        "subscriptions": subscriptions,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "cpu_ms_per_request": round(cpu * 1000 / max(1, stats.total), 2),
        "requests": stats.total,
        "expected": seen.pop("expected"),
        "duplicates": duplicate_reads(stats.by_url),
        "retries": repeated_reads(stats.by_url),
        "peak_in_flight": stats.peak_in_flight,
        "peak_rss_mb": round(audit_peak_rss[0], 1),
        "parent_rss_mb": round(audit_peak_rss[1], 1),
        "workers_rss_mb": round(audit_peak_rss[2], 1),
        "tokens": dict(audit.tokens_acquired),
        "findings": len(audit.report.findings),
        "complete": audit.report.complete,
        **outcome(audit),
        **images(audit),
        **seen,
        "by_kind": dict(sorted(stats.by_kind.items(), key=lambda kv: -kv[1])),
    }


def outcome(audit: Audit) -> dict[str, object]:
    """How whole the audit is: collections not assessed (ERROR), waits noted (throttled), and the
    exit code ``azaudit subscription`` would give it with its default ``--fail-on low`` (1 for a
    failing finding, else 2 when incomplete, else 0)."""
    report = audit.report
    return {
        "collection_errors": len(report.errors),
        "throttled_notes": sum(1 for note in audit.inventory.notes if note.message.startswith("throttled")),
        # Resource Graph enumerations that fell back to ARM's lists (graph_source, graph_rbac)
        "graph_fallbacks": sum(1 for note in audit.inventory.notes if "Azure Resource Graph could not" in note.message),
        "exit_code": int(exit_code_for(report, Severity.LOW)),
    }


def compile_ahead() -> None:
    """Write the bytecode caches of azaudit, its checks and this benchmark if they are missing or
    stale (``compileall`` writes them even under ``PYTHONDONTWRITEBYTECODE``, which only stops the
    import system from writing; reading them is unaffected). The packages are found, not imported:
    what the audit imports while it runs stays in the measured time."""
    import compileall
    import importlib.util

    for package in ("azaudit", "azaudit_checks", "bench"):
        spec = importlib.util.find_spec(package)
        for folder in (spec.submodule_search_locations or []) if spec is not None else []:
            compileall.compile_dir(folder, quiet=1)


def _print(result: dict[str, object]) -> None:
    by_kind = result.pop("by_kind")
    print(" ".join(f"{k}={v}" for k, v in result.items()))
    for kind, count in by_kind.items():  # type: ignore[attr-defined]
        print(f"    {count:7d}  {kind}")
    print(flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--network", choices=("https", "memory"), default="https")
    parser.add_argument("--sizes", default="1000,10000", help="resource counts (10 per cent of them per subscription)")
    parser.add_argument("--ca", default="env,system", help="https: how the test CA is trusted (env, system)")
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--jitter", type=float, default=0.01)
    parser.add_argument("--concurrency", type=int, default=None, help="default: the CLI default")
    parser.add_argument("--json", action="store_true", help="one configuration, printed as one JSON line")
    parser.add_argument(
        "--source",
        choices=[s.value for s in Source],
        default="arm",
        help="where the audit lists resources (arm: the earlier rows' figures; graph: Azure Resource Graph)",
    )
    parser.add_argument(
        "--throttle",
        choices=("azure", "arm", "graph", "none"),
        default="azure",
        help="https: the fake Azure enforces ARM's read limits and Resource Graph's query quota (azure, as "
        "Azure does), one of them (arm, graph) or none",
    )
    parser.add_argument(
        "--per-subscription", type=int, default=None, help="resources per subscription (default: 10 per cent)"
    )
    args = parser.parse_args()
    compile_ahead()
    concurrency = args.concurrency or DEFAULT_CONCURRENCY
    sizes = [int(s) for s in args.sizes.split(",")]
    modes = [m.strip() for m in args.ca.split(",")] if args.network == "https" else ["-"]
    if any(m not in ("env", "system", "-") for m in modes):
        parser.error("--ca takes env and/or system")
    if args.json:
        if len(sizes) != 1 or len(modes) != 1:
            parser.error("--json runs one size and one --ca mode")
    else:
        print(f"# azaudit benchmark, {dt.date.today()}, {platform.python_version()}, {platform.machine()}")
        print(
            f"network {args.network}, latency {args.latency * 1000:.0f} ms +/- {args.jitter * 1000:.0f} ms, "
            f"concurrency {concurrency}\n",
            flush=True,
        )
    for size in sizes:
        subscriptions = 10 if size <= 1000 else size // 100
        if args.per_subscription:
            subscriptions = max(1, size // args.per_subscription)
        per_subscription = size // subscriptions
        source = Source(args.source)
        for mode in modes:
            if args.network == "memory":
                result = run_memory(subscriptions, per_subscription, args.latency, args.jitter, concurrency, source)
            elif args.json or (len(sizes) == 1 and len(modes) == 1):
                result = run_https(
                    subscriptions, per_subscription, args.latency, args.jitter, concurrency, mode, source, args.throttle
                )
            else:
                # Each configuration in a fresh process: its own TLS state, peak memory and CPU.
                line = subprocess.run(  # noqa: S603
                    [
                        *(sys.executable, "-m", "bench.run", "--json", f"--sizes={size}", f"--ca={mode}"),
                        *(f"--latency={args.latency}", f"--jitter={args.jitter}", f"--concurrency={concurrency}"),
                        *(f"--source={args.source}", f"--per-subscription={per_subscription}"),
                        f"--throttle={args.throttle}",
                    ],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout.splitlines()[-1]
                result = json.loads(line)
            if args.json:
                print(json.dumps(result))
            else:
                _print(result)


if __name__ == "__main__":
    main()
