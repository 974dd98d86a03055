"""A hostile API: throttling, server errors, refusals, silence, garbage and expiring tokens.

Everything runs through the real SDK stack on a simulated network (bench/network.py) over a
small synthetic tenant. Assertions are about results and request records, never about how long
the whole run took.
"""

from __future__ import annotations

import threading
import time
import zlib
from pathlib import Path
from typing import Any

import pytest
from azure.core.credentials import AccessToken

from azaudit.audit import Audit, run_audit
from azaudit.model import Severity, Status
from azaudit.replay import ReplayAdapter, ReplayCredential
from azaudit.replay.fixtures import RecordedResponse
from azaudit.reports.gate import ExitCode, exit_code_for
from azaudit.runconfig import RunConfig
from bench.network import Fault, SimulatedNetwork, simulated_session
from bench.synthetic import SyntheticTenant

TENANT = SyntheticTenant(subscriptions=2, resources_per_subscription=20, seed=3)


def audit_with(
    fault: Fault | None = None, timeout: float = 5.0, credential: Any = None, tenant: SyntheticTenant = TENANT
) -> tuple[Audit, SimulatedNetwork]:
    network = SimulatedNetwork(ReplayAdapter(tenant.responses, "synthetic"), fault=fault)
    config = RunConfig(concurrency=8, timeout=timeout, working_directory=Path("/nonexistent"))
    audit = run_audit(config, session=simulated_session(network), credential=credential or ReplayCredential())
    return audit, network


def verdicts(audit: Audit) -> set[tuple[str, str, str, str | None]]:
    return {(f.code, f.status.value, f.resource_id, f.item) for f in audit.report.findings}


@pytest.fixture(scope="module")
def clean() -> Audit:
    return audit_with()[0]


def _chosen(url: str, percent: int) -> bool:
    return zlib.crc32(url.encode()) % 100 < percent


def test_transient_503s_with_retry_after_still_give_the_full_result(clean: Audit) -> None:
    def fault(method: str, url: str, attempt: int) -> RecordedResponse | None:
        if attempt == 1 and _chosen(url, 10):
            return RecordedResponse(
                status=503, headers={"Retry-After": "1"}, body={"error": {"code": "ServerBusy", "message": "try later"}}
            )
        return None

    audit, network = audit_with(fault)
    assert audit.report.complete
    assert verdicts(audit) == verdicts(clean)
    assert any(len(stamps) == 2 for stamps in network.traffic.times.values()), "some requests were retried"


def test_429_retry_after_is_honoured_without_a_storm() -> None:
    target = next(
        url
        for url in (
            f"https://management.azure.com/subscriptions/{TENANT.subscription_ids[0]}/providers/Microsoft.KeyVault/vaults",
        )
    )

    def fault(method: str, url: str, attempt: int) -> RecordedResponse | None:
        if url.startswith(target) and attempt == 1:
            return RecordedResponse(
                status=429,
                headers={"Retry-After": "1"},
                body={"error": {"code": "TooManyRequests", "message": "slow down"}},
            )
        return None

    audit, network = audit_with(fault)
    stamps = next(v for url, v in network.traffic.times.items() if url.startswith(target))
    assert len(stamps) == 2, "one retry, no storm"
    assert stamps[1] - stamps[0] >= 0.9, "the retry waited for Retry-After"
    assert audit.report.complete


def test_a_subscription_refusing_everything_is_not_assessed_and_the_others_complete(clean: Audit) -> None:
    refused = TENANT.subscription_ids[1]

    def fault(method: str, url: str, attempt: int) -> RecordedResponse | None:
        if f"/subscriptions/{refused}/" in url:
            return RecordedResponse(status=403, body={"error": {"code": "AuthorizationFailed", "message": "no access"}})
        return None

    audit, _ = audit_with(fault)
    assert audit.report.errors and all(e.subscription_id == refused for e in audit.report.errors)
    other = {v for v in verdicts(clean) if TENANT.subscription_ids[0] in v[2]}
    assert other <= verdicts(audit), "the other subscription's results are intact"
    assert not any(
        f.status in (Status.PASS, Status.FAIL) and f.subscription_id == refused
        for f in audit.report.findings
        if f.code.startswith(("ACR", "ACI", "KV"))
    )
    assert exit_code_for(audit.report, Severity.CRITICAL) is ExitCode.ERROR


def test_a_request_that_never_answers_times_out_and_the_run_finishes() -> None:
    def fault(method: str, url: str, attempt: int) -> str | None:
        return "hang" if url.endswith("/tokens?api-version=2025-11-01") and _chosen(url, 50) else None

    audit, _ = audit_with(fault, timeout=0.2)
    timed_out = [e for e in audit.report.errors if e.dataset.value == "registry-tokens"]
    assert timed_out and all(
        any(words in e.reason for words in ("timeout", "no usable answer", "no complete answer")) for e in timed_out
    )
    assert any(f.code == "ACR009" and f.status is Status.ERROR for f in audit.report.findings)


def test_a_malformed_body_loses_only_that_collection() -> None:
    def fault(method: str, url: str, attempt: int) -> RecordedResponse | None:
        if "/Microsoft.Security/pricings" in url:
            return RecordedResponse(status=200, raw_body='{"value": [ {"id": ')
        return None

    audit, _ = audit_with(fault)
    errors = [e for e in audit.report.errors if e.dataset.value == "defender-plans"]
    assert len(errors) == 2 and all("malformed" in e.reason.lower() or "decode" in e.reason.lower() for e in errors)
    assert any(f.code == "ACR001" and f.status in (Status.PASS, Status.FAIL) for f in audit.report.findings)


def test_tokens_expiring_mid_run_are_renewed_and_never_sent_expired() -> None:
    """Tokens that live a few seconds, over a run that lasts longer: renewed during the run (each
    used within its first half), and no request ever carries an expired one."""
    from requests.adapters import BaseAdapter

    from azaudit.replay import load_fixture_dir, replay_session
    from tests.conftest import SAMPLE_TENANT, replay_config

    class ShortLived:
        def __init__(self) -> None:
            self.issued = 0

        def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
            self.issued += 1
            expires = int(time.time() + 3)  # 2 to 3 s: renewed halfway, never near its end
            return AccessToken(f"short-{self.issued}-{expires}", expires)

    expired: list[str] = []

    class Checking(BaseAdapter):  # type: ignore[misc]
        def __init__(self, inner: SimulatedNetwork) -> None:
            super().__init__()
            self.inner = inner

        def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
            token = str(request.headers.get("Authorization", ""))
            if token.startswith("Bearer short-") and int(token.rsplit("-", 1)[1]) <= time.time():
                expired.append(str(request.url))
            return self.inner.send(request, *args, **kwargs)

        def close(self) -> None:
            pass

    network = SimulatedNetwork(ReplayAdapter(load_fixture_dir(SAMPLE_TENANT), "sample"), latency=0.15)
    inner = ShortLived()
    config = replay_config(SAMPLE_TENANT, select=("KV", "RBAC"), concurrency=4)
    audit = run_audit(config, session=replay_session(Checking(network)), credential=inner)
    usual = run_audit(config)
    assert audit.report.errors == usual.report.errors, "no request failed for want of a valid token"
    assert expired == []
    assert inner.issued > 2, "tokens were renewed during the run"
    assert inner.issued < audit.stats.total / 5, "not one token per request"


def test_many_vaults_with_many_keys_never_hang_under_faults() -> None:
    import bench.synthetic as synthetic

    heavy = SyntheticTenant(subscriptions=2, resources_per_subscription=60, seed=11)
    assert sum(1 for key in heavy.responses if key[2].endswith("/keys") or "/keys/" in key[2]) > 50

    def fault(method: str, url: str, attempt: int) -> RecordedResponse | str | None:
        if attempt == 1 and _chosen(url, 5):
            return RecordedResponse(
                status=503, headers={"Retry-After": "0"}, body={"error": {"code": "ServerBusy", "message": "busy"}}
            )
        if _chosen(url + "hang", 2):
            return "hang"
        return None

    box: dict[str, Audit] = {}
    worker = threading.Thread(
        target=lambda: box.setdefault("audit", audit_with(fault, timeout=0.2, tenant=heavy)[0]), daemon=True
    )
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive(), "the audit hung"
    assert "audit" in box and box["audit"].report.findings
    del synthetic
