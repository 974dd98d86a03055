"""Container Instances scenarios of the sample tenant: seven container groups, what each changes
from a new group's defaults, their diagnostic settings, and the outcome of every ACI check.

tools/make_sample_tenant.py writes their bodies (the lists, and each group's diagnostic
settings); tests/test_checks_aci.py asserts ``expected()``. What the containers run (the image
checks) is tools/scenarios/images.py's. Finding names are ``group``, ``group/container``,
``group/container/VARIABLE``, ``group/container/command[i]``, ``group/registry server`` or
``group/volume``. Values containing CANARY_MARK are planted secrets: no output may contain them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from azaudit.model import Status
from tools import armbodies
from tools.armbodies import cce_policy, container
from tools.scenarios import DEV, ERROR, FAIL, PASS, PROD, SKIPPED, TENANT, Expected, expectations, monitor, rbac

CANARY_MARK = "Zq7CanaryV4lue"
rg = armbodies.resource_group
LOG_WORKSPACE = "5a3c1e9f-7b2d-4f6a-8c0e-1d3f5b7a9c20"  # a Log Analytics workspace's id (diagnostics.logAnalytics)
CODES = tuple(f"ACI{n:03d}" for n in range(1, 15))
CONFIDENTIAL_ONLY = ("ACI005", "ACI006", "ACI007")  # a container securityContext: Confidential groups only


def user_assigned(sub: str, group: str, name: str) -> str:
    return f"{rg(sub, group)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"


def subnet(sub: str, vnet: str, name: str) -> dict[str, str]:
    network = "rg-prod-network" if sub == PROD else "rg-dev-network"
    return {"id": f"{rg(sub, network)}/providers/Microsoft.Network/virtualNetworks/{vnet}/subnets/{name}", "name": name}


@dataclass(frozen=True)
class GroupScenario:
    sub: str
    group: str
    name: str
    containers: tuple[dict[str, Any], ...]
    expect: Mapping[str, Status]  # per check code, about the group itself
    items: Mapping[str, Mapping[str, Status]] = field(default_factory=dict)  # item -> code -> status
    properties: Mapping[str, Any] = field(default_factory=dict)  # replaces or adds to a new group's
    identity: Mapping[str, Any] | None = None
    owner: str | None = None  # its owner tag (read by the example custom check in examples/custom-checks)
    diagnostics: tuple[monitor.Setting, ...] = ()  # its diagnostic settings (ACI012)
    diagnostics_denied: bool = False  # the audit identity may not read them

    @property
    def id(self) -> str:
        return f"{rg(self.sub, self.group)}/providers/Microsoft.ContainerInstance/containerGroups/{self.name}"

    def body(self) -> dict[str, Any]:
        tags = {"env": "prod" if self.sub == PROD else "dev", **({"owner": self.owner} if self.owner else {})}
        return armbodies.container_group(
            self.sub, self.group, self.name, self.containers, tags=tags, identity=self.identity, **self.properties
        )

    def diagnostic_setting_bodies(self) -> list[dict[str, Any]]:
        return [s.body(self.id) for s in self.diagnostics]

    def outcomes(self) -> Iterator[tuple[str, Mapping[str, Status]]]:
        yield self.name, self.expect
        for item, by_code in self.items.items():
            yield f"{self.name}/{item}", by_code


def judged(
    *,
    items: tuple[str, ...] = (),
    skipped: tuple[str, ...] = (),
    fail: tuple[str, ...] = (),
    error: tuple[str, ...] = (),
) -> dict[str, Status]:
    """A group's own outcome per ACI check: those in ``fail``, ``error`` or ``skipped`` as named,
    none for a check whose findings are about its ``items`` only (containers, variables, registry
    servers, volumes), PASS for every other."""
    named = {**dict.fromkeys(skipped, SKIPPED), **dict.fromkeys(fail, FAIL), **dict.fromkeys(error, ERROR)}
    return {code: named.get(code, PASS) for code in CODES if code not in items}


HARDENED_CONTEXT = {
    "privileged": False,
    "allowPrivilegeEscalation": False,
    "runAsUser": 10001,
    "runAsGroup": 10001,
    "capabilities": {"drop": ["ALL"]},
}
PROD_API_IDENTITY = user_assigned(PROD, rbac.PROD_API_IDENTITY.group, rbac.PROD_API_IDENTITY.name)
TOOLS_IDENTITY = user_assigned(DEV, "rg-dev-identity", "id-aci-dev-tools")

# Hardened and Confidential: an ACR image pinned by digest, a VNet, a user-assigned identity for
# the registry and the customer-managed key, logs, limits equal to requests.
API = GroupScenario(
    PROD,
    "rg-prod-containers",
    "aci-prod-api",
    (
        container(
            "api",
            "contosoprodacr.azurecr.io/orders/api:2.4.1@sha256:4c1b8f2ad7e6a9c03b5d1e2f4a6b8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a1b",
            env=[
                {"name": "ASPNETCORE_ENVIRONMENT", "value": "Production"},
                {"name": "LOG_LEVEL", "value": "info"},
                {"name": "KEYVAULT_URI", "value": "https://kv-prod-apps.vault.azure.net/"},
                {"name": "DB_PASSWORD"},
            ],
            security=HARDENED_CONTEXT,
            limits={"memoryInGB": 1.5, "cpu": 1.0},
        ),
    ),
    properties={
        # IMG001: the schema migration runs first, from a digest with fixable critical and high findings.
        "initContainers": [
            {
                "name": "migrate",
                "properties": {
                    "image": "contosoprodacr.azurecr.io/orders/migrate:2.4.1@sha256:9e2f4a6c8b0d1e3f5a7c9b1d3e5f7a9c1b3d5e7f9a1c3e5b7d9f1a3c5e7b9d1f",
                    "command": ["/app/migrate", "--apply"],
                    "environmentVariables": [
                        {"name": "KEYVAULT_URI", "value": "https://kv-prod-apps.vault.azure.net/"}
                    ],
                    "securityContext": {
                        "privileged": False,
                        "allowPrivilegeEscalation": False,
                        "runAsUser": 10001,
                        "runAsGroup": 10001,
                        "capabilities": {"drop": ["ALL"]},
                    },
                },
            }
        ],
        "sku": "Confidential",
        "confidentialComputeProperties": {"ccePolicy": cce_policy("orders-api")},
        "ipAddress": {"type": "Private", "ports": [{"protocol": "TCP", "port": 8080}], "ip": "10.20.1.4"},
        "subnetIds": [subnet(PROD, "vnet-prod", "snet-aci")],
        "imageRegistryCredentials": [{"server": "contosoprodacr.azurecr.io", "identity": PROD_API_IDENTITY}],
        "diagnostics": {"logAnalytics": {"workspaceId": LOG_WORKSPACE, "logType": "ContainerInstanceLogs"}},
        "encryptionProperties": {
            "vaultBaseUrl": "https://kv-prod-apps.vault.azure.net",
            "keyName": "cmk-aci",
            "keyVersion": "0f2e4d6c8b0a4e2c9d7f5b3a1c9e7d5b",
            "identity": PROD_API_IDENTITY,
        },
        "volumes": [{"name": "cache", "emptyDir": {}}],
    },
    identity={
        "type": "UserAssigned",
        "userAssignedIdentities": {
            PROD_API_IDENTITY: {
                "principalId": rbac.PROD_API_IDENTITY.principal.id,
                "clientId": rbac.PROD_API_IDENTITY.client_id,
            }
        },
    },
    owner="orders-team@contoso.example",
    expect=judged(),
)

# Public nginx:latest, a storage account key in its environment, a limit above its request.
WORKER = GroupScenario(
    PROD,
    "rg-prod-containers",
    "aci-prod-worker",
    (
        container(
            "worker",
            "nginx:latest",
            env=[
                {
                    "name": "STORAGE_CONNECTION",
                    "value": f"DefaultEndpointsProtocol=https;AccountName=contosoprodsa;AccountKey={CANARY_MARK}q8Xk2Lr9Tz4Wp7Nc1Vb6Mh3Jd5Fg0Sa8Qe2Ry4Uo7Ii9Pl1Kj3Hg5Fd7Sa9Zx2Cv4Bn6Mq8Wt0Ey==;EndpointSuffix=core.windows.net",
                },
                {"name": "FEATURE_FLAGS", "value": "orders,billing"},
            ],
            limits={"memoryInGB": 4.0, "cpu": 2.0},
        ),
        container("sidecar", "mcr.microsoft.com/azure-cli:2.67.0", port=None),
    ),
    properties={
        "ipAddress": {
            "type": "Public",
            "ports": [{"protocol": "TCP", "port": 80}],
            "ip": "20.61.112.9",
            "dnsNameLabel": "contoso-prod-worker",
            "fqdn": "contoso-prod-worker.westeurope.azurecontainer.io",
        },
    },
    identity={"type": "SystemAssigned", "principalId": rbac.PROD_WORKER_MI.id, "tenantId": TENANT},
    owner="orders-team@contoso.example",
    expect=judged(
        skipped=CONFIDENTIAL_ONLY,
        items=("ACI001", "ACI002", "ACI003", "ACI008"),
        fail=("ACI009", "ACI010", "ACI012", "ACI013"),
    ),
    items={
        "worker": {"ACI001": FAIL, "ACI002": FAIL, "ACI008": FAIL},
        "worker/STORAGE_CONNECTION": {"ACI003": FAIL},
    },
)

# An untagged image, a password in its environment and its command line, a registry password, a
# GitHub token in a gitRepo volume's URL; its diagnostic setting keeps events but not output.
BATCH = GroupScenario(
    PROD,
    "rg-prod-batch",
    "aci-prod-batch",
    (
        container(
            "batch",
            "contosolegacyacr.azurecr.io/batch/reporter",
            env=[{"name": "REPORT_DB_PASSWORD", "value": f"Pa55-{CANARY_MARK}-w0rd!"}],
            command=["/bin/sh", "-c", f"reporter --db-password {CANARY_MARK}-cli-Secr3t --out /data"],
            port=None,
        ),
    ),
    properties={
        "initContainers": [
            {
                "name": "fetch-config",
                "properties": {
                    "image": "docker.io/library/alpine:3.20",
                    "command": ["sh", "-c", "cp -r /repo/config /data"],
                    "environmentVariables": [],
                },
            }
        ],
        "imageRegistryCredentials": [{"server": "contosolegacyacr.azurecr.io", "username": "contosolegacyacr"}],
        "volumes": [
            {
                "name": "repo",
                "gitRepo": {
                    "repository": f"https://build-bot:{CANARY_MARK}ghp@github.com/contoso/batch-config.git",
                    "directory": ".",
                    "revision": "main",
                },
            },
            {"name": "data", "emptyDir": {}},
        ],
        "restartPolicy": "OnFailure",
    },
    owner="reporting@contoso.example",
    diagnostics=(
        monitor.Setting(
            "aci-events", (monitor.category("ContainerInstanceLog", enabled=False), monitor.category("ContainerEvent"))
        ),
    ),
    expect=judged(
        skipped=CONFIDENTIAL_ONLY,
        items=("ACI001", "ACI002", "ACI003", "ACI004", "ACI011", "ACI014"),
        fail=("ACI010", "ACI012", "ACI013"),
    ),
    items={
        "fetch-config": {"ACI001": FAIL},
        "batch": {"ACI002": FAIL},
        "batch/REPORT_DB_PASSWORD": {"ACI003": FAIL},
        "batch/command[2]": {"ACI004": FAIL},
        "contosolegacyacr.azurecr.io": {"ACI011": FAIL},
        "repo": {"ACI014": FAIL},
    },
)

# A public web app; Microsoft's Azure CLI through contosodevacr's cache rule (ACI001 passes, and
# says so).
WEB = GroupScenario(
    DEV,
    "rg-dev-containers",
    "aci-dev-web",
    (
        container(
            "web",
            "contosodevacr.azurecr.io/web/frontend:1.8.0",
            env=[{"name": "API_BASE_URL", "value": "https://api.dev.contoso.example/v1"}],
        ),
        container("cli", "contosodevacr.azurecr.io/mirror/azure-cli:2.67.0", port=None),
    ),
    properties={
        "ipAddress": {
            "type": "Public",
            "ports": [{"protocol": "TCP", "port": 443}],
            "ip": "20.61.113.40",
            "dnsNameLabel": "contoso-dev-web",
            "fqdn": "contoso-dev-web.westeurope.azurecontainer.io",
        },
        "diagnostics": {"logAnalytics": {"workspaceId": LOG_WORKSPACE}},
    },
    owner="web-team@contoso.example",
    expect=judged(skipped=CONFIDENTIAL_ONLY, fail=("ACI009", "ACI010", "ACI013")),
)

# A private job runner: an untagged image, no security context, a system-assigned identity for the
# registry; it logs through a diagnostic setting instead of diagnostics.logAnalytics.
JOBS = GroupScenario(
    DEV,
    "rg-dev-containers",
    "aci-dev-jobs",
    (
        container(
            "jobs",
            "contosomlacr.azurecr.io/jobs/runner",
            env=[{"name": "RUNNER_TOKEN"}, {"name": "RETRIES", "value": "3"}],
            port=None,
        ),
        # ACI001: Docker Hub's nginx through contosodevacr's cache rule, and a vendor's registry
        # under azurecr.io that is not in the audited subscriptions.
        container("proxy", "contosodevacr.azurecr.io/hub/nginx:1.27.3", port=None),
        container("uploader", "fabrikamtools.azurecr.io/uploader:3.2.0", port=None),
    ),
    properties={
        "subnetIds": [subnet(DEV, "vnet-dev", "snet-aci")],
        "ipAddress": {"type": "Private", "ports": [{"protocol": "TCP", "port": 9000}], "ip": "10.40.1.5"},
        "imageRegistryCredentials": [{"server": "contosodevacr.azurecr.io", "identity": "[system]"}],
    },
    identity={"type": "SystemAssigned", "principalId": rbac.DEV_JOBS_MI.id, "tenantId": TENANT},
    owner="platform@contoso.example",
    diagnostics=(
        monitor.Setting("aci-to-law", (monitor.category("ContainerInstanceLog"), monitor.category("ContainerEvent"))),
    ),
    expect=judged(skipped=CONFIDENTIAL_ONLY, items=("ACI001", "ACI002"), fail=("ACI013",)),
    items={"proxy": {"ACI001": FAIL}, "uploader": {"ACI001": FAIL}, "jobs": {"ACI002": FAIL}},
)

# Confidential, and a debug box: a ghcr.io image, a GitHub token in its environment and as a
# gitRepo volume's user name, privileged root with added capabilities, SSH open to the internet;
# the audit identity may not read its diagnostic settings (ACI012 is ERROR).
DEBUG = GroupScenario(
    DEV,
    "rg-dev-sandbox",
    "aci-dev-debug",
    (
        container(
            "debug",
            "ghcr.io/contoso/netshoot:v0.13",
            env=[{"name": "GITHUB_TOKEN", "value": f"ghp_{CANARY_MARK}R4nd0mT0k3nAbCdEfGh12"}],
            security={
                "privileged": True,
                "capabilities": {"add": ["NET_ADMIN", "SYS_PTRACE"]},
                "allowPrivilegeEscalation": True,
                "runAsUser": 0,
            },
            port=None,
        ),
    ),
    properties={
        "ipAddress": {"type": "Public", "ports": [{"protocol": "TCP", "port": 22}], "ip": "20.61.113.77"},
        "volumes": [
            {
                "name": "dotfiles",
                "gitRepo": {
                    # a token used as the user name: the whole credential sits before the @
                    "repository": f"https://ghp_{CANARY_MARK}T0k3nAsUs3rN4me42@github.com/contoso/dotfiles.git",
                    "directory": "dotfiles",
                },
            }
        ],
        "sku": "Confidential",
        "confidentialComputeProperties": {"ccePolicy": cce_policy("debug", allow_all=True)},
    },
    diagnostics_denied=True,
    expect=judged(
        items=("ACI001", "ACI003", "ACI005", "ACI006", "ACI007", "ACI014"),
        fail=("ACI009", "ACI010", "ACI013"),
        error=("ACI012",),
    ),
    items={
        "debug": {"ACI001": FAIL, "ACI005": FAIL, "ACI006": FAIL, "ACI007": FAIL},
        "debug/GITHUB_TOKEN": {"ACI003": FAIL},
        "dotfiles": {"ACI014": FAIL},
    },
)

# Tools in the dev VNet: image references of every shape (digest only, a registry with a port, an
# uppercase ACR host with `latest`), values under secret-like names that are not credentials (a
# Key Vault reference, placeholders, a secret *file* path), a password for a self-hosted registry
# next to an identity for ACR, a public gitRepo volume, and an Azure DevOps one whose user name is
# the organisation.
TOOLS = GroupScenario(
    DEV,
    "rg-dev-tools",
    "aci-dev-tools",
    (
        container(
            "cli",
            "mcr.microsoft.com/azure-cli@sha256:9e3f1c5a7b9d1f3e5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d1f",
            env=[
                {
                    "name": "DB_PASSWORD",
                    "value": "@Microsoft.KeyVault(SecretUri=https://kv-dev-apps.vault.azure.net/secrets/db-password/)",
                },
                {"name": "API_KEY", "value": "${API_KEY}"},
                {"name": "ENABLE_TLS", "value": "true"},
                {"name": "SERVICE_URL", "value": "https://api.dev.contoso.example/v2"},
                {"name": "CLIENT_SECRET_FILE", "value": "/mnt/secrets/client-secret"},
            ],
            port=None,
        ),
        container(
            "agent",
            "registry.contoso.example:5000/tools/agent:1.4.2",
            env=[{"name": "AGENT_POOL", "value": "dev-linux"}],
            command=["agent", "--token-file", "/mnt/secrets/agent-token", "--password", "$(AGENT_PASSWORD)"],
            port=None,
        ),
    ),
    properties={
        "initContainers": [
            {
                "name": "migrate",
                "properties": {
                    "image": "ContosoDevAcr.azurecr.io/db/migrate:latest",
                    "command": ["migrate", "--password-file", "/mnt/secrets/db-password", "up"],
                    "environmentVariables": [{"name": "MIGRATE_TOKEN"}],
                },
            }
        ],
        "subnetIds": [subnet(DEV, "vnet-dev", "snet-tools")],
        "imageRegistryCredentials": [
            {"server": "contosodevacr.azurecr.io", "identity": TOOLS_IDENTITY},
            {"server": "registry.contoso.example:5000", "username": "tools-pull"},
        ],
        "diagnostics": {"logAnalytics": {"workspaceId": LOG_WORKSPACE, "logType": "ContainerInstanceLogs"}},
        "volumes": [
            {
                "name": "scripts",
                "gitRepo": {
                    "repository": "https://github.com/contoso/ops-scripts.git",
                    "directory": ".",
                    "revision": "main",
                },
            },
            {
                # Azure DevOps clone URLs name the organisation as the user: not a secret
                "name": "pipelines",
                "gitRepo": {
                    "repository": "https://contoso@dev.azure.com/contoso/platform/_git/pipelines",
                    "directory": "pipelines",
                },
            },
        ],
    },
    identity={
        "type": "UserAssigned",
        "userAssignedIdentities": {
            TOOLS_IDENTITY: {
                "principalId": "8c0e2a4c-6e8a-4c0e-9a2c-8e0a2c4e6a17",
                "clientId": "3d5f7b9d-1f3b-4d5f-9b7d-1f3b5d7f9b28",
            }
        },
    },
    expect=judged(skipped=CONFIDENTIAL_ONLY, items=("ACI001", "ACI002", "ACI011"), fail=("ACI013",)),
    items={
        "agent": {"ACI001": FAIL},
        "migrate": {"ACI002": FAIL},
        "registry.contoso.example:5000": {"ACI011": FAIL},
    },
)

PROD_GROUPS = (API, WORKER, BATCH)
DEV_GROUPS = (WEB, JOBS, DEBUG, TOOLS)  # listed over two pages: WEB and JOBS, then DEBUG and TOOLS
GROUPS = (*PROD_GROUPS, *DEV_GROUPS)


def expected() -> Expected:
    """code -> status -> finding names over the sample tenant's container groups."""
    return expectations(GROUPS)
