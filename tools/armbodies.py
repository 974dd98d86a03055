"""ARM response bodies as Azure returns them, with fake ids: the one set of builders behind the
sample tenant (tools/make_sample_tenant.py) and the benchmark's synthetic tenant (bench/synthetic.py).

A builder gives the body of a freshly created resource with Azure's defaults (the shapes of the
official REST examples, ../shared/azure-api-examples); callers pass only what differs. Bodies are
plain dicts (``Body``) ready for ``json.dumps``; key order is stable, so generated fixtures are too.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any

Body = dict[str, Any]


def resource_group(sub: str, group: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{group}"


# ---------------------------------------------------------------------------------------- registries


def registry(
    sub: str,
    group: str,
    name: str,
    sku: str,
    *,
    tags: Mapping[str, str] | None = None,
    identity: Mapping[str, Any] | None = None,
    **props: object,
) -> Body:
    """A registry as ``registries.get`` / ``list`` return it: Azure's defaults for a new registry,
    with ``props`` replacing top-level properties."""
    rid = f"{resource_group(sub, group)}/providers/Microsoft.ContainerRegistry/registries/{name}"
    base: Body = {
        "loginServer": f"{name}.azurecr.io",
        "creationDate": "2024-03-11T09:14:22.1234567Z",
        "provisioningState": "Succeeded",
        "adminUserEnabled": False,
        "policies": {
            "quarantinePolicy": {"status": "disabled"},
            "trustPolicy": {"type": "Notary", "status": "disabled"},
            "retentionPolicy": {"days": 7, "lastUpdatedTime": "2024-03-11T09:14:30.000000+00:00", "status": "disabled"},
            "exportPolicy": {"status": "enabled"},
            "azureADAuthenticationAsArmPolicy": {"status": "enabled"},
        },
        "encryption": {"status": "disabled"},
        "dataEndpointEnabled": False,
        "dataEndpointHostNames": [],
        "privateEndpointConnections": [],
        "publicNetworkAccess": "Enabled",
        "networkRuleBypassOptions": "AzureServices",
        "zoneRedundancy": "Disabled",
        "anonymousPullEnabled": False,
        "roleAssignmentMode": "LegacyRegistryPermissions",
    }
    base.update(props)
    body: Body = {
        "id": rid,
        "name": name,
        "type": "Microsoft.ContainerRegistry/registries",
        "location": "westeurope",
    }
    if tags is not None:
        body["tags"] = dict(tags)
    body |= {"sku": {"name": sku, "tier": sku}, "properties": base}
    if identity is not None:
        body["identity"] = dict(identity)
    return body


def private_endpoint_connection(resource_id: str, endpoint_id: str, status: str = "Approved") -> Body:
    """A private endpoint connection of a resource, as its ``privateEndpointConnections`` lists it."""
    name = endpoint_id.rstrip("/").rsplit("/", 1)[-1]
    return {
        "id": f"{resource_id}/privateEndpointConnections/{name}",
        "name": name,
        "type": "Microsoft.ContainerRegistry/registries/privateEndpointConnections",
        "properties": {
            "privateEndpoint": {"id": endpoint_id},
            "privateLinkServiceConnectionState": {
                "status": status,
                "description": "Auto-approved",
                "actionsRequired": "None",
            },
            "provisioningState": "Succeeded",
        },
    }


def registry_token(
    registry_id: str,
    name: str,
    status: str,
    passwords: Iterable[str],
    *,
    expiry: str = "2027-02-10",
    certificates: Iterable[str] = (),
    created: str = "2025-02-10",
) -> Body:
    """A repository-scoped token with its credentials' metadata (names and expiry; ARM never returns
    a password value from ``tokens.list``)."""
    return {
        "id": f"{registry_id}/tokens/{name}",
        "name": name,
        "type": "Microsoft.ContainerRegistry/registries/tokens",
        "properties": {
            "creationDate": f"{created}T08:00:00.000000Z",
            "provisioningState": "Succeeded",
            "scopeMapId": f"{registry_id}/scopeMaps/_repositories_pull",
            "status": status,
            "credentials": {
                "certificates": [
                    {
                        "name": c,
                        "expiry": "2027-03-01T00:00:00.000000Z",
                        "thumbprint": "3F2A9C1E7B5D4A6C8E0F1B3D5A7C9E1F3B5D7A9C",
                    }
                    for c in certificates
                ],
                "passwords": [
                    {"creationTime": f"{created}T08:00:05.000000Z", "expiry": f"{expiry}T08:00:05.000000Z", "name": p}
                    for p in passwords
                ],
            },
        },
    }


def cache_rule(registry_id: str, name: str, source: str, target: str) -> Body:
    """A pull-through cache rule: ``targetRepository`` in the registry fetches from ``source``."""
    return {
        "id": f"{registry_id}/cacheRules/{name}",
        "name": name,
        "type": "Microsoft.ContainerRegistry/registries/cacheRules",
        "properties": {
            "sourceRepository": source,
            "targetRepository": target,
            "creationDate": "2025-05-12T09:00:00.000000Z",
            "provisioningState": "Succeeded",
        },
    }


# ---------------------------------------------------------------------------------------- Defender


def pricing(sub: str, name: str, tier: str, **extra: object) -> Body:
    """A Defender for Cloud plan of a subscription (``pricings.list``); Standard plans carry their
    enablement time."""
    props: Body = {"pricingTier": tier, "freeTrialRemainingTime": "PT0S"}
    if tier == "Standard":
        props["enablementTime"] = "2025-01-20T09:00:00.0000000Z"
    props.update(extra)
    return {
        "id": f"/subscriptions/{sub}/providers/Microsoft.Security/pricings/{name}",
        "name": name,
        "type": "Microsoft.Security/pricings",
        "properties": props,
    }


# ---------------------------------------------------------------------------------------- resource graph

GRAPH_COLUMNS = ("kind", "managedBy", "sku", "plan", "identity", "zones", "extendedLocation", "tags")


def graph_row(resource: Mapping[str, Any], tenant: str) -> Body:
    """An ARM list item as a Resource Graph ``resources`` row (result format objectArray): the same
    JSON, the type in lower case, ``subscriptionId``, ``resourceGroup`` and ``tenantId`` added, and
    every column the resource lacks present as null."""
    resource_id = str(resource["id"])
    parts = resource_id.split("/")
    row: Body = {**resource, "type": str(resource["type"]).lower()}
    row.update({"tenantId": tenant, "subscriptionId": parts[2], "resourceGroup": parts[4].lower()})
    for column in GRAPH_COLUMNS:
        row.setdefault(column, None)
    return row


def graph_request(query: str, subscriptions: Iterable[str], skip_token: str | None = None) -> Body:
    """A Resource Graph query's request body as azaudit sends it (azaudit/collect/graph.py)."""
    options: Body = {"$top": 1000, "resultFormat": "objectArray"}
    if skip_token is not None:
        options["$skipToken"] = skip_token
    return {"subscriptions": sorted(subscriptions), "query": query, "options": options}


def graph_page(rows: list[Body], total: int, skip_token: str | None = None) -> Body:
    """One page of a Resource Graph answer (``$skipToken`` when more pages follow)."""
    page: Body = {"totalRecords": total, "count": len(rows), "data": rows, "facets": [], "resultTruncated": "false"}
    if skip_token is not None:
        page["$skipToken"] = skip_token
    return page


# ---------------------------------------------------------------------------------------- Monitor


def diagnostic_setting(
    resource_id: str,
    name: str,
    logs: Iterable[Mapping[str, object]],
    *,
    workspace: str | None,
    metrics: bool = True,
) -> Body:
    """A resource's diagnostic setting (``diagnosticSettings.list``): its log entries (a category
    or category group, enabled or not), AllMetrics, and a Log Analytics destination unless None."""
    props: Body = {
        "logs": [{**entry, "retentionPolicy": {"enabled": False, "days": 0}} for entry in logs],
        "metrics": [{"category": "AllMetrics", "enabled": metrics, "retentionPolicy": {"enabled": False, "days": 0}}],
        "logAnalyticsDestinationType": None,
    }
    if workspace is not None:
        props["workspaceId"] = workspace
    return {
        "id": f"{resource_id}/providers/microsoft.insights/diagnosticSettings/{name}",
        "type": "Microsoft.Insights/diagnosticSettings",
        "name": name,
        "properties": props,
    }


def activity_log_setting(sub: str, name: str, destination: Mapping[str, str], logs: Mapping[str, bool]) -> Body:
    """A subscription's activity log export (``subscriptionDiagnosticSettings.list``): ARM returns
    its id without the leading slash and no type; ``destination`` is e.g. ``{"workspaceId": ...}``."""
    return {
        "id": f"subscriptions/{sub}/providers/microsoft.insights/diagnosticSettings/{name}",
        "type": None,
        "name": name,
        "properties": {**destination, "logs": [{"category": c, "enabled": on} for c, on in logs.items()]},
    }


# ---------------------------------------------------------------------------------------- RBAC


def role_definition(
    scope: str,
    guid: str,
    name: str,
    role_type: str,
    actions: Iterable[str],
    assignable: Iterable[str] | None = None,
    not_actions: Iterable[str] | None = None,
    data_actions: Iterable[str] | None = None,
) -> Body:
    """A role definition (``roleDefinitions.list``): a custom role lives at ``scope``, a built-in
    role at the tenant root."""
    return {
        "id": f"{scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
        if role_type == "CustomRole"
        else f"/providers/Microsoft.Authorization/roleDefinitions/{guid}",
        "name": guid,
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": name,
            "type": role_type,
            "description": f"{name} role",
            "assignableScopes": list(assignable or ["/"]),
            "permissions": [
                {
                    "actions": list(actions),
                    "notActions": list(not_actions or []),
                    "dataActions": list(data_actions or []),
                    "notDataActions": [],
                }
            ],
            "createdOn": "2024-01-15T10:00:00.0000000Z",
            "updatedOn": "2025-03-02T09:30:00.0000000Z",
        },
    }


def role_assignment(sub: str, scope: str, guid: str, role_id: str, principal: str, principal_type: str) -> Body:
    """A role assignment as a subscription's ``roleAssignments.list`` returns it (those of the
    scopes above the subscription included); ``role_id`` is the role definition's GUID."""
    return {
        "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{guid}",
        "name": guid,
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "roleDefinitionId": f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{role_id}",
            "principalId": principal,
            "principalType": principal_type,
            "scope": scope,
            "condition": None,
            "conditionVersion": None,
            "createdOn": "2025-02-10T08:00:00.0000000Z",
            "updatedOn": "2025-02-10T08:00:00.0000000Z",
            "createdBy": "5f7b9d1f-3b5d-4f7b-9d1f-3b5d7f9b1d3f",
            "updatedBy": "5f7b9d1f-3b5d-4f7b-9d1f-3b5d7f9b1d3f",
            "delegatedManagedIdentityResourceId": None,
            "description": "",
        },
    }


def user_assigned_identity(sub: str, group: str, name: str, principal: str, client: str, tenant: str) -> Body:
    """A user-assigned managed identity (``userAssignedIdentities.list_by_subscription``)."""
    return {
        "id": f"{resource_group(sub, group)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}",
        "name": name,
        "type": "Microsoft.ManagedIdentity/userAssignedIdentities",
        "location": "westeurope",
        "tags": {},
        "properties": {"tenantId": tenant, "principalId": principal, "clientId": client, "isolationScope": "None"},
    }


# ---------------------------------------------------------------------------------------- Key Vault


def key_vault(sub: str, group: str, name: str, tenant: str, *, created_at: str, **props: object) -> Body:
    """A vault as ``vaults.list_by_subscription`` returns it: Azure's defaults for a new vault (no
    soft-delete or purge-protection field: a vault created before soft delete was the default),
    with ``props`` replacing or adding properties."""
    base: Body = {
        "tenantId": tenant,
        "sku": {"family": "A", "name": "standard"},
        "accessPolicies": [],
        "enabledForDeployment": False,
        "enabledForDiskEncryption": False,
        "enabledForTemplateDeployment": False,
        "vaultUri": f"https://{name}.vault.azure.net/",
        "provisioningState": "Succeeded",
        "publicNetworkAccess": "Enabled",
    }
    base.update(props)
    return {
        "id": f"{resource_group(sub, group)}/providers/Microsoft.KeyVault/vaults/{name}",
        "name": name,
        "type": "Microsoft.KeyVault/vaults",
        "location": "westeurope",
        "tags": {},
        "properties": base,
        "systemData": {"createdBy": "platform@contoso.example", "createdByType": "User", "createdAt": created_at},
    }


def vault_private_endpoint_connection(vault_id: str, endpoint_id: str) -> Body:
    """An approved private endpoint connection as a vault's ``privateEndpointConnections`` lists it."""
    name = endpoint_id.rstrip("/").rsplit("/", 1)[-1]
    return {
        "id": f"{vault_id}/privateEndpointConnections/{name}",
        "etag": "",
        "properties": {
            "privateEndpoint": {"id": endpoint_id},
            "privateLinkServiceConnectionState": {"status": "Approved", "actionsRequired": "None"},
            "provisioningState": "Succeeded",
        },
    }


def secret_item(
    vault_name: str,
    name: str,
    *,
    created: int,
    updated: int,
    exp: int | None = None,
    nbf: int | None = None,
    managed: bool = False,
    content_type: str | None = None,
    enabled: bool = True,
    soft_delete: bool = True,
) -> Body:
    """A secret's metadata as the data plane's ``GET /secrets`` lists it (never a value)."""
    attributes: Body = {"enabled": enabled, "created": created, "updated": updated}
    # a vault without soft delete keeps nothing after a delete: Purgeable, no recoverable days
    attributes.update(
        {"recoveryLevel": "Recoverable+Purgeable", "recoverableDays": 90}
        if soft_delete
        else {"recoveryLevel": "Purgeable"}
    )
    if nbf is not None:
        attributes["nbf"] = nbf
    if exp is not None:
        attributes["exp"] = exp
    item: Body = {"id": f"https://{vault_name}.vault.azure.net/secrets/{name}", "attributes": attributes, "tags": {}}
    if managed:
        item["managed"] = True
    if content_type:
        item["contentType"] = content_type
    return item


def arm_secret(
    vault_id: str,
    name: str,
    *,
    created: int,
    updated: int,
    exp: int | None = None,
    nbf: int | None = None,
    content_type: str | None = None,
) -> Body:
    """A secret as ARM's ``secrets.list`` gives it (metadata only; ARM never returns a value)."""
    attributes: Body = {"enabled": True, "created": created, "updated": updated}
    if nbf is not None:
        attributes["nbf"] = nbf
    if exp is not None:
        attributes["exp"] = exp
    vault_name = vault_id.rsplit("/", 1)[-1]
    props: Body = {
        "attributes": attributes,
        "secretUri": f"https://{vault_name}.vault.azure.net/secrets/{name}",
        "secretUriWithVersion": f"https://{vault_name}.vault.azure.net/secrets/{name}/4387e9f3d6e14c459867679a90fd0f79",
    }
    if content_type:
        props["contentType"] = content_type
    return {
        "id": f"{vault_id}/secrets/{name}",
        "name": name,
        "type": "Microsoft.KeyVault/vaults/secrets",
        "location": "westeurope",
        "properties": props,
    }


def arm_key(
    vault_id: str,
    name: str,
    *,
    exp: int | None,
    rotation: bool | None,
    created: int = 1717236000,
    key_ops: Iterable[str] = ("encrypt", "decrypt", "wrapKey", "unwrapKey"),
) -> Body:
    """A key as ARM's ``keys.get`` returns it, with a rotation policy whose first action rotates
    (``rotation`` True) or only notifies (False), or none (None). ARM has no ``managed`` flag: a
    certificate's key looks like any other key (with the certificate's validity and sign/verify)."""
    attributes: Body = {
        "enabled": True,
        "created": created,
        "updated": created,
        "recoveryLevel": "Recoverable",
        "exportable": False,
    }
    if exp is not None:
        attributes["exp"] = exp
    vault_name = vault_id.rsplit("/", 1)[-1]
    props: Body = {
        "attributes": attributes,
        "kty": "RSA",
        "keyOps": list(key_ops),
        "keySize": 2048,
        "keyUri": f"https://{vault_name}.vault.azure.net/keys/{name}",
        "keyUriWithVersion": f"https://{vault_name}.vault.azure.net/keys/{name}/9b1d3f5b7d9f4b1d8f3b5d7f9b1d3f5b",
    }
    if rotation is not None:
        props["rotationPolicy"] = {
            "attributes": {"created": 1717236000, "updated": 1717236000, "expiryTime": "P1Y"},
            "lifetimeActions": [
                {"trigger": {"timeAfterCreate": "P11M"}, "action": {"type": "rotate" if rotation else "notify"}},
                {"trigger": {"timeBeforeExpiry": "P30D"}, "action": {"type": "notify"}},
            ],
        }
    return {
        "id": f"{vault_id}/keys/{name}",
        "name": name,
        "type": "Microsoft.KeyVault/vaults/keys",
        "location": "westeurope",
        "tags": {},
        "properties": props,
    }


def listed_key(key: Mapping[str, Any]) -> Body:
    """A key as ARM's ``keys.list`` gives it: the ``get`` body without its rotation policy."""
    properties = {k: v for k, v in key["properties"].items() if k != "rotationPolicy"}
    return {**key, "properties": properties}


# ---------------------------------------------------------------------------------------- container groups


def container(
    name: str,
    image: str,
    env: Iterable[Mapping[str, object]] = (),
    *,
    limits: Mapping[str, float] | None = None,
    security: Mapping[str, object] | None = None,
    command: Iterable[str] | None = None,
    port: int | None = 8080,
) -> Body:
    """A container of a container group: 1 CPU and 1.5 GB requested; most groups set requests only,
    the request then being the cap."""
    resources: Body = {"requests": {"memoryInGB": 1.5, "cpu": 1.0}}
    if limits is not None:
        resources["limits"] = dict(limits)
    props: Body = {
        "image": image,
        "ports": [{"protocol": "TCP", "port": port}] if port else [],
        "environmentVariables": [dict(e) for e in env],
        "resources": resources,
        "volumeMounts": [],
    }
    if security is not None:
        props["securityContext"] = dict(security)
    if command is not None:
        props["command"] = list(command)
    return {"name": name, "properties": props}


def cce_policy(workload: str, allow_all: bool = False) -> str:
    """A confidential computing enforcement policy as ARM returns it (base64 Rego). Only
    Confidential groups carry one, and only they may carry a container securityContext."""
    rules = "allow_all := true" if allow_all else f'containers := [{{"id": "{workload}", "allow_elevated": false}}]'
    return base64.b64encode(f'package policy\n\napi_version := "0.10.0"\n{rules}\n'.encode()).decode()


def container_group(
    sub: str,
    group: str,
    name: str,
    containers: Iterable[Mapping[str, object]],
    *,
    tags: Mapping[str, str],
    identity: Mapping[str, Any] | None = None,
    **props: object,
) -> Body:
    """A container group as ``container_groups.list`` returns it: Linux, Standard, restart Always,
    no init containers, with ``props`` replacing or adding properties."""
    base: Body = {
        "provisioningState": "Succeeded",
        "containers": [dict(c) for c in containers],
        "osType": "Linux",
        "restartPolicy": "Always",
        "sku": "Standard",
        "initContainers": [],
    }
    base.update(props)
    body: Body = {
        "id": f"{resource_group(sub, group)}/providers/Microsoft.ContainerInstance/containerGroups/{name}",
        "name": name,
        "type": "Microsoft.ContainerInstance/containerGroups",
        "location": "westeurope",
        "tags": dict(tags),
        "properties": base,
    }
    if identity is not None:
        body["identity"] = dict(identity)
    return body
