"""Collect with several processes, each auditing a part of the subscriptions.

(A *part* is this process pool's slice; a *shard* is only ever a pipeline job's ``--shard K/N``.)

Collection is network-bound, but at thousands of requests the Azure SDK's per-request work
(pipeline policies, response objects, deserialisation: about 2 ms of CPU each) saturates the one
core Python threads can use. Forked worker processes each run their own bounded thread pool over
a share of the subscriptions, with a fresh HTTP session (no socket is shared across a fork) and
the parent's credential, tokens already cached; the parent merges their inventories.

Workers live and die with the parent, silently. The parent alone decides what a signal means:
workers ignore SIGINT (a terminal's Ctrl-C reaches the whole process group), keep SIGTERM's
default (die at once), never print (a worker's failure travels to the parent, which reports it),
and ask the kernel to kill them if the parent dies first, however it dies (``PR_SET_PDEATHSIG``).
When the parent is interrupted (Ctrl-C, SIGTERM, or an error) it terminates its workers, waits
for them briefly, kills what is left, and only then goes on unwinding. Workers are forked only
when no other thread runs, so that no lock can be inherited held; otherwise the parts are
collected in this process.

``collect_in_processes`` is the pool as a run uses it: it takes the Key Vault token once for all
workers, runs the parts, and merges their inventories, request statistics and token counts.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import pickle
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess

import msgspec
from azure.core.exceptions import ClientAuthenticationError

from azaudit.backend import Backend, BackendKind
from azaudit.clients import Clients, import_client_modules
from azaudit.collect import collect, graph_source, merge
from azaudit.collect.scheduler import Progress
from azaudit.errors import AzauditError
from azaudit.inventory import Inventory
from azaudit.inventory.common import Subscription
from azaudit.inventory.coverage import Dataset
from azaudit.lifecycle import quiet_for_fork, sigterm_raises
from azaudit.registry_plane import AUDIENCE as REGISTRY_AUDIENCE
from azaudit.runconfig import Source
from azaudit.transport import RequestCounts

# (subscriptions, run_wide) -> (inventory JSON, request statistics, tokens acquired)
PartJob = Callable[[Sequence[Subscription], bool], "PartResult"]

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
STOP_GRACE_SECONDS = 1.0  # after SIGTERM, how long a worker may take before SIGKILL
TICK_SECONDS = 0.5  # how often the progress display hears from the parent while it waits


class PartResult(msgspec.Struct, frozen=True):
    # Sent as msgpack with the rest, decoded in one step: as JSON bytes inside the message, the
    # parent held each part's message, its JSON and the decoded records at once (at 1,000
    # subscriptions of 10 the parent's peak, above the checks').
    inventory: Inventory
    requests: RequestCounts
    tokens: dict[str, int]  # tokens acquired by audience


class WorkerDied(AzauditError):
    """A collection process ended without an answer (killed from outside, out of memory)."""


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


def _die_with(parent: int) -> None:
    """Ask the kernel to SIGKILL this process when the parent dies, and leave at once if it
    already has (it may have died before the request was made)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the parent's own cleanup is all there is
        pass
    if os.getppid() != parent:
        os._exit(1)


def _worker(job: PartJob, arguments: tuple[list[Subscription], bool], answer: Connection, parent: int) -> None:
    """A forked worker's life: set up as a quiet child, run the job, hand back its result (or the
    exception it raised), and leave without running the parent's exit handlers."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with(parent)
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - the process ends below
    # Everything inherited from the parent stays alive here until the end: never scanned again
    # by the garbage collector (nor its pages touched and copied by a scan).
    gc.freeze()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        message = b"R" + msgspec.msgpack.encode(job(*arguments))
    except BaseException as exc:  # every failure is the parent's to report
        try:
            message = b"E" + pickle.dumps(exc)
        except Exception:
            message = b"E" + pickle.dumps(RuntimeError(f"{type(exc).__name__}: {exc}"))
    try:
        answer.send_bytes(message)
    finally:
        os._exit(0)


@contextmanager
def _signals_blocked() -> Iterator[None]:
    """SIGINT and SIGTERM held back while forking: a child never runs the parent's handlers."""
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _stop(workers: Sequence[BaseProcess]) -> None:
    """Terminate the workers, give them a moment, kill the rest, and reap them all."""
    for worker in workers:
        if worker.is_alive():
            worker.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
    for worker in workers:
        if worker.is_alive():
            worker.kill()
        worker.join()


def run_parts(
    job: PartJob,
    subscriptions: Sequence[Subscription],
    processes: int,
    progress: Callable[[int, int], None] | None = None,
) -> list[PartResult]:
    """Run ``job`` over round-robin parts of ``subscriptions`` in ``processes`` forked workers;
    the first part also collects the run-wide data. ``progress`` hears of finished parts (and
    again every half second while the parent waits, so a display can keep its clock running)."""
    parts = [list(subscriptions[i::processes]) for i in range(processes)]
    arguments = [(part, index == 0) for index, part in enumerate(parts) if part]
    if quiet_for_fork():
        # fork() copies only the calling thread: a lock another thread holds would stay held
        # forever in the child. With a thread azaudit does not know running, collect here.
        return [job(list(subscriptions), True)]
    context = multiprocessing.get_context("fork")
    workers: list[BaseProcess] = []
    answers: dict[Connection, int] = {}
    results: dict[int, PartResult] = {}
    with sigterm_raises():
        try:
            with _signals_blocked():
                for index, argument in enumerate(arguments):
                    reader, writer = context.Pipe(duplex=False)
                    worker = context.Process(
                        target=_worker, args=(job, argument, writer, os.getpid()), name=f"azaudit-part-{index + 1}"
                    )
                    worker.daemon = True
                    worker.start()
                    writer.close()
                    workers.append(worker)
                    answers[reader] = index
            while answers:
                for ready in wait(list(answers), timeout=TICK_SECONDS):
                    assert isinstance(ready, Connection)
                    index = answers.pop(ready)
                    results[index] = _answer_of(ready, workers[index])
                if progress is not None:
                    progress(len(results), len(arguments))
        finally:
            _stop(workers)
            for reader in answers:
                reader.close()
    return [results[index] for index in range(len(arguments))]


def _answer_of(reader: Connection, worker: BaseProcess) -> PartResult:
    """What a worker sent: its result, or the exception it raised (raised here, in the parent)."""
    try:
        message = reader.recv_bytes()
    except EOFError:
        worker.join()
        raise WorkerDied(
            f"a collection process ended without an answer (exit code {worker.exitcode}); "
            "run again, or with --processes 1"
        ) from None
    finally:
        reader.close()
    if message[:1] == b"R":
        return msgspec.msgpack.decode(message[1:], type=PartResult)
    raise pickle.loads(message[1:])  # noqa: S301 - bytes from our own forked child


def collect_in_processes(
    backend: Backend,
    subscriptions: list[Subscription],
    datasets: set[Dataset],
    processes: int,
    progress: Progress | None,
    source: Source = Source.ARM,
) -> Inventory:
    """Collect ``subscriptions`` in ``processes`` forked parts and merge what they collected into
    one inventory; their requests and tokens are added to ``backend``'s counters. ``source`` is
    where each part enumerates its subscriptions' resources (already resolved: arm or graph)."""
    per_process = max(1, backend.config.concurrency // processes)
    credential = backend.credential
    parent = os.getpid()

    def job(part: Sequence[Subscription], run_wide: bool) -> PartResult:
        before = dict(credential.acquired)
        forked = os.getpid() != parent
        # each forked part paces its own subscriptions, with its share of the tenant's reads
        transport = backend.forked_transport(per_process, processes if forked else 1)
        try:
            inventory = collect(
                Clients(credential, backend.cloud, transport), part, datasets, per_process, None, run_wide, source
            )
        finally:
            # A forked part answers and exits (os._exit), which closes its sockets: closing its
            # hundreds of pooled connections one by one first (10 to 30 ms at 1,000 resources, a
            # connection per vault and registry host) delayed the run's end. Collected in this
            # process (no fork), the connections are closed here.
            if not forked:
                transport.shutdown()
        return PartResult(
            inventory=inventory,
            requests=transport.stats.counts(),
            tokens={k: v - before.get(k, 0) for k, v in credential.acquired.items() if v - before.get(k, 0)},
        )

    prefetch_vault_token(backend, subscriptions, datasets)
    prefetch_registry_token(backend, datasets)
    import_client_modules()
    results = run_parts(job, subscriptions, processes, progress)
    for result in results:
        backend.transport.stats.merge(result.requests)
        for audience, count in result.tokens.items():
            credential.acquired[audience] = credential.acquired.get(audience, 0) + count
    return merge(subscriptions, [r.inventory for r in results])


def prefetch_vault_token(backend: Backend, subscriptions: Sequence[Subscription], datasets: set[Dataset]) -> None:
    """Every worker would otherwise ask for its own Key Vault token: take it once, before the
    fork, with the key the Key Vault challenge policy will ask for (scope, tenant, CAE), and let
    the workers inherit it. Only when secrets are collected, in a single tenant."""
    tenants = {s.tenant_id for s in subscriptions if s.tenant_id}
    if Dataset.SECRETS in datasets and len(tenants) == 1:
        backend.credential.get_token(
            f"https://{backend.cloud.vault_suffix}/.default", tenant_id=tenants.pop(), enable_cae=True
        )


def prefetch_registry_token(backend: Backend, datasets: set[Dataset]) -> None:
    """Likewise the Azure AD token each registry's token exchange starts from (the key
    azure-containerregistry asks with), when images are looked up. A credential that refuses it
    here is asked again by the workers, where a refusal is a failure of each registry only."""
    if Dataset.REGISTRY_IMAGES in datasets:
        with suppress(ClientAuthenticationError):
            backend.credential.get_token(f"{REGISTRY_AUDIENCE}/.default")


def collect_subscriptions(
    backend: Backend,
    clients: Clients,
    subscriptions: list[Subscription],
    datasets: set[Dataset],
    progress: Progress | None,
) -> Inventory:
    """Collect ``subscriptions``: in forked processes when there are enough of them (and the run
    is not recorded: the recorder lives in this process), else with this process's threads."""
    processes = process_count(backend.config.processes, len(subscriptions)) if backend.recorder is None else 1
    # auto is decided on the whole run's subscriptions, not on one process's part of them
    live = backend.kind is BackendKind.LIVE and backend.recorder is None
    source = graph_source.resolve(backend.config.source, len(subscriptions), live)
    if processes > 1:
        return collect_in_processes(backend, subscriptions, datasets, processes, progress, source)
    return collect(clients, subscriptions, datasets, backend.config.concurrency, progress, source=source)
