"""Write the bundled sample tenant (fixtures/tenants/contoso) as REST fixture files.

Run once to (re)generate; the JSON files are what tests and the demo read. An argument writes them
to another folder instead (tests/test_sample_tenant.py regenerates them and compares byte for
byte). Every body has the shape of the official Azure REST examples (../shared/azure-api-examples),
with fake ids; bodies come from tools/armbodies.py, and services converted to scenario tables
(tools/scenarios/) take their resources and expected outcomes from there.
Values containing CANARY_MARK are planted secrets: no output may ever contain them.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools import armbodies
from tools.scenarios import DEV, LEGACY, PROD, SANDBOX, TENANT, acr, monitor
from tools.scenarios import defender as defender_scenarios
from tools.scenarios import images as image_scenarios
from tools.scenarios import keyvault as kv
from tools.scenarios import rbac as rbac_scenarios
from tools.scenarios import resource_graph as graph_scenarios

ARM = "https://management.azure.com"
CANARY_MARK = "Zq7CanaryV4lue"
OUT = Path(__file__).resolve().parents[1] / "fixtures" / "tenants" / "contoso"

API = {
    "subscriptions": "2022-12-01",
    "acr": "2025-11-01",
    "aci": "2023-05-01",
    "kv": "2026-05-15",
    "kvdp": "2026-04-01",
    "diag": "2021-05-01-preview",
    "auth": "2022-04-01",
    "msi": "2024-11-30",
    "security": "2024-01-01",
    "mg": "2023-04-01",
}


def url(path: str, api: str, **query: str) -> str:
    params = "&".join([f"api-version={API[api]}", *(f"{k}={v}" for k, v in query.items())])
    return f"{ARM}{path}?{params}"


def ok(request_url: str, body: object, status: int = 200, headers: dict[str, str] | None = None) -> dict[str, object]:
    response: dict[str, object] = {"status": status, "body": body}
    if headers:
        response["headers"] = headers
    return {"request": {"method": "GET", "url": request_url}, "response": response}


def forbidden(request_url: str, action: str, scope: str) -> dict[str, object]:
    message = (
        "The client 'audit-sp@contoso.example' with object id '6d1f3b5a-8c2e-4f7a-9b1d-3e5f7a9b1c2d' does not have "
        f"authorization to perform action '{action}' over scope '{scope}' or the scope is invalid. If access was "
        "recently granted, please refresh your credentials."
    )
    return ok(request_url, {"error": {"code": "AuthorizationFailed", "message": message}}, status=403)


FOLDERS = {PROD: "contoso-prod", DEV: "contoso-dev", SANDBOX: "contoso-sandbox"}
_destination = OUT  # where write() puts files: main() sets it


def write(name: str, description: str, interactions: list[dict[str, object]]) -> None:
    for sub, folder in FOLDERS.items():
        name = name.replace(sub, folder)
    path = _destination / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"description": description, "interactions": interactions}, indent=2) + "\n")


rg = armbodies.resource_group


# ---------------------------------------------------------------------------------------- subscriptions


def subscriptions() -> None:
    def sub(sid: str, name: str, state: str) -> dict[str, object]:
        return {
            "id": f"/subscriptions/{sid}",
            "subscriptionId": sid,
            "tenantId": TENANT,
            "displayName": name,
            "state": state,
            "subscriptionPolicies": {
                "locationPlacementId": "Public_2014-09-01",
                "quotaId": "EnterpriseAgreement_2014-09-01",
                "spendingLimit": "Off",
            },
            "authorizationSource": "RoleBased",
            "managedByTenants": [],
            "tags": {"costCenter": "4711"},
        }

    body = {
        "value": [
            sub(PROD, "contoso-prod", "Enabled"),
            sub(DEV, "contoso-dev", "Enabled"),
            sub(SANDBOX, "contoso-sandbox", "Enabled"),
            sub(LEGACY, "contoso-legacy", "Disabled"),
        ]
    }
    write(
        "subscriptions.json",
        "Subscriptions the audit identity can see (contoso-legacy is disabled).",
        [ok(url("/subscriptions", "subscriptions"), body)],
    )


# ---------------------------------------------------------------------------------------- registries


def registries() -> None:
    # The registries, their tokens and expected outcomes are tools/scenarios/acr.py's table.
    prod_acr, legacy_acr, dev_acr = acr.PROD_ACR.body(), acr.LEGACY_ACR.body(), acr.DEV_ACR.body()
    platform_acr, ml_acr = acr.PLATFORM_ACR.body(), acr.ML_ACR.body()
    rid, platform_id, ml_id = acr.PROD_ACR.id, acr.PLATFORM_ACR.id, acr.ML_ACR.id
    cache_rule = armbodies.cache_rule

    def no_cache_rules(registry_id: str) -> dict[str, object]:
        return ok(url(f"{registry_id}/cacheRules", "acr"), {"value": []})

    # contosodevacr pulls through two cache rules (ACI001), listed over two pages: Docker Hub's
    # nginx (a public registry: not approved) and a mirror of Microsoft's Azure CLI (approved).
    dev_id = str(dev_acr["id"])
    dev_rules_page_two = url(f"{dev_id}/cacheRules", "acr", **{"$skipToken": "eyJuZXh0TWFya2VyIjoibWlycm9yIn0"})
    dev_cache_rules = [
        ok(
            url(f"{dev_id}/cacheRules", "acr"),
            {
                "value": [cache_rule(dev_id, "hub-nginx", "docker.io/library/nginx", "hub/nginx")],
                "nextLink": dev_rules_page_two,
            },
        ),
        ok(
            dev_rules_page_two,
            {"value": [cache_rule(dev_id, "mirror-azure-cli", "mcr.microsoft.com/azure-cli", "mirror/azure-cli")]},
        ),
    ]

    list_path = f"/subscriptions/{PROD}/providers/Microsoft.ContainerRegistry/registries"
    next_url = url(list_path, "acr", **{"$skipToken": "eyJuZXh0TWFya2VyIjoiY29udG9zb2xlZ2FjeWFjciJ9"})
    write(
        f"{PROD}/containerregistry.json",
        "contoso-prod registries: the list pages once (nextLink); a Premium hardened registry and a Basic legacy one.",
        [
            ok(url(list_path, "acr"), {"value": [prod_acr], "nextLink": next_url}),
            ok(next_url, {"value": [legacy_acr, platform_acr]}),
            ok(url(f"{rid}/tokens", "acr"), {"value": []}),
            no_cache_rules(rid),
            no_cache_rules(platform_id),
            no_cache_rules(str(legacy_acr["id"])),
            ok(url(f"{platform_id}/tokens", "acr"), {"value": acr.PLATFORM_ACR.token_bodies()}),
            ok(
                url(f"{legacy_acr['id']}/tokens", "acr"),
                {"value": acr.LEGACY_ACR.token_bodies()},
            ),
        ],
    )
    write(
        f"{DEV}/containerregistry.json",
        "contoso-dev registries: Standard with anonymous pull on; a Premium ML registry open to every network.",
        [
            ok(
                url(f"/subscriptions/{DEV}/providers/Microsoft.ContainerRegistry/registries", "acr"),
                {"value": [dev_acr, ml_acr]},
            ),
            ok(url(f"{dev_acr['id']}/tokens", "acr"), {"value": []}),
            *dev_cache_rules,
            no_cache_rules(ml_id),
            ok(
                url(f"{ml_id}/tokens", "acr"),
                {"value": acr.ML_ACR.token_bodies()},
            ),
        ],
    )
    # Their diagnostic settings and LOG001/LOG002 outcomes are tools/scenarios/monitor.py's table.
    diagnostic_settings(PROD, "registries", monitor.by_resource(PROD, monitor.REGISTRIES))
    diagnostic_settings(DEV, "registries", monitor.by_resource(DEV, monitor.REGISTRIES))


# ---------------------------------------------------------------------------------------- diagnostics


def diag_setting(
    resource_id: str, name: str, logs: list[dict[str, object]], destination: bool = True
) -> dict[str, object]:
    return armbodies.diagnostic_setting(resource_id, name, logs, workspace=monitor.WORKSPACE if destination else None)


def diagnostic_settings(sub: str, what: str, by_resource: dict[str, list[dict[str, object]]]) -> None:
    write(
        f"{sub}/diagnostics-{what}.json",
        f"Diagnostic settings of the {what} (not paged).",
        [
            ok(url(f"{rid}/providers/Microsoft.Insights/diagnosticSettings", "diag"), {"value": settings})
            for rid, settings in by_resource.items()
        ],
    )


def activity_logs() -> None:
    # Each subscription's export and LOG005/LOG006 outcomes are tools/scenarios/monitor.py's table;
    # the sandbox's is written with its empty lists.
    for scenario in (monitor.PROD_ACTIVITY, monitor.DEV_ACTIVITY):
        settings = url(f"/subscriptions/{scenario.sub}/providers/Microsoft.Insights/diagnosticSettings", "diag")
        write(f"{scenario.sub}/activity-log.json", scenario.description, [ok(settings, {"value": scenario.bodies()})])


# ---------------------------------------------------------------------------------------- container groups


def container(
    name: str,
    image: str,
    env: list[dict[str, object]] | None = None,
    limits: dict[str, float] | None = None,
    security: dict[str, object] | None = None,
    command: list[str] | None = None,
    port: int | None = 8080,
) -> dict[str, object]:
    props: dict[str, object] = {
        "image": image,
        "ports": [{"protocol": "TCP", "port": port}] if port else [],
        "environmentVariables": env or [],
        "resources": {"requests": {"memoryInGB": 1.5, "cpu": 1.0}},
        "volumeMounts": [],
    }
    if limits is not None:  # most groups set requests only: the request is then the cap
        props["resources"]["limits"] = limits  # type: ignore[index]
    if security is not None:
        props["securityContext"] = security
    if command is not None:
        props["command"] = command
    return {"name": name, "properties": props}


def cce_policy(workload: str, allow_all: bool = False) -> str:
    """A confidential computing enforcement policy as ARM returns it (base64 Rego). Only
    Confidential groups carry one, and only they may carry a container securityContext."""
    rules = "allow_all := true" if allow_all else f'containers := [{{"id": "{workload}", "allow_elevated": false}}]'
    return base64.b64encode(f'package policy\n\napi_version := "0.10.0"\n{rules}\n'.encode()).decode()


# Owner tags of container groups (read by the example custom check in examples/custom-checks):
# the debug and tools groups have none.
GROUP_OWNERS = {
    "aci-prod-api": "orders-team@contoso.example",
    "aci-prod-worker": "orders-team@contoso.example",
    "aci-prod-batch": "reporting@contoso.example",
    "aci-dev-web": "web-team@contoso.example",
    "aci-dev-jobs": "platform@contoso.example",
}


def group(
    sub: str, resource_group: str, name: str, containers: list[dict[str, object]], **props: object
) -> dict[str, object]:
    gid = f"{rg(sub, resource_group)}/providers/Microsoft.ContainerInstance/containerGroups/{name}"
    base: dict[str, object] = {
        "provisioningState": "Succeeded",
        "containers": containers,
        "osType": "Linux",
        "restartPolicy": "Always",
        "sku": "Standard",
        "initContainers": [],
    }
    base.update(props)
    result: dict[str, object] = {
        "id": gid,
        "name": name,
        "type": "Microsoft.ContainerInstance/containerGroups",
        "location": "westeurope",
        "tags": {
            "env": "prod" if sub == PROD else "dev",
            **({"owner": GROUP_OWNERS[name]} if name in GROUP_OWNERS else {}),
        },
        "properties": base,
    }
    return result


def container_groups() -> None:
    api_identity = (
        f"{rg(PROD, 'rg-prod-identity')}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-aci-prod-api"
    )
    prod_api = group(
        PROD,
        "rg-prod-containers",
        "aci-prod-api",
        [
            container(
                "api",
                "contosoprodacr.azurecr.io/orders/api:2.4.1@sha256:4c1b8f2ad7e6a9c03b5d1e2f4a6b8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a1b",
                env=[
                    {"name": "ASPNETCORE_ENVIRONMENT", "value": "Production"},
                    {"name": "LOG_LEVEL", "value": "info"},
                    {"name": "KEYVAULT_URI", "value": "https://kv-prod-apps.vault.azure.net/"},
                    {"name": "DB_PASSWORD"},
                ],
                security={
                    "privileged": False,
                    "allowPrivilegeEscalation": False,
                    "runAsUser": 10001,
                    "runAsGroup": 10001,
                    "capabilities": {"drop": ["ALL"]},
                },
                limits={"memoryInGB": 1.5, "cpu": 1.0},
            )
        ],
        sku="Confidential",
        confidentialComputeProperties={"ccePolicy": cce_policy("orders-api")},
        ipAddress={"type": "Private", "ports": [{"protocol": "TCP", "port": 8080}], "ip": "10.20.1.4"},
        subnetIds=[
            {
                "id": f"{rg(PROD, 'rg-prod-network')}/providers/Microsoft.Network/virtualNetworks/vnet-prod/subnets/snet-aci",
                "name": "snet-aci",
            }
        ],
        imageRegistryCredentials=[{"server": "contosoprodacr.azurecr.io", "identity": api_identity}],
        diagnostics={
            "logAnalytics": {"workspaceId": "5a3c1e9f-7b2d-4f6a-8c0e-1d3f5b7a9c20", "logType": "ContainerInstanceLogs"}
        },
        encryptionProperties={
            "vaultBaseUrl": "https://kv-prod-apps.vault.azure.net",
            "keyName": "cmk-aci",
            "keyVersion": "0f2e4d6c8b0a4e2c9d7f5b3a1c9e7d5b",
            "identity": api_identity,
        },
        volumes=[{"name": "cache", "emptyDir": {}}],
    )
    prod_api["identity"] = {
        "type": "UserAssigned",
        "userAssignedIdentities": {
            api_identity: {
                "principalId": "7e9a1c3e-5b7d-4f9a-8c2e-4a6c8e0a2c41",
                "clientId": "2c4e6a8c-0e2a-4c6e-8a0c-6e8a0c2e4a62",
            }
        },
    }
    prod_worker = group(
        PROD,
        "rg-prod-containers",
        "aci-prod-worker",
        [
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
        ],
        ipAddress={
            "type": "Public",
            "ports": [{"protocol": "TCP", "port": 80}],
            "ip": "20.61.112.9",
            "dnsNameLabel": "contoso-prod-worker",
            "fqdn": "contoso-prod-worker.westeurope.azurecontainer.io",
        },
    )
    prod_worker["identity"] = {
        "type": "SystemAssigned",
        "principalId": "1d3f5b7d-9f1b-4d3f-8b5d-7f9b1d3f5b73",
        "tenantId": TENANT,
    }
    prod_batch = group(
        PROD,
        "rg-prod-batch",
        "aci-prod-batch",
        [
            container(
                "batch",
                "contosolegacyacr.azurecr.io/batch/reporter",
                env=[{"name": "REPORT_DB_PASSWORD", "value": f"Pa55-{CANARY_MARK}-w0rd!"}],
                command=["/bin/sh", "-c", f"reporter --db-password {CANARY_MARK}-cli-Secr3t --out /data"],
                port=None,
            )
        ],
        initContainers=[
            {
                "name": "fetch-config",
                "properties": {
                    "image": "docker.io/library/alpine:3.20",
                    "command": ["sh", "-c", "cp -r /repo/config /data"],
                    "environmentVariables": [],
                },
            }
        ],
        imageRegistryCredentials=[{"server": "contosolegacyacr.azurecr.io", "username": "contosolegacyacr"}],
        volumes=[
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
        restartPolicy="OnFailure",
    )
    write(
        f"{PROD}/containerinstance.json",
        "contoso-prod container groups: a hardened confidential API, a public worker, a batch job with credentials.",
        [
            ok(
                url(f"/subscriptions/{PROD}/providers/Microsoft.ContainerInstance/containerGroups", "aci"),
                {"value": [prod_api, prod_worker, prod_batch]},
            )
        ],
    )

    dev_web = group(
        DEV,
        "rg-dev-containers",
        "aci-dev-web",
        [
            container(
                "web",
                "contosodevacr.azurecr.io/web/frontend:1.8.0",
                env=[{"name": "API_BASE_URL", "value": "https://api.dev.contoso.example/v1"}],
            ),
            # Microsoft's Azure CLI through contosodevacr's cache rule (ACI001 passes, and says so).
            container("cli", "contosodevacr.azurecr.io/mirror/azure-cli:2.67.0", port=None),
        ],
        ipAddress={
            "type": "Public",
            "ports": [{"protocol": "TCP", "port": 443}],
            "ip": "20.61.113.40",
            "dnsNameLabel": "contoso-dev-web",
            "fqdn": "contoso-dev-web.westeurope.azurecontainer.io",
        },
        diagnostics={"logAnalytics": {"workspaceId": "5a3c1e9f-7b2d-4f6a-8c0e-1d3f5b7a9c20"}},
    )
    dev_jobs = group(
        DEV,
        "rg-dev-containers",
        "aci-dev-jobs",
        [
            container(
                "jobs",
                "contosomlacr.azurecr.io/jobs/runner",
                env=[{"name": "RUNNER_TOKEN"}, {"name": "RETRIES", "value": "3"}],
                port=None,
            ),
            # ACI001: Docker Hub's nginx through contosodevacr's cache rule, and a vendor's
            # registry under azurecr.io that is not in the audited subscriptions.
            container("proxy", "contosodevacr.azurecr.io/hub/nginx:1.27.3", port=None),
            container("uploader", "fabrikamtools.azurecr.io/uploader:3.2.0", port=None),
        ],
        subnetIds=[
            {
                "id": f"{rg(DEV, 'rg-dev-network')}/providers/Microsoft.Network/virtualNetworks/vnet-dev/subnets/snet-aci",
                "name": "snet-aci",
            }
        ],
        ipAddress={"type": "Private", "ports": [{"protocol": "TCP", "port": 9000}], "ip": "10.40.1.5"},
        imageRegistryCredentials=[{"server": "contosodevacr.azurecr.io", "identity": "[system]"}],
    )
    dev_jobs["identity"] = {
        "type": "SystemAssigned",
        "principalId": "4a6c8e0a-2c4e-4a6c-9e0a-2c4e6a8c0e95",
        "tenantId": TENANT,
    }
    dev_debug = group(
        DEV,
        "rg-dev-sandbox",
        "aci-dev-debug",
        [
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
            )
        ],
        ipAddress={"type": "Public", "ports": [{"protocol": "TCP", "port": 22}], "ip": "20.61.113.77"},
        volumes=[
            {
                "name": "dotfiles",
                "gitRepo": {
                    # a token used as the user name: the whole credential sits before the @
                    "repository": f"https://ghp_{CANARY_MARK}T0k3nAsUs3rN4me42@github.com/contoso/dotfiles.git",
                    "directory": "dotfiles",
                },
            }
        ],
        sku="Confidential",
        confidentialComputeProperties={"ccePolicy": cce_policy("debug", allow_all=True)},
    )
    # Tools in the dev VNet: image references of every shape (digest only, a registry with a port,
    # an uppercase ACR host with `latest`), values under secret-like names that are not credentials
    # (a Key Vault reference, placeholders, a secret *file* path), a password for a self-hosted
    # registry next to an identity for ACR, a public gitRepo volume, and an Azure DevOps one whose
    # user name is the organisation.
    tools_identity = (
        f"{rg(DEV, 'rg-dev-identity')}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-aci-dev-tools"
    )
    dev_tools = group(
        DEV,
        "rg-dev-tools",
        "aci-dev-tools",
        [
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
        ],
        initContainers=[
            {
                "name": "migrate",
                "properties": {
                    "image": "ContosoDevAcr.azurecr.io/db/migrate:latest",
                    "command": ["migrate", "--password-file", "/mnt/secrets/db-password", "up"],
                    "environmentVariables": [{"name": "MIGRATE_TOKEN"}],
                },
            }
        ],
        subnetIds=[
            {
                "id": f"{rg(DEV, 'rg-dev-network')}/providers/Microsoft.Network/virtualNetworks/vnet-dev/subnets/snet-tools",
                "name": "snet-tools",
            }
        ],
        imageRegistryCredentials=[
            {"server": "contosodevacr.azurecr.io", "identity": tools_identity},
            {"server": "registry.contoso.example:5000", "username": "tools-pull"},
        ],
        diagnostics={
            "logAnalytics": {"workspaceId": "5a3c1e9f-7b2d-4f6a-8c0e-1d3f5b7a9c20", "logType": "ContainerInstanceLogs"}
        },
        volumes=[
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
    )
    dev_tools["identity"] = {
        "type": "UserAssigned",
        "userAssignedIdentities": {
            tools_identity: {
                "principalId": "8c0e2a4c-6e8a-4c0e-9a2c-8e0a2c4e6a17",
                "clientId": "3d5f7b9d-1f3b-4d5f-9b7d-1f3b5d7f9b28",
            }
        },
    }
    list_path = f"/subscriptions/{DEV}/providers/Microsoft.ContainerInstance/containerGroups"
    next_url = url(list_path, "aci", **{"$skiptoken": "cGFnZTI"})
    write(
        f"{DEV}/containerinstance.json",
        "contoso-dev container groups (the list pages once): a public web app, a private job runner, a privileged confidential debug box, tools in the VNet.",
        [
            ok(url(list_path, "aci"), {"value": [dev_web, dev_jobs], "nextLink": next_url}),
            ok(next_url, {"value": [dev_debug, dev_tools]}),
        ],
    )
    container_group_diagnostics(
        [prod_api, prod_worker, prod_batch, dev_web, dev_jobs, dev_debug, dev_tools],
        {
            # the job runner logs through a diagnostic setting instead of diagnostics.logAnalytics
            "aci-dev-jobs": [
                diag_setting(
                    str(dev_jobs["id"]),
                    "aci-to-law",
                    logs=[
                        {"category": "ContainerInstanceLog", "enabled": True},
                        {"category": "ContainerEvent", "enabled": True},
                    ],
                )
            ],
            # the batch job keeps its events but not its output
            "aci-prod-batch": [
                diag_setting(
                    str(prod_batch["id"]),
                    "aci-events",
                    logs=[
                        {"category": "ContainerInstanceLog", "enabled": False},
                        {"category": "ContainerEvent", "enabled": True},
                    ],
                )
            ],
        },
        forbidden_for={"aci-dev-debug"},
    )


def container_group_diagnostics(
    groups: list[dict[str, object]], settings: dict[str, list[dict[str, object]]], forbidden_for: set[str]
) -> None:
    """The diagnostic settings of every container group, one file per subscription; the audit
    identity may not read those of the groups in ``forbidden_for``."""
    for sub in (PROD, DEV):
        interactions: list[dict[str, object]] = []
        refused = False
        for cg in groups:
            gid = str(cg["id"])
            if not gid.startswith(f"/subscriptions/{sub}/"):
                continue
            request = url(f"{gid}/providers/Microsoft.Insights/diagnosticSettings", "diag")
            if cg["name"] in forbidden_for:
                refused = True
                interactions.append(forbidden(request, "microsoft.insights/diagnosticSettings/read", gid))
            else:
                interactions.append(ok(request, {"value": settings.get(str(cg["name"]), [])}))
        write(
            f"{sub}/diagnostics-containergroups.json",
            "Diagnostic settings of the container groups (not paged)"
            + ("; the audit identity may not read one group's." if refused else "."),
            interactions,
        )


# ---------------------------------------------------------------------------------------- key vaults


def vaults() -> None:
    # The vaults, their policies, secrets, keys and KV outcomes are tools/scenarios/keyvault.py's table.
    apps, legacy, locked = kv.APPS, kv.LEGACY, kv.LOCKED
    apps_keys, legacy_keys = apps.key_bodies(), legacy.key_bodies()
    write(
        f"{PROD}/keyvault.json",
        "contoso-prod vaults (RBAC hardened, legacy access policies behind a firewall), keys, ARM secret list fallback.",
        [
            ok(
                url(f"/subscriptions/{PROD}/providers/Microsoft.KeyVault/vaults", "kv"),
                {"value": [apps.body(), legacy.body(), locked.body()]},
            ),
            ok(url(f"{apps.id}/keys", "kv"), {"value": [armbodies.listed_key(k) for k in apps_keys]}),
            ok(url(f"{legacy.id}/keys", "kv"), {"value": [armbodies.listed_key(k) for k in legacy_keys]}),
            *[ok(url(f"{apps.id}/keys/{k['name']}", "kv"), k) for k in apps_keys],
            *[ok(url(f"{legacy.id}/keys/{k['name']}", "kv"), k) for k in legacy_keys],
            ok(url(f"{legacy.id}/secrets", "kv"), {"value": legacy.arm_secret_bodies()}),
        ],
    )
    write(
        f"{PROD}/keyvault-locked.json",
        "kv-prod-locked: the data plane refuses (private link only) and the ARM secret list is denied.",
        [
            ok(f"https://{locked.name}.vault.azure.net/secrets", locked.data_plane_refusal, status=403),
            forbidden(url(f"{locked.id}/secrets", "kv"), "Microsoft.KeyVault/vaults/secrets/read", locked.id),
            ok(url(f"{locked.id}/keys", "kv"), {"value": []}),
            ok(
                url(f"{locked.id}/providers/Microsoft.Insights/diagnosticSettings", "diag"),
                {"value": monitor.LOCKED_VAULT.bodies()},
            ),
        ],
    )
    second_page = "https://kv-prod-apps.vault.azure.net:443/secrets?api-version=2026-04-01&$skiptoken=eyJOZXh0TWFya2VyIjoiMiFNREF3TURJeUlYTmxZM0psZEM5UFRFUXRRVkJKTFV0RldTRXdNREF3TWpnaE9UazVPUzB4TWkwek1WUXlNem8xT1RvMU9TNDVPVGs1T1RrNVdpRXcifQ&maxresults=3"
    first, rest = apps.secret_page_bodies()
    write(
        f"{PROD}/keyvault-dataplane.json",
        "Key Vault data plane (secret metadata only; never a value). kv-prod-apps pages; kv-prod-legacy's firewall answers 403.",
        [
            ok(f"https://{apps.name}.vault.azure.net/secrets", {"value": first, "nextLink": second_page}),
            ok(second_page, {"value": rest, "nextLink": None}),
            ok(f"https://{legacy.name}.vault.azure.net/secrets", legacy.data_plane_refusal, status=403),
        ],
    )
    # The vaults' diagnostic settings and LOG003/LOG004 outcomes are tools/scenarios/monitor.py's table.
    diagnostic_settings(PROD, "vaults", monitor.by_resource(PROD, monitor.VAULTS))

    shared, rbac_vault = kv.SHARED, kv.RBAC_VAULT
    write(
        f"{DEV}/keyvault.json",
        "contoso-dev vaults: an access-policy vault with broad policies and soft delete off; an RBAC vault open to the internet.",
        [
            ok(
                url(f"/subscriptions/{DEV}/providers/Microsoft.KeyVault/vaults", "kv"),
                {"value": [shared.body(), rbac_vault.body()]},
            ),
            ok(url(f"{shared.id}/keys", "kv"), {"value": []}),
            ok(url(f"{rbac_vault.id}/keys", "kv"), {"value": []}),
        ],
    )
    write(
        f"{DEV}/keyvault-dataplane.json",
        "contoso-dev data plane secret lists.",
        [
            ok(f"https://{vault.name}.vault.azure.net/secrets", {"value": page, "nextLink": None})
            for vault in (shared, rbac_vault)
            for page in vault.secret_page_bodies()
        ],
    )
    diagnostic_settings(DEV, "vaults", monitor.by_resource(DEV, monitor.VAULTS))


# ---------------------------------------------------------------------------------------- RBAC


def rbac() -> None:
    # Role assignments, custom roles, identities and RBAC outcomes are tools/scenarios/rbac.py's table.
    builtins = rbac_scenarios.builtin_role_definitions()
    filt_builtin = "type%20eq%20%27BuiltInRole%27"
    filt_custom = "type%20eq%20%27CustomRole%27"
    for scenario in (rbac_scenarios.PROD_RBAC, rbac_scenarios.DEV_RBAC):
        sub, label = scenario.sub, scenario.subscription
        defs = f"{scenario.scope}/providers/Microsoft.Authorization/roleDefinitions"
        write(
            f"{sub}/roledefinitions.json",
            f"Role definitions visible in {label}: built-in (listed once per run, through whichever subscription comes first) and custom.",
            [
                ok(url(defs, "auth", **{"$filter": filt_builtin}), {"value": builtins}),
                ok(url(defs, "auth", **{"$filter": filt_custom}), {"value": scenario.custom_role_bodies()}),
            ],
        )
    for scenario in (rbac_scenarios.PROD_RBAC, rbac_scenarios.DEV_RBAC):
        list_path = f"{scenario.scope}/providers/Microsoft.Authorization/roleAssignments"
        first, *rest = scenario.assignment_pages()
        if rest:  # one more page
            (second,) = rest
            next_url = url(list_path, "auth", **{"$skipToken": "ZXlKMGIydGxiaUk2SWpFd01DSjk"})
            pages = [
                ok(url(list_path, "auth"), {"value": first, "nextLink": next_url}),
                ok(next_url, {"value": second}),
            ]
        else:
            pages = [ok(url(list_path, "auth"), {"value": first})]
        write(f"{scenario.sub}/roleassignments.json", scenario.description, pages)
    for scenario in (rbac_scenarios.PROD_RBAC, rbac_scenarios.DEV_RBAC):
        identities = url(f"{scenario.scope}/providers/Microsoft.ManagedIdentity/userAssignedIdentities", "msi")
        write(
            f"{scenario.sub}/identities.json",
            scenario.identities_description,
            [ok(identities, {"value": scenario.identity_bodies()})],
        )


# ---------------------------------------------------------------------------------------- Defender


def defender() -> None:
    # Each subscription's plans and expected outcomes are tools/scenarios/defender.py's table.
    for scenario in defender_scenarios.SUBSCRIPTIONS:
        pricings = url(f"/subscriptions/{scenario.sub}/providers/Microsoft.Security/pricings", "security")
        if scenario.plans is None:
            answer = forbidden(pricings, "Microsoft.Security/pricings/read", f"/subscriptions/{scenario.sub}")
        else:
            answer = ok(pricings, {"value": scenario.bodies()})
        write(f"{scenario.sub}/defender.json", scenario.description, [answer])


def sandbox() -> None:
    """contoso-sandbox: an empty subscription (every list empty) whose Defender pricings answer 403."""
    scope = f"/subscriptions/{SANDBOX}"
    empty = [
        f"{scope}/providers/Microsoft.ContainerRegistry/registries",
        f"{scope}/providers/Microsoft.ContainerInstance/containerGroups",
        f"{scope}/providers/Microsoft.KeyVault/vaults",
        f"{scope}/providers/Microsoft.ManagedIdentity/userAssignedIdentities",
    ]
    apis = ["acr", "aci", "kv", "msi"]
    interactions = [ok(url(path, api), {"value": []}) for path, api in zip(empty, apis, strict=True)]
    # One Owner, and User Access Administrator inherited from its management group (rbac.py).
    sandbox_assignments = rbac_scenarios.SANDBOX_RBAC.assignment_pages()[0]
    interactions.append(
        ok(url(f"{scope}/providers/Microsoft.Authorization/roleAssignments", "auth"), {"value": sandbox_assignments})
    )
    interactions.append(
        ok(
            url(f"{scope}/providers/Microsoft.Insights/diagnosticSettings", "diag"),
            {"value": monitor.SANDBOX_ACTIVITY.bodies()},
        )
    )
    definitions = f"{scope}/providers/Microsoft.Authorization/roleDefinitions"
    interactions.append(ok(url(definitions, "auth", **{"$filter": "type%20eq%20%27CustomRole%27"}), {"value": []}))
    # Built-in roles are listed through whichever audited subscription comes first: a run (or a
    # --shard job) that audits the sandbox alone lists them here.
    interactions.append(
        ok(
            url(definitions, "auth", **{"$filter": "type%20eq%20%27BuiltInRole%27"}),
            {"value": rbac_scenarios.builtin_role_definitions()},
        )
    )
    write(
        f"{SANDBOX}/empty-lists.json",
        "contoso-sandbox holds no audited resources and one Owner, with User Access Administrator inherited from its "
        "management group; its activity log export sends Administrative events only.",
        interactions,
    )


# ------------------------------------------------------------------------------------ management groups

MG = "/providers/Microsoft.Management/managementGroups"
# A subscription a management group holds that the audit identity cannot see (no Reader on it).
HIDDEN = "c0ffee00-1d2e-4f3a-9b8c-7d6e5f4a3b21"


def management_groups() -> None:
    def group(name: str, display: str, parent: str) -> dict[str, object]:
        return {
            "id": f"{MG}/{name}",
            "type": "Microsoft.Management/managementGroups",
            "name": name,
            "properties": {"displayName": display, "parent": {"id": f"{MG}/{parent}"}},
        }

    def member(sid: str, display: str, parent: str) -> dict[str, object]:
        return {
            "id": f"/subscriptions/{sid}",
            "type": "/subscriptions",
            "name": sid,
            "properties": {"displayName": display, "parent": {"id": f"{MG}/{parent}"}},
        }

    def descendants(name: str, **query: str) -> str:
        return url(f"{MG}/{name}/descendants", "mg", **query)

    page_two = descendants("contoso-landing-zones", **{"$skiptoken": "bGFuZGluZy16b25lczoy"})
    write(
        "management-groups.json",
        "Management groups: contoso-landing-zones holds contoso-prod-lz (prod and the disabled legacy "
        "subscription) and contoso-dev-lz (dev), in two pages; contoso-sandbox-lz holds the sandbox; "
        "contoso-acquired holds a subscription the identity cannot see; contoso-finance refuses to be read.",
        [
            ok(
                descendants("contoso-landing-zones"),
                {
                    "value": [
                        group("contoso-prod-lz", "Contoso production landing zone", "contoso-landing-zones"),
                        member(PROD, "contoso-prod", "contoso-prod-lz"),
                        member(LEGACY, "contoso-legacy", "contoso-prod-lz"),
                    ],
                    "nextLink": page_two.replace(f"api-version={API['mg']}&", "") + f"&api-version={API['mg']}",
                },
            ),
            ok(
                page_two,
                {
                    "value": [
                        group("contoso-dev-lz", "Contoso development landing zone", "contoso-landing-zones"),
                        member(DEV, "contoso-dev", "contoso-dev-lz"),
                    ],
                    "nextLink": None,
                },
            ),
            ok(
                descendants("contoso-prod-lz"),
                {
                    "value": [
                        member(PROD, "contoso-prod", "contoso-prod-lz"),
                        member(LEGACY, "contoso-legacy", "contoso-prod-lz"),
                    ]
                },
            ),
            ok(
                descendants("contoso-sandbox-lz"), {"value": [member(SANDBOX, "contoso-sandbox", "contoso-sandbox-lz")]}
            ),
            ok(
                descendants("contoso-acquired"),
                {
                    "value": [
                        member(HIDDEN, "fabrikam-prod", "contoso-acquired"),
                        member(DEV, "contoso-dev", "contoso-acquired"),
                    ]
                },
            ),
            forbidden(
                descendants("contoso-finance"),
                "Microsoft.Management/managementGroups/descendants/read",
                f"{MG}/contoso-finance",
            ),
        ],
    )


def images() -> None:
    # What the container groups run (tools/scenarios/images.py): each listed group's GET with its
    # instance view, and the audited registries' data planes. Runs after the lists are written.
    for name, description, interactions in image_scenarios.fixtures(_destination, lambda gid: url(gid, "aci")):
        write(name, description, interactions)


def resource_graph() -> None:
    # Resource Graph's answers mirror the ARM lists (tools/scenarios/resource_graph.py): runs last.
    for name, description, interactions in graph_scenarios.fixtures(_destination, TENANT):
        write(name, description, interactions)


def main(out: Path = OUT) -> None:
    global _destination
    _destination = out
    subscriptions()
    management_groups()
    sandbox()
    registries()
    activity_logs()
    container_groups()
    vaults()
    rbac()
    defender()
    images()
    resource_graph()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
