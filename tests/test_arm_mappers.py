"""Collectors that read ARM JSON (Defender, RBAC, Key Vault): the sample tenant's records are the
ones the SDK's models gave, a value of the wrong type is ERROR where it is judged, a failed request
keeps the service's own error code and message, and paged lists follow every ``nextLink``."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from azaudit.audit import Audit
from azaudit.model import Finding, Status
from tests.conftest import SAMPLE_TENANT, audit_replay

PROD, DEV, SANDBOX = "contoso-prod", "contoso-dev", "contoso-sandbox"


def planted(tmp_path: Path, file: str, change: Callable[[Any], Any], where: str = "") -> Path:
    """A copy of the sample tenant whose recorded answers in ``file`` (those whose URL holds
    ``where``) are ``change``d."""
    tenant = tmp_path / "tenant"
    shutil.copytree(SAMPLE_TENANT, tenant)
    path = tenant / file
    document = json.loads(path.read_text(encoding="utf-8"))
    for interaction in document["interactions"]:
        if where in interaction["request"]["url"]:
            interaction["response"]["body"] = change(interaction["response"]["body"])
    path.write_text(json.dumps(document), encoding="utf-8")
    return tenant


def subscription_id(audit: Audit, name: str) -> str:
    return next(s.subscription_id for s in audit.report.run.subscriptions if s.display_name == name)


def statuses(findings: tuple[Finding, ...], prefix: str) -> dict[tuple[str, str, str | None], Status]:
    return {(f.code, f.resource_id.lower(), f.item): f.status for f in findings if f.code.startswith(prefix)}


# Defender -----------------------------------------------------------------------------------------


def test_plan_enablement_times_read_as_the_sdk_wrote_them(sample_audit: Audit) -> None:
    times = {p.enablement_time for p in sample_audit.inventory.defender_plans}
    assert times == {None, "2025-01-20 09:00:00+00:00"}  # recorded as 2025-01-20T09:00:00.0000000Z


def test_a_refused_list_keeps_the_services_error_code_and_message(sample_audit: Audit) -> None:
    # the sandbox's pricings and a dev container group's diagnostic settings answer 403: the reason
    # is Azure's "code: message", as when the SDK's operations raised it
    refused = [
        f
        for f in sample_audit.report.findings
        if f.status is Status.ERROR and "HTTP 403" in f.message and f.code[:3] in ("DEF", "ACI")
    ]
    assert {f.code[:3] for f in refused} >= {"DEF", "ACI"}
    for finding in refused:
        assert "HTTP 403: AuthorizationFailed: The client " in finding.message, finding.message


def _pricing(change: Callable[[dict[str, Any]], None]) -> Callable[[Any], Any]:
    def edit(body: Any) -> Any:
        containers = next(p for p in body["value"] if p["name"] == "Containers")
        change(containers)
        return body

    return edit


@pytest.mark.parametrize(
    "change",
    [
        lambda p: p.update(properties=None),
        lambda p: p["properties"].update(pricingTier=1),
        lambda p: p["properties"].update(enablementTime="last tuesday"),
        lambda p: p["properties"].update(
            extensions=[{"name": "ContainerRegistriesVulnerabilityAssessments", "isEnabled": True}]
        ),
    ],
    ids=["properties-null", "tier-not-a-string", "time-not-a-date", "isEnabled-not-a-string"],
)
def test_an_unreadable_pricing_is_error_for_its_subscription_never_not_offered(
    tmp_path: Path, sample_audit: Audit, change: Callable[[dict[str, Any]], None]
) -> None:
    tenant = planted(tmp_path, f"{PROD}/defender.json", _pricing(change))
    audit = audit_replay(tenant, select=("DEF001", "DEF002", "DEF003"))
    prod = subscription_id(audit, PROD).lower()
    after = statuses(audit.report.findings, "DEF")
    before = statuses(sample_audit.report.findings, "DEF")
    mine = {key: status for key, status in after.items() if prod in key[1]}
    assert mine and set(mine.values()) == {Status.ERROR}
    assert {k: v for k, v in after.items() if prod not in k[1]} == {k: v for k, v in before.items() if prod not in k[1]}
    assert not audit.report.complete
