"""Azure Monitor scenarios of the sample tenant: the diagnostic settings of every audited registry
and vault, each subscription's activity log export, and the outcome of every LOG check.

tools/make_sample_tenant.py writes their bodies (the registries' and vaults' diagnostics files,
each subscription's activity log); tests/test_checks_logging_rbac_defender.py asserts
``expected()``. Container groups' diagnostic settings decide ACI012: tools/scenarios/aci.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from azaudit.model import Status
from tools import armbodies
from tools.scenarios import DEV, FAIL, PASS, PROD, SANDBOX, SKIPPED, Expected, acr, expectations, keyvault

WORKSPACE = f"/subscriptions/{PROD}/resourceGroups/rg-prod-monitoring/providers/Microsoft.OperationalInsights/workspaces/law-contoso-security"

LogEntries = tuple[Mapping[str, object], ...]


def category(name: str, enabled: bool = True) -> dict[str, object]:
    return {"category": name, "enabled": enabled}


def category_group(name: str, enabled: bool = True) -> dict[str, object]:
    return {"categoryGroup": name, "enabled": enabled}


ALL_LOGS = (category_group("allLogs"),)


@dataclass(frozen=True)
class Setting:
    """One diagnostic setting of a resource: its log entries, and whether it has a destination."""

    name: str
    logs: LogEntries
    destination: bool = True

    def body(self, resource_id: str) -> dict[str, Any]:
        workspace = WORKSPACE if self.destination else None
        return armbodies.diagnostic_setting(resource_id, self.name, self.logs, workspace=workspace)


@dataclass(frozen=True)
class Diagnostics:
    """A registry's or vault's diagnostic settings and the outcome of every LOG check about it."""

    resource_id: str
    settings: tuple[Setting, ...]
    expect: Mapping[str, Status]  # per check code, about the resource itself
    items: Mapping[str, Mapping[str, Status]] = field(default_factory=dict)  # category -> code -> status

    @property
    def name(self) -> str:
        return self.resource_id.rsplit("/", 1)[-1]

    @property
    def sub(self) -> str:
        return self.resource_id.split("/")[2]

    def bodies(self) -> list[dict[str, Any]]:
        return [s.body(self.resource_id) for s in self.settings]

    def outcomes(self) -> Iterator[tuple[str, Mapping[str, Status]]]:
        yield self.name, self.expect
        for item, by_code in self.items.items():
            yield f"{self.name}/{item}", by_code


def by_resource(sub: str, rows: Iterable[Diagnostics]) -> dict[str, list[dict[str, Any]]]:
    """resource id -> its settings' bodies, for one subscription's diagnostics file, in row order."""
    return {row.resource_id: row.bodies() for row in rows if row.sub == sub}


LOGIN, REPOSITORY = "ContainerRegistryLoginEvents", "ContainerRegistryRepositoryEvents"

# LOG001 (a registry's logs go somewhere) and LOG002 (its login and repository events do).
REGISTRIES = (
    Diagnostics(acr.PROD_ACR.id, (Setting("acr-to-law", ALL_LOGS),), {"LOG001": PASS, "LOG002": PASS}),
    Diagnostics(acr.LEGACY_ACR.id, (), {"LOG001": FAIL, "LOG002": SKIPPED}),  # no setting at all
    Diagnostics(acr.PLATFORM_ACR.id, (Setting("acr-to-law", ALL_LOGS),), {"LOG001": PASS, "LOG002": PASS}),
    # login events only: the repository events are not sent
    Diagnostics(
        acr.DEV_ACR.id,
        (Setting("acr-login-only", (category(LOGIN), category(REPOSITORY, enabled=False))),),
        {"LOG001": PASS},
        items={REPOSITORY: {"LOG002": FAIL}},
    ),
    Diagnostics(acr.ML_ACR.id, (Setting("acr-to-law", ALL_LOGS),), {"LOG001": PASS, "LOG002": PASS}),
)

# LOG003 (a vault's logs go somewhere) and LOG004 (its AuditEvent does).
VAULTS = (
    Diagnostics(
        keyvault.APPS.id,
        (Setting("kv-audit-to-law", (category_group("audit"), category_group("allLogs", enabled=False))),),
        {"LOG003": PASS, "LOG004": PASS},
    ),
    Diagnostics(
        keyvault.LEGACY.id,
        (
            Setting(
                "kv-metrics-only",
                (category("AuditEvent", enabled=False), category("AzurePolicyEvaluationDetails", enabled=False)),
            ),
        ),
        {"LOG003": FAIL},
        items={"AuditEvent": {"LOG004": FAIL}},
    ),
    Diagnostics(keyvault.SHARED.id, (), {"LOG003": FAIL, "LOG004": SKIPPED}),
    # every log, but to no destination
    Diagnostics(
        keyvault.RBAC_VAULT.id,
        (Setting("kv-all-to-nowhere", ALL_LOGS, destination=False),),
        {"LOG003": FAIL},
        items={"AuditEvent": {"LOG004": FAIL}},
    ),
)
# kv-prod-locked's settings are written with the rest of that vault (keyvault-locked.json).
LOCKED_VAULT = Diagnostics(
    keyvault.LOCKED.id,
    (Setting("kv-all-to-law", ALL_LOGS),),
    {"LOG003": PASS, "LOG004": PASS},
)

ACTIVITY_CATEGORIES = (
    "Administrative",
    "Security",
    "ServiceHealth",
    "Alert",
    "Recommendation",
    "Policy",
    "Autoscale",
    "ResourceHealth",
)


@dataclass(frozen=True)
class ActivityLog:
    """A subscription's activity log export and the outcome of LOG005 (it exports somewhere) and
    LOG006 (the wanted categories)."""

    sub: str
    subscription: str  # its display name, which findings carry
    setting: str
    destination: Mapping[str, str]
    logs: Mapping[str, bool]  # category -> enabled
    expect: Mapping[str, Status]  # per check code, about the subscription
    items: Mapping[str, Mapping[str, Status]] = field(default_factory=dict)  # setting -> code -> status
    description: str = ""  # of its own fixture file (the sandbox's is written with its empty lists)

    def bodies(self) -> list[dict[str, Any]]:
        return [armbodies.activity_log_setting(self.sub, self.setting, self.destination, self.logs)]

    def outcomes(self) -> Iterator[tuple[str, Mapping[str, Status]]]:
        yield self.subscription, self.expect
        for item, by_code in self.items.items():
            yield f"{self.subscription}/{item}", by_code


def _storage(sub: str, group: str, account: str) -> dict[str, str]:
    return {
        "storageAccountId": f"{armbodies.resource_group(sub, group)}/providers/Microsoft.Storage/storageAccounts/{account}"
    }


PROD_ACTIVITY = ActivityLog(
    PROD,
    "contoso-prod",
    "activity-to-law",
    {"workspaceId": WORKSPACE},
    dict.fromkeys(ACTIVITY_CATEGORIES, True),
    expect={"LOG005": PASS, "LOG006": PASS},
    description="contoso-prod exports its activity log (every category).",
)
# Someone unticked every category of dev's export: ARM keeps the setting and its destination, and
# Azure Monitor sends nothing.
DEV_ACTIVITY = ActivityLog(
    DEV,
    "contoso-dev",
    "activity-to-storage",
    _storage(DEV, "rg-dev-network", "stdevactivity"),
    dict.fromkeys(ACTIVITY_CATEGORIES, False),
    expect={"LOG006": SKIPPED},
    items={"activity-to-storage": {"LOG005": FAIL}},
    description="contoso-dev has an activity log export with a destination but every category disabled: it exports nothing.",
)
# Administrative events only: Security, Alert and Policy are not sent.
SANDBOX_ACTIVITY = ActivityLog(
    SANDBOX,
    "contoso-sandbox",
    "admin-to-storage",
    _storage(SANDBOX, "rg-sandbox-logs", "stsandboxlogs"),
    {"Administrative": True, "Security": False},
    expect={"LOG005": PASS},
    items={"admin-to-storage": {"LOG006": FAIL}},
)

ACTIVITY_LOGS = (PROD_ACTIVITY, DEV_ACTIVITY, SANDBOX_ACTIVITY)


def expected() -> Expected:
    """code -> status -> finding names over the sample tenant's registries, vaults and subscriptions."""
    return expectations((*REGISTRIES, *VAULTS, LOCKED_VAULT, *ACTIVITY_LOGS))
