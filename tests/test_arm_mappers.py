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


# RBAC ---------------------------------------------------------------------------------------------

ASSIGNMENTS = f"{PROD}/roleassignments.json"
FIRST_PAGE = "/roleAssignments?api-version=2022-04-01"


def _rbac(audit: Audit, codes: tuple[str, ...]) -> dict[tuple[str, str, str | None], Status]:
    return {key: status for key, status in statuses(audit.report.findings, "RBAC").items() if key[0] in codes}


def assignments_unknown(audit: Audit, sample_audit: Audit) -> None:
    """Prod's assignment checks are ERROR, everything else as in the sample audit."""
    prod = subscription_id(audit, PROD)
    for code in ("RBAC001", "RBAC003"):
        mine = [f for f in audit.report.findings if f.code == code and f.subscription_id == prod]
        assert mine and {f.status for f in mine} == {Status.ERROR}, (code, mine)
    codes = ("RBAC001", "RBAC003")
    rest = {k: v for k, v in _rbac(audit, codes).items() if prod.lower() not in k[1]}
    assert rest == {k: v for k, v in _rbac(sample_audit, codes).items() if prod.lower() not in k[1]}
    assert not audit.report.complete


def _first_page(change: Callable[[dict[str, Any]], None]) -> Callable[[Any], Any]:
    def edit(body: Any) -> Any:
        if body.get("nextLink"):
            change(body)
        return body

    return edit


@pytest.mark.parametrize(
    "next_link",
    [
        42,
        "https://evil.example/subscriptions/x/providers/Microsoft.Authorization/roleAssignments",
        "https://management.azure.com/subscriptions/3f8a6c1e-5b7d-4e2a-9c11-7d2e0f4a8b51/providers/"
        "Microsoft.Authorization/roleAssignments?api-version=2022-04-01",
    ],
    ids=["not-a-string", "foreign-host", "back-to-the-first-page"],
)
def test_a_bad_next_link_fails_the_whole_assignment_list(tmp_path: Path, sample_audit: Audit, next_link: Any) -> None:
    tenant = planted(tmp_path, ASSIGNMENTS, _first_page(lambda body: body.update(nextLink=next_link)))
    assignments_unknown(audit_replay(tenant, select=("RBAC001", "RBAC003")), sample_audit)


def test_a_skip_token_is_sent_as_azure_wrote_it(tmp_path: Path, sample_audit: Audit) -> None:
    # a token with '+', '/' and '=' (base64) must reach Azure unchanged: sent unquoted, '+' reads as a space
    tenant = tmp_path / "tenant"
    shutil.copytree(SAMPLE_TENANT, tenant)
    path = tenant / ASSIGNMENTS
    text = path.read_text(encoding="utf-8").replace("ZXlKMGIydGxiaUk2SWpFd01DSjk", "ab%2Bc%2Fd%3D")
    path.write_text(text, encoding="utf-8")
    audit = audit_replay(tenant, select=("RBAC001", "RBAC003"))
    assert audit.report.complete
    assert _rbac(audit, ("RBAC001", "RBAC003")) == _rbac(sample_audit, ("RBAC001", "RBAC003"))


def _assignment(change: Callable[[dict[str, Any]], None]) -> Callable[[Any], Any]:
    def edit(body: Any) -> Any:
        for item in body["value"]:
            if item["name"] == "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c02":
                change(item)
        return body

    return edit


@pytest.mark.parametrize(
    "change",
    [
        lambda a: a["properties"].update(principalId=7),
        lambda a: a["properties"].update(roleDefinitionId=None),
        lambda a: a["properties"].update(scope=["/"]),
        lambda a: a.update(id=None),
    ],
    ids=["principal-not-a-string", "role-null", "scope-a-list", "id-null"],
)
def test_an_unreadable_assignment_leaves_its_subscriptions_assignments_unknown(
    tmp_path: Path, sample_audit: Audit, change: Callable[[dict[str, Any]], None]
) -> None:
    tenant = planted(tmp_path, ASSIGNMENTS, _assignment(change))
    assignments_unknown(audit_replay(tenant, select=("RBAC001", "RBAC003")), sample_audit)


def test_an_unreadable_role_definition_is_error_for_that_role_only(tmp_path: Path, sample_audit: Audit) -> None:
    role = "f2b4d6f8-0c2e-4a4b-9d6f-8b0d2f4c6e81"  # Contoso Registry Operator, a custom role

    def edit(body: Any) -> Any:
        for item in body["value"]:
            if item["name"] == role:
                item["properties"]["permissions"][0]["actions"] = "*"
        return body

    tenant = planted(tmp_path, f"{PROD}/roledefinitions.json", edit)
    audit = audit_replay(tenant, select=("RBAC004",))
    after = _rbac(audit, ("RBAC004",))
    assert {status for key, status in after.items() if role in key[1]} == {Status.ERROR}
    before = _rbac(sample_audit, ("RBAC004",))
    assert {k: v for k, v in after.items() if role not in k[1]} == {k: v for k, v in before.items() if role not in k[1]}
    message = next(f.message for f in audit.report.findings if role in f.resource_id)
    assert "its actions is a string, not a list of strings" in message


def test_an_identity_without_properties_is_error_for_the_managed_identity_check(
    tmp_path: Path, sample_audit: Audit
) -> None:
    def edit(body: Any) -> Any:
        body["value"][0]["properties"] = None
        return body

    tenant = planted(tmp_path, f"{PROD}/identities.json", edit)
    audit = audit_replay(tenant, select=("RBAC002",))
    prod = subscription_id(audit, PROD)
    mine = [f for f in audit.report.findings if f.subscription_id == prod]
    assert mine and {f.status for f in mine} == {Status.ERROR}
    assert "its properties are null" in mine[0].message


# Key Vault ----------------------------------------------------------------------------------------

VAULTS = f"{PROD}/keyvault.json"
LEGACY = "kv-prod-legacy"  # its data plane refuses: secrets come from ARM's list


def about_vault(audit: Audit, name: str, codes: tuple[str, ...]) -> dict[tuple[str, str | None], Status]:
    return {
        (f.code, f.item): f.status
        for f in audit.report.findings
        if f.code in codes and (f.resource_name == name or f.resource_name.startswith(name + "/"))
    }


def test_a_vault_with_a_setting_of_the_wrong_type_is_error_for_that_vault_only(
    tmp_path: Path, sample_audit: Audit
) -> None:
    def edit(body: Any) -> Any:
        for vault in body.get("value", ()):
            if vault["name"] == LEGACY:
                vault["properties"]["enablePurgeProtection"] = "true"
        return body

    tenant = planted(tmp_path, VAULTS, edit, "/providers/Microsoft.KeyVault/vaults?")
    audit = audit_replay(tenant, select=("KV001", "KV002", "KV005"))
    codes = ("KV001", "KV002", "KV005")
    assert set(about_vault(audit, LEGACY, codes).values()) == {Status.ERROR}
    message = next(f.message for f in audit.report.findings if f.resource_name == LEGACY)
    assert "its enablePurgeProtection is a string, not a boolean" in message
    rest = {k: v for k, v in statuses(audit.report.findings, "KV").items() if LEGACY not in k[1]}
    before = {k: v for k, v in statuses(sample_audit.report.findings, "KV").items() if k[0] in codes}
    assert rest == {k: v for k, v in before.items() if LEGACY not in k[1]}


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.update(properties=None),
        lambda s: s["properties"].update(attributes={"enabled": "no"}),
        lambda s: s["properties"].update(contentType=["text/plain"]),
    ],
    ids=["properties-null", "enabled-not-a-boolean", "content-type-a-list"],
)
def test_an_unreadable_arm_secret_is_error_for_its_vaults_secret_checks(
    tmp_path: Path, sample_audit: Audit, change: Callable[[dict[str, Any]], None]
) -> None:
    def edit(body: Any) -> Any:
        change(body["value"][0])
        return body

    codes = ("KV007", "KV008", "KV009")
    tenant = planted(tmp_path, VAULTS, edit, f"/vaults/{LEGACY}/secrets?")
    audit = audit_replay(tenant, select=codes)
    assert about_vault(sample_audit, LEGACY, codes), "the legacy vault's secrets are judged in the sample"
    assert set(about_vault(audit, LEGACY, codes).values()) == {Status.ERROR}
    rest = {k: v for k, v in statuses(audit.report.findings, "KV").items() if LEGACY not in k[1]}
    before = {k: v for k, v in statuses(sample_audit.report.findings, "KV").items() if k[0] in codes}
    assert rest == {k: v for k, v in before.items() if LEGACY not in k[1]}


def test_secret_and_key_times_read_as_the_sdk_read_them(sample_audit: Audit) -> None:
    # ARM's attributes are Unix seconds: read as aware UTC datetimes, as the SDK's models gave them
    legacy = [s for s in sample_audit.inventory.secrets if s.vault_id.endswith(f"/{LEGACY}")]
    assert legacy and all(s.created is not None and s.created.tzinfo is not None for s in legacy)
    assert {k.has_rotation_policy for k in sample_audit.inventory.keys} == {True, False}
