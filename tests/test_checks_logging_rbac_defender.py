"""LOG, RBAC and DEF checks: expectation tables over the sample tenant (through replay) and the
variants of diagnostic-setting coverage, scopes and principals."""

from __future__ import annotations

import msgspec
import pytest

from azaudit import catalogue
from azaudit.audit import Audit
from azaudit.catalogue import CheckContext
from azaudit.engine import evaluate
from azaudit.inventory import Inventory
from azaudit.inventory.acr import Registry
from azaudit.inventory.common import Identity, Subscription
from azaudit.inventory.defender import DefenderPlan, PlanExtension
from azaudit.inventory.keyvault import KeyVault
from azaudit.inventory.monitor import DiagnosticSetting, LogEntry
from azaudit.inventory.rbac import RoleAssignment, RoleDefinition, describe_scope, is_broad_scope, scope_kind
from azaudit.model import Status
from azaudit.settings import RbacSettings, Settings
from tests.conftest import NOW, names
from tools.scenarios import defender as defender_scenarios
from tools.scenarios import monitor as monitor_scenarios
from tools.scenarios import rbac as rbac_scenarios

CHECKS = catalogue.load()

EXPECT: dict[str, dict[Status, set[str]]] = {
    # LOG: declared next to each resource's diagnostic settings in the sample tenant's scenario table
    **monitor_scenarios.expected(),
    # RBAC: declared next to each assignment, custom role and subscription in the scenario table
    **rbac_scenarios.expected(),
    # DEF: declared next to each subscription's plans in the sample tenant's scenario table
    **defender_scenarios.expected(),
}


@pytest.mark.parametrize("code", sorted(EXPECT))
@pytest.mark.parametrize("status", [Status.FAIL, Status.PASS, Status.SKIPPED, Status.ERROR])
def test_sample_tenant_outcomes(code: str, status: Status, sample_audit: Audit) -> None:
    assert names(sample_audit.report.findings, code, status) == EXPECT[code].get(status, set())


# ---------------------------------------------------------------------------- diagnostic settings

LOG_EVIDENCE_KEYS = {
    "LOG001": {"diagnosticSettings[].name", "diagnosticSettings[].properties.logs[].enabled (with a destination)"},
    "LOG002": {"diagnosticSettings[].properties.logs[].category"},
    "LOG003": {"diagnosticSettings[].name", "diagnosticSettings[].properties.logs[].enabled (with a destination)"},
    "LOG004": {"diagnosticSettings[].properties.logs[].category"},
    "LOG005": {
        "diagnosticSettings[].name",
        "diagnosticSettings[].properties.logs[].enabled (with a destination)",
        "diagnosticSettings[].properties.workspaceId|storageAccountId|eventHubAuthorizationRuleId",
    },
    "LOG006": {"diagnosticSettings[].name", "diagnosticSettings[].properties.logs[].category"},
}


@pytest.mark.parametrize("code", sorted(LOG_EVIDENCE_KEYS))
def test_log_evidence_names_the_observed_settings_on_pass_and_fail(code: str, sample_audit: Audit) -> None:
    findings = [f for f in sample_audit.report.findings if f.code == code]
    for status in (Status.FAIL, Status.PASS):
        judged = [f for f in findings if f.status is status]
        assert judged, (code, status)
        assert all(isinstance(f.evidence, dict) and set(f.evidence) == LOG_EVIDENCE_KEYS[code] for f in judged)
    assert all(not isinstance(f.evidence, dict) for f in findings if f.status is Status.SKIPPED)
    if code == "LOG006":
        (fail,) = (f for f in findings if f.status is Status.FAIL)
        assert isinstance(fail.evidence, dict)
        assert fail.evidence["diagnosticSettings[].properties.logs[].category"] == (
            "sent: Administrative; not sent: Alert, Policy, Security"
        )


REGISTRY_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acr"
VAULT_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"


def _registry() -> Registry:
    return Registry(
        id=REGISTRY_ID, name="acr", subscription_id="s", resource_group="rg", location="westeurope", sku="Premium",
        login_server="acr.azurecr.io", admin_user_enabled=False, anonymous_pull_enabled=False,
        public_network_access="Disabled", network_default_action="Deny", ip_rule_count=0, private_endpoints=(),
        trust_policy_status=None, quarantine_policy_status=None, retention_policy_status=None, retention_days=None,
        export_policy_status=None, arm_audience_policy_status=None, encryption_status=None, identity=Identity(),
    )  # fmt: skip


def _vault() -> KeyVault:
    return KeyVault(
        id=VAULT_ID, name="kv", subscription_id="s", resource_group="rg", location="westeurope",
        vault_uri="https://kv.vault.azure.net/", tenant_id="t", sku="standard", enable_soft_delete=True,
        enable_purge_protection=True, enable_rbac_authorization=True, public_network_access="Disabled",
        network_default_action="Deny", ip_rule_count=0, virtual_network_rule_count=0, private_endpoints=(),
        access_policies=(),
    )  # fmt: skip


def _setting(
    resource_id: str, name: str, logs: list[tuple[str | None, str | None, bool]], destination: bool = True
) -> DiagnosticSetting:
    return DiagnosticSetting(
        id=f"{resource_id}/providers/microsoft.insights/diagnosticSettings/{name}",
        name=name,
        subscription_id="s",
        resource_id=resource_id,
        logs=tuple(LogEntry(category=c, category_group=g, enabled=e) for c, g, e in logs),
        workspace_id="/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/law"
        if destination
        else None,
        storage_account_id=None,
        event_hub_authorization_rule_id=None,
    )


def _status(code: str, inventory: Inventory) -> Status:
    findings = evaluate(CHECKS[code], CheckContext(inventory=inventory, settings=Settings(), now=NOW))
    assert len(findings) == 1
    return findings[0].status


LOGIN, REPO = "ContainerRegistryLoginEvents", "ContainerRegistryRepositoryEvents"
REGISTRY_VARIANTS = [
    ("allLogs only", [[(None, "allLogs", True)]], Status.PASS, Status.PASS),
    ("audit group only", [[(None, "audit", True)]], Status.PASS, Status.PASS),
    ("both categories", [[(LOGIN, None, True), (REPO, None, True)]], Status.PASS, Status.PASS),
    ("one category disabled", [[(LOGIN, None, True), (REPO, None, False)]], Status.PASS, Status.FAIL),
    ("split across settings", [[(LOGIN, None, True)], [(REPO, None, True)]], Status.PASS, Status.PASS),
    ("every log disabled", [[(None, "allLogs", False)]], Status.FAIL, Status.FAIL),
    ("metrics only", [[]], Status.FAIL, Status.FAIL),
    ("no settings", [], Status.FAIL, Status.SKIPPED),
]


@pytest.mark.parametrize(
    ("label", "settings", "log001", "log002"), REGISTRY_VARIANTS, ids=[v[0] for v in REGISTRY_VARIANTS]
)
def test_registry_diagnostic_variants(
    label: str, settings: list[list[tuple[str | None, str | None, bool]]], log001: Status, log002: Status
) -> None:
    inventory = Inventory(
        registries=(_registry(),),
        diagnostic_settings=tuple(_setting(REGISTRY_ID, f"s{i}", logs) for i, logs in enumerate(settings)),
    )
    assert _status("LOG001", inventory) is log001
    assert _status("LOG002", inventory) is log002


def test_a_setting_without_destination_does_not_count() -> None:
    inventory = Inventory(
        registries=(_registry(),),
        vaults=(_vault(),),
        diagnostic_settings=(
            _setting(REGISTRY_ID, "nowhere", [(None, "allLogs", True)], destination=False),
            _setting(VAULT_ID, "nowhere", [(None, "allLogs", True)], destination=False),
        ),
    )
    for code in ("LOG001", "LOG002", "LOG003", "LOG004"):
        assert _status(code, inventory) is Status.FAIL, code


VAULT_VARIANTS = [
    ("allLogs only", [(None, "allLogs", True)], Status.PASS),
    ("audit group only", [(None, "audit", True)], Status.PASS),
    ("AuditEvent category", [("AuditEvent", None, True)], Status.PASS),
    ("AuditEvent disabled", [("AuditEvent", None, False), ("AzurePolicyEvaluationDetails", None, True)], Status.FAIL),
    ("other category only", [("AzurePolicyEvaluationDetails", None, True)], Status.FAIL),
]


@pytest.mark.parametrize(("label", "logs", "expected"), VAULT_VARIANTS, ids=[v[0] for v in VAULT_VARIANTS])
def test_vault_diagnostic_variants(
    label: str, logs: list[tuple[str | None, str | None, bool]], expected: Status
) -> None:
    inventory = Inventory(vaults=(_vault(),), diagnostic_settings=(_setting(VAULT_ID, "kv-diag", logs),))
    assert _status("LOG004", inventory) is expected


def test_activity_log_needs_the_four_categories_in_one_setting() -> None:
    sub = Subscription(subscription_id="s", display_name="sub", state="Enabled")
    split = (
        _setting("/subscriptions/s", "a", [("Administrative", None, True), ("Security", None, True)]),
        _setting("/subscriptions/s", "b", [("Alert", None, True), ("Policy", None, True)]),
    )
    assert _status("LOG006", Inventory(subscriptions=(sub,), diagnostic_settings=split)) is Status.FAIL
    everything = (_setting("/subscriptions/s", "all", [(None, "allLogs", True)]),)
    assert _status("LOG006", Inventory(subscriptions=(sub,), diagnostic_settings=everything)) is Status.PASS
    assert _status("LOG005", Inventory(subscriptions=(sub,))) is Status.FAIL


ACTIVITY_CATEGORIES = ["Administrative", "Security", "Alert", "Policy", "ServiceHealth"]
ACTIVITY_VARIANTS = [
    # (label, logs, destination, LOG005, LOG006)
    ("every category enabled", [(c, None, True) for c in ACTIVITY_CATEGORIES], True, Status.PASS, Status.PASS),
    ("allLogs group", [(None, "allLogs", True)], True, Status.PASS, Status.PASS),
    ("one category enabled", [("Administrative", None, True)], True, Status.PASS, Status.FAIL),
    # a destination but nothing enabled: Azure Monitor sends nothing (was a PASS)
    ("every category disabled", [(c, None, False) for c in ACTIVITY_CATEGORIES], True, Status.FAIL, Status.SKIPPED),
    ("allLogs disabled", [(None, "allLogs", False)], True, Status.FAIL, Status.SKIPPED),
    ("no destination", [(None, "allLogs", True)], False, Status.FAIL, Status.SKIPPED),
]


@pytest.mark.parametrize(
    ("label", "logs", "destination", "log005", "log006"), ACTIVITY_VARIANTS, ids=[v[0] for v in ACTIVITY_VARIANTS]
)
def test_activity_log_export_needs_an_enabled_category_and_a_destination(
    label: str,
    logs: list[tuple[str | None, str | None, bool]],
    destination: bool,
    log005: Status,
    log006: Status,
) -> None:
    sub = Subscription(subscription_id="s", display_name="sub", state="Enabled")
    inventory = Inventory(
        subscriptions=(sub,), diagnostic_settings=(_setting("/subscriptions/s", "export", logs, destination),)
    )
    assert _status("LOG005", inventory) is log005
    assert _status("LOG006", inventory) is log006


def test_an_export_with_every_category_disabled_says_so() -> None:
    sub = Subscription(subscription_id="s", display_name="sub", state="Enabled")
    silent = _setting("/subscriptions/s", "quiet", [("Administrative", None, False)])
    findings = evaluate(
        CHECKS["LOG005"],
        CheckContext(
            inventory=Inventory(subscriptions=(sub,), diagnostic_settings=(silent,)), settings=Settings(), now=NOW
        ),
    )
    assert [(f.status, f.item) for f in findings] == [(Status.FAIL, "quiet")]
    assert "every category disabled" in findings[0].message


# ---------------------------------------------------------------------------- RBAC building blocks


@pytest.mark.parametrize(
    ("scope", "kind", "words"),
    [
        ("/", "root", "the tenant root"),
        ("/providers/Microsoft.Management/managementGroups/platform", "management group", "management group platform"),
        ("/subscriptions/s1", "subscription", "subscription s1"),
        ("/subscriptions/s1/resourceGroups/rg-a", "resource group", "resource group rg-a"),
        ("/subscriptions/s1/resourceGroups/rg-a/providers/Microsoft.KeyVault/vaults/kv1", "resource", "vault kv1"),
    ],
)
def test_scope_in_words(scope: str, kind: str, words: str) -> None:
    assert scope_kind(scope) == kind
    assert describe_scope(scope) == words
    assert is_broad_scope(scope) is (kind != "resource")


def _assignment(role_guid: str, scope: str, principal: str = "p1") -> RoleAssignment:
    return RoleAssignment(
        id=f"{scope}/providers/Microsoft.Authorization/roleAssignments/{principal}-{role_guid[:4]}",
        name=f"{principal}-{role_guid[:4]}",
        subscription_id="s",
        scope=scope,
        role_definition_id=f"/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/{role_guid}",
        principal_id=principal,
        principal_type="User",
    )


def test_an_unresolvable_role_is_named_by_its_guid() -> None:
    inventory = Inventory(role_assignments=(_assignment("0000aaaa-1111-2222-3333-444455556666", "/subscriptions/s"),))
    assert (
        inventory.role_name(inventory.role_assignments[0].role_definition_id)
        == "role 0000aaaa-1111-2222-3333-444455556666"
    )


OWNER_GUID = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
UAA_GUID = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
MG_SCOPE = "/providers/Microsoft.Management/managementGroups/platform"


def _owner(scope: str, principal: str, principal_type: str = "User") -> RoleAssignment:
    return msgspec.structs.replace(_assignment(OWNER_GUID, scope, principal), principal_type=principal_type)


def _rbac001(*assignments: RoleAssignment) -> tuple[Status, str]:
    sub = Subscription(subscription_id="s", display_name="sub", state="Enabled")
    findings = evaluate(
        CHECKS["RBAC001"],
        CheckContext(
            inventory=Inventory(subscriptions=(sub,), role_assignments=assignments), settings=Settings(), now=NOW
        ),
    )
    assert len(findings) == 1
    return findings[0].status, findings[0].message


OWNER_VARIANTS = [
    # (label, assignments, status, words in the message)
    ("none", [], Status.FAIL, "too few Owners"),
    # one Owner: FAIL (the old check passed any count up to 3)
    ("one", [_owner("/subscriptions/s", "a")], Status.FAIL, "too few Owners"),
    ("two", [_owner("/subscriptions/s", "a"), _owner("/subscriptions/s", "b")], Status.PASS, "2 principal(s)"),
    (
        "one direct, one inherited from a management group",
        [_owner("/subscriptions/s", "a"), _owner(MG_SCOPE, "b")],
        Status.PASS,
        "inherited from management group platform",
    ),
    (
        "one principal with two Owner assignments",
        [_owner("/subscriptions/s", "a"), _owner(MG_SCOPE, "a")],
        Status.FAIL,
        "1 principal(s)",
    ),
    (
        "resource-group Owners do not own the subscription",
        [_owner("/subscriptions/s", "a"), _owner("/subscriptions/s/resourceGroups/rg", "b")],
        Status.FAIL,
        "too few Owners",
    ),
    (
        "four, one of them inherited from the root",
        [_owner("/subscriptions/s", p) for p in "abc"] + [_owner("/", "d")],
        Status.FAIL,
        "too many Owners: 4 principal(s) hold Owner over the subscription (at most 3), inherited from the tenant root",
    ),
    (
        "a group is named, its members unknown",
        [_owner("/subscriptions/s", "a"), _owner("/subscriptions/s", "g1", "Group")],
        Status.PASS,
        "group(s) g1 count as one principal each: their members own the subscription too and are unknown",
    ),
    (
        "a group of another tenant is named too",
        [_owner("/subscriptions/s", "a"), _owner("/subscriptions/s", "fg", "ForeignGroup")],
        Status.PASS,
        "group(s) fg count as one principal each",
    ),
]


@pytest.mark.parametrize(
    ("label", "assignments", "status", "words"), OWNER_VARIANTS, ids=[v[0] for v in OWNER_VARIANTS]
)
def test_owners_between_the_minimum_and_the_maximum(
    label: str, assignments: list[RoleAssignment], status: Status, words: str
) -> None:
    found, message = _rbac001(*assignments)
    assert found is status
    assert words in message, message


def test_the_owner_minimum_is_configurable() -> None:
    sub = Subscription(subscription_id="s", display_name="sub", state="Enabled")
    inventory = Inventory(subscriptions=(sub,), role_assignments=(_owner("/subscriptions/s", "a"),))
    lenient = Settings(rbac=RbacSettings(min_subscription_owners=1))
    findings = evaluate(CHECKS["RBAC001"], CheckContext(inventory=inventory, settings=lenient, now=NOW))
    assert [f.status for f in findings] == [Status.PASS]
    assert _status("RBAC001", inventory) is Status.FAIL  # default minimum 2


@pytest.mark.parametrize(
    ("scope", "status"),
    [
        ("/", Status.FAIL),  # elevated access of a Global Administrator, inherited by every subscription
        (MG_SCOPE, Status.FAIL),  # inherited from a management group (was a PASS)
        ("/subscriptions/s", Status.FAIL),
        ("/subscriptions/s/resourceGroups/rg", Status.PASS),
        ("/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv", Status.PASS),
    ],
)
def test_user_access_administrator_over_the_subscription(scope: str, status: Status) -> None:
    sub = Subscription(subscription_id="s", display_name="sub", state="Enabled")
    inventory = Inventory(subscriptions=(sub,), role_assignments=(_assignment(UAA_GUID, scope),))
    findings = evaluate(CHECKS["RBAC003"], CheckContext(inventory=inventory, settings=Settings(), now=NOW))
    assert [f.status for f in findings] == [status]
    if status is Status.FAIL:
        # the role-assignment list cannot tell a permanent assignment from a PIM activation
        assert "standing" not in findings[0].message
        assert "Privileged Identity Management activation" in findings[0].message


def _custom_role(
    actions: list[str], not_actions: list[str] | None = None, data_actions: list[str] | None = None
) -> RoleDefinition:
    return RoleDefinition(
        id="/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/r1",
        name="Custom",
        subscription_id="s",
        guid="r1",
        role_type="CustomRole",
        actions=tuple(actions),
        not_actions=tuple(not_actions or ()),
        data_actions=tuple(data_actions or ()),
        assignable_scopes=("/subscriptions/s",),
    )


AUTH_WRITES = ["Microsoft.Authorization/*/write", "Microsoft.Authorization/*/delete"]
CUSTOM_ROLE_VARIANTS = [
    # (label, actions, notActions, dataActions, status)
    ("specific reads", ["Microsoft.ContainerRegistry/registries/read"], [], [], Status.PASS),
    ("every read", ["*/read"], [], [], Status.PASS),
    ("every action", ["*"], [], [], Status.FAIL),
    # notActions subtract, but `*` still grants every other action (Azure Policy's rule)
    ("every action but authorization writes", ["*"], AUTH_WRITES, [], Status.FAIL),
    ("Microsoft.Authorization/*", ["Microsoft.Authorization/*"], [], [], Status.FAIL),
    ("Microsoft.Authorization/* without writes", ["Microsoft.Authorization/*"], AUTH_WRITES, [], Status.PASS),
    (
        "Microsoft.Authorization/* without role-assignment writes only",
        ["Microsoft.Authorization/*"],
        ["Microsoft.Authorization/roleAssignments/*"],
        [],
        Status.FAIL,  # roleDefinitions/write remains: rewrite a role you hold
    ),
    ("*/write", ["*/write"], [], [], Status.FAIL),
    ("Microsoft.Authorization/*/write", ["Microsoft.Authorization/*/Write"], [], [], Status.FAIL),
    ("role assignments write", ["Microsoft.Authorization/roleAssignments/write"], [], [], Status.FAIL),
    ("role definitions write", ["microsoft.authorization/roledefinitions/write"], [], [], Status.FAIL),
    (
        "role assignments write, removed",
        ["Microsoft.Authorization/roleAssignments/write"],
        ["Microsoft.Authorization/roleAssignments/write"],
        [],
        Status.PASS,
    ),
    ("role assignments read", ["Microsoft.Authorization/roleAssignments/read"], [], [], Status.PASS),
    ("locks write", ["Microsoft.Authorization/locks/write"], [], [], Status.PASS),
    ("every data action", ["*/read"], [], ["*"], Status.FAIL),
    ("vault data actions", [], [], ["Microsoft.KeyVault/vaults/secrets/*"], Status.PASS),
]


@pytest.mark.parametrize(
    ("label", "actions", "not_actions", "data_actions", "status"),
    CUSTOM_ROLE_VARIANTS,
    ids=[v[0] for v in CUSTOM_ROLE_VARIANTS],
)
def test_custom_roles_that_can_escalate(
    label: str, actions: list[str], not_actions: list[str], data_actions: list[str], status: Status
) -> None:
    inventory = Inventory(role_definitions=(_custom_role(actions, not_actions, data_actions),))
    assert _status("RBAC004", inventory) is status


@pytest.mark.parametrize(
    "role_guid",
    [
        "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba",  # Key Vault Certificate User
        "a4417e6f-fecd-4de8-b567-7b0420556985",  # Key Vault Certificates Officer
        "8b54135c-b56d-4d72-a534-26097cfdc8d8",  # Key Vault Data Access Administrator
        "00482a5a-887f-4fb3-b363-3b7fe8e74483",  # Key Vault Administrator
    ],
)
def test_vault_data_roles_granted_broadly(role_guid: str) -> None:
    sub = Subscription(subscription_id="s", display_name="sub", state="Enabled")
    broad = Inventory(
        subscriptions=(sub,), role_assignments=(_assignment(role_guid, "/subscriptions/s/resourceGroups/rg"),)
    )
    assert _status("RBAC006", broad) is Status.FAIL
    narrow = Inventory(subscriptions=(sub,), role_assignments=(_assignment(role_guid, VAULT_ID),))
    assert _status("RBAC006", narrow) is Status.PASS


# ---------------------------------------------------------------------------- Defender plans


def _plan(name: str, tier: str, scanning: bool | None = None) -> DefenderPlan:
    extensions = (
        ()
        if scanning is None
        else (PlanExtension(name="ContainerRegistriesVulnerabilityAssessments", enabled=scanning),)
    )
    return DefenderPlan(
        id=f"/subscriptions/s/providers/Microsoft.Security/pricings/{name}",
        name=name,
        subscription_id="s",
        pricing_tier=tier,
        extensions=extensions,
    )


DEF001_VARIANTS = [
    # (label, plans, status)
    ("Free", [_plan("Containers", "Free")], Status.FAIL),
    ("Standard with scanning", [_plan("Containers", "Standard", True)], Status.PASS),
    # the plan is on but scans no registry image (was a PASS)
    ("Standard, scanning off", [_plan("Containers", "Standard", False)], Status.FAIL),
    (
        "Standard, scanning off, CSPM scanning",
        [_plan("Containers", "Standard", False), _plan("CloudPosture", "Standard", True)],
        Status.PASS,
    ),
    (
        "Standard, scanning off, CSPM Free",
        [_plan("Containers", "Standard", False), _plan("CloudPosture", "Free", True)],
        Status.FAIL,
    ),
    ("Standard, extension not listed", [_plan("Containers", "Standard")], Status.PASS),
    # a plan the cloud does not offer is not applicable (was a FAIL)
    ("not listed", [_plan("KeyVaults", "Standard")], Status.SKIPPED),
]


@pytest.mark.parametrize(("label", "plans", "status"), DEF001_VARIANTS, ids=[v[0] for v in DEF001_VARIANTS])
def test_defender_for_containers_scans_registry_images(label: str, plans: list[DefenderPlan], status: Status) -> None:
    sub = Subscription(subscription_id="s", display_name="sub", state="Enabled")
    assert _status("DEF001", Inventory(subscriptions=(sub,), defender_plans=tuple(plans))) is status


@pytest.mark.parametrize("code", ["DEF002", "DEF003"])
def test_a_plan_the_cloud_does_not_offer_is_not_applicable(code: str) -> None:
    sub = Subscription(subscription_id="s", display_name="sub", state="Enabled")
    only_containers = Inventory(subscriptions=(sub,), defender_plans=(_plan("Containers", "Standard", True),))
    findings = evaluate(CHECKS[code], CheckContext(inventory=only_containers, settings=Settings(), now=NOW))
    assert [f.status for f in findings] == [Status.SKIPPED]
    assert "not offered" in findings[0].message


def test_owner_threshold_is_configurable() -> None:
    sub = Subscription(subscription_id="s", display_name="sub", state="Enabled")
    owner = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
    inventory = Inventory(
        subscriptions=(sub,),
        role_assignments=(
            _assignment(owner, "/subscriptions/s", "a"),
            _assignment(owner, "/subscriptions/s", "b"),
            _assignment(owner, "/subscriptions/s/resourceGroups/rg", "c"),  # not at subscription scope
        ),
    )
    strict = Settings(rbac=RbacSettings(max_subscription_owners=1, min_subscription_owners=0))
    findings = evaluate(CHECKS["RBAC001"], CheckContext(inventory=inventory, settings=strict, now=NOW))
    assert [f.status for f in findings] == [Status.FAIL]
    assert "too many Owners: 2 principal(s) hold Owner over the subscription (at most 1)" in findings[0].message
    assert _status("RBAC001", inventory) is Status.PASS  # default threshold 3


@pytest.mark.parametrize(
    ("role_guid", "role_name"),
    [
        ("2a1e307c-b015-4ebd-883e-5b7698a07328", "Container Registry Repository Writer"),
        ("2efddaa5-3f1f-4df3-97df-af3f13818f4c", "Container Registry Repository Contributor"),
        ("c8d4ff99-41c3-41a8-9f60-21dfdad59608", "AcrQuarantineWriter"),
        ("fb382eab-e894-4461-af04-94435c366c3f", "Container Registry Tasks Contributor"),
    ],
)
def test_rbac005_counts_the_abac_repository_and_quarantine_write_roles(role_guid: str, role_name: str) -> None:
    sub = Subscription(subscription_id="s", display_name="sub", state="Enabled")
    registry_scope = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acr"
    broad = Inventory(
        subscriptions=(sub,), role_assignments=(_assignment(role_guid, "/subscriptions/s/resourceGroups/rg"),)
    )
    findings = evaluate(CHECKS["RBAC005"], CheckContext(inventory=broad, settings=Settings(), now=NOW))
    assert [(f.status, f.resource_name) for f in findings] == [(Status.FAIL, f"{role_name} at resource group rg")]
    narrow = Inventory(subscriptions=(sub,), role_assignments=(_assignment(role_guid, registry_scope),))
    assert _status("RBAC005", narrow) is Status.PASS


def test_rbac_evidence_names_the_role_scope_and_principal_type() -> None:
    sub = Subscription(subscription_id="s", display_name="sub", state="Enabled")
    push = "8311e382-0749-4cb8-b61a-304f252e45ec"  # AcrPush
    broad = Inventory(subscriptions=(sub,), role_assignments=(_assignment(push, "/subscriptions/s"),))
    [failed] = evaluate(CHECKS["RBAC005"], CheckContext(inventory=broad, settings=Settings(), now=NOW))
    assert failed.status is Status.FAIL
    assert isinstance(failed.evidence, dict)
    assert set(failed.evidence) == {"properties.roleDefinitionId", "properties.scope", "properties.principalType"}
    assert failed.evidence["properties.scope"] == "/subscriptions/s"
    [passed] = evaluate(
        CHECKS["RBAC005"], CheckContext(inventory=Inventory(subscriptions=(sub,)), settings=Settings(), now=NOW)
    )
    assert passed.status is Status.PASS
    assert isinstance(passed.evidence, dict) and set(passed.evidence) == {"roleAssignments"}
    owner = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
    owners = Inventory(
        subscriptions=(sub,),
        role_assignments=(_assignment(owner, "/subscriptions/s", "a"), _assignment(owner, "/subscriptions/s", "b")),
    )
    [counted] = evaluate(CHECKS["RBAC001"], CheckContext(inventory=owners, settings=Settings(), now=NOW))
    assert counted.status is Status.PASS
    assert isinstance(counted.evidence, dict) and counted.evidence["principals"] == "2"


def test_defender_evidence_names_the_pricing_tier_and_the_scanning_extension() -> None:
    sub = Subscription(subscription_id="s", display_name="sub", state="Enabled")
    off = Inventory(subscriptions=(sub,), defender_plans=(_plan("Containers", "Standard", False),))
    [failed] = evaluate(CHECKS["DEF001"], CheckContext(inventory=off, settings=Settings(), now=NOW))
    assert failed.status is Status.FAIL
    assert failed.evidence == {
        "name": "Containers",
        "properties.pricingTier": "Standard",
        "properties.extensions[ContainerRegistriesVulnerabilityAssessments].isEnabled": "False",
        "CloudPosture: properties.extensions[ContainerRegistriesVulnerabilityAssessments].isEnabled": "absent",
    }
    on = Inventory(subscriptions=(sub,), defender_plans=(_plan("KeyVaults", "Standard"),))
    [passed] = evaluate(CHECKS["DEF002"], CheckContext(inventory=on, settings=Settings(), now=NOW))
    assert passed.status is Status.PASS
    assert passed.evidence == {"name": "KeyVaults", "properties.pricingTier": "Standard"}
