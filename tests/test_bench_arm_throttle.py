"""The benchmark's fake Azure enforces ARM's documented read limits when asked
(``bench/arm_throttle.py``): a bucket of 250 reads per subscription and one for the tenant, refilled
at 25 a second, on the ARM host only; each ARM read's answer says what remains, a read beyond the
limit gets ARM's 429 (whole-second ``Retry-After``, its error body), and every other byte of every
answer is what the fake answers without the throttle."""

from __future__ import annotations

import json

import pytest

from azaudit.replay import REPLAY_TENANT_ID
from azaudit.replay.credential import replay_token
from bench.arm_throttle import ArmThrottle, scope_of
from bench.synthetic import SyntheticTenant
from bench.tls_server import Certificates, FakeAzure, RequestHead

SUB = "00000000-0000-0000-0000-00000000000a"
TOKEN = "Bearer " + replay_token(REPLAY_TENANT_ID)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def head(method: str, host: str, target: str) -> RequestHead:
    return RequestHead.parse(f"{method} {target} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {TOKEN}\r\n\r\n")


def test_scope_of_names_the_subscription_or_the_tenant() -> None:
    assert scope_of(f"/subscriptions/{SUB.upper()}/resourceGroups?api-version=1") == SUB
    assert scope_of(f"/SUBSCRIPTIONS/{SUB}") == SUB
    assert scope_of("/subscriptions?api-version=2022-12-01") == ""
    assert scope_of("/providers/Microsoft.Authorization/roleDefinitions") == ""


def test_a_bucket_serves_its_burst_then_its_refill_rate() -> None:
    clock = Clock()
    throttle = ArmThrottle(clock=clock)
    target = f"/subscriptions/{SUB}/providers/Microsoft.KeyVault/vaults"
    headers = []
    for _ in range(250):
        refusal, header = throttle.judge("GET", "management.azure.com", target, True)
        assert refusal is None
        headers.append(header)
    assert headers[0] == b"x-ms-ratelimit-remaining-subscription-reads: 249\r\n"
    assert headers[-1] == b"x-ms-ratelimit-remaining-subscription-reads: 0\r\n"
    refusal, header = throttle.judge("GET", "management.azure.com", target, True)
    assert header is None and refusal is not None
    assert refusal.startswith(b"HTTP/1.1 429 Too Many Requests\r\n")
    assert b"\r\nRetry-After: 1\r\n" in refusal
    assert b"\r\nx-ms-ratelimit-remaining-subscription-reads: 0\r\n" in refusal
    error = json.loads(refusal.split(b"\r\n\r\n", 1)[1])["error"]
    assert error["code"] == "SubscriptionRequestsThrottled"
    assert SUB in error["message"] and "try again after '1' seconds" in error["message"]
    # the tenant's bucket and another subscription's are full still
    assert throttle.judge("GET", "management.azure.com", "/subscriptions", True)[0] is None
    assert throttle.judge("GET", "management.azure.com", "/subscriptions/other/x", True)[0] is None
    clock.now += 0.04  # one token back (25 a second)
    assert throttle.judge("GET", "management.azure.com", target, True)[0] is None
    assert throttle.judge("GET", "management.azure.com", target, True)[0] is not None
    clock.now += 100  # full again, never more than 250
    assert throttle.judge("HEAD", "management.azure.com", target, True)[1] == (
        b"x-ms-ratelimit-remaining-subscription-reads: 249\r\n"
    )
    assert throttle.counts() == {
        "arm_reads_counted": 256,
        "throttled_429": 2,
        "throttled_429_subscription": 2,
        "throttled_429_tenant": 0,
    }


def test_the_retry_after_is_the_time_to_a_token_in_whole_seconds() -> None:
    clock = Clock()
    throttle = ArmThrottle(capacity=10, refill=0.5, clock=clock)
    for _ in range(10):
        throttle.judge("GET", "management.azure.com", "/providers/x", True)
    refusal = throttle.judge("GET", "management.azure.com", "/providers/x", False)[0]
    assert refusal is not None
    assert b"\r\nRetry-After: 2\r\n" in refusal and refusal.count(b"Connection: close\r\n") == 1
    assert b"x-ms-ratelimit-remaining-tenant-reads: 0" in refusal
    assert json.loads(refusal.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "TenantRequestsThrottled"


def test_only_arm_reads_are_counted() -> None:
    throttle = ArmThrottle(capacity=1, clock=Clock())
    for method, host in [("POST", "management.azure.com"), ("GET", "v.vault.azure.net"), ("GET", "r.azurecr.io")]:
        for _ in range(5):
            assert throttle.judge(method, host, f"/subscriptions/{SUB}/x", True) == (None, None)
    assert throttle.counts()["arm_reads_counted"] == 0


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return Certificates.issue(tmp_path_factory.mktemp("fake-azure-throttle"))


def test_the_fake_adds_the_header_and_changes_nothing_else(certificates: Certificates) -> None:
    tenant = SyntheticTenant(1, 8)
    plain = FakeAzure(tenant.responses, certificates)
    throttled = FakeAzure(tenant.responses, certificates, throttle=ArmThrottle(capacity=3, clock=Clock()))
    arm = [key for key in tenant.responses if key[1] == "management.azure.com" and key[0] == "GET"]
    data_plane = [key for key in tenant.responses if key[1] != "management.azure.com" and key[0] == "GET"]
    assert arm and data_plane
    for key in data_plane[:5]:
        request = head("GET", key[1], key[2] + "?api-version=1")
        assert throttled.respond(request, None) == plain.respond(request, None)
    answers = []
    for key in arm[:1] * 4:
        request = head("GET", key[1], key[2] + "?api-version=1")
        expected = plain.respond(request, None)
        answer = throttled.respond(request, None)
        answers.append(answer)
        if not answer.startswith(b"HTTP/1.1 429"):
            line = [n for n in answer.split(b"\r\n") if n.startswith(b"x-ms-ratelimit-remaining-")]
            assert len(line) == 1
            assert answer.replace(line[0] + b"\r\n", b"", 1) == expected
    assert [a.split(b"\r\n", 1)[0] for a in answers] == [b"HTTP/1.1 200 OK"] * 3 + [b"HTTP/1.1 429 Too Many Requests"]
