"""Short-lived tokens: one request to the credential per audience when a token is due, not one per
HTTP request; callers keep a still-valid token while one of them renews it."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError, ServiceResponseTimeoutError
from typer.testing import CliRunner

from azaudit.audit import run_audit
from azaudit.auth import SharedTokenCredential
from azaudit.cli import app
from azaudit.errors import AuthError
from azaudit.replay.credential import replay_token
from tests.conftest import SAMPLE_TENANT, replay_config

ARM_SCOPE = "https://management.azure.com/.default"


class MinuteTokens:
    """A credential whose tokens live 60 s (a federated pipeline token near its end), as the
    replay accepts them; counts what it is asked."""

    def __init__(self, lifetime: float = 60.0) -> None:
        self.lifetime = lifetime
        self.calls: list[tuple[str, ...]] = []
        self._lock = threading.Lock()

    def get_token(self, *scopes: str, tenant_id: str | None = None, **kwargs: Any) -> AccessToken:
        with self._lock:
            self.calls.append(scopes)
        return AccessToken(replay_token(tenant_id), int(time.time() + self.lifetime))


def test_a_replayed_audit_with_minute_long_tokens_asks_once_per_audience() -> None:
    credential = MinuteTokens()
    audit = run_audit(replay_config(SAMPLE_TENANT, select=("KV", "RBAC")), credential=credential)
    assert audit.stats.total > 40, "an audit of many requests"
    audiences = {" ".join(scopes) for scopes in credential.calls}
    assert audiences == {ARM_SCOPE, "https://vault.azure.net/.default"}
    assert len(credential.calls) == len(audiences), credential.calls
    assert audit.tokens_acquired == dict.fromkeys(audiences, 1)


def test_verbose_states_the_token_requests() -> None:
    result = CliRunner().invoke(app, ["subscription", "--replay", str(SAMPLE_TENANT), "--select", "KV", "--verbose"])
    assert "token requests to the credential: 2 (" in result.output, result.output
    assert f"{ARM_SCOPE}: 1" in result.output


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Slow:
    """A credential that takes ``delay`` seconds per token (a real `az` takes 0.3-1.5 s)."""

    def __init__(self, clock: Clock, lifetime: float, delay: float = 0.3) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.delay = delay
        self.calls = 0
        self.fail = False
        self._lock = threading.Lock()

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        with self._lock:
            self.calls += 1
            number = self.calls
        time.sleep(self.delay)
        if self.fail:
            raise RuntimeError("the credential is unavailable")
        return AccessToken(f"token-{number}", int(self.clock.now + self.lifetime))


def _from_threads(shared: SharedTokenCredential, count: int = 20) -> list[tuple[str, float]]:
    """(token, seconds the call took) for ``count`` concurrent callers."""
    results: list[tuple[str, float]] = []
    lock = threading.Lock()

    def call() -> None:
        started = time.monotonic()
        token = shared.get_token(ARM_SCOPE).token
        with lock:
            results.append((token, time.monotonic() - started))

    threads = [threading.Thread(target=call) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_a_short_token_is_reused_until_halfway_then_renewed_once() -> None:
    clock = Clock(1_000.0)
    inner = Slow(clock, lifetime=60, delay=0.0)
    shared = SharedTokenCredential(inner, clock=clock)
    assert shared.get_token(ARM_SCOPE).token == "token-1"
    for second in range(1, 30):
        clock.now = 1_000.0 + second
        assert shared.get_token(ARM_SCOPE).token == "token-1"
    assert inner.calls == 1, "a 60 s token is used for its first half"
    clock.now = 1_031.0
    assert shared.get_token(ARM_SCOPE).token == "token-2"
    assert inner.calls == 2


def test_long_tokens_renew_five_minutes_before_they_expire() -> None:
    clock = Clock(0.0)
    inner = Slow(clock, lifetime=3600, delay=0.0)
    shared = SharedTokenCredential(inner, clock=clock)
    shared.get_token(ARM_SCOPE)
    clock.now = 3600 - 301
    shared.get_token(ARM_SCOPE)
    assert inner.calls == 1
    clock.now = 3600 - 299
    shared.get_token(ARM_SCOPE)
    assert inner.calls == 2


def test_a_due_token_is_renewed_by_one_caller_while_the_others_keep_the_valid_one() -> None:
    clock = Clock(1_000.0)
    inner = Slow(clock, lifetime=60, delay=0.0)
    shared = SharedTokenCredential(inner, clock=clock)
    shared.get_token(ARM_SCOPE)
    clock.now = 1_040.0  # due (past halfway), still valid for 20 s
    inner.delay = 0.5
    results = _from_threads(shared)
    assert inner.calls == 2, "one renewal for twenty callers"
    waited = [seconds for _, seconds in results if seconds >= 0.4]
    assert len(waited) == 1, "only the caller that renews waits for the credential"
    assert {token for token, seconds in results if seconds < 0.4} == {"token-1"}


def test_an_expired_token_makes_callers_wait_for_one_renewal() -> None:
    clock = Clock(1_000.0)
    inner = Slow(clock, lifetime=60, delay=0.0)
    shared = SharedTokenCredential(inner, clock=clock)
    shared.get_token(ARM_SCOPE)
    clock.now = 1_100.0  # expired
    inner.delay = 0.3
    results = _from_threads(shared)
    assert inner.calls == 2
    assert {token for token, _ in results} == {"token-2"}, "no caller got the expired token"


def test_a_failed_renewal_keeps_the_valid_token_and_retries_later() -> None:
    clock = Clock(1_000.0)
    inner = Slow(clock, lifetime=60, delay=0.0)
    shared = SharedTokenCredential(inner, clock=clock)
    shared.get_token(ARM_SCOPE)
    clock.now = 1_035.0
    inner.fail = True
    assert shared.get_token(ARM_SCOPE).token == "token-1"
    assert shared.get_token(ARM_SCOPE).token == "token-1"
    assert inner.calls == 2, "not asked again at once"
    clock.now = 1_046.0
    inner.fail = False
    assert shared.get_token(ARM_SCOPE).token == "token-3"
    clock.now = 1_200.0
    inner.fail = True
    with pytest.raises(RuntimeError):
        shared.get_token(ARM_SCOPE)  # expired and not renewable: the failure is the caller's


def test_a_credential_answering_with_a_dying_token_is_not_asked_on_every_call() -> None:
    clock = Clock(1_000.0)
    inner = Slow(clock, lifetime=2, delay=0.0)  # `az` handing out its cached token's last seconds
    shared = SharedTokenCredential(inner, clock=clock)
    for _ in range(50):
        shared.get_token(ARM_SCOPE)
    assert inner.calls == 1
    clock.now = 1_001.5
    for _ in range(50):
        shared.get_token(ARM_SCOPE)
    assert inner.calls == 2


def test_tokens_are_kept_per_audience_tenant_and_cae() -> None:
    clock = Clock(0.0)
    inner = Slow(clock, lifetime=3600, delay=0.0)
    shared = SharedTokenCredential(inner, clock=clock)
    shared.get_token(ARM_SCOPE)
    shared.get_token("https://vault.azure.net/.default", tenant_id="t1", enable_cae=True)
    shared.get_token("https://vault.azure.net/.default", tenant_id="t2", enable_cae=True)
    shared.get_token(ARM_SCOPE)
    assert inner.calls == 3
    shared.get_token(ARM_SCOPE, claims='{"access_token": {}}')
    assert inner.calls == 4, "a claims challenge always asks the credential"


@pytest.mark.parametrize(
    "failure",
    [
        ServiceRequestError("could not reach login.microsoftonline.com"),
        ServiceResponseTimeoutError("the sign-in service did not answer"),
        ClientAuthenticationError("AADSTS700024: client assertion is not within its valid time range"),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_a_credential_that_cannot_sign_in_is_one_clear_error(failure: Exception) -> None:
    class Failing:
        def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
            raise failure

    with pytest.raises(AuthError, match=r"^could not authenticate \(default\): .*run `az login`"):
        run_audit(replay_config(SAMPLE_TENANT, select=("KV001",)), credential=Failing())
