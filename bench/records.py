"""CPU per request of the collectors' own work, without the network: ``python -m bench.records``.

Every collection task of the ARM-read services (registries, container groups, vaults, keys,
secrets, diagnostic settings, role assignments, identities, instance views, registry image
lookups) runs its real ``run()`` over the synthetic tenant's recorded bodies (``bench/synthetic.py``,
the bodies ``--network memory`` answers with), with the send stubbed where the transport would be:
:func:`azaudit.collect.arm._send` answers a request from the tenant's responses, through
:func:`~azaudit.collect.arm.json_answer` (the JSON bytes decoded as a real answer's are), and the
registry data plane and the Key Vault secret pager read the same bodies. What remains is what a
collection worker spends per answer in Python: decoding, the readers, the record builders, the
credential classifier, ``Task.each`` and the follow-up tasks a record starts (as the scheduler
starts them, from ``azaudit.collect.PER_RECORD``).

Reports, per operation, tasks, requests and records, and microseconds of CPU
(``time.process_time``) per task, per request and per record, over ``--rounds`` rounds of the
whole tenant (best round), with the garbage collector set as an audit sets it
(:func:`azaudit.lifecycle.fewer_collections`). ``--digest`` prints a SHA-256 of every record produced (msgspec JSON,
in task order), so two trees can be compared for identical records; ``--profile FILE`` writes a
cProfile of one round.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import hashlib
import json
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import msgspec
from azure.core.exceptions import ResourceNotFoundError

from azaudit.collect import PER_RECORD, PER_RUN, PER_SUBSCRIPTION, aci, acr, arm, images, keyvault, monitor, rbac
from azaudit.collect.tasks import Collected, Task
from azaudit.inventory.common import Subscription
from azaudit.lifecycle import fewer_collections
from azaudit.registry_plane import NOTARY_SIGNATURE
from azaudit.replay.fixtures import RecordedResponse, request_key
from bench.synthetic import SyntheticTenant

SERVICES = (acr, aci, keyvault, monitor, rbac, images)  # the modules whose tasks are measured


class _Response:
    """What json_answer reads of an answer: its status, headers and body bytes."""

    def __init__(self, status: int, content: bytes) -> None:
        self.status_code = status
        self.headers = {"Content-Type": "application/json; charset=utf-8"}
        self.content = content

    def json(self) -> Any:
        return json.loads(self.content)


class _Answers:
    """The tenant's bodies as JSON bytes, by request key; counts the requests answered."""

    def __init__(self, responses: dict[Any, RecordedResponse]) -> None:
        self._bodies = {key: (r.status, json.dumps(r.body).encode()) for key, r in responses.items()}
        self.sent = 0
        self._memo: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[int, bytes]] = {}

    def get(self, url: str, params: dict[str, str] | None = None) -> _Response:
        self.sent += 1
        # the replay key is computed once per request (the first round): the rounds after it
        # measure the collectors, not the lookup
        memo = (url, tuple(params.items()) if params else ())
        found = self._memo.get(memo)
        if found is None:
            query = "&".join(f"{k}={v}" for k, v in (params or {}).items())
            found = self._memo[memo] = self._bodies[request_key("GET", f"{url}?{query}" if query else url)]
        return _Response(*found)


class _Transport:
    def allow_registries(self, login_servers: Any) -> frozenset[str]:
        return frozenset(s.lower() for s in login_servers)


class _Plane:
    """A registry's data plane answering from the tenant's bodies (tag, manifest, referrers)."""

    def __init__(self, host: str, answers: _Answers) -> None:
        self.base = f"https://{host}"
        self.answers = answers
        self.failure: str | None = None
        self.refused_by: str | None = None
        self.lock = threading.Lock()
        self._read: dict[Any, Any] = {}

    def once(self, key: Any, read: Callable[[], Any]) -> Any:
        if key not in self._read:
            self._read[key] = read()
        return self._read[key]

    def _json(self, path: str) -> Any:
        response = self.answers.get(self.base + path)
        if response.status_code == 404:
            raise ResourceNotFoundError("not found")
        return arm.json_answer(response)

    def tag_properties(self, repository: str, tag: str) -> Any:
        return self._json(f"/acr/v1/{quote(repository, safe='')}/_tags/{quote(tag, safe='')}")

    def manifest_properties(self, repository: str, digest: str) -> Any:
        return self._json(f"/acr/v1/{quote(repository, safe='')}/_manifests/{quote(digest, safe='')}")

    def signatures(self, repository: str, digest: str) -> int:
        url = f"{self.base}/v2/{repository}/referrers/{digest}"
        body = arm.json_answer(self.answers.get(url, {"artifactType": NOTARY_SIGNATURE}))
        return sum(1 for m in body["manifests"] if m.get("artifactType") == NOTARY_SIGNATURE)


class _Clients:
    """What the measured collectors ask of ``Clients``: a client per service (unused: the send is
    stubbed), the run's shared state, the transport's registry allow-list, a data plane per registry."""

    def __init__(self, answers: _Answers) -> None:
        self.answers = answers
        self.transport = _Transport()
        self.cloud = None
        self._state: dict[str, Any] = {}
        self._planes: dict[str, _Plane] = {}

    def __getattr__(self, name: str) -> Callable[..., Any]:
        return lambda *args: name  # container_instance(sub), registry(sub), secrets(uri)...

    def secrets(self, vault_uri: str) -> str:
        return vault_uri  # what the stubbed secret pager reads

    def run_state(self, kind: str, build: Callable[[], Any]) -> Any:
        if kind not in self._state:
            self._state[kind] = build()
        return self._state[kind]

    def registry_plane(self, login_server: str) -> _Plane:
        host = login_server.lower()
        if host not in self._planes:
            self._planes[host] = _Plane(host, self.answers)
        return self._planes[host]


@contextlib.contextmanager
def stubbed(answers: _Answers) -> Iterator[None]:
    """The send replaced where the transport sits (ARM reads, the secret pager, the vault
    challenge) while the block runs; the modules' own functions are put back after it."""
    names = ((arm, "_url"), (arm, "_send"), (keyvault, "list_secrets"), (keyvault, "seed_vault_challenge"))
    saved = [(module, name, getattr(module, name)) for module, name in names]

    def list_secrets(vault_url: str) -> list[Any]:
        body = arm.json_answer(answers.get(f"{vault_url.rstrip('/')}/secrets"))
        return arm.follow_next_links(body, "secrets.list", lambda url, query: arm.json_answer(answers.get(url, query)))

    setattr(arm, "_url", lambda client, path: "https://management.azure.com" + path)  # noqa: B010
    setattr(arm, "_send", lambda client, url, params: arm.json_answer(answers.get(url, params)))  # noqa: B010
    setattr(keyvault, "list_secrets", list_secrets)  # noqa: B010
    setattr(keyvault, "seed_vault_challenge", lambda *args: None)  # noqa: B010
    try:
        yield
    finally:
        for module, name, original in saved:
            setattr(module, name, original)


class Totals:
    def __init__(self) -> None:
        self.cpu: dict[str, float] = defaultdict(float)
        self.tasks: dict[str, int] = defaultdict(int)
        self.requests: dict[str, int] = defaultdict(int)
        self.records: dict[str, int] = defaultdict(int)


def _tasks(clients: Any, subscriptions: list[Subscription]) -> list[Task]:
    measured = {spec.task for service in SERVICES for spec in service.DATASETS}
    initial = [factory(clients, sub) for sub in subscriptions for _, factory in PER_SUBSCRIPTION if factory in measured]
    initial += [factory(clients, subscriptions[0]) for _, factory in PER_RUN if factory in measured]
    return initial


def one_round(tenant: SyntheticTenant, answers: _Answers, totals: Totals, produced: list[object]) -> None:
    """Every task of the tenant run once, in discovery order (breadth first), each timed alone
    (its follow-up tasks' construction counted in the task that starts them)."""
    clients: Any = _Clients(answers)  # what the collectors ask of Clients
    subscriptions = [Subscription(subscription_id=s, display_name=s, state="Enabled") for s in tenant.subscription_ids]
    measured = {spec.task for service in SERVICES for spec in service.DATASETS}
    queue = _tasks(clients, subscriptions)
    clock = time.process_time
    # what reading the clock adds to each interval (the part of its own system call it counts)
    pairs = [-clock() + clock() for _ in range(200)]
    overhead = sorted(pairs)[len(pairs) // 2]
    while queue:
        task = queue.pop(0)
        sent = answers.sent
        started = clock()
        collected: Collected = task.run()
        followups = [
            factory(clients, record)
            for record in collected.records
            for _, factory in PER_RECORD.get(type(record), ())
            if factory in measured
        ]
        spent = clock() - started - overhead
        totals.cpu[task.operation] += spent
        totals.tasks[task.operation] += 1
        totals.requests[task.operation] += answers.sent - sent
        totals.records[task.operation] += len(collected.records)
        produced.extend(collected.records)
        queue.extend(collected.followups)
        queue.extend(followups)


def _table(totals: Totals, rounds: int) -> Iterator[str]:
    yield f"{'operation':34} {'tasks':>6} {'reqs':>6} {'records':>7} {'us/task':>8} {'us/req':>8} {'us/rec':>8} {'ms':>7}"
    for operation in sorted(totals.cpu, key=lambda op: -totals.cpu[op]):
        cpu = totals.cpu[operation] / rounds * 1e6
        tasks, requests, records = (
            totals.tasks[operation] // rounds,
            totals.requests[operation] // rounds,
            totals.records[operation] // rounds,
        )
        per_request = f"{cpu / requests:8.1f}" if requests else f"{'-':>8}"
        per_record = f"{cpu / records:8.1f}" if records else f"{'-':>8}"
        yield f"{operation:34} {tasks:6} {requests:6} {records:7} {cpu / tasks:8.1f} {per_request} {per_record} {cpu / 1000:7.1f}"
    cpu = sum(totals.cpu.values()) / rounds * 1e6
    requests = sum(totals.requests.values()) // rounds
    yield f"{'all':34} {sum(totals.tasks.values()) // rounds:6} {requests:6} {sum(totals.records.values()) // rounds:7} {'':8} {cpu / max(requests, 1):8.1f} {'':8} {cpu / 1000:7.1f}"


def measure(tenant: SyntheticTenant, rounds: int) -> tuple[Totals, list[object]]:
    """The best of ``rounds`` rounds over ``tenant`` (least CPU in all), and the records of the last."""
    answers = _Answers(tenant.responses)
    best: Totals | None = None
    produced: list[object] = []
    # the collector's settings of an audit (the tenant's bodies frozen as the modules are)
    with stubbed(answers), fewer_collections():
        for _ in range(rounds):
            totals = Totals()
            produced = []
            gc.collect()
            one_round(tenant, answers, totals, produced)
            if best is None or sum(totals.cpu.values()) < sum(best.cpu.values()):
                best = totals
    assert best is not None
    return best, produced


def digest(records: list[object]) -> str:
    """A SHA-256 of records, each its type's name and its msgspec JSON, in order."""
    found = hashlib.sha256()
    for record in records:
        found.update(type(record).__name__.encode())
        found.update(msgspec.json.encode(record))
    return found.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--subscriptions", type=int, default=10)
    parser.add_argument("--per-subscription", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--digest", action="store_true", help="print a SHA-256 of every record produced")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of one more round to FILE")
    args = parser.parse_args(argv)
    tenant = SyntheticTenant(args.subscriptions, args.per_subscription)
    best, produced = measure(tenant, args.rounds)
    print(f"best of {args.rounds} rounds, {args.subscriptions} x {args.per_subscription} resources")
    for line in _table(best, 1):
        print(line)
    if args.digest:
        print(f"records {len(produced)} sha256 {digest(produced)}")
    if args.profile:
        answers = _Answers(tenant.responses)
        with stubbed(answers), fewer_collections():
            one_round(tenant, answers, Totals(), [])  # the answers' keys computed before profiling
            profiler = cProfile.Profile()
            profiler.enable()
            one_round(tenant, answers, Totals(), [])
            profiler.disable()
        profiler.dump_stats(args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
