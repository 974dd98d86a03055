"""Container Registry scenarios of the sample tenant: five registries (and their repository
tokens), what each changes from a new registry's defaults, and the outcome of every ACR check.

tools/make_sample_tenant.py writes their bodies; tests/test_checks_acr.py asserts
``expectations(REGISTRIES)``. To add a case, add a row (or a token) with its expected outcomes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from azaudit.model import Status
from tools import armbodies
from tools.scenarios import DEV, FAIL, PASS, PROD, SKIPPED, TENANT, Expected, expectations

NETWORK = f"/subscriptions/{PROD}/resourceGroups/rg-prod-network/providers/Microsoft.Network/privateEndpoints"


@dataclass(frozen=True)
class Token:
    """A repository token (ACR009 judges each enabled one that can authenticate, by item)."""

    name: str
    status: str
    passwords: tuple[str, ...] = ()
    expiry: str = "2027-02-10"
    certificates: tuple[str, ...] = ()
    created: str = "2025-02-10"
    expect: Mapping[str, Status] = field(default_factory=dict)


@dataclass(frozen=True)
class RegistryScenario:
    sub: str
    group: str
    name: str
    sku: str
    expect: Mapping[str, Status]  # per check code, about the registry itself
    properties: Mapping[str, Any] = field(default_factory=dict)  # replaces a new registry's defaults
    identity: Mapping[str, Any] | None = None
    private_endpoints: tuple[tuple[str, str], ...] = ()  # (endpoint name, connection status)
    tokens: tuple[Token, ...] = ()

    @property
    def id(self) -> str:
        return f"{armbodies.resource_group(self.sub, self.group)}/providers/Microsoft.ContainerRegistry/registries/{self.name}"

    def body(self) -> dict[str, Any]:
        props = dict(self.properties)
        if self.private_endpoints:
            props["privateEndpointConnections"] = [
                armbodies.private_endpoint_connection(self.id, f"{NETWORK}/{name}", status)
                for name, status in self.private_endpoints
            ]
        tags = {"env": "prod" if self.sub == PROD else "dev"}
        return armbodies.registry(self.sub, self.group, self.name, self.sku, tags=tags, identity=self.identity, **props)

    def token_bodies(self) -> list[dict[str, Any]]:
        return [
            armbodies.registry_token(
                self.id,
                t.name,
                t.status,
                t.passwords,
                expiry=t.expiry,
                certificates=t.certificates,
                created=t.created,
            )
            for t in self.tokens
        ]

    def outcomes(self) -> Iterator[tuple[str, Mapping[str, Status]]]:
        yield self.name, self.expect
        for token in self.tokens:
            yield f"{self.name}/{token.name}", token.expect


def _policies(quarantine: str, trust: str, retention: tuple[int, str, str], export: str, arm_auth: str) -> Any:
    days, updated, status = retention
    return {
        "quarantinePolicy": {"status": quarantine},
        "trustPolicy": {"type": "Notary", "status": trust},
        "retentionPolicy": {"days": days, "lastUpdatedTime": updated, "status": status},
        "exportPolicy": {"status": export},
        "azureADAuthenticationAsArmPolicy": {"status": arm_auth},
    }


PROD_PRINCIPAL = "0b7c9e1a-3f5d-4b7e-9a1c-3e5f7b9d1f40"

# Premium, hardened: no public network, a private endpoint, quarantine and retention on, exports
# off, a customer-managed key (content trust is not supported with one: ACR005 passes it).
PROD_ACR = RegistryScenario(
    PROD,
    "rg-prod-containers",
    "contosoprodacr",
    "Premium",
    identity={"type": "SystemAssigned", "principalId": PROD_PRINCIPAL, "tenantId": TENANT},
    properties={
        "publicNetworkAccess": "Disabled",
        "networkRuleSet": {"defaultAction": "Deny", "ipRules": []},
        "policies": _policies(
            "enabled", "disabled", (30, "2025-01-08T10:00:00.000000+00:00", "enabled"), "disabled", "disabled"
        ),
        "encryption": {
            "status": "enabled",
            "keyVaultProperties": {
                "keyIdentifier": "https://kv-prod-apps.vault.azure.net/keys/cmk-acr",
                "identity": PROD_PRINCIPAL,
                "keyRotationEnabled": True,
            },
        },
        "dataEndpointEnabled": True,
        "dataEndpointHostNames": ["contosoprodacr.westeurope.data.azurecr.io"],
        "zoneRedundancy": "Enabled",
    },
    private_endpoints=(("pe-contosoprodacr", "Approved"),),
    expect={f"ACR{n:03d}": PASS for n in range(1, 12)},
)

# Basic, legacy: the admin user is on, a token with a password; Premium-only settings are SKIPPED.
LEGACY_ACR = RegistryScenario(
    PROD,
    "rg-prod-legacy",
    "contosolegacyacr",
    "Basic",
    properties={"adminUserEnabled": True},
    tokens=(
        Token("ci-pull", "enabled", ("password1",), expiry="2027-06-02", created="2024-06-02", expect={"ACR009": FAIL}),
    ),
    expect={
        "ACR001": FAIL,
        "ACR002": PASS,
        "ACR003": FAIL,
        "ACR004": FAIL,
        "ACR005": SKIPPED,
        "ACR006": SKIPPED,
        "ACR007": SKIPPED,
        "ACR008": FAIL,  # Basic and Standard cannot disable exports
        "ACR010": FAIL,
        "ACR011": FAIL,
    },
)

# Standard in contoso-dev: anonymous pull on (and two pull-through cache rules, see ACI001).
DEV_ACR = RegistryScenario(
    DEV,
    "rg-dev-containers",
    "contosodevacr",
    "Standard",
    properties={"anonymousPullEnabled": True},
    expect={
        "ACR001": PASS,
        "ACR002": FAIL,
        "ACR003": FAIL,
        "ACR004": FAIL,
        "ACR005": SKIPPED,
        "ACR006": SKIPPED,
        "ACR007": SKIPPED,
        "ACR008": FAIL,
        "ACR009": PASS,
        "ACR010": FAIL,
        "ACR011": FAIL,
    },
)

# Premium, Microsoft-managed keys: still on Docker Content Trust (ACR005 FAILs), public endpoint
# restricted to build agents, a private endpoint still pending approval, quarantine off, exports
# allowed; four tokens of which two can authenticate.
PLATFORM_ACR = RegistryScenario(
    PROD,
    "rg-prod-platform",
    "contosoplatformacr",
    "Premium",
    properties={
        "networkRuleSet": {
            "defaultAction": "Deny",
            "ipRules": [
                {"action": "Allow", "value": "203.0.113.0/27"},
                {"action": "Allow", "value": "198.51.100.14"},
            ],
        },
        "policies": _policies(
            "disabled", "enabled", (14, "2025-04-02T09:30:00.000000+00:00", "enabled"), "enabled", "disabled"
        ),
    },
    private_endpoints=(("pe-contosoplatformacr", "Pending"),),
    tokens=(
        Token("partner-pull", "disabled", ("password1",)),
        Token("scanner", "enabled"),
        # Enabled, but both passwords expired in August: it cannot authenticate.
        Token("release-bot", "enabled", ("password1", "password2"), expiry="2026-08-01", expect={"ACR009": PASS}),
        # No password, one certificate (an IoT device): it authenticates.
        Token("edge-device", "enabled", certificates=("certificate1",), expect={"ACR009": FAIL}),
    ),
    expect={
        "ACR001": PASS,
        "ACR002": PASS,
        "ACR003": PASS,
        "ACR004": FAIL,
        "ACR005": FAIL,
        "ACR006": FAIL,
        "ACR007": PASS,
        "ACR008": FAIL,
        "ACR010": PASS,
        "ACR011": FAIL,
    },
)

# Premium in contoso-dev: a Deny firewall that allows 0.0.0.0/0 (open to every network), no
# content trust, no retention; a private endpoint is approved; exports stay allowed (Azure
# disables them only together with public network access). Repository permissions through Entra
# ABAC (RBAC005 counts the repository roles).
ML_ACR = RegistryScenario(
    DEV,
    "rg-dev-ml",
    "contosomlacr",
    "Premium",
    properties={
        "roleAssignmentMode": "AbacRepositoryPermissions",
        "networkRuleSet": {"defaultAction": "Deny", "ipRules": [{"action": "Allow", "value": "0.0.0.0/0"}]},
        "policies": _policies(
            "enabled", "disabled", (7, "2024-09-10T12:00:00.000000+00:00", "disabled"), "enabled", "enabled"
        ),
    },
    private_endpoints=(("pe-contosomlacr", "Approved"),),
    tokens=(Token("training-push", "enabled", ("password1", "password2"), expect={"ACR009": FAIL}),),
    expect={
        "ACR001": PASS,
        "ACR002": PASS,
        "ACR003": FAIL,
        "ACR004": PASS,
        "ACR005": PASS,
        "ACR006": PASS,
        "ACR007": FAIL,
        "ACR008": FAIL,
        "ACR010": FAIL,
        "ACR011": FAIL,
    },
)

REGISTRIES = (PROD_ACR, LEGACY_ACR, DEV_ACR, PLATFORM_ACR, ML_ACR)


def expected() -> Expected:
    """code -> status -> finding names over the sample tenant's registries."""
    return expectations(REGISTRIES)
