"""ARM reads paced to ARM's documented limits (azaudit/transport/pacing.py): the bucket's
arithmetic, the remaining-reads header correcting it down, one shared pause after a 429, the
bounds on every wait (the per-request cap, an interrupt), the tenant's share in forked parts, and
an audit through the real SDK at the transport seam that paces instead of failing when ARM's
bucket runs low. No test sleeps: the clock and the wait are injected (the bounded wait's own
sleep is replaced or cut short)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from azure.core.utils import CaseInsensitiveDict as H
from requests.adapters import BaseAdapter

from azaudit import lifecycle
from azaudit.backend import guarded_transport
from azaudit.clients import Clients
from azaudit.clouds import CLOUDS, CloudName
from azaudit.collect import collect
from azaudit.errors import ThrottledError
from azaudit.inventory.common import Subscription
from azaudit.inventory.coverage import Dataset
from azaudit.replay import REPLAY_TENANT_ID, ReplayAdapter, ReplayCredential
from azaudit.replay.adapter import replay_session
from azaudit.runconfig import RunConfig
from azaudit.transport import bounds, request_scope
from azaudit.transport.pacing import TENANT, ArmPacer
from bench.arm_throttle import ArmThrottle
from bench.synthetic import SyntheticTenant
from tests.conftest import scripted_response

SUB = "00000000-0000-0000-0000-0000000000aa"
OTHER = "00000000-0000-0000-0000-0000000000bb"
HOST = "management.azure.com"


class Clock:
    """A clock the injected wait moves on (thread-safe: collection runs threads)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[tuple[float, str]] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def wait(self, seconds: float, bucket: str) -> None:
        with self._lock:
            self.waits.append((seconds, bucket))
            self.now += seconds


def pacer(clock: Clock, **kwargs: Any) -> ArmPacer:
    return ArmPacer(HOST, clock=clock, wait=clock.wait, **kwargs)


def test_only_reads_of_the_arm_host_are_paced_each_in_its_bucket() -> None:
    p = pacer(Clock())
    assert p.bucket_of("GET", HOST, f"/subscriptions/{SUB.upper()}/resourceGroups") == SUB
    assert p.bucket_of("HEAD", HOST, f"/SUBSCRIPTIONS/{SUB}") == SUB
    assert p.bucket_of("GET", HOST, "/subscriptions") == TENANT
    assert p.bucket_of("GET", HOST, "/providers/Microsoft.Management/managementGroups") == TENANT
    assert p.bucket_of("POST", HOST, "/providers/Microsoft.ResourceGraph/resources") is None
    assert p.bucket_of("GET", "v1.vault.azure.net", "/secrets") is None
    assert p.bucket_of("GET", "r.azurecr.io", f"/subscriptions/{SUB}") is None


def test_a_bucket_gives_its_burst_then_one_read_per_refill() -> None:
    clock = Clock()
    p = pacer(clock)
    tickets = [p.before(SUB) for _ in range(250)]
    assert tickets == list(range(1, 251)) and clock.waits == []  # ARM's burst: 250 reads at once
    p.before(SUB)
    p.before(SUB)
    assert clock.waits == [(pytest.approx(0.04), SUB), (pytest.approx(0.04), SUB)]  # 25 a second
    assert p.before(OTHER) == 1 and len(clock.waits) == 2  # another subscription has its own bucket
    clock.now += 3600
    assert p.tokens(SUB) == 250  # never more than the bucket holds


def test_readers_waiting_together_are_served_in_turn() -> None:
    """Tokens promised ahead: the n-th read beyond the burst waits n/25 s, not all the same."""
    clock = Clock()
    p = ArmPacer(HOST, capacity=2, rate=10, clock=clock, wait=lambda s, bucket: clock.waits.append((s, bucket)))
    for _ in range(5):
        p.before(SUB)
    assert [round(w, 6) for w, _ in clock.waits] == [0.1, 0.2, 0.3]


def test_the_remaining_reads_header_corrects_the_bucket_down_never_up() -> None:
    clock = Clock()
    p = pacer(clock)
    first = p.before(SUB)
    for _ in range(4):
        p.before(SUB)  # sent after the first, not yet in ARM's figure for it
    p.after(SUB, first, 200, H({"x-ms-ratelimit-remaining-subscription-reads": "20"}))
    assert p.tokens(SUB) == 16  # 20 left after the first, less the 4 sent since
    p.after(SUB, first + 1, 200, H({"x-ms-ratelimit-remaining-subscription-reads": "11999"}))  # an hourly count
    assert p.tokens(SUB) == 16
    for hostile in ("-5", "1e3", "", "  ", "٣", "9" * 10, "0x10", "5, 5"):
        p.after(SUB, first + 1, 200, H({"x-ms-ratelimit-remaining-subscription-reads": hostile}))
        assert p.tokens(SUB) == 16, hostile
    # the tenant's header speaks for the tenant's bucket only
    t = p.before(TENANT)
    p.after(TENANT, t, 200, H({"x-ms-ratelimit-remaining-subscription-reads": "0"}))
    assert p.tokens(TENANT) == 249
    p.after(TENANT, t, 200, H({"x-ms-ratelimit-remaining-tenant-reads": "3"}))
    assert p.tokens(TENANT) == 3


def test_a_low_header_makes_the_next_reads_wait_for_arm_to_refill() -> None:
    clock = Clock()
    p = pacer(clock)
    ticket = p.before(SUB)
    p.after(SUB, ticket, 200, H({"x-ms-ratelimit-remaining-subscription-reads": "1"}))
    p.before(SUB)
    assert clock.waits == []
    p.before(SUB)
    assert clock.waits == [(pytest.approx(0.04), SUB)]


def test_a_429_pauses_every_read_of_its_bucket_for_the_retry_after() -> None:
    clock = Clock()
    p = pacer(clock)
    ticket = p.before(SUB)
    p.after(SUB, ticket, 429, H({"Retry-After": "5"}))
    for _ in range(3):
        p.before(SUB)
    # all three wait out the same pause, then take their turns at the refill rate from empty
    assert [round(seconds, 6) for seconds, _ in clock.waits] == [5.04, 0.04, 0.04]
    p.before(OTHER)
    assert len(clock.waits) == 3  # another subscription is not paused


def test_a_read_already_waiting_when_a_429_arrives_waits_out_the_pause_too() -> None:
    clock = Clock()
    p = ArmPacer(HOST, capacity=1, rate=1, clock=clock, wait=None)

    def wait(seconds: float, bucket: str) -> None:
        clock.waits.append((seconds, bucket))
        if len(clock.waits) == 1:
            p.after(bucket, 1, 429, H({"Retry-After": "30"}))  # the read sent before it is refused
        clock.now += seconds

    p._wait = wait
    p.before(SUB)  # the burst's one token
    p.before(SUB)  # waits 1 s for a token; meanwhile the first read is answered 429
    assert [round(seconds, 6) for seconds, _ in clock.waits] == [1.0, 30.0]
    # its wait for a token was void: it waited again, until the pause (30 s from the 429) was
    # over and one token refilled (1 s), 31 s after the 429 in all


@pytest.mark.parametrize(
    ("headers", "pause"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"retry-after-ms": "1500", "Retry-After": "9"}, 1.5),
        ({"x-ms-retry-after-ms": "250"}, 0.25),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, 1.0),
        ({"Retry-After": "-3"}, 1.0),
        ({"Retry-After": "nan"}, 1.0),
        ({"Retry-After": "1e400"}, 1.0),
        ({"Retry-After": "99999999"}, 3600.0),
        ({}, 1.0),
    ],
)
def test_the_pause_a_429_asks_for_is_read_within_bounds(headers: dict[str, str], pause: float) -> None:
    clock = Clock()
    p = pacer(clock)
    ticket = p.before(SUB)
    p.after(SUB, ticket, 429, H(headers))
    p.before(SUB)
    assert clock.waits[0][0] == pytest.approx(pause + 0.04)


def test_a_forked_part_holds_its_share_of_the_tenant_and_its_subscriptions_in_full() -> None:
    clock = Clock()
    p = pacer(clock)
    for _ in range(50):
        p.before(TENANT)
    for _ in range(10):
        p.before(SUB)
    part = p.share(2)
    assert part.tokens(TENANT) == 100  # (250 - 50) / 2
    assert part.tokens(SUB) == 240
    assert part.tokens(OTHER) == 250
    for _ in range(100):
        part.before(TENANT)
    assert p.tokens(TENANT) == 200  # the parent's own buckets are untouched
    assert clock.waits == []
    part.before(TENANT)
    assert clock.waits == [(pytest.approx(0.08), TENANT)]  # 12.5 a second: half of 25


# -- the bounded wait (transport/bounds.py) ------------------------------------------------------


class Request:
    method = "GET"
    url = f"https://{HOST}/subscriptions/{SUB}/providers/Microsoft.KeyVault/vaults"


def test_a_pace_within_the_cap_is_waited(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(lifecycle, "wait", slept.append)
    with request_scope() as scope:
        bounds.begin(Request())
        bounds.wait_to_pace(2.5, "ARM's read limit for subscription x")
        bounds.wait_to_pace(2.5, "ARM's read limit for subscription x")
    assert slept == [2.5, 2.5] and scope.throttled == []


def test_a_pace_beyond_the_cap_is_waited_to_the_cap_noted_and_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(lifecycle, "wait", slept.append)
    monkeypatch.setattr(bounds, "RETRY_WAIT_CAP_SECONDS", 10.0)
    with request_scope() as scope:
        bounds.begin(Request())
        bounds.wait_to_pace(4.0, "ARM's read limit for subscription x")
        bounds.wait_to_pace(50.0, "ARM's read limit for subscription x")
        assert slept == [4.0, 6.0]
        (throttled,) = scope.throttled
        assert throttled.paced == "ARM's read limit for subscription x"
        assert throttled.note.startswith("throttled: ARM's read limit for subscription x called for a wait of 50 s")
        # nothing left for this request: it is not sent (its task fails: ERROR, never a pass)
        with pytest.raises(ThrottledError, match="azaudit waits at most 10 s for one request"):
            bounds.wait_to_pace(1.0, "ARM's read limit for subscription x")
        # a new request has its own allowance
        bounds.begin(Request())
        bounds.wait_to_pace(1.0, "ARM's read limit for subscription x")
    assert slept == [4.0, 6.0, 1.0]


def test_an_interrupt_cuts_a_pace_short_and_frees_its_token() -> None:
    clock = Clock()
    p = ArmPacer(HOST, capacity=1, rate=0.001, clock=clock)  # the real bounded wait: 1,000 s a token
    p.before(SUB)
    with request_scope(), lifecycle.stopping_waits():
        bounds.begin(Request())
        with pytest.raises(lifecycle.Abandoned):
            p.before(SUB)  # would wait 1,000 s (the cap: 60 s); returns at once
    assert p.tokens(SUB) == 0  # the abandoned read took no token


def test_a_pace_longer_than_the_cap_is_noted_on_the_task(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(lifecycle, "wait", slept.append)
    clock = Clock()
    p = ArmPacer(HOST, clock=clock)  # the real bounded wait
    ticket = p.before(SUB)
    p.after(SUB, ticket, 429, H({"Retry-After": "300"}))
    with request_scope() as scope:
        bounds.begin(Request())
        p.before(SUB)
    assert slept == [60.0]
    assert [t.asked for t in scope.throttled] == [pytest.approx(300.04)]
    assert "ARM's read limit for subscription " + SUB in scope.throttled[0].note


# -- through the real SDK at the transport seam --------------------------------------------------


class ThrottledReplay(BaseAdapter):
    """A replay of the synthetic tenant behind ARM's read limits (``bench/arm_throttle.py``) on
    the test's clock: each ARM read's answer says what remains, a read beyond it is refused 429."""

    def __init__(self, tenant: SyntheticTenant, throttle: ArmThrottle) -> None:
        super().__init__()
        self.replay = ReplayAdapter(tenant.responses, "synthetic")
        self.throttle = throttle

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        parts = urlsplit(request.url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        refusal, header = self.throttle.judge(str(request.method), parts.hostname or "", target, True)
        if refusal is not None:
            head, body = refusal.split(b"\r\n\r\n", 1)
            fields = dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:])
            fields.pop("Content-Length")
            fields.pop("Connection")
            return scripted_response(request, 429, json.loads(body), fields)
        response = self.replay.send(request, **kwargs)
        if header is not None:
            name, value = header.decode().rstrip("\r\n").split(": ")
            response.headers[name] = value
        return response

    def close(self) -> None:
        pass


def audit_over(tmp_path: Path, pace: ArmPacer | None) -> tuple[Any, ArmThrottle]:
    """Collect a subscription of 30 resources whose bucket another tool left with 3 reads, with
    no retries (a read refused 429 fails its task)."""
    tenant = SyntheticTenant(1, 30)
    clock = Clock() if pace is None else pace._clock
    throttle = ArmThrottle(clock=clock)  # type: ignore[arg-type]
    subscription = tenant.subscription_ids[0]
    for _ in range(247):  # another tool, signed in as the same principal, spent the rest
        throttle.judge("GET", HOST, f"/subscriptions/{subscription}/resourceGroups", True)
    throttle.reads = 0
    session = replay_session(ThrottledReplay(tenant, throttle))
    transport = guarded_transport(RunConfig(working_directory=tmp_path), session)
    transport.pacer = pace
    clients = Clients(ReplayCredential(), CLOUDS[CloudName.PUBLIC], transport, retry={"retry_total": 0})
    sub = Subscription(subscription_id=subscription, display_name="s", state="Enabled", tenant_id=REPLAY_TENANT_ID)
    # one read at a time: ARM's figure in each answer is then exact (with more in flight, those
    # sent before the first answer may find the bucket empty)
    inventory = collect(clients, [sub], set(Dataset), concurrency=1)
    return inventory, throttle


def test_an_audit_paces_to_what_arm_says_remains_instead_of_failing(tmp_path: Path) -> None:
    clock = Clock()
    inventory, throttle = audit_over(tmp_path, pacer(clock))
    assert throttle.reads > 50
    assert throttle.counts()["throttled_429"] == 0
    assert inventory.errors == ()
    assert clock.waits  # it waited for ARM to refill, on the test's clock


def test_without_pacing_the_same_audit_loses_reads_to_429s(tmp_path: Path) -> None:
    """The control: the same tenant and bucket, no pacer."""
    inventory, throttle = audit_over(tmp_path, None)
    assert throttle.counts()["throttled_429"] > 10
    assert len(inventory.errors) > 10


def test_wait_for_says_how_long_a_read_would_wait_and_takes_nothing() -> None:
    """What the scheduler asks before it gives a thread a task (collect/scheduler.py)."""
    clock = Clock()
    waits: list[float] = []
    p = ArmPacer(HOST, capacity=2, rate=10, clock=clock, wait=lambda s, bucket: waits.append(s))
    assert p.wait_for(SUB) == (1000.0, 0.0)  # a bucket not read yet is full
    p.before(SUB)
    assert p.wait_for(SUB) == (1000.0, 0.0)
    p.before(SUB)
    now, wait = p.wait_for(SUB)
    assert (now, round(wait, 6)) == (1000.0, 0.1) and p.tokens(SUB) == 0  # asking took no token
    p.before(SUB)
    assert [round(w, 6) for w in waits] == [0.1]  # what wait_for said the read would wait
    assert round(p.wait_for(SUB)[1], 6) == 0.2  # behind the read promised the next token
    clock.now += 0.15  # the promised read's token came at 0.1; half of the next one since
    assert round(p.wait_for(SUB)[1], 6) == 0.05
    p.pause(SUB, 3.0)  # a 429: the pause, then a token from empty
    assert round(p.wait_for(SUB)[1], 6) == 3.1
    assert p.wait_for(OTHER)[1] == 0.0 and p.now() == clock.now
