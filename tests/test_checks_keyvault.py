"""Key Vault checks: expectations over the sample tenant (through replay), secret metadata sources,
thresholds and the pinned clock."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from azaudit import catalogue
from azaudit.audit import Audit
from azaudit.inventory.coverage import Dataset
from azaudit.model import Status
from azaudit.render import FORMATS
from tests.conftest import CANARY_MARK, NOW, SAMPLE_TENANT, audit_replay, names
from tools.scenarios import keyvault as kv_scenarios

# Declared next to each vault, access policy, secret and key in the sample tenant's scenario table.
EXPECT = kv_scenarios.expected()


@pytest.mark.parametrize("code", sorted(EXPECT))
@pytest.mark.parametrize("status", [Status.FAIL, Status.PASS, Status.SKIPPED, Status.ERROR])
def test_sample_tenant_outcomes(code: str, status: Status, sample_audit: Audit) -> None:
    assert names(sample_audit.report.findings, code, status) == EXPECT[code].get(status, set())


EVIDENCE_KEYS: dict[str, tuple[set[str], set[str]]] = {
    # code: (keys of a FAIL's evidence, keys of a PASS's evidence)
    "KV001": ({"properties.enablePurgeProtection"},) * 2,
    "KV002": ({"properties.enableSoftDelete"},) * 2,
    "KV003": ({"properties.enableRbacAuthorization", "properties.accessPolicies"},) * 2,
    "KV004": ({"properties.accessPolicies[].objectId", "properties.accessPolicies[].permissions"},) * 2,
    "KV005": (
        {
            "properties.publicNetworkAccess",
            "properties.networkAcls.defaultAction",
            "properties.networkAcls.ipRules",
            "properties.networkAcls.virtualNetworkRules",
        },
        {"properties.publicNetworkAccess"},
    ),
    "KV006": ({"properties.privateEndpointConnections"},) * 2,
    "KV007": ({"attributes.exp"},) * 2,
    "KV008": ({"attributes.created"}, {"attributes.nbf / attributes.created"}),
    "KV009": ({"attributes.exp"},) * 2,
    "KV010": ({"attributes.exp"},) * 2,
    "KV011": ({"rotationPolicy.lifetimeActions[].action.type"},) * 2,
}


@pytest.mark.parametrize("code", sorted(EVIDENCE_KEYS))
def test_evidence_names_the_observed_properties_on_pass_and_fail(code: str, sample_audit: Audit) -> None:
    findings = [f for f in sample_audit.report.findings if f.code == code]
    fail_keys, pass_keys = EVIDENCE_KEYS[code]
    for status, keys in ((Status.FAIL, fail_keys), (Status.PASS, pass_keys)):
        judged = [f for f in findings if f.status is status]
        assert judged and all(isinstance(f.evidence, dict) and keys <= set(f.evidence) for f in judged), (code, status)
    assert all(not isinstance(f.evidence, dict) for f in findings if f.status in (Status.SKIPPED, Status.ERROR))
    if code == "KV001":
        by_vault = {f.resource_name: f.evidence for f in findings}
        assert by_vault["kv-prod-legacy"] == {"properties.enablePurgeProtection": "absent (Azure default: off)"}
        assert by_vault["kv-prod-apps"] == {"properties.enablePurgeProtection": "true"}


def test_kv005_a_deny_firewall_that_allows_every_address_is_open(sample_audit: Audit) -> None:
    by_vault = {f.resource_name: f.message for f in sample_audit.report.findings if f.code == "KV005"}
    assert "denies by default but allows 0.0.0.0/0" in by_vault["kv-dev-rbac"]
    assert "denies by default (1 allow rule(s))" in by_vault["kv-prod-legacy"]  # 198.51.100.0/24


def test_certificate_backed_secrets_are_judged_only_for_their_expiry(sample_audit: Audit) -> None:
    def judged(*codes: str) -> set[str]:
        return {f.item or "" for f in sample_audit.report.findings if f.code in codes and f.item}

    assert "tls-frontend" not in judged("KV007", "KV008")  # its lifetime is the certificate's
    assert "tls-frontend" in judged("KV009")  # expires with the certificate in 20 days
    assert "retired-password" not in judged("KV007", "KV008", "KV009")  # disabled


def test_legacy_vault_without_soft_delete_property_is_named_so(sample_audit: Audit) -> None:
    (legacy,) = [f for f in sample_audit.report.findings if f.code == "KV002" and f.resource_name == "kv-prod-legacy"]
    assert legacy.status is Status.FAIL and "not set" in legacy.message


def test_stale_secret_age_runs_from_not_before_else_creation(sample_audit: Audit) -> None:
    messages = {f.item: f.message for f in sample_audit.report.findings if f.code == "KV008" and f.item}
    assert "active for 900 days since creation" in messages["old-api-key"]  # though updated 20 days ago
    assert "vpn-psk" not in messages  # created 500 days ago, not before 90 days ago (ARM fallback)
    assert "db-password" not in messages  # created 400 days ago, not before 60 days ago (data plane)


def test_the_arm_fallback_is_named_in_the_findings(sample_audit: Audit) -> None:
    legacy = [f for f in sample_audit.report.findings if f.code == "KV007" and f.resource_name == "kv-prod-legacy"]
    assert legacy and all("read through ARM" in f.message and "403" in f.message for f in legacy)
    apps = [f for f in sample_audit.report.findings if f.code == "KV007" and f.resource_name == "kv-prod-apps"]
    assert apps and not any("ARM" in f.message for f in apps)


def test_both_sources_failing_is_not_assessed_with_both_reasons(sample_audit: Audit) -> None:
    errors = [e for e in sample_audit.report.errors if e.dataset is Dataset.SECRETS]
    assert [e.resource_name for e in errors] == ["kv-prod-locked"]
    assert "data plane answered 403" in errors[0].reason and "ARM secret list answered 403" in errors[0].reason


def test_data_plane_paging_reads_every_page(sample_audit: Audit) -> None:
    apps = {s.name for s in sample_audit.inventory.secrets if s.vault_id.endswith("/kv-prod-apps")}
    assert apps == {
        "sql-admin-password", "storage-connection", "tls-frontend", "old-api-key", "partner-token", "retired-password",
    }  # fmt: skip


def test_keys_without_rotation_policy_in_the_list_are_read_one_by_one(sample_audit: Audit) -> None:
    key_gets = [k for k in sample_audit.stats.by_kind if k.endswith("/vaults/{}/keys/{}")]
    assert key_gets and sample_audit.stats.by_kind[key_gets[0]] == 6


def test_thresholds_come_from_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "azaudit.toml").write_text("[keyvault]\nstale_secret_days = 30\nexpiring_soon_days = 200\n")
    audit = audit_replay(select=("KV008", "KV009"), working_directory=tmp_path)
    stale = names(audit.report.findings, "KV008", Status.FAIL)
    assert "kv-prod-apps/sql-admin-password" in stale  # 40 days old
    expiring = names(audit.report.findings, "KV009", Status.FAIL)
    assert "kv-prod-apps/sql-admin-password" in expiring  # expires in 140 days


def test_the_clock_is_pinned() -> None:
    later = audit_replay(select=("KV009",), now=NOW + dt.timedelta(days=400))
    expired = [f for f in later.report.findings if f.code == "KV009" and f.status is Status.FAIL]
    assert any("expired" in f.message for f in expired)


def test_no_key_vault_output_holds_a_planted_value(sample_audit: Audit) -> None:
    for render in FORMATS.values():
        assert CANARY_MARK not in render(sample_audit.report)


def _plant_exp(path: Path, name: str, value: object) -> None:
    """Set ``exp`` of every secret or key called ``name`` in one recorded file (lists and GETs)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    for interaction in document["interactions"]:
        body = interaction["response"].get("body")
        items = body.get("value", [body]) if isinstance(body, dict) else []
        for item in items:
            if not isinstance(item, dict):
                continue
            item_name = item.get("name") or str(item.get("id", "")).rsplit("/", 1)[-1]
            attributes = item.get("attributes") or item.get("properties", {}).get("attributes")
            if item_name == name and isinstance(attributes, dict):
                attributes["exp"] = value
    path.write_text(json.dumps(document), encoding="utf-8")


def test_a_malformed_time_attribute_costs_one_finding_not_the_vault(tmp_path: Path) -> None:
    tenant = tmp_path / "tenant"
    shutil.copytree(SAMPLE_TENANT, tenant)
    _plant_exp(tenant / "contoso-dev" / "keyvault-dataplane.json", "app-password", "tomorrow")  # data plane
    _plant_exp(tenant / "contoso-prod" / "keyvault.json", "partner-api-key", "tomorrow")  # ARM fallback
    _plant_exp(tenant / "contoso-prod" / "keyvault.json", "token-key", "tomorrow")  # ARM key
    _plant_exp(tenant / "contoso-prod" / "keyvault-dataplane.json", "partner-token", 10**20)  # out of range
    audit = audit_replay(tenant=tenant, select=tuple(EXPECT))
    findings = audit.report.findings
    assert [e.resource_name for e in audit.report.errors] == ["kv-prod-locked"]  # nothing else lost
    assert names(findings, "KV007", Status.ERROR) == {
        "kv-dev-shared/app-password", "kv-prod-legacy/partner-api-key", "kv-prod-apps/partner-token", "kv-prod-locked",
    }  # fmt: skip
    assert names(findings, "KV009", Status.ERROR) == names(findings, "KV007", Status.ERROR)
    assert names(findings, "KV009", Status.FAIL) == {"kv-prod-apps/tls-frontend"}  # the others still judged
    assert names(findings, "KV007", Status.FAIL) == {"kv-prod-apps/storage-connection", "kv-prod-legacy/ftp-password"}
    assert names(findings, "KV010", Status.ERROR) == {"kv-prod-legacy/token-key"}
    assert names(findings, "KV010", Status.FAIL) == {"kv-prod-legacy/signing-key"}
    for code in ("KV008", "KV011"):  # they do not read exp: unchanged
        for status in Status:
            assert names(findings, code, status) == EXPECT[code].get(status, set()), (code, status)
    (error,) = [f for f in findings if f.code == "KV010" and f.status is Status.ERROR]
    assert "`exp`" in error.message and "tomorrow" not in error.message


# The Azure Policy built-in definitions testing the same control (name GUID of the definition in
# Azure/azure-policy, built-in-policies/policyDefinitions/Key Vault). KV004 has none: no built-in
# definition reads what an access policy grants. KV005 is pinned with the network checks.
POLICIES = {
    "KV001": {"0b60c0b2-2dc2-4e1c-b5c9-abbed971de53"},  # Key vaults should have deletion protection enabled
    "KV002": {"1e66c121-a66a-4b1f-9b83-0fd99bf0fc2d"},  # Key vaults should have soft delete enabled
    "KV003": {"12d4fa5e-1f9f-4c21-97a9-b99b3c6611b5"},  # Azure Key Vault should use RBAC permission model
    "KV004": set(),
    "KV006": {"a6abeaec-4d90-4a02-805f-6b26c4d3fbe9"},  # Azure Key Vaults should use private link
    "KV007": {"98728c90-32c7-4049-8429-847dc0f4fe37"},  # Key Vault secrets should have an expiration date
    "KV008": {"e8d99835-8a06-45ae-a8e0-87a91941ccfe"},  # Secrets should not be active for longer than ...
    "KV009": {"b0eb591a-5e70-4534-a8bf-04b9c489584a"},  # ... more than the specified number of days before expiration
    "KV010": {"152b15f7-8e1f-4c1f-ab71-8c010ba5dbc0"},  # Key Vault keys should have an expiration date
    "KV011": {"d8cf8476-a2ec-4916-896e-992351803c44"},  # Keys should have a rotation policy ...
}


@pytest.mark.parametrize("code", sorted(POLICIES))
def test_checks_name_the_azure_policy_definitions_of_their_control(code: str) -> None:
    meta = catalogue.load()[code].meta
    assert set(meta.policies) == POLICIES[code]
    linked = [r for r in meta.docs.references if "Azure/azure-policy/blob/master/built-in-policies/" in r]
    if meta.policies:
        assert len(linked) == len(meta.policies)  # each definition's JSON is in References
    else:
        assert not linked and "no built-in definition" in meta.docs.decisions.replace("\n", " ")


def test_kv005_names_the_firewall_definitions_of_azure_policy() -> None:
    meta = catalogue.load()["KV005"].meta
    # Azure Key Vault should have firewall enabled; Configure key vaults to enable firewall
    assert set(meta.policies) == {"55615ac9-af46-4a59-874e-391cc3dfb490", "ac673a9a-f77d-4846-b2d8-a57f8e1c01dc"}
    linked = [r for r in meta.docs.references if "Azure/azure-policy/blob/master/built-in-policies/" in r]
    assert len(linked) == 2
