"""Where a benchmark run's wall goes: requests in flight, tasks, phases and CPU per process, over time.

``flock /tmp/azaudit-bench.lock python -m bench.timeline --out T.json [--size 1000] [--ca env]``
then ``python -m bench.timeline --show T.json [--bin 0.1]`` (the analysis, outside the lock).

``--out`` runs the HTTPS benchmark once (``bench.run.run_https``: the fake Azure, 50 ms ± 10 ms,
the CLI's concurrency and processes) with a tracer installed, and writes every event (time,
process, kind, detail) and CPU sample as JSON. ``--show`` prints:

- a summary: when the first request started, when the run reached (and last held) its full
  concurrency, the tail (from the last moment at least half the concurrency was in flight to the
  last answer), each collection process's life (fork, job, first and last request, the parent's
  receipt of its part: reading it from the pipe, then decoding it), and the parent's phases (auth, enumeration, collection, merge, checks,
  runtime block, run info);
- where the wall goes: time to the first request, to the fork, with at least half the
  concurrency in flight, the tail, and from the last answer to the end;
- how long requests took (client side: from ``RequestStats.started`` to ``finished``), overall,
  by start time and kind of host (ARM, a vault, a registry: with the connections they opened,
  each a TLS handshake), and by step: connecting (TLS handshake included), sending, waiting for and
  reading the answer (the fake's latency is in this step), azure-core's work after it;
- what ran in the tail: the tasks still running and the request kinds sent there;
- a table per bin (``--bin`` seconds, 0.1 by default): requests in flight (time-weighted mean and
  peak), requests started, and the CPU each process used in the bin (per cent of one core: the
  parent, each collection process, the fake Azure, and the whole machine: 200 is both cores, the
  other users' processes included), with the phases that began in the bin.

All times are seconds since ``run_audit`` was called (the benchmark's wall clock starts there).

How it traces, at no cost to a run without it: only this module, in this process, replaces a few
functions by wrappers that note the time (``RequestStats.started``/``finished`` for the requests,
``scheduler.run_scoped`` for the tasks, ``audit``'s and ``collect.pool``'s stage functions for the
phases, ``wire``'s steps of an exchange, ``pool._worker`` so that a forked collection process notes its own events and writes them
to a file before it answers). azaudit's modules are not edited and hold no hook. CPU per process is
read from ``/proc/<pid>/stat`` every 20 ms by a separate sampler process (``--sample``, started
before the audit; a thread in the audit's process would make the pool collect in-process, see
``lifecycle.quiet_for_fork``), whose own CPU (about 1 % of a core) is not counted. The tracer's
own cost (a list append per request and per task) is in the figures: compare walls with
``bench.run``, not with this.
"""

from __future__ import annotations

import argparse
import functools
import json
import multiprocessing.connection
import os
import select
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, cast

import msgspec

# (monotonic seconds, process label, kind, detail)
Event = tuple[float, str, str, str]

_events: list[Event] = []
_label = ["parent"]
_folder: list[Path] = []


def _note(kind: str, detail: str = "") -> None:
    _events.append((time.monotonic(), _label[0], kind, detail))


def _phase(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` noting when it begins and ends, as phase ``name``."""

    @functools.wraps(function)
    def traced(*args: Any, **kwargs: Any) -> Any:
        _note("phase+", name)
        try:
            return function(*args, **kwargs)
        finally:
            _note("phase-", name)

    return traced


def _wrap(owner: Any, name: str, wrapper: Callable[[Any], Any]) -> None:
    """Replace ``owner.name`` (a module's function, a class's method) by ``wrapper`` of it."""
    setattr(owner, name, wrapper(getattr(owner, name)))


def install(folder: Path) -> None:
    """Replace the traced functions by their tracing wrappers (in this process, for this run)."""
    from azaudit import audit, collect
    from azaudit.collect import pool, scheduler
    from azaudit.transport import wire
    from azaudit.transport.stats import RequestStats

    _folder[:] = [folder]
    started, finished = RequestStats.started, RequestStats.finished

    def traced_started(self: RequestStats, method: str, url: str, *args: Any, **kwargs: Any) -> None:
        _events.append((time.monotonic(), _label[0], "req+", f"{threading.get_ident()} {method} {url}"))
        started(self, method, url, *args, **kwargs)

    def traced_finished(self: RequestStats) -> None:
        finished(self)
        _events.append((time.monotonic(), _label[0], "req-", str(threading.get_ident())))

    RequestStats.started = traced_started  # type: ignore[method-assign]
    RequestStats.finished = traced_finished  # type: ignore[method-assign]

    run_scoped = scheduler.run_scoped

    def traced_run_scoped(task: Any) -> Any:
        detail = f"{threading.get_ident()} {task.operation} {task.resource_name or task.subscription_id}"
        _events.append((time.monotonic(), _label[0], "task+", detail))
        try:
            return run_scoped(task)
        finally:
            _events.append((time.monotonic(), _label[0], "task-", detail))

    scheduler.run_scoped = traced_run_scoped

    # the steps of one exchange on the wire, noted by thread: connected, sent, head read, body read
    def step(name: str, function: Callable[..., Any], before: bool = False) -> Callable[..., Any]:
        @functools.wraps(function)
        def traced(*args: Any, **kwargs: Any) -> Any:
            if before:
                _events.append((time.monotonic(), _label[0], name, str(threading.get_ident())))
            result = function(*args, **kwargs)
            if not before:
                _events.append((time.monotonic(), _label[0], name, str(threading.get_ident())))
            return result

        return traced

    _wrap(wire.WireTransport, "_connect", lambda f: step("connected", f))
    _wrap(wire, "finish_request", lambda f: step("sent", f))
    _wrap(wire, "begin_answer", lambda f: step("head", f, before=True))
    _wrap(wire, "read_body", lambda f: step("body", f))

    for name in ("open_backend", "verify_credential", "scope_for", "collect_subscriptions", "run_checks"):
        _wrap(audit, name, functools.partial(_phase, name))
    for name in ("running_containers", "run_info"):
        _wrap(audit, name, functools.partial(_phase, name))
    for name in ("prefetch_vault_token", "prefetch_registry_token", "import_client_modules", "run_parts", "merge"):
        _wrap(pool, name, functools.partial(_phase, name))
    _wrap(pool, "_answer_of", functools.partial(_phase, "receive part"))
    _wrap(multiprocessing.connection.Connection, "recv_bytes", functools.partial(_phase, "read part"))
    _wrap(pool, "collect", functools.partial(_phase, "collect"))
    _wrap(collect, "run_tasks", functools.partial(_phase, "run_tasks"))
    _wrap(collect, "assemble", functools.partial(_phase, "assemble"))
    worker = pool._worker

    def traced_worker(job: Callable[..., Any], arguments: Any, answer: Any, parent: int) -> None:
        _events.clear()  # the parent's, inherited
        _label[0] = multiprocessing.current_process().name.replace("azaudit-", "")
        _note("forked")

        def traced_job(*args: Any) -> Any:
            _note("phase+", "job")
            try:
                return job(*args)
            finally:
                _note("phase-", "job")
                _note("phase+", "encode")  # the result, as msgpack (ends when the sending begins)

        class Answer:
            """The worker's pipe, noting when its part is sent."""

            def send_bytes(self, message: bytes) -> None:
                _note("phase-", "encode")
                _note("sending", str(len(message)))
                # written before sending: the parent stops its workers once it has every part
                (_folder[0] / f"events-{_label[0]}.json").write_bytes(msgspec.json.encode(_events))  # ~2 ms
                answer.send_bytes(message)

        worker(traced_job, arguments, cast(Any, Answer()), parent)

    pool._worker = traced_worker


def sample(root: int, out: Path, every: float = 0.02) -> None:
    """The sampler process: the CPU ticks of ``root`` and of its descendants (but this process)
    every ``every`` seconds, until standard input closes; written to ``out`` as JSON."""
    ticks = os.sysconf("SC_CLK_TCK")
    me = os.getpid()
    samples: list[tuple[float, int, str, float]] = []
    names: dict[int, str] = {}

    def descendants(pid: int) -> Iterable[int]:
        yield pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return
        for child in children:
            if int(child) != me:
                yield from descendants(int(child))

    while True:
        now = time.monotonic()
        with open("/proc/stat") as machine:  # every process's CPU, the other users' too
            user, nice, system, _, _, irq, softirq, steal = (int(v) for v in machine.readline().split()[1:9])
        samples.append((now, -1, "machine", (user + nice + system + irq + softirq + steal) / ticks))
        for pid in descendants(root):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                if pid not in names:
                    names[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            samples.append((now, pid, names[pid], (int(fields[11]) + int(fields[12])) / ticks))
        if select.select([sys.stdin], [], [], every)[0] and not sys.stdin.read(1):
            break
    out.write_text(json.dumps(samples))


def _cpu_labels(samples: list[list[Any]], root: int) -> dict[int, str]:
    """Each sampled process's label: parent, fake (the server), part-N (in order of pid)."""
    labels = {root: "parent", -1: "machine"}
    others = sorted({pid for _, pid, _, _ in samples if pid not in labels})
    parts = 0
    for pid in others:
        command = next(name for _, p, name, _ in samples if p == pid)
        if "bench.tls_server" in command:
            labels[pid] = "fake"
        else:
            parts += 1
            labels[pid] = f"part-{parts}"
    return labels


def _intervals(events: list[Event], start: str, end: str) -> list[tuple[float, float, str, str, str]]:
    """(begin, end, process, detail, thread) of each request or task: a start and the next end of
    the same thread in the same process."""
    open_: dict[tuple[str, str], list[tuple[float, str]]] = defaultdict(list)
    spans = []
    for at, process, kind, detail in events:
        thread, _, rest = detail.partition(" ")
        if kind == start:
            open_[process, thread].append((at, rest))
        elif kind == end and open_[process, thread]:
            begun, rest = open_[process, thread].pop()
            spans.append((begun, at, process, rest, thread))
    return spans


STEPS = ("connected", "sent", "head", "body")


def _steps(events: list[Event], requests: list[tuple[float, float, str, str, str]]) -> dict[str, list[float]]:
    """For each step of an exchange, the milliseconds each request spent reaching it from the
    step before (``connected`` only for requests that opened a connection; ``answered``: from the
    body read to the end of the request, azure-core's and the guard's work)."""
    stamps: dict[tuple[str, str], list[tuple[float, str]]] = defaultdict(list)
    for at, process, kind, detail in events:
        if kind in STEPS:
            stamps[process, detail].append((at, kind))
    spent: dict[str, list[float]] = defaultdict(list)
    for begin, end, process, _, thread in requests:
        previous = begin
        for at, kind in stamps.get((process, thread), []):
            if begin <= at <= end:
                spent[kind].append(1000 * (at - previous))
                previous = at
        spent["answered"].append(1000 * (end - previous))
    return spent


def _host_kind(url: str) -> str:
    host = url.split("/")[2] if url.count("/") >= 2 else ""
    if host.startswith("management."):
        return "arm"
    return "vault" if ".vault." in host else "registry" if ".azurecr." in host else "other"


def _by_host(events: list[Event], requests: list[tuple[float, float, str, str, str]]) -> list[str]:
    """Per 0.5 s of start time and kind of host (ARM, a vault, a registry): requests started, their
    mean duration, and how many opened a connection (a TLS handshake: every vault and registry is
    a host of its own)."""
    connects: dict[tuple[str, str], list[float]] = defaultdict(list)
    for at, process, kind, detail in events:
        if kind == "connected":
            connects[process, detail].append(at)
    window, kinds = 0.5, ("arm", "vault", "registry", "other")
    took: dict[tuple[int, str], list[float]] = defaultdict(list)
    opened: Counter[tuple[int, str]] = Counter()
    for begin, end, process, detail, thread in requests:
        key = (int(begin // window), _host_kind(_method_url(detail)[1]))
        took[key].append(1000 * (end - begin))
        opened[key] += any(begin <= at <= end for at in connects.get((process, thread), ()))
    lines = ["requests by start time and host (started, mean ms, of which opened a connection):"]
    for w in range(max(w for w, _ in took) + 1):
        cells = [
            f"{kind} {len(took[w, kind]):4d} {sum(took[w, kind]) / len(took[w, kind]):5.0f} ms {opened[w, kind]:3d}"
            for kind in kinds
            if took.get((w, kind))
        ]
        lines.append(f"  {w * window:4.1f} s  " + "   ".join(cells))
    return lines


def _method_url(detail: str) -> tuple[str, str]:
    method, _, url = detail.partition(" ")
    return method, url


def report(events: list[Event], samples: list[list[Any]], root: int, t0: float, bin_s: float, full: int) -> str:
    from azaudit.transport.stats import request_kind

    lines: list[str] = []
    rel = [(at - t0, process, kind, detail) for at, process, kind, detail in sorted(events)]
    requests = _intervals(rel, "req+", "req-")  # type: ignore[arg-type]
    tasks = _intervals(rel, "task+", "task-")  # type: ignore[arg-type]
    end = max(at for at, *_ in rel)
    steps = sorted([(b, 1) for b, *_ in requests] + [(e, -1) for _, e, *_ in requests])
    # in flight over time
    level, history = 0, [(0.0, 0)]
    for at, delta in steps:
        level += delta
        history.append((at, level))
    first = min(b for b, *_ in requests)
    last = max(e for _, e, *_ in requests)
    reached = next((at for at, n in history if n >= full), None)
    half = full // 2
    held = max((at for at, n in history if n >= half), default=first)
    tail = [r for r in requests if r[1] > held]
    lines.append(f"requests: {len(requests)}; first sent at {first:.3f} s, last answered at {last:.3f} s")
    lines.append(
        f"full concurrency ({full}) first reached at "
        + (f"{reached:.3f} s" if reached is not None else "never")
        + f"; at least {half} in flight last at {held:.3f} s; tail {last - held:.3f} s ({len(tail)} requests)"
    )
    busy = sum(min(e, last) - max(b, first) for b, e, *_ in requests)
    lines.append(f"mean in flight between the first and the last request: {busy / (last - first):.1f}")
    took = sorted(1000 * (e - b) for b, e, *_ in requests)
    n = len(took)
    lines.append(
        f"request duration (ms, sent to answered, client side): mean {sum(took) / n:.1f}, "
        f"min {took[0]:.1f}, median {took[n // 2]:.1f}, p90 {took[9 * n // 10]:.1f}, p99 {took[99 * n // 100]:.1f}"
    )
    lines.append("  its steps (ms from the step before; connected: only requests that opened a connection):")
    for kind, values in _steps(rel, requests).items():  # type: ignore[arg-type]
        values.sort()
        lines.append(
            f"    {kind:10s} n {len(values):5d}  mean {sum(values) / len(values):6.1f}  "
            f"median {values[len(values) // 2]:6.1f}  p90 {values[9 * len(values) // 10]:6.1f}"
        )
    lines.extend(_by_host(rel, requests))  # type: ignore[arg-type]
    window = 0.5
    by_window: dict[int, list[float]] = defaultdict(list)
    for b, e, *_ in requests:
        by_window[int(b // window)].append(1000 * (e - b))
    lines.append(
        "  mean by start time: "
        + ", ".join(f"{w * window:.1f}s {sum(v) / len(v):.0f} ({len(v)})" for w, v in sorted(by_window.items()))
    )
    phases: dict[tuple[str, str], list[float]] = {}  # each call apart: (process, name#n)
    calls: Counter[tuple[str, str]] = Counter()
    for at, process, kind, detail in rel:
        if kind == "phase+":
            calls[process, detail] += 1
            phases[process, detail if calls[process, detail] == 1 else f"{detail}#{calls[process, detail]}"] = [at, at]
        elif kind == "phase-":
            phases[process, detail if calls[process, detail] <= 1 else f"{detail}#{calls[process, detail]}"][1] = at
        elif kind in ("forked", "sending"):
            phases[process, kind] = [at, at]
    lines.append("phases (process, name, begin, end, seconds):")
    for (process, name), (begin, finish) in sorted(phases.items(), key=lambda kv: kv[1][0]):
        lines.append(f"  {process:8s} {name:24s} {begin:7.3f} {finish:7.3f} {finish - begin:7.3f}")
    for process in sorted({r[2] for r in requests}):
        own = [r for r in requests if r[2] == process]
        lines.append(
            f"  {process:8s} requests {len(own)}: first {min(b for b, *_ in own):.3f}, "
            f"last answered {max(e for _, e, *_ in own):.3f}"
        )
    lines.append(f"run ends at {end:.3f} s")
    forked = min((begin for (process, name), (begin, _) in phases.items() if name == "forked"), default=first)
    lines.append(
        f"where the wall goes: {first:.3f} s to the first request, {forked - first:.3f} s more to the fork, "
        f"{held - forked:.3f} s with {half} or more in flight, a tail of {last - held:.3f} s, "
        f"{end - last:.3f} s from the last answer to the end (the parts' answers, merge, checks, report)"
    )
    lines.append("tasks running after the concurrency fell below half (operation: count, latest end):")
    late: dict[str, list[float]] = defaultdict(list)
    for _, finish, process, detail, _ in tasks:
        if finish > held:
            late[f"{process} {detail.split(' ')[0]}"].append(finish)
    for name, ends in sorted(late.items(), key=lambda kv: -max(kv[1])):
        lines.append(f"  {name:40s} {len(ends):5d}  {max(ends):.3f}")
    kinds = Counter(request_kind(*_method_url(detail)) for _, _, _, detail, _ in tail)
    lines.append("request kinds sent in the tail:")
    for kind, count in kinds.most_common(12):
        lines.append(f"  {count:5d}  {kind}")
    # the table
    labels = _cpu_labels(samples, root)
    columns = ["parent", *sorted({v for v in labels.values() if v.startswith("part-")}), "fake", "machine"]
    cpu: dict[tuple[int, str], float] = defaultdict(float)  # (bin, label) -> seconds
    previous: dict[int, tuple[float, float]] = {}
    for at, pid, _, seconds in samples:
        if pid in previous:
            before_at, before_seconds = previous[pid]
            cpu[int((before_at - t0) // bin_s), labels[pid]] += seconds - before_seconds
        previous[pid] = (at, seconds)
    bins = int(end // bin_s) + 1
    weighted = [0.0] * bins
    peak = [0] * bins
    started = [0] * bins
    for index, (at, n) in enumerate(history):
        until = history[index + 1][0] if index + 1 < len(history) else at
        b = max(0, int(at // bin_s))
        if b < bins:
            peak[b] = max(peak[b], n)
        for b in range(max(0, int(at // bin_s)), min(bins, int(until // bin_s) + 1)):
            overlap = min(until, (b + 1) * bin_s) - max(at, b * bin_s)
            if overlap > 0:
                weighted[b] += n * overlap
                peak[b] = max(peak[b], n)
    for begin, *_ in requests:
        if 0 <= int(begin // bin_s) < bins:
            started[int(begin // bin_s)] += 1
    marks: dict[int, list[str]] = defaultdict(list)
    for (process, name), (begin, _) in phases.items():
        marks[int(begin // bin_s)].append(f"{process}:{name}")
    lines.append("")
    lines.append(
        "   t(s)  inflight peak  sent  " + " ".join(f"{c:>7s}" for c in columns) + "  (CPU, % of a core)  phases"
    )
    for b in range(bins):
        shares = " ".join(f"{100 * cpu.get((b, c), 0.0) / bin_s:7.0f}" for c in columns)
        lines.append(
            f"{b * bin_s:7.1f}  {weighted[b] / bin_s:8.1f} {peak[b]:4d} {started[b]:5d}  {shares}  "
            + " ".join(sorted(marks.get(b, [])))
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1000, help="resources (10 per cent per subscription)")
    parser.add_argument("--ca", default="env", choices=("env", "system"))
    parser.add_argument("--out", type=Path, help="run the benchmark, write its events and CPU samples here (JSON)")
    parser.add_argument("--show", type=Path, help="print the summary and table of a file --out wrote")
    parser.add_argument("--bin", type=float, default=0.1, help="--show: seconds per row of the table")
    parser.add_argument("--sample", nargs=2, metavar=("PID", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sample:
        sample(int(args.sample[0]), Path(args.sample[1]))
    elif args.out:
        record(args.size, args.ca, args.out)
    elif args.show:
        trace = json.loads(args.show.read_text())
        print(trace["result"])
        events = [tuple(e) for e in trace["events"]]
        print(report(events, trace["cpu"], trace["root"], trace["t0"], args.bin, trace["full"]))  # type: ignore[arg-type]
    else:
        parser.error("--out FILE (run and record) or --show FILE (read a record)")


def record(size: int, ca: str, out: Path) -> None:
    """Run the HTTPS benchmark once with the tracer and the sampler; write what they saw to ``out``."""
    from azaudit.runconfig import DEFAULT_CONCURRENCY
    from bench import run

    run.compile_ahead()
    folder = Path(tempfile.mkdtemp(prefix="azaudit-timeline-"))
    install(folder)
    sampler = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "bench.timeline", "--sample", str(os.getpid()), str(folder / "cpu.json")],
        stdin=subprocess.PIPE,
    )
    audit = run.run_audit  # type: ignore[attr-defined]
    t0 = [0.0]

    def timed_audit(*a: Any, **k: Any) -> Any:
        t0[0] = time.monotonic()
        _note("phase+", "run_audit")
        try:
            return audit(*a, **k)
        finally:
            _note("phase-", "run_audit")

    _wrap(run, "run_audit", lambda _: timed_audit)
    subscriptions = 10 if size <= 1000 else size // 100
    try:
        result = run.run_https(subscriptions, size // subscriptions, 0.05, 0.01, DEFAULT_CONCURRENCY, ca)
    finally:
        assert sampler.stdin is not None
        sampler.stdin.close()
        sampler.wait()
    events = list(_events)
    for part in sorted(folder.glob("events-*.json")):
        events += [tuple(e) for e in json.loads(part.read_text())]
    summary = (
        f"wall {result['wall_s']} s, cpu {result['cpu_s']} s (audit), requests {result['requests']}, "
        f"fake Azure cpu {result.get('server_cpu_s', '?')} s"
    )
    trace = {
        "result": summary,
        "root": os.getpid(),
        "t0": t0[0],
        "full": DEFAULT_CONCURRENCY,
        "events": events,
        "cpu": json.loads((folder / "cpu.json").read_text()),
    }
    out.write_text(json.dumps(trace))
    print(summary)


if __name__ == "__main__":
    main()
