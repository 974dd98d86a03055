"""Shared test helpers: run the real CLI path over replayed fixtures.

Nothing here mocks an SDK client or a collector: audits go through the real clients, pipelines
and azure-core's RequestsTransport; only the requests session underneath answers from fixtures.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3.response import HTTPResponse

from azaudit.audit import Audit, run_audit
from azaudit.inventory.acr import Registry
from azaudit.inventory.common import Identity
from azaudit.model import Finding, Status
from azaudit.runconfig import RunConfig

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_TENANT = ROOT / "fixtures" / "tenants" / "contoso"
# The planted secret marker: every planted credential value in fixtures contains it, and no
# output, log or record may ever contain it.
CANARY_MARK = "Zq7CanaryV4lue"
# The clock the tests pin (fixture dates are relative to it).
NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _clear_key_vault_challenge_cache() -> Iterator[None]:
    from azure.keyvault.secrets._shared import http_challenge_cache

    http_challenge_cache.clear()
    yield
    http_challenge_cache.clear()


@pytest.fixture(autouse=True)
def _clear_request_bounds() -> None:
    """Each test starts with the thread's request bounds clear. The pacers' own tests wait outside
    any request (``bounds.begin`` resets a request's spent waiting only when a new request
    begins), so a test that spent a request's 60 s left nothing to the next one in the thread."""
    from azaudit.transport import bounds

    bounds._state.request = None
    bounds._state.waited = 0.0


def replay_config(tenant: Path = SAMPLE_TENANT, **overrides: Any) -> RunConfig:
    values: dict[str, Any] = {"replay": tenant, "now": NOW, "working_directory": tenant, "concurrency": 4}
    values.update(overrides)
    return RunConfig(**values)


def audit_replay(tenant: Path = SAMPLE_TENANT, **overrides: Any) -> Audit:
    return run_audit(replay_config(tenant, **overrides))


@pytest.fixture(scope="session")
def sample_audit() -> Audit:
    """The whole catalogue over the sample tenant, once per session."""
    from azure.keyvault.secrets._shared import http_challenge_cache

    http_challenge_cache.clear()
    return audit_replay()


def names(findings: tuple[Finding, ...], code: str, status: Status) -> set[str]:
    """``resource`` or ``resource/item`` of the findings of one check with one status."""
    return {
        f"{f.resource_name}/{f.item}" if f.item else f.resource_name
        for f in findings
        if f.code == code and f.status is status
    }


def assert_outcomes(
    findings: tuple[Finding, ...],
    code: str,
    *,
    failing: set[str],
    passing: set[str],
    skipped: set[str] | None = None,
    errored: set[str] | None = None,
) -> None:
    """The exact ``resource[/item]`` names of one check's findings, status by status."""
    assert names(findings, code, Status.FAIL) == failing
    assert names(findings, code, Status.PASS) == passing
    assert names(findings, code, Status.SKIPPED) == (skipped or set())
    assert names(findings, code, Status.ERROR) == (errored or set())


def assert_expected(findings: tuple[Finding, ...], code: str, expected: Mapping[Status, set[str]]) -> None:
    """``assert_outcomes`` with a scenario's expectations (status -> names; a missing status: none)."""
    assert_outcomes(
        findings,
        code,
        failing=expected.get(Status.FAIL, set()),
        passing=expected.get(Status.PASS, set()),
        skipped=expected.get(Status.SKIPPED, set()),
        errored=expected.get(Status.ERROR, set()),
    )


def registry_record(name: str = "acrtest", sku: str = "Premium", **overrides: Any) -> Registry:
    """An in-memory registry of subscription ``sub-1``: public, no rules, no policies, unless overridden."""
    values: dict[str, Any] = {
        "id": f"/subscriptions/sub-1/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/{name}",
        "name": name,
        "subscription_id": "sub-1",
        "resource_group": "rg",
        "location": "westeurope",
        "sku": sku,
        "login_server": f"{name}.azurecr.io",
        "admin_user_enabled": False,
        "anonymous_pull_enabled": False,
        "public_network_access": "Enabled",
        "network_default_action": None,
        "ip_rule_count": 0,
        "private_endpoints": (),
        "trust_policy_status": None,
        "quarantine_policy_status": None,
        "retention_policy_status": None,
        "retention_days": None,
        "export_policy_status": None,
        "arm_audience_policy_status": None,
        "encryption_status": None,
        "identity": Identity(),
    }
    values.update(overrides)
    return Registry(**values)


Names = Callable[[tuple[Finding, ...], str, Status], set[str]]


def scripted_response(request: Any, status: int, body: Any, headers: Mapping[str, str]) -> requests.Response:
    """requests' response to ``request``: ``body`` as JSON with ``headers`` (Content-Type
    included), as a test adapter's ``send`` returns it."""
    raw = HTTPResponse(
        body=io.BytesIO(json.dumps(body).encode()),
        headers=dict(headers),
        status=status,
        preload_content=False,
        decode_content=False,
    )
    return HTTPAdapter().build_response(request, raw)
