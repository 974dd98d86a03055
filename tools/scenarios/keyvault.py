"""Key Vault scenarios of the sample tenant: five vaults with their access policies, secrets (on the
data plane, or through ARM when the data plane refuses) and keys, what each changes from a new
vault's defaults, and the outcome of every KV check.

tools/make_sample_tenant.py writes their bodies; tests/test_checks_keyvault.py asserts
``expected()``. Their diagnostic settings (LOG003, LOG004) are tools/scenarios/monitor.py's.
Times are seconds since the epoch, relative to ``NOW``, the clock the tests pin.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from azaudit.model import Status
from tools import armbodies
from tools.scenarios import DEV, ERROR, FAIL, PASS, PROD, SKIPPED, TENANT, Expected, expectations, rbac

NOW = 1795521600  # 2026-11-24T12:00:00Z, the clock the tests pin
DAY = 86400
CREATED = "2024-02-01T10:00:00.000Z"  # when a vault was created, unless told
NETWORK = f"{armbodies.resource_group(PROD, 'rg-prod-network')}/providers/Microsoft.Network/privateEndpoints"


@dataclass(frozen=True)
class AccessPolicy:
    """An access policy entry (KV004 judges each, by object id)."""

    object_id: str
    permissions: Mapping[str, list[str]]
    expect: Mapping[str, Status]

    def body(self) -> dict[str, Any]:
        return {"tenantId": TENANT, "objectId": self.object_id, "permissions": dict(self.permissions)}


@dataclass(frozen=True)
class Secret:
    """A secret's metadata (never a value), and the outcome of every check about it."""

    name: str
    created: int
    updated: int
    exp: int | None = None
    nbf: int | None = None
    managed: bool = False  # a certificate's secret (the data plane says so; ARM only by content type)
    content_type: str | None = None
    enabled: bool = True
    expect: Mapping[str, Status] = field(default_factory=dict)


@dataclass(frozen=True)
class Key:
    name: str
    exp: int | None
    rotation: bool | None  # the rotation policy's first action rotates (True) or notifies (False); None: no policy
    created: int = 1717236000
    key_ops: tuple[str, ...] = ("encrypt", "decrypt", "wrapKey", "unwrapKey")
    expect: Mapping[str, Status] = field(default_factory=dict)


CERTIFICATE_OPS = ("sign", "verify")  # a certificate's key


@dataclass(frozen=True)
class VaultScenario:
    sub: str
    group: str
    name: str
    expect: Mapping[str, Status]  # per check code, about the vault itself
    properties: Mapping[str, Any] = field(default_factory=dict)  # replaces or adds to a new vault's
    access_policies: tuple[AccessPolicy, ...] = ()
    private_endpoints: tuple[str, ...] = ()  # approved private endpoints' names
    created_at: str = CREATED
    keys: tuple[Key, ...] = ()
    secret_pages: tuple[tuple[Secret, ...], ...] = ((),)  # the data plane's secret list, page by page
    data_plane_refusal: Mapping[str, Any] | None = None  # the data plane's 403 answer instead
    arm_secrets: tuple[Secret, ...] | None = None  # ARM's secret list (the fallback); None: not read
    arm_secrets_denied: bool = False  # ARM's secret list answers 403 too

    @property
    def id(self) -> str:
        return f"{armbodies.resource_group(self.sub, self.group)}/providers/Microsoft.KeyVault/vaults/{self.name}"

    def body(self) -> dict[str, Any]:
        props = dict(self.properties)
        if self.access_policies:
            props["accessPolicies"] = [p.body() for p in self.access_policies]
        if self.private_endpoints:
            props["privateEndpointConnections"] = [
                armbodies.vault_private_endpoint_connection(self.id, f"{NETWORK}/{name}")
                for name in self.private_endpoints
            ]
        return armbodies.key_vault(self.sub, self.group, self.name, TENANT, created_at=self.created_at, **props)

    def key_bodies(self) -> list[dict[str, Any]]:
        """Each key as ``keys.get`` returns it (``armbodies.listed_key`` gives its list item)."""
        return [
            armbodies.arm_key(self.id, k.name, exp=k.exp, rotation=k.rotation, created=k.created, key_ops=k.key_ops)
            for k in self.keys
        ]

    def secret_page_bodies(self) -> list[list[dict[str, Any]]]:
        soft_delete = self.properties.get("enableSoftDelete") is not False
        return [
            [
                armbodies.secret_item(
                    self.name,
                    s.name,
                    created=s.created,
                    updated=s.updated,
                    exp=s.exp,
                    nbf=s.nbf,
                    managed=s.managed,
                    content_type=s.content_type,
                    enabled=s.enabled,
                    soft_delete=soft_delete,
                )
                for s in page
            ]
            for page in self.secret_pages
        ]

    def arm_secret_bodies(self) -> list[dict[str, Any]]:
        return [
            armbodies.arm_secret(
                self.id, s.name, created=s.created, updated=s.updated, exp=s.exp, nbf=s.nbf, content_type=s.content_type
            )
            for s in self.arm_secrets or ()
        ]

    def outcomes(self) -> Iterator[tuple[str, Mapping[str, Status]]]:
        yield self.name, self.expect
        for policy in self.access_policies:
            yield f"{self.name}/{policy.object_id}", policy.expect
        for secret in (*(s for page in self.secret_pages for s in page), *(self.arm_secrets or ())):
            yield f"{self.name}/{secret.name}", secret.expect
        for key in self.keys:
            yield f"{self.name}/{key.name}", key.expect


def _refusal(message: str, code: str) -> dict[str, Any]:
    return {"error": {"code": "Forbidden", "message": message, "innererror": {"code": code}}}


ALL_SECRET_PERMS = ["get", "list", "set", "delete", "backup", "restore", "recover", "purge"]
HARDENED = {"enableSoftDelete": True, "enableRbacAuthorization": True, "enablePurgeProtection": True}

# RBAC, purge protection, private only behind a private endpoint; a certificate (tls-frontend)
# whose key is renewed with it (KV011 skips the key) and whose secret expires in 20 days.
APPS = VaultScenario(
    PROD,
    "rg-prod-security",
    "kv-prod-apps",
    properties={
        "enableSoftDelete": True,
        "softDeleteRetentionInDays": 90,
        "enableRbacAuthorization": True,
        "enablePurgeProtection": True,
        "publicNetworkAccess": "Disabled",
        "networkAcls": {"bypass": "AzureServices", "defaultAction": "Deny", "ipRules": [], "virtualNetworkRules": []},
    },
    private_endpoints=("pe-kv-prod-apps",),
    keys=(
        Key("cmk-acr", exp=NOW + 300 * DAY, rotation=True),
        Key("cmk-aci", exp=NOW + 200 * DAY, rotation=True),
        # the tls-frontend certificate's key: no rotation policy, renewed with the certificate
        Key(
            "tls-frontend",
            exp=NOW + 20 * DAY,
            rotation=None,
            created=NOW - 345 * DAY,
            key_ops=CERTIFICATE_OPS,
            expect={"KV011": SKIPPED},
        ),
    ),
    secret_pages=(
        (
            Secret(
                "sql-admin-password",
                created=NOW - 40 * DAY,
                updated=NOW - 40 * DAY,
                exp=NOW + 140 * DAY,
                content_type="text/plain",
            ),
            Secret("storage-connection", created=NOW - 200 * DAY, updated=NOW - 200 * DAY, expect={"KV007": FAIL}),
            # the certificate's secret: its nbf and exp are the certificate's validity
            Secret(
                "tls-frontend",
                created=NOW - 345 * DAY,
                updated=NOW - 345 * DAY,
                nbf=NOW - 345 * DAY,
                exp=NOW + 20 * DAY,
                managed=True,
                content_type="application/x-pkcs12",
                expect={"KV009": FAIL},
            ),
        ),
        (
            # value from 900 days ago; its expiry was pushed back 20 days ago (KV008 fails)
            Secret(
                "old-api-key",
                created=NOW - 900 * DAY,
                updated=NOW - 20 * DAY,
                exp=NOW + 365 * DAY,
                expect={"KV008": FAIL},
            ),
            Secret(
                "partner-token",
                created=NOW - 60 * DAY,
                updated=NOW - 60 * DAY,
                exp=NOW + 10 * DAY,
                expect={"KV009": FAIL},
            ),
            # disabled: no secret check judges it
            Secret("retired-password", created=NOW - 1000 * DAY, updated=NOW - 1000 * DAY, enabled=False),
        ),
    ),
    expect={
        "KV001": PASS,
        "KV002": PASS,
        "KV003": PASS,
        "KV004": SKIPPED,  # RBAC: no access policies
        "KV005": PASS,
        "KV006": PASS,
        "KV010": PASS,
        "KV011": PASS,
    },
)

# Predates soft delete by default: ARM returns no enableSoftDelete for it (KV002 fails on absent).
# Access policies behind a firewall that refuses the audit identity's address: its secrets come
# from ARM's list.
LEGACY = VaultScenario(
    PROD,
    "rg-prod-legacy",
    "kv-prod-legacy",
    properties={
        "networkAcls": {
            "bypass": "None",
            "defaultAction": "Deny",
            "ipRules": [{"value": "198.51.100.0/24"}],
            "virtualNetworkRules": [],
        },
    },
    access_policies=(
        AccessPolicy(
            rbac.SECRETS_TEAM.id,
            {"keys": ["all"], "secrets": ALL_SECRET_PERMS, "certificates": ["get", "list"]},
            {"KV004": FAIL},
        ),
        AccessPolicy(
            rbac.PROD_WORKER_MI.id, {"keys": [], "secrets": ["get", "list"], "certificates": []}, {"KV004": PASS}
        ),
        # the automation that rotates a managed storage account's keys: broad on storage only (purge)
        AccessPolicy(
            "5e7a9c1e-3b5d-4f7a-9c1e-3b5d7f9a1c28",
            {
                "keys": [],
                "secrets": ["get"],
                "certificates": [],
                "storage": ["get", "list", "set", "update", "regeneratekey", "purge"],
            },
            {"KV004": FAIL},
        ),
    ),
    created_at="2019-03-12T09:30:00.000Z",
    keys=(
        Key("signing-key", exp=None, rotation=None, expect={"KV010": FAIL, "KV011": FAIL}),
        Key("token-key", exp=NOW + 90 * DAY, rotation=False, expect={"KV011": FAIL}),
        Key(
            "sftp-client-cert",
            exp=NOW + 200 * DAY,
            rotation=None,
            created=NOW - 165 * DAY,
            key_ops=CERTIFICATE_OPS,
            expect={"KV011": SKIPPED},
        ),
    ),
    secret_pages=(),
    data_plane_refusal=_refusal(
        "Client address is not authorized and caller is not a trusted service.\r\nClient address: 203.0.113.24\r\nCaller: appid=2c4e6a8c-0e2a-4c6e-8a0c-6e8a0c2e4a62;oid=6d1f3b5a-8c2e-4f7a-9b1d-3e5f7a9b1c2d\r\nVault: kv-prod-legacy;location=westeurope",
        "ForbiddenByFirewall",
    ),
    arm_secrets=(
        Secret("ftp-password", created=NOW - 800 * DAY, updated=NOW - 700 * DAY, expect={"KV007": FAIL, "KV008": FAIL}),
        Secret(
            "partner-api-key",
            created=NOW - 100 * DAY,
            updated=NOW - 100 * DAY,
            exp=NOW + 20 * DAY,
            expect={"KV009": FAIL},
        ),
        # staged long ago, active only since its not-before date (KV008 passes)
        Secret("vpn-psk", created=NOW - 500 * DAY, updated=NOW - 500 * DAY, nbf=NOW - 90 * DAY, exp=NOW + 275 * DAY),
        # a certificate's secret: ARM says so only through its content type
        Secret(
            "sftp-client-cert",
            created=NOW - 165 * DAY,
            updated=NOW - 165 * DAY,
            nbf=NOW - 165 * DAY,
            exp=NOW + 200 * DAY,
            content_type="application/x-pkcs12",
        ),
    ),
    expect={"KV001": FAIL, "KV002": FAIL, "KV003": FAIL, "KV005": PASS, "KV006": FAIL},
)

# Private only, and the audit identity can read its secret metadata neither on the data plane
# (private link only) nor through ARM (denied): its secret checks, and KV011 which needs the
# secret list to recognise certificate keys, are ERROR.
LOCKED = VaultScenario(
    PROD,
    "rg-prod-security",
    "kv-prod-locked",
    properties={
        **HARDENED,
        "publicNetworkAccess": "Disabled",
        "networkAcls": {"bypass": "None", "defaultAction": "Deny", "ipRules": [], "virtualNetworkRules": []},
    },
    secret_pages=(),
    data_plane_refusal=_refusal(
        "Public network access is disabled and request is not from a trusted service nor via an approved private link.\r\nCaller: appid=2c4e6a8c-0e2a-4c6e-8a0c-6e8a0c2e4a62\r\nVault: kv-prod-locked;location=westeurope",
        "ForbiddenByConnection",
    ),
    arm_secrets_denied=True,
    expect={
        "KV001": PASS,
        "KV002": PASS,
        "KV003": PASS,
        "KV004": SKIPPED,
        "KV005": PASS,
        "KV006": FAIL,  # no private endpoint
        "KV007": ERROR,
        "KV008": ERROR,
        "KV009": ERROR,
        "KV010": PASS,
        "KV011": ERROR,
    },
)

# Access policies, broad ones among them, and soft delete off (its secrets are Purgeable).
SHARED = VaultScenario(
    DEV,
    "rg-dev-shared",
    "kv-dev-shared",
    properties={"enableSoftDelete": False},
    access_policies=(
        AccessPolicy(
            rbac.VAULT_ADMINS.id,
            {"keys": ["get", "list", "purge"], "secrets": ["all"], "certificates": ["all"], "storage": []},
            {"KV004": FAIL},
        ),
        AccessPolicy(
            rbac.DEV_JOBS_MI.id, {"keys": [], "secrets": ["get", "list"], "certificates": []}, {"KV004": PASS}
        ),
    ),
    created_at="2019-06-03T14:10:00.000Z",
    secret_pages=(
        (
            Secret("app-password", created=NOW - 20 * DAY, updated=NOW - 20 * DAY, expect={"KV007": FAIL}),
            # created 400 days ago with a not-before date 60 days ago: active for 60 days
            Secret(
                "db-password", created=NOW - 400 * DAY, updated=NOW - 400 * DAY, nbf=NOW - 60 * DAY, exp=NOW + 300 * DAY
            ),
        ),
    ),
    expect={
        "KV001": FAIL,
        "KV002": FAIL,
        "KV003": FAIL,
        "KV005": FAIL,
        "KV006": FAIL,
        "KV008": PASS,
        "KV009": PASS,
        "KV010": PASS,
        "KV011": PASS,
    },
)

# RBAC, with a Deny firewall whose one IP rule allows every address (KV005 fails it); no secrets.
RBAC_VAULT = VaultScenario(
    DEV,
    "rg-dev-shared",
    "kv-dev-rbac",
    properties={
        **HARDENED,
        "networkAcls": {
            "bypass": "AzureServices",
            "defaultAction": "Deny",
            "ipRules": [{"value": "0.0.0.0/0"}],
            "virtualNetworkRules": [],
        },
    },
    expect={
        "KV001": PASS,
        "KV002": PASS,
        "KV003": PASS,
        "KV004": SKIPPED,
        "KV005": FAIL,
        "KV006": FAIL,
        "KV007": PASS,
        "KV008": PASS,
        "KV009": PASS,
        "KV010": PASS,
        "KV011": PASS,
    },
)

VAULTS = (APPS, LEGACY, LOCKED, SHARED, RBAC_VAULT)


def expected() -> Expected:
    """code -> status -> finding names over the sample tenant's vaults."""
    return expectations(VAULTS)
