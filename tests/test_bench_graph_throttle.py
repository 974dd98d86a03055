"""The benchmark's fake Azure enforces Resource Graph's documented query quota when asked
(``bench/graph_throttle.py``): 15 queries in a fixed 5-second window opened by the first query,
both quota headers on every query's answer, Resource Graph's 429 (``Retry-After``, ``RateLimiting``
body) beyond it, and every other byte of every answer as the fake answers it without the quota."""

from __future__ import annotations

import json

import pytest

from azaudit.replay import REPLAY_TENANT_ID
from azaudit.replay.credential import replay_token
from bench.arm_throttle import ArmThrottle
from bench.graph_throttle import AzureThrottle, GraphQuota, hms
from bench.synthetic import GraphAdapter, SyntheticTenant
from bench.tls_server import Certificates, FakeAzure, RequestHead, _graph_query

TOKEN = "Bearer " + replay_token(REPLAY_TENANT_ID)
ARM = "management.azure.com"
QUERY = "/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def post(target: str, body: bytes) -> RequestHead:
    return RequestHead.parse(
        f"POST {target} HTTP/1.1\r\nHost: {ARM}\r\nAuthorization: {TOKEN}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )


def test_a_fixed_window_of_fifteen_opened_by_the_first_query() -> None:
    clock = Clock()
    quota = GraphQuota(clock=clock)
    headers = []
    for _ in range(15):
        refusal, header = quota.judge("POST", ARM, QUERY, True)
        assert refusal is None
        headers.append(header)
    assert headers[0] == b"x-ms-user-quota-remaining: 14\r\nx-ms-user-quota-resets-after: 00:00:05\r\n"
    assert headers[-1] == b"x-ms-user-quota-remaining: 0\r\nx-ms-user-quota-resets-after: 00:00:05\r\n"
    clock.now += 2.2
    refusal, header = quota.judge("POST", ARM, QUERY, True)
    assert header is None and refusal is not None
    assert refusal.startswith(b"HTTP/1.1 429 Too Many Requests\r\n")
    assert b"\r\nRetry-After: 3\r\n" in refusal
    assert b"\r\nx-ms-user-quota-remaining: 0\r\nx-ms-user-quota-resets-after: 00:00:03\r\n" in refusal
    error = json.loads(refusal.split(b"\r\n\r\n", 1)[1])["error"]
    assert error["code"] == "RateLimiting" and error["details"][0]["code"] == "RateLimiting"
    assert "aka.ms/resourcegraph-throttling" in error["details"][0]["message"]
    clock.now += 2.8  # the window is over: a whole one opens with this query
    assert quota.judge("POST", ARM, QUERY, True) == (
        None,
        b"x-ms-user-quota-remaining: 14\r\nx-ms-user-quota-resets-after: 00:00:05\r\n",
    )
    assert quota.counts() == {"graph_queries_counted": 17, "graph_throttled_429": 1}


@pytest.mark.parametrize(
    ("method", "host", "target"),
    [
        ("GET", ARM, QUERY),
        ("POST", "kv1.vault.azure.net", QUERY),
        ("POST", ARM, "/subscriptions/s/providers/Microsoft.Web/sites?api-version=1"),
        ("GET", ARM, "/subscriptions?api-version=1"),
    ],
)
def test_only_resource_graph_queries_are_counted(method: str, host: str, target: str) -> None:
    quota = GraphQuota(quota=0, clock=Clock())
    assert quota.judge(method, host, target, True) == (None, None)
    assert quota.queries == 0


@pytest.mark.parametrize(("seconds", "text"), [(0.0, b"00:00:00"), (4.01, b"00:00:05"), (3725.0, b"01:02:05")])
def test_durations_are_written_as_resource_graph_writes_them(seconds: float, text: bytes) -> None:
    assert hms(seconds) == text


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return Certificates.issue(tmp_path_factory.mktemp("fake-azure-graph-throttle"))


def test_the_fake_adds_the_headers_and_changes_nothing_else(certificates: Certificates) -> None:
    tenant = SyntheticTenant(2, 8, graph=True)
    options = {"adapter": GraphAdapter(tenant, "fake Azure"), "adapter_answers": _graph_query}
    plain = FakeAzure(tenant.responses, certificates, **options)  # type: ignore[arg-type]
    quota = GraphQuota(quota=2, clock=Clock())
    both = AzureThrottle(ArmThrottle(clock=Clock()), quota)
    throttled = FakeAzure(tenant.responses, certificates, throttle=both, **options)  # type: ignore[arg-type]
    subscriptions = sorted({key[2].split("/")[2] for key in tenant.responses if key[2].startswith("/subscriptions/")})
    body = json.dumps(
        {
            "subscriptions": subscriptions,
            "query": "resources | where type =~ 'microsoft.keyvault/vaults'",
            "options": {"$top": 1000, "resultFormat": "objectArray"},
        }
    ).encode()
    answers = []
    for _ in range(3):
        request = post(QUERY, body)
        expected = plain.respond(request, body)
        answer = throttled.respond(request, body)
        answers.append(answer)
        if not answer.startswith(b"HTTP/1.1 429"):
            lines = [n for n in answer.split(b"\r\n") if n.startswith(b"x-ms-user-quota-")]
            assert len(lines) == 2
            assert answer.replace(b"\r\n".join(lines) + b"\r\n", b"", 1) == expected
            assert b'"data"' in expected
    assert [a.split(b"\r\n", 1)[0] for a in answers] == [b"HTTP/1.1 200 OK"] * 2 + [b"HTTP/1.1 429 Too Many Requests"]
    # ARM reads and data planes: what the ARM throttle alone answers
    arm_only = FakeAzure(tenant.responses, certificates, throttle=ArmThrottle(clock=Clock()), **options)  # type: ignore[arg-type]
    for key in [k for k in tenant.responses if k[0] == "GET"][:8]:
        request = RequestHead.parse(
            f"GET {key[2]}?api-version=1 HTTP/1.1\r\nHost: {key[1]}\r\nAuthorization: {TOKEN}\r\n\r\n"
        )
        assert throttled.respond(request, None) == arm_only.respond(request, None)
    assert quota.queries == 3
