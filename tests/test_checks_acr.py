"""Container Registry checks: an expectation table over the sample tenant (real SDK, replayed),
then edge cases on records built directly."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import msgspec
import pytest

from azaudit import catalogue
from azaudit.audit import Audit
from azaudit.catalogue import CheckContext
from azaudit.engine import evaluate
from azaudit.inventory import Inventory
from azaudit.inventory.acr import Registry, RegistryToken, TokenCredential
from azaudit.inventory.common import PrivateEndpointConnection
from azaudit.inventory.coverage import CollectionError, Dataset
from azaudit.model import Finding, Status
from azaudit.replay.recorder import scrub_body
from azaudit.settings import Settings
from tests.conftest import CANARY_MARK, NOW, assert_expected, registry_record
from tools.scenarios import acr as acr_scenarios

CHECKS = catalogue.load()

PROD_ACR = acr_scenarios.PROD_ACR.name  # Premium, hardened, customer-managed key (no content trust)
LEGACY_ACR = acr_scenarios.LEGACY_ACR.name  # Basic, admin user, token with a password
DEV_ACR = acr_scenarios.DEV_ACR.name  # Standard, anonymous pull
PLATFORM_ACR = acr_scenarios.PLATFORM_ACR.name  # Premium: Docker Content Trust, IP rules, pending private endpoint
ML_ACR = acr_scenarios.ML_ACR.name  # Premium: Deny firewall allowing 0.0.0.0/0, no retention, token with passwords
ALL = {PROD_ACR, LEGACY_ACR, DEV_ACR, PLATFORM_ACR, ML_ACR}
BASIC_STANDARD = {LEGACY_ACR, DEV_ACR}

# code: status: names (resource or resource/item), declared next to each registry in the sample
# tenant's scenario table
EXPECTED = acr_scenarios.expected()


# Azure Policy built-in definitions that test the same control (read from Azure/azure-policy).
POLICIES = {
    "ACR001": {"dc921057-6b28-4fbe-9b83-f7bec05db6c2", "79fdfe03-ffcb-4e55-b4d0-b925b8241759"},
    "ACR002": {"9f2dea28-e834-476c-99c5-3507b4728395", "cced2946-b08a-44fe-9fd9-e4ed8a779897"},
    "ACR003": {"d0793b48-0edc-4296-a390-4c75d1bdfd71"},
    "ACR004": {"e8eef0a8-67cf-4eb4-9386-14b0e78733d4"},
    "ACR005": set(),  # no definition for content trust
    "ACR006": set(),  # nor for quarantine
    "ACR007": set(),  # nor for retention
    "ACR008": {"524b0254-c285-4903-bee6-bb8126cde579"},
    "ACR009": {"ff05e24e-195c-447e-b322-5e90c9f9f366", "a9b426fe-8856-4945-8600-18c5dd1cca2a"},
    "ACR010": {"42781ec6-6127-4c30-bdfa-fb423a0047d3", "785596ed-054f-41bc-aaec-7f3d0ba05725"},
    "ACR011": {"5b9159ae-1701-4a6f-9a7a-aa9c8ddd0580"},
}


@pytest.mark.parametrize("code", sorted(POLICIES))
def test_acr_checks_name_their_azure_policy_definitions(code: str) -> None:
    meta = CHECKS[code].meta
    assert set(meta.policies) == POLICIES[code]
    if not meta.policies:
        assert "no Azure Policy built-in definition" in " ".join(meta.docs.decisions.split())
    else:
        # each definition's JSON is in References
        assert len([r for r in meta.docs.references if "github.com/Azure/azure-policy/" in r]) == len(meta.policies)


def test_every_acr_row_of_the_catalogue_is_a_check() -> None:
    assert {code for code in CHECKS if code.startswith("ACR")} == {f"ACR{n:03d}" for n in range(1, 12)}
    assert set(EXPECTED) == {code for code in CHECKS if code.startswith("ACR")}


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_expectations_in_the_sample_tenant(code: str, sample_audit: Audit) -> None:
    expected = EXPECTED[code]
    assert_expected(sample_audit.report.findings, code, expected)


def _messages(sample_audit: Audit, code: str, resource: str) -> list[str]:
    return [f.message for f in sample_audit.report.findings if f.code == code and f.resource_name == resource]


def test_basic_and_standard_registries_say_premium_is_needed(sample_audit: Audit) -> None:
    for code in ("ACR003", "ACR004", "ACR008", "ACR011"):
        for registry in BASIC_STANDARD:
            (message,) = _messages(sample_audit, code, registry)
            assert "Premium" in message, (code, message)
    for code in ("ACR005", "ACR006", "ACR007"):
        (message,) = _messages(sample_audit, code, LEGACY_ACR)
        assert message.startswith("not applicable") and "Premium" in message and "Basic" in message


def test_docker_content_trust_still_enabled_points_to_notary_project(sample_audit: Audit) -> None:
    (failing,) = _messages(sample_audit, "ACR005", PLATFORM_ACR)
    assert "still enabled" in failing and "Notary Project" in failing and "2028-03-31" in failing
    for registry in (PROD_ACR, ML_ACR):  # not enabling a retired mechanism is never a finding
        (passing,) = _messages(sample_audit, "ACR005", registry)
        assert "does not depend on Docker Content Trust" in passing
    meta = CHECKS["ACR005"].meta
    assert meta.name == "content-trust-still-enabled" and meta.severity.label == "low"
    assert "Notary Project" in meta.docs.fix and "notation sign" in meta.docs.fix
    assert "2026-05-31" in meta.docs.why and "2028-03-31" in meta.docs.why


def test_token_findings_name_the_token_not_a_password(sample_audit: Audit) -> None:
    (finding,) = [
        f
        for f in sample_audit.report.findings
        if f.code == "ACR009" and f.status is Status.FAIL and f.item == "ci-pull"
    ]
    assert "ci-pull" in finding.message and "1 password(s)" in finding.message
    by_token = {f.item: f.message for f in sample_audit.report.findings if f.code == "ACR009" and f.item}
    assert "can authenticate with 1 certificate(s)" in by_token["edge-device"]
    assert "cannot authenticate: its 2 credential(s) expired" in by_token["release-bot"]


# ---------------------------------------------------------------------------- edge cases

REGISTRY_ID = "/subscriptions/sub-1/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/{}"


registry = registry_record


def run(code: str, *registries: Registry, **inventory: Any) -> list[Finding]:
    context = CheckContext(inventory=Inventory(registries=registries, **inventory), settings=Settings(), now=NOW)
    return evaluate(CHECKS[code], context)


def verdict(code: str, reg: Registry, **inventory: Any) -> tuple[Status, str]:
    (finding,) = run(code, reg, **inventory)
    return finding.status, finding.message


@pytest.mark.parametrize(
    ("overrides", "status", "words"),
    [
        ({"public_network_access": "Disabled", "sku": "Basic"}, Status.PASS, "disabled"),
        ({"public_network_access": "Disabled", "network_default_action": "Allow"}, Status.PASS, "disabled"),
        ({}, Status.FAIL, "no network rules"),
        ({"network_default_action": "Allow"}, Status.FAIL, "Allow"),
        (
            {"network_default_action": "Deny", "ip_rules": ("203.0.113.0/27", "198.51.100.14", "9.0.0.0/9")},
            Status.PASS,
            "3 IP rule",
        ),
        ({"network_default_action": "Deny"}, Status.PASS, "denies"),
        (
            {"network_default_action": "Deny", "ip_rules": ("198.51.100.14", "0.0.0.0/0")},
            Status.FAIL,
            "allow 0.0.0.0/0",
        ),
        ({"network_default_action": "Deny", "ip_rules": ("10.0.0.0/8",)}, Status.FAIL, "allow 10.0.0.0/8"),
        ({"network_default_action": "Deny", "ip_rules": ("203.0.113.0/33",)}, Status.ERROR, "'203.0.113.0/33'"),
        (
            {"public_network_access": "Disabled", "network_default_action": "Deny", "ip_rules": ("0.0.0.0/0",)},
            Status.PASS,
            "disabled",
        ),
        ({"sku": "Standard", "network_default_action": "Deny"}, Status.FAIL, "Premium"),
    ],
)
def test_acr003_public_network(overrides: dict[str, Any], status: Status, words: str) -> None:
    sku = overrides.pop("sku", "Premium")
    got, message = verdict("ACR003", registry(sku=sku, **overrides))
    assert got is status and words in message


def test_acr003_in_the_sample_tenant_names_the_open_range(sample_audit: Audit) -> None:
    (message,) = _messages(sample_audit, "ACR003", ML_ACR)
    assert "deny by default but allow 0.0.0.0/0" in message
    (message,) = _messages(sample_audit, "ACR003", PLATFORM_ACR)
    assert "allows 2 IP rule(s)" in message


def test_acr004_only_approved_connections_count() -> None:
    pending = PrivateEndpointConnection(id="pe-1", status="Pending")
    rejected = PrivateEndpointConnection(id="pe-2", status="Rejected")
    approved = PrivateEndpointConnection(id="pe-3", status="Approved")
    status, message = verdict("ACR004", registry(private_endpoints=(pending, rejected)))
    assert status is Status.FAIL and "2 connection(s) are not approved (Pending, Rejected)" in message
    status, _ = verdict("ACR004", registry(private_endpoints=(pending, approved)))
    assert status is Status.PASS
    status, message = verdict("ACR004", registry())
    assert status is Status.FAIL and "Premium" not in message


@pytest.mark.parametrize(
    ("sku", "trust", "encryption", "status"),
    [
        ("Premium", None, None, Status.PASS),
        ("Premium", "disabled", "disabled", Status.PASS),
        ("Premium", "disabled", "enabled", Status.PASS),  # customer-managed key: no content trust
        ("Premium", "enabled", None, Status.FAIL),
        ("premium", "Enabled", "disabled", Status.FAIL),
        ("Basic", "enabled", None, Status.FAIL),  # ARM says it is on: the dependency is real
        ("Basic", None, None, Status.SKIPPED),
        ("Standard", "disabled", None, Status.SKIPPED),
    ],
)
def test_acr005_content_trust(sku: str, trust: str | None, encryption: str | None, status: Status) -> None:
    got, message = verdict("ACR005", registry(sku=sku, trust_policy_status=trust, encryption_status=encryption))
    assert got is status
    if status is Status.SKIPPED:
        assert message.startswith("not applicable")
    if status is Status.FAIL:
        assert "Notary Project" in message


@pytest.mark.parametrize(
    ("code", "field", "value", "status"),
    [
        ("ACR006", "quarantine_policy_status", None, Status.FAIL),
        ("ACR006", "quarantine_policy_status", "disabled", Status.FAIL),
        ("ACR006", "quarantine_policy_status", "enabled", Status.PASS),
        ("ACR007", "retention_policy_status", None, Status.FAIL),
        ("ACR007", "retention_policy_status", "enabled", Status.PASS),
        ("ACR008", "export_policy_status", None, Status.FAIL),  # Azure's default is enabled
        ("ACR008", "export_policy_status", "enabled", Status.FAIL),
        ("ACR008", "export_policy_status", "disabled", Status.FAIL),  # public access still enabled
        ("ACR010", "arm_audience_policy_status", None, Status.FAIL),  # Azure's default is enabled
        ("ACR010", "arm_audience_policy_status", "enabled", Status.FAIL),
        ("ACR010", "arm_audience_policy_status", "disabled", Status.PASS),
        ("ACR011", "encryption_status", None, Status.FAIL),
        ("ACR011", "encryption_status", "enabled", Status.PASS),
        ("ACR002", "anonymous_pull_enabled", True, Status.FAIL),
        ("ACR002", "anonymous_pull_enabled", False, Status.PASS),
    ],
)
def test_policy_values(code: str, field: str, value: object, status: Status) -> None:
    got, _ = verdict(code, registry(**dict[str, Any]({field: value})))
    assert got is status


@pytest.mark.parametrize(
    ("sku", "export", "public", "status"),
    [
        ("Premium", "disabled", "Disabled", Status.PASS),
        ("Premium", "Disabled", "disabled", Status.PASS),
        ("Premium", "disabled", "Enabled", Status.FAIL),  # Azure Policy: both, or non-compliant
        ("Premium", None, "Disabled", Status.FAIL),
        ("Basic", None, "Enabled", Status.FAIL),  # no export policy to disable: was SKIPPED
        ("Standard", "disabled", "Disabled", Status.FAIL),
    ],
)
def test_acr008_exports_follow_azure_policy(sku: str, export: str | None, public: str, status: Status) -> None:
    got, message = verdict("ACR008", registry(sku=sku, export_policy_status=export, public_network_access=public))
    assert got is status, message
    if sku != "Premium":
        assert "Premium SKU" in message


@pytest.mark.parametrize("code", ["ACR005", "ACR006", "ACR007"])
def test_premium_only_policies_skip_basic_and_standard(code: str) -> None:
    for sku in ("Basic", "Standard"):
        status, message = verdict(code, registry(sku=sku, export_policy_status="enabled"))
        assert status is Status.SKIPPED and f"this registry is {sku}" in message


def test_acr007_names_the_retention_period() -> None:
    _, message = verdict("ACR007", registry(retention_policy_status="enabled", retention_days=0))
    assert "after 0 day(s)" in message


def token(
    registry_id: str,
    name: str,
    status: str | None,
    passwords: tuple[str, ...],
    expiry: dt.datetime | None = None,
    certificates: tuple[str, ...] = (),
) -> RegistryToken:
    return RegistryToken(
        id=f"{registry_id}/tokens/{name}",
        name=name,
        subscription_id="sub-1",
        registry_id=registry_id,
        status=status,
        scope_map_id=None,
        passwords=tuple(TokenCredential(name=p, expiry=expiry) for p in passwords),
        certificates=tuple(TokenCredential(name=c, expiry=expiry) for c in certificates),
    )


def test_acr009_tokens() -> None:
    reg = registry()
    tokens = (
        token(reg.id.upper(), "no-status", None, ("password1",)),  # joined case-insensitively
        token(reg.id, "both-passwords", "enabled", ("password1", "password2")),
        token(reg.id, "disabled", "disabled", ("password1",)),
        token(reg.id, "no-password", "enabled", ()),
    )
    findings = run("ACR009", reg, registry_tokens=tokens)
    assert {(f.status, f.item) for f in findings} == {
        (Status.FAIL, "no-status"),
        (Status.FAIL, "both-passwords"),
    }
    other = registry("acrother")
    (finding,) = run("ACR009", other, registry_tokens=tokens)
    assert finding.status is Status.PASS


@pytest.mark.parametrize(
    ("passwords", "certificates", "expiry", "status", "words"),
    [
        (("password1",), (), NOW + dt.timedelta(days=1), Status.FAIL, "1 password(s)"),
        (("password1", "password2"), (), NOW - dt.timedelta(seconds=1), Status.PASS, "2 credential(s) expired"),
        (("password1",), (), NOW, Status.PASS, "cannot authenticate"),  # expiry is the end of validity
        ((), ("certificate1",), None, Status.FAIL, "1 certificate(s)"),
        ((), ("certificate1",), NOW - dt.timedelta(days=1), Status.PASS, "1 credential(s) expired"),
        (("password1",), ("certificate1",), None, Status.FAIL, "1 password(s) and 1 certificate(s)"),
    ],
)
def test_acr009_expired_credentials_cannot_authenticate_certificates_can(
    passwords: tuple[str, ...], certificates: tuple[str, ...], expiry: dt.datetime | None, status: Status, words: str
) -> None:
    reg = registry()
    tokens = (token(reg.id, "t", "enabled", passwords, expiry, certificates),)
    (finding,) = [f for f in run("ACR009", reg, registry_tokens=tokens) if f.item == "t"]
    assert finding.status is status and words in finding.message


def test_acr009_a_mix_of_live_and_expired_passwords_counts_only_the_live_ones() -> None:
    reg = registry()
    mixed = msgspec.structs.replace(
        token(reg.id, "t", "enabled", ()),
        passwords=(
            TokenCredential(name="password1", expiry=NOW - dt.timedelta(days=1)),
            TokenCredential(name="password2", expiry=NOW + dt.timedelta(days=1)),
        ),
    )
    (finding,) = run("ACR009", reg, registry_tokens=(mixed,))
    assert finding.status is Status.FAIL and "with 1 password(s)" in finding.message


def test_a_recording_never_keeps_a_token_password_value() -> None:
    url = f"https://management.azure.com{REGISTRY_ID.format('acrtest')}/tokens?api-version=2025-11-01"
    body = {
        "value": [
            {
                "name": "t",
                "properties": {
                    "credentials": {
                        "passwords": [{"name": "password1", "value": f"{CANARY_MARK}-pw", "expiry": None}],
                        "certificates": [],
                    }
                },
            },
            {"name": "odd", "properties": {"credentials": {"passwords": "not-a-list"}}},
        ]
    }
    scrubbed = scrub_body(url, body)
    assert CANARY_MARK not in json.dumps(scrubbed)
    assert scrubbed["value"][0]["properties"]["credentials"]["passwords"] == [{"name": "password1", "expiry": None}]


def test_acr009_tokens_not_collected_is_an_error_never_a_pass() -> None:
    reg = registry()
    lost = CollectionError(
        dataset=Dataset.REGISTRY_TOKENS,
        subscription_id="sub-1",
        resource_id=reg.id,
        resource_name=reg.name,
        operation="tokens.list",
        status_code=403,
        reason="AuthorizationFailed",
    )
    findings = run("ACR009", reg, errors=(lost,))
    assert [f.status for f in findings] == [Status.ERROR]
    assert "registry-tokens of acrtest not collected" in findings[0].message


def test_acr009_is_collected_through_the_token_list(sample_audit: Audit) -> None:
    tokens = {t.name: t for t in sample_audit.inventory.registry_tokens}
    assert {"ci-pull", "partner-pull", "scanner", "training-push", "release-bot", "edge-device"} <= set(tokens)
    assert [p.name for p in tokens["training-push"].passwords] == ["password1", "password2"]
    assert tokens["release-bot"].passwords[0].expiry == dt.datetime(2026, 8, 1, 8, 0, 5, tzinfo=dt.UTC)
    assert [c.name for c in tokens["edge-device"].certificates] == ["certificate1"]
    assert tokens["partner-pull"].status == "disabled"


# code: (overrides of a FAIL, overrides of a PASS, the FAIL's evidence keys, the PASS's evidence keys)
_EVIDENCE_CASES: dict[str, tuple[dict[str, Any], dict[str, Any], set[str], set[str]]] = {
    "ACR003": (
        {},
        {"public_network_access": "Disabled"},
        {
            "properties.publicNetworkAccess",
            "properties.networkRuleSet.defaultAction",
            "properties.networkRuleSet.ipRules",
        },
        {"properties.publicNetworkAccess"},
    ),
    "ACR004": ({}, {}, {"properties.privateEndpointConnections", "sku.name"}, set()),
    "ACR005": (
        {"trust_policy_status": "enabled"},
        {},
        {"properties.policies.trustPolicy.status", "sku.name"},
        {"properties.policies.trustPolicy.status", "sku.name"},
    ),
    "ACR006": (
        {},
        {"quarantine_policy_status": "enabled"},
        {"properties.policies.quarantinePolicy.status"},
        {"properties.policies.quarantinePolicy.status"},
    ),
    "ACR007": (
        {},
        {"retention_policy_status": "enabled", "retention_days": 7},
        {"properties.policies.retentionPolicy.status"},
        {"properties.policies.retentionPolicy.status", "properties.policies.retentionPolicy.days"},
    ),
    "ACR008": (
        {},
        {"export_policy_status": "disabled", "public_network_access": "Disabled"},
        {"sku.name", "properties.policies.exportPolicy.status", "properties.publicNetworkAccess"},
        {"sku.name", "properties.policies.exportPolicy.status", "properties.publicNetworkAccess"},
    ),
    "ACR010": (
        {},
        {"arm_audience_policy_status": "disabled"},
        {"properties.policies.azureADAuthenticationAsArmPolicy.status"},
        {"properties.policies.azureADAuthenticationAsArmPolicy.status"},
    ),
    "ACR011": (
        {},
        {"encryption_status": "enabled"},
        {"properties.encryption.status", "sku.name"},
        {"properties.encryption.status", "sku.name"},
    ),
}


@pytest.mark.parametrize("code", sorted(_EVIDENCE_CASES))
def test_evidence_names_the_observed_arm_properties(code: str) -> None:
    failing, passing, fail_keys, pass_keys = _EVIDENCE_CASES[code]
    (fail,) = run(code, registry(**failing))
    assert fail.status is Status.FAIL and isinstance(fail.evidence, dict)
    assert set(fail.evidence) == fail_keys, fail.evidence
    if code == "ACR004":  # an approved connection is the PASS
        passing = {"private_endpoints": (PrivateEndpointConnection(id="pe", status="Approved"),)}
        pass_keys = fail_keys
    (ok,) = run(code, registry(**passing))
    assert ok.status is Status.PASS and isinstance(ok.evidence, dict)
    assert set(ok.evidence) == pass_keys, ok.evidence
    assert ok.evidence != fail.evidence


def test_acr009_evidence_counts_credentials_never_a_value(sample_audit: Audit) -> None:
    findings = [f for f in sample_audit.report.findings if f.code == "ACR009"]
    for finding in findings:
        assert isinstance(finding.evidence, dict), finding
    (fail,) = [f for f in findings if f.status is Status.FAIL and f.item == "ci-pull"]
    assert isinstance(fail.evidence, dict)
    assert fail.evidence["tokens[].name"] == "ci-pull"
    assert fail.evidence["tokens[].properties.credentials.passwords"] == "1 live of 1"
    passing = [f for f in findings if f.status is Status.PASS]
    assert passing and all(isinstance(f.evidence, dict) and f.evidence for f in passing)


def test_every_pass_and_fail_of_the_acr_checks_records_evidence(sample_audit: Audit) -> None:
    judged = [
        f for f in sample_audit.report.findings if f.code.startswith("ACR") and f.status in (Status.PASS, Status.FAIL)
    ]
    assert {f.code for f in judged} >= {f"ACR{n:03}" for n in range(1, 12)}
    missing = [(f.code, f.resource_name) for f in judged if not f.evidence]
    assert not missing
