"""Resource Graph queries paced to Resource Graph's quota (azaudit/transport/graph_pacing.py): the
window budget, the quota headers (hostile values included), the pause a 429 sets for every query,
the bounds on a wait, the processes' shares, the limit-hit header, and through the real SDK at the
transport seam. Injected clock and waits: nothing sleeps, nothing is timed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.core.utils import CaseInsensitiveDict
from requests.adapters import BaseAdapter

from azaudit import lifecycle
from azaudit.backend import guarded_transport
from azaudit.clients import Clients
from azaudit.clouds import CLOUDS, CloudName
from azaudit.collect import graph_rbac, graph_source
from azaudit.collect.graph import graph_query
from azaudit.collect.tasks import UnusableShape
from azaudit.errors import ThrottledError
from azaudit.inventory.common import Subscription
from azaudit.inventory.coverage import Dataset
from azaudit.replay import ReplayCredential
from azaudit.replay.adapter import replay_session
from azaudit.runconfig import RunConfig
from azaudit.transport import bounds
from azaudit.transport.graph_pacing import MAX_RESET_SECONDS, GraphPacer, duration
from tests.conftest import scripted_response

HOST = "management.azure.com"
QUERY = "/providers/Microsoft.ResourceGraph/resources"


class Clock:
    """A clock that only the pacer's waits move; the waits asked for are kept."""

    def __init__(self) -> None:
        self.now = 100.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def wait(self, seconds: float) -> None:
        self.waits.append(round(seconds, 6))
        self.now += seconds


def pacer(clock: Clock, **kwargs: Any) -> GraphPacer:
    return GraphPacer(HOST, clock=clock, wait=clock.wait, **kwargs)


def quota(remaining: str | None = None, resets: str | None = None, **more: str) -> CaseInsensitiveDict:
    """Answer headers as azure-core hands them to the transport (names in any case)."""
    headers = CaseInsensitiveDict(more)
    if remaining is not None:
        headers["x-ms-user-quota-remaining"] = remaining
    if resets is not None:
        headers["x-ms-user-quota-resets-after"] = resets
    return headers


# -- the window budget --------------------------------------------------------------------------


def test_fifteen_queries_a_window_then_the_next_window_whole() -> None:
    clock = Clock()
    paced = pacer(clock)
    tickets = [paced.before() for _ in range(15)]
    assert tickets == list(range(1, 16)) and clock.waits == []
    assert paced.wait_for() == 5.0
    paced.before()  # the 16th waits for the window's end
    assert clock.waits == [5.0]
    for _ in range(14):
        paced.before()
    assert clock.waits == [5.0] and paced.left() == 0.0
    paced.before()
    assert clock.waits == [5.0, 5.0]


def test_a_window_opens_with_the_first_query_not_before() -> None:
    clock = Clock()
    paced = pacer(clock)
    clock.now += 1000.0  # idle: no window open
    for _ in range(15):
        paced.before()
    clock.now += 4.0
    assert paced.wait_for() == pytest.approx(1.0)


def test_a_lower_remaining_count_corrects_the_window_down_less_the_queries_sent_since() -> None:
    clock = Clock()
    paced = pacer(clock)
    first = paced.before()
    for _ in range(2):
        paced.before()
    paced.after(first, 200, quota("5"))  # 5 left after the first; the 2 sent since are not in it
    assert paced.left() == 3.0
    for _ in range(3):
        paced.before()
    assert clock.waits == []
    paced.before()
    assert clock.waits == [5.0]


def test_a_larger_remaining_count_changes_nothing() -> None:
    clock = Clock()
    paced = pacer(clock)
    ticket = paced.before()
    paced.after(ticket, 200, quota("11999"))
    assert paced.left() == 14.0


def test_resets_after_sets_the_windows_end() -> None:
    clock = Clock()
    paced = pacer(clock)
    ticket = paced.before()
    paced.after(ticket, 200, quota("0", "00:00:03"))
    assert paced.wait_for() == 3.0
    paced.before()
    assert clock.waits == [3.0]
    assert paced.left() == 14.0  # the window after it whole


def test_an_answer_from_an_earlier_window_changes_nothing() -> None:
    clock = Clock()
    paced = pacer(clock)
    old = paced.before()
    clock.now += 6.0
    paced.before()  # a new window
    paced.after(old, 200, quota("0", "00:00:04"))
    assert paced.left() == 14.0 and paced.wait_for() == 0.0


# -- hostile header values ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("00:00:03", 3.0),
        (" 00:00:05 ", 5.0),
        ("00:01:00", 60.0),
        ("00:00:02.5000000", 2.5),
        ("0.00:00:04", 4.0),
        ("23:59:59", MAX_RESET_SECONDS),
        ("999.00:00:00", MAX_RESET_SECONDS),
        ("-00:00:05", None),
        ("00:00:-5", None),
        ("5", None),
        ("00:00", None),
        ("00:60:00", None),
        ("24:00:00", None),
        ("1e9:00:00", None),
        ("00:00:0\u0663", None),  # an Arabic-Indic digit
        ("00:00:03.", None),
        ("00:00:03.12345678", None),
        ("nan", None),
        ("", None),
        ("0" * 40, None),
        ("1234.00:00:00", None),
        (None, None),
    ],
)
def test_resets_after_is_read_strictly_and_bounded(value: str | None, seconds: float | None) -> None:
    assert duration(value) == seconds


@pytest.mark.parametrize("resets", ["-00:00:05", "garbage", "99:99:99", "1e308", "\u0661\u0660"])
def test_an_unreadable_resets_after_leaves_the_window_as_it_is(resets: str) -> None:
    clock = Clock()
    paced = pacer(clock)
    ticket = paced.before()
    paced.after(ticket, 200, quota(None, resets))
    assert paced.wait_for() == 0.0 and paced.left() == 14.0


def test_a_resets_after_beyond_the_cap_is_taken_as_the_cap() -> None:
    clock = Clock()
    paced = pacer(clock)
    ticket = paced.before()
    paced.after(ticket, 200, quota("0", "99.23:59:59"))
    assert paced.wait_for() == MAX_RESET_SECONDS


@pytest.mark.parametrize("remaining", ["-1", "1e1", "\u0661", "9999999999", "", "0x0", "nan"])
def test_an_unreadable_remaining_count_changes_nothing(remaining: str) -> None:
    clock = Clock()
    paced = pacer(clock)
    ticket = paced.before()
    paced.after(ticket, 200, quota(remaining))
    assert paced.left() == 14.0


# -- the pause a 429 sets -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "pause"),
    [
        (CaseInsensitiveDict({"Retry-After": "7"}), 7.0),
        (CaseInsensitiveDict({"retry-after-ms": "2500"}), 2.5),
        (quota("0", "00:00:04"), 4.0),  # no Retry-After: the resets-after
        (CaseInsensitiveDict(), 5.0),  # neither: one window
        (CaseInsensitiveDict({"Retry-After": "99999999"}), MAX_RESET_SECONDS),
        (CaseInsensitiveDict({"Retry-After": "-3"}), 1.0),  # unreadable: azaudit's smallest pause
    ],
)
def test_a_429_pauses_every_query_until_its_wait_is_over(headers: CaseInsensitiveDict, pause: float) -> None:
    clock = Clock()
    paced = pacer(clock)
    ticket = paced.before()
    paced.after(ticket, 429, headers)
    assert paced.wait_for() == pytest.approx(pause)
    paced.before()  # any thread's next query waits the pause out
    assert clock.waits == [pytest.approx(pause)]
    assert paced.left() == 14.0  # then a whole window


def test_answers_to_queries_sent_before_a_pause_do_not_reopen_it() -> None:
    clock = Clock()
    paced = pacer(clock)
    early = paced.before()
    late = paced.before()
    paced.after(late, 429, quota(**{"Retry-After": "6"}))
    paced.after(early, 200, quota("14", "00:00:01"))  # answered before the 429 was counted
    assert paced.wait_for() == 6.0


def test_a_shorter_pause_or_resets_after_never_cuts_a_pause_short() -> None:
    clock = Clock()
    paced = pacer(clock)
    first, second = paced.before(), paced.before()
    paced.after(first, 429, quota(**{"Retry-After": "9"}))
    paced.after(second, 429, quota(**{"Retry-After": "2"}))
    assert paced.wait_for() == 9.0
    clock.now += 9.0
    third = paced.before()
    clock.now += 0.5
    paced.after(third, 429, quota(**{"Retry-After": "8"}))
    fourth_at = clock.now
    paced.before()
    assert clock.now == fourth_at + 8.0


# -- bounds: the request's cap, a stop ---------------------------------------------------------


def test_a_stop_cuts_a_wait_short() -> None:
    paced = GraphPacer(HOST, clock=lambda: 0.0)
    for _ in range(15):
        paced.before()
    with lifecycle.stopping_waits(), pytest.raises(lifecycle.Abandoned):
        paced.before()


def test_a_query_that_would_wait_past_the_requests_cap_is_not_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bounds, "RETRY_WAIT_CAP_SECONDS", 0.0)
    paced = GraphPacer(HOST, clock=lambda: 0.0)
    ticket = paced.before()
    paced.after(ticket, 429, quota(**{"Retry-After": "3600"}))
    with pytest.raises(ThrottledError, match="Resource Graph's query quota"):
        paced.before()


# -- processes' shares --------------------------------------------------------------------------


def test_each_of_two_processes_holds_half_the_quota_and_reads_the_count_as_its_half() -> None:
    clock = Clock()
    parent = pacer(clock)
    part = parent.share(2)
    for _ in range(7):
        part.before()
    assert clock.waits == []
    part.before()
    assert clock.waits == [5.0]
    ticket = part.before()
    part.after(ticket, 200, quota("4"))  # the user's 4: this process's 2
    assert part.left() == 2.0


def test_a_share_keeps_the_open_windows_end_and_its_part_of_what_is_left() -> None:
    clock = Clock()
    parent = pacer(clock)
    for _ in range(5):
        parent.before()
    clock.now += 2.0
    part = parent.share(2)
    assert part.left() == 5.0 and part.wait_for() == 0.0
    for _ in range(5):
        part.before()
    assert part.wait_for() == pytest.approx(3.0)


# -- the transport seam -------------------------------------------------------------------------


class QuotaAdapter(BaseAdapter):
    """Resource Graph with a quota of ``quota`` queries per fixed window on ``clock``, answering
    each query as the fake Azure does (quota headers; 429 RateLimiting when over). Every query
    answers one row of ``subscriptions`` chains (the ancestors query) or none (any other)."""

    def __init__(self, clock: Clock, quota: int, window: float = 3.0, limit_hit: str | None = None) -> None:
        super().__init__()
        self.clock, self.quota, self.window, self.limit_hit = clock, quota, window, limit_hit
        self.ends, self.used = -1.0, 0
        self.sent: list[tuple[str, int]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        now = self.clock.now
        if now >= self.ends:
            self.ends, self.used = now + self.window, 0
        left = f"00:00:{max(0, int(self.ends - now + 0.999)):02d}"
        if self.used >= self.quota:
            self.sent.append((str(request.method), 429))
            error = {"error": {"code": "RateLimiting", "message": "throttled", "details": []}}
            headers = {"Content-Type": "application/json", "Retry-After": "3", **quota("0", left)}
            return scripted_response(request, 429, error, headers)
        self.used += 1
        self.sent.append((str(request.method), 200))
        body = json.loads(request.body or b"{}")
        rows = []
        if "resourcecontainers" in body.get("query", ""):
            rows = [{"subscriptionId": "s1", "properties": {"managementGroupAncestorsChain": [{"name": "root"}]}}]
        headers = {"Content-Type": "application/json", **quota(str(self.quota - self.used), left)}
        if self.limit_hit is not None:
            headers["x-ms-tenant-subscription-limit-hit"] = self.limit_hit
        return scripted_response(request, 200, {"data": rows, "count": len(rows)}, headers)

    def close(self) -> None:
        pass


def clients_over(adapter: BaseAdapter, tmp_path: Path, paced: GraphPacer | None) -> Clients:
    transport = guarded_transport(RunConfig(working_directory=tmp_path), replay_session(adapter))
    transport.graph_pacer = paced
    return Clients(ReplayCredential(), CLOUDS[CloudName.PUBLIC], transport, retry={"retry_total": 0})


SUBSCRIPTIONS = [Subscription(subscription_id="s1", display_name="one", state="Enabled")]


@pytest.mark.parametrize("pace", [True, False], ids=["paced", "not paced"])
def test_an_exhausted_quota_is_waited_out_instead_of_falling_back_to_arm(pace: bool, tmp_path: Path) -> None:
    """Role assignments through Resource Graph send two queries in a row; the first answer says
    the quota is spent for 3 s. Paced, the second waits them out and is answered; not paced, it is
    refused (429) and the subscription is listed through ARM instead."""
    clock = Clock()
    adapter = QuotaAdapter(clock, quota=1)
    clients = clients_over(adapter, tmp_path, pacer(clock) if pace else None)
    collected = graph_rbac.assignments(clients, SUBSCRIPTIONS).run()
    messages = [note.message for note in collected.notes]
    if pace:
        assert adapter.sent == [("POST", 200), ("POST", 200)]
        assert clock.waits == [3.0]
        assert collected.followups == [] and any("listed through Azure Resource Graph" in m for m in messages)
    else:
        assert adapter.sent == [("POST", 200), ("POST", 429)]
        assert len(collected.followups) == 1 and any("could not list them" in m for m in messages)


def test_only_resource_graph_queries_are_paced(tmp_path: Path) -> None:
    clock = Clock()
    paced = pacer(clock)
    assert paced.is_query("POST", HOST, QUERY) and paced.is_query("POST", HOST, QUERY.lower() + "/")
    assert not paced.is_query("GET", HOST, QUERY)
    assert not paced.is_query("POST", "kv1.vault.azure.net", QUERY)
    assert not paced.is_query("POST", HOST, "/subscriptions/s1/providers/Microsoft.Web/sites")


@pytest.mark.parametrize("value", ["true", "True", " TRUE "])
def test_a_limit_hit_answer_is_never_taken_as_whole(value: str, tmp_path: Path) -> None:
    clock = Clock()
    clients = clients_over(QuotaAdapter(clock, quota=15, limit_hit=value), tmp_path, None)
    with pytest.raises(UnusableShape, match="first 10,000 subscriptions"):
        graph_query(clients.arm(), "resources", ["s1"], "vaults")
    # an enumeration falls back to ARM's lists, with a note saying why
    task = next(t for t in graph_source.tasks(clients, SUBSCRIPTIONS, frozenset({Dataset.VAULTS})))
    collected = task.run()
    assert len(collected.followups) == 1
    assert any("x-ms-tenant-subscription-limit-hit: true" in note.message for note in collected.notes)


@pytest.mark.parametrize("value", ["false", "", "yes"])
def test_an_answer_without_the_limit_hit_is_read(value: str, tmp_path: Path) -> None:
    clock = Clock()
    clients = clients_over(QuotaAdapter(clock, quota=15, limit_hit=value), tmp_path, None)
    assert graph_query(clients.arm(), "resources", ["s1"], "vaults") == []


def test_a_live_run_paces_its_queries_and_a_replayed_one_does_not(tmp_path: Path) -> None:
    config = RunConfig(working_directory=tmp_path)
    live = guarded_transport(config, requests.Session(), pace=True)
    assert live.graph_pacer is not None and live.graph_pacer.host == HOST
    assert guarded_transport(config, requests.Session()).graph_pacer is None
