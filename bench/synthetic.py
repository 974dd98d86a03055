"""A synthetic tenant of N subscriptions x M resources, generated in memory for replay.

Realistic mix per 100 resources: 15 registries (tokens, cache rules, diagnostic settings), 45 container
groups (two containers, several environment variables), 25 vaults (secrets paged on the data
plane with ``$skiptoken`` and ``maxresults``, keys listed without rotation policy so each key is
read once), 15 user-assigned identities; per subscription: role assignments paged with
``nextLink``, custom roles, Defender pricings and the activity-log export. Deterministic.
Registry bodies come from tools/armbodies.py, the builders the sample tenant uses too.

What the container groups run (``_images``), as real deployments do: three groups in four run
their application image from the subscription's first registry (six services, two live tags each,
so several groups share a tag; one service pinned by digest), every other group a sidecar
mirrored into its second registry (one tag shared by all), the rest from registries outside the
audit. Each group running an audited image has its instance view (a GET); each registry its data
plane (token exchange, a token per repository, tag, manifest and referrers of each distinct image),
written by tools/scenarios/images.py as for the sample tenant.

With ``graph=True`` a run is expected to enumerate through Azure Resource Graph (``--source
graph``): ``GraphAdapter`` answers its queries for whichever subscriptions they name (each
collection process asks for its own), pages of 1,000 rows joined by ``$skipToken``, the rows
being the ARM list items (``armbodies.graph_row``); the role assignments' rows are those of the
subscriptions' assignment lists, and each subscription's management group chain is the tenant root
group alone (the synthetic tenant has no other management group).
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter

from azaudit.collect.vulnerabilities import CHUNK as VULNERABILITY_CHUNK
from azaudit.collect.vulnerabilities import QUERY as VULNERABILITY_QUERY
from azaudit.replay import ReplayAdapter
from azaudit.replay.credential import REPLAY_TENANT_ID
from azaudit.replay.fixtures import RecordedResponse, RequestKey, request_key
from tools import armbodies
from tools.scenarios import images as image_scenarios
from tools.scenarios.resource_graph import assignment_row

ARM = "https://management.azure.com"
TENANT = REPLAY_TENANT_ID  # the tenant whose tokens replayed Key Vault accepts
MIX = {"registries": 15, "container_groups": 45, "vaults": 25, "identities": 15}  # per 100 resources
SECRETS_PER_VAULT = 6
SECRETS_PAGE = 4
KEYS_PER_VAULT = 2
ASSIGNMENTS_PER_SUBSCRIPTION = 40
ASSIGNMENTS_PAGE = 25
NOW = 1795521600
# What the container groups run (see the module docstring).
SERVICES = 6  # application images per subscription, each with two live tags
UNAUDITED_EVERY = 4  # one group in four runs its application from a registry outside the audit


def _guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _ok(body: object) -> RecordedResponse:
    return RecordedResponse(status=200, body=body)


# What azaudit/collect/graph_source.py enumerates: the ARM list each query replaces.
GRAPH_PATH = "/providers/microsoft.resourcegraph/resources"
GRAPH_TYPES = {
    "microsoft.containerregistry/registries": "registries",
    "microsoft.containerinstance/containergroups": "containerGroups",
    "microsoft.keyvault/vaults": "vaults",
    "microsoft.managedidentity/userassignedidentities": "userAssignedIdentities",
    "microsoft.authorization/roleassignments": "roleAssignments",  # azaudit/collect/graph_rbac.py
    "microsoft.resources/subscriptions": "subscriptions",  # their management group chains
}
GRAPH_PAGE = 1000
GRAPH_URL = "https://management.azure.com/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01"


def _graph_row(resource_type: str, item: dict[str, object]) -> dict[str, Any]:
    """One listed item as its Resource Graph table writes it (subscriptions are kept as rows)."""
    if resource_type == "microsoft.resources/subscriptions":
        return item
    if resource_type == "microsoft.authorization/roleassignments":
        return assignment_row(item, TENANT)
    return armbodies.graph_row(item, TENANT)


class GraphAdapter(BaseAdapter):  # type: ignore[misc]
    """The synthetic tenant's answers, Resource Graph queries included (answered for whatever
    subscriptions they name, as Resource Graph does)."""

    def __init__(self, tenant: SyntheticTenant, source: str = "synthetic") -> None:
        super().__init__()
        self._tenant = tenant
        self._replay = ReplayAdapter(tenant.responses, source)
        self._source = source

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if request.method == "POST" and urlsplit(str(request.url)).path.lower() == GRAPH_PATH:
            body = json.loads(request.body or b"{}")
            key = request_key("POST", str(request.url), body)
            return ReplayAdapter({key: self._tenant.graph_answer(body)}, self._source).send(request, *args, **kwargs)
        return self._replay.send(request, *args, **kwargs)

    def close(self) -> None:
        self._replay.close()


class SyntheticTenant:
    def __init__(self, subscriptions: int, resources_per_subscription: int, seed: int = 7, graph: bool = False) -> None:
        self.rng = random.Random(seed)
        self.subscription_ids = [_guid(self.rng) for _ in range(subscriptions)]
        self.per_subscription = resources_per_subscription
        self.responses: dict[RequestKey, RecordedResponse] = {}
        self.resource_count = 0
        self.graph = graph
        self._listed: dict[str, list[dict[str, object]]] = {kind: [] for kind in GRAPH_TYPES}
        self._replaced = 0  # ARM list requests a graph run does not send
        # Resource Graph's rows of each (type, subscriptions) asked, made once for all their pages
        self._graph_rows: dict[tuple[str, frozenset[str]], list[dict[str, Any]]] = {}
        self._build()
        self._vulnerability_answers_kept = self._vulnerability_answers()

    # -- plumbing ------------------------------------------------------------------------------

    def _add(self, url: str, response: RecordedResponse) -> None:
        self.responses[request_key("GET", url)] = response

    def _interaction(self, interaction: dict[str, Any]) -> None:
        """One fixture interaction (tools/scenarios' format): a GET or a registry's token POST."""
        request, response = interaction["request"], interaction["response"]
        key = request_key(request["method"], request["url"], request.get("body"))
        self.responses[key] = RecordedResponse(status=response["status"], body=response.get("body"))

    def _paged(self, url: str, items: list[object], page: int, token_name: str = "$skiptoken") -> None:
        chunks = [items[i : i + page] for i in range(0, len(items), page)] or [[]]
        current = url
        for number, chunk in enumerate(chunks):
            next_url = None
            if number + 1 < len(chunks):
                separator = "&" if "?" in url else "?"
                next_url = f"{url}{separator}{token_name}=page{number + 1}"
                if "vault.azure.net" in url:
                    next_url += f"&maxresults={page}"
            body: dict[str, object] = {"value": chunk}
            if next_url:
                body["nextLink"] = next_url
            self._add(current, _ok(body))
            if next_url:
                current = next_url

    def _list(
        self, kind: str, url: str, items: list[dict[str, object]], page: int | None = None, token: str = "$skiptoken"
    ) -> None:
        """An ARM list of one enumerated type: its pages, and its items for Resource Graph."""
        before = len(self.responses)
        if page is None:
            self._add(url, _ok({"value": items}))
        else:
            self._paged(url, list(items), page, token)
        self._replaced += len(self.responses) - before
        self._listed[kind].extend(items)

    def graph_answer(self, body: Any) -> RecordedResponse:
        """Resource Graph's answer to a query body azaudit sends (any subset of the subscriptions,
        as each collection process asks for its own): the rows of those subscriptions, in pages
        of 1,000 joined by ``$skipToken``."""
        if body.get("query") == VULNERABILITY_QUERY:  # Defender's image findings: none here
            return _ok(armbodies.graph_page([], 0))
        resource_type = str(body["query"]).split("'")[1]
        members = frozenset(str(s).lower() for s in body["subscriptions"])
        # Made once per query, not once per page: a page rebuilt them all (20 pages of role
        # assignments per process at 1,000 subscriptions, 3 s of the server's one thread, during
        # which it answered nothing else).
        rows = self._graph_rows.get((resource_type, members))
        if rows is None:
            rows = self._graph_rows[(resource_type, members)] = [
                _graph_row(resource_type, item)
                for item in self._listed[resource_type]
                if str(item["id"]).split("/")[2].lower() in members
            ]
        token = (body.get("options") or {}).get("$skipToken")
        number = int(str(token).removeprefix("page")) if token else 0
        chunk = rows[number * GRAPH_PAGE : (number + 1) * GRAPH_PAGE]
        following = f"page{number + 1}" if (number + 1) * GRAPH_PAGE < len(rows) else None
        return _ok(armbodies.graph_page(chunk, len(rows), following))

    def _vulnerability_chunks(self, parts: int) -> list[list[str]]:
        """The subscriptions of each query for Defender's image findings that ``parts`` collection
        processes send: each its own part's, sorted, in chunks (azaudit/collect/vulnerabilities.py)."""
        chunks = []
        for index in range(parts):
            members = sorted(self.subscription_ids[index::parts])
            chunks += [members[i : i + VULNERABILITY_CHUNK] for i in range(0, len(members), VULNERABILITY_CHUNK)]
        return chunks

    def _vulnerability_answers(self) -> int:
        """Defender for Cloud's image findings (IMG001), always read through Resource Graph: none in
        this tenant, answered for each query a run of up to 8 processes sends. Returns how many
        answers were added."""
        before = len(self.responses)
        for parts in range(1, 9):
            for members in self._vulnerability_chunks(parts):
                body = armbodies.graph_request(VULNERABILITY_QUERY, members)
                self.responses[request_key("POST", GRAPH_URL, body)] = _ok(armbodies.graph_page([], 0))
        return len(self.responses) - before

    def graph_requests(self, parts: int) -> int:
        """The queries a graph run sends when ``parts`` collection processes each ask for theirs."""
        ordered = self.subscription_ids
        total = 0
        for index in range(parts):
            members = {s.lower() for s in ordered[index::parts]}
            for resource_type in GRAPH_TYPES:
                rows = sum(1 for item in self._listed[resource_type] if str(item["id"]).split("/")[2] in members)
                total += max(1, -(-rows // GRAPH_PAGE))
        return total

    def _count(self, kind: str) -> int:
        return max(1, round(self.per_subscription * MIX[kind] / 100))

    # -- the tenant ----------------------------------------------------------------------------

    def _build(self) -> None:
        subscriptions = [
            {
                "id": f"/subscriptions/{s}",
                "subscriptionId": s,
                "tenantId": TENANT,
                "displayName": f"sub-{i:03d}",
                "state": "Enabled",
            }
            for i, s in enumerate(self.subscription_ids)
        ]
        self._add(f"{ARM}/subscriptions", _ok({"value": subscriptions}))
        root = [{"name": TENANT, "displayName": "Tenant Root Group"}]
        self._listed["microsoft.resources/subscriptions"] = [
            {
                "id": f"/subscriptions/{s}",
                "name": f"sub-{i:03d}",
                "type": "microsoft.resources/subscriptions",
                "tenantId": TENANT,
                "subscriptionId": s,
                "properties": {"state": "Enabled", "managementGroupAncestorsChain": root},
            }
            for i, s in enumerate(self.subscription_ids)
        ]
        builtins = [
            {
                "id": f"/providers/Microsoft.Authorization/roleDefinitions/{guid}",
                "name": guid,
                "type": "Microsoft.Authorization/roleDefinitions",
                "properties": {
                    "roleName": name,
                    "type": "BuiltInRole",
                    "assignableScopes": ["/"],
                    "permissions": [{"actions": ["*"]}],
                },
            }
            for name, guid in (
                ("Owner", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"),
                ("Contributor", "b24988ac-6180-42a0-ab88-20f7382dd24c"),
            )
        ]
        for sub in self.subscription_ids:
            self._subscription(sub, builtins)

    def _subscription(self, sub: str, builtins: list[object]) -> None:
        base = f"{ARM}/subscriptions/{sub}"
        group = f"/subscriptions/{sub}/resourceGroups/rg-app"
        registries = [self._registry(sub, group, i) for i in range(self._count("registries"))]
        self._list(
            "microsoft.containerregistry/registries",
            f"{base}/providers/Microsoft.ContainerRegistry/registries",
            registries,
        )
        logins = [str(r["properties"]["loginServer"]) for r in registries]  # type: ignore[index]
        groups = [self._container_group(group, i, logins) for i in range(self._count("container_groups"))]
        self._images(groups, logins)
        self._list(
            "microsoft.containerinstance/containergroups",
            f"{base}/providers/Microsoft.ContainerInstance/containerGroups",
            groups,
            50,
        )
        vaults = [self._vault(sub, group, i) for i in range(self._count("vaults"))]
        self._list("microsoft.keyvault/vaults", f"{base}/providers/Microsoft.KeyVault/vaults", vaults)
        identities: list[dict[str, object]] = [
            {
                "id": f"{group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-{i}",
                "name": f"id-{i}",
                "type": "Microsoft.ManagedIdentity/userAssignedIdentities",
                "location": "westeurope",
                "properties": {"tenantId": TENANT, "principalId": _guid(self.rng), "clientId": _guid(self.rng)},
            }
            for i in range(self._count("identities"))
        ]
        self._list(
            "microsoft.managedidentity/userassignedidentities",
            f"{base}/providers/Microsoft.ManagedIdentity/userAssignedIdentities",
            identities,
        )
        self.resource_count += len(registries) + len(groups) + len(vaults) + len(identities)
        assignments: list[dict[str, object]] = [
            {
                "id": f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleAssignments/{guid}",
                "name": guid,
                "type": "Microsoft.Authorization/roleAssignments",
                "properties": {
                    "roleDefinitionId": f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c",
                    "principalId": _guid(self.rng),
                    "principalType": "ServicePrincipal",
                    "scope": f"/subscriptions/{sub}" if i % 3 else group,
                },
            }
            for i, guid in enumerate(_guid(self.rng) for _ in range(ASSIGNMENTS_PER_SUBSCRIPTION))
        ]
        self._list(
            "microsoft.authorization/roleassignments",
            f"{base}/providers/Microsoft.Authorization/roleAssignments",
            assignments,
            ASSIGNMENTS_PAGE,
            "$skipToken",
        )
        definitions = f"{base}/providers/Microsoft.Authorization/roleDefinitions"
        self._add(f"{definitions}?$filter=type eq 'BuiltInRole'", _ok({"value": builtins}))
        self._add(f"{definitions}?$filter=type eq 'CustomRole'", _ok({"value": []}))
        pricings = [
            {
                "id": f"/subscriptions/{sub}/providers/Microsoft.Security/pricings/{name}",
                "name": name,
                "type": "Microsoft.Security/pricings",
                "properties": {"pricingTier": tier},
            }
            for name, tier in (("Containers", "Standard"), ("KeyVaults", "Free"), ("CloudPosture", "Free"))
        ]
        self._add(f"{base}/providers/Microsoft.Security/pricings", _ok({"value": pricings}))
        self._add(f"{base}/providers/Microsoft.Insights/diagnosticSettings", _ok({"value": []}))

    def _diagnostics(self, resource_id: str, with_setting: bool) -> None:
        settings = []
        if with_setting:
            settings.append(
                {
                    "id": f"{resource_id}/providers/microsoft.insights/diagnosticSettings/to-law",
                    "name": "to-law",
                    "type": "Microsoft.Insights/diagnosticSettings",
                    "properties": {
                        "workspaceId": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/law",
                        "logs": [{"categoryGroup": "allLogs", "enabled": True}],
                    },
                }
            )
        self._add(f"{ARM}{resource_id}/providers/Microsoft.Insights/diagnosticSettings", _ok({"value": settings}))

    def _registry(self, sub: str, group: str, index: int) -> dict[str, object]:
        sku = "Premium" if index % 3 == 0 else "Standard"
        body = armbodies.registry(
            sub, group.rsplit("/", 1)[-1], f"acr{sub[:8]}{index}", sku, adminUserEnabled=index % 4 == 0
        )
        rid = str(body["id"])
        self._diagnostics(rid, index % 2 == 0)
        self._add(f"{ARM}{rid}/tokens", _ok({"value": []}))
        self._add(f"{ARM}{rid}/cacheRules", _ok({"value": []}))
        return body

    @staticmethod
    def _service(login: str, service: int, version: int) -> image_scenarios.Image:
        """One application image: signed or not, recent or stale, one tag moved after the groups
        started (IMG002), one service pinned by digest."""
        repository, tag = f"svc{service}/api", f"1.{version}.0"
        tag_digest = image_scenarios.digest(f"{login}/{repository}:{tag}")
        created = "2026-04-01T08:00:00Z" if service % 3 == 2 else "2026-11-01T08:00:00Z"
        moved = service == 4 and version == 1
        return image_scenarios.Image(
            login,
            repository,
            tag,
            digest=tag_digest if service == 0 else None,
            tag_digest=tag_digest,
            created=created,
            tag_updated="2026-11-20T08:00:00Z" if moved else created,
            signatures=1 if service % 2 == 0 else 0,
        )

    @staticmethod
    def _mirror(login: str) -> image_scenarios.Image:
        tag_digest = image_scenarios.digest(f"{login}/mirror/nginx:1.25")
        created = "2026-10-15T08:00:00Z"
        return image_scenarios.Image(login, "mirror/nginx", "1.25", tag_digest=tag_digest, created=created)

    def _runs(self, index: int, logins: list[str]) -> tuple[image_scenarios.Image | None, image_scenarios.Image | None]:
        """The audited images group ``index`` runs: its application's and its sidecar's (None:
        from a registry outside the audit)."""
        app = None
        if index % UNAUDITED_EVERY != UNAUDITED_EVERY - 1:
            app = self._service(logins[0], index % SERVICES, (index // SERVICES) % 2)
        sidecar = self._mirror(logins[1 % len(logins)]) if index % 2 == 0 else None
        return app, sidecar

    @staticmethod
    def _reference(image: image_scenarios.Image) -> str:
        reference = f"{image.registry}/{image.repository}:{image.tag}"
        return reference + (f"@{image.digest}" if image.digest else "")

    def _images(self, groups: list[dict[str, object]], logins: list[str]) -> None:
        """The instance view of each group that runs an audited image, and each used registry's
        data plane answers for the distinct images its groups run."""
        used: dict[str, list[image_scenarios.Image]] = {}
        for index, body in enumerate(groups):
            running = [image for image in self._runs(index, logins) if image is not None]
            if running:
                self._add(f"{ARM}{body['id']}", _ok(image_scenarios.instance_view(body)))
            for image in running:
                if image not in used.setdefault(image.registry, []):
                    used[image.registry].append(image)
        for host, images in used.items():
            for interaction in image_scenarios.registry_interactions(host, images):
                self._interaction(interaction)

    def _container_group(self, group: str, index: int, logins: list[str]) -> dict[str, object]:
        confidential = index % 10 == 0  # only Confidential groups carry container security contexts
        gid = f"{group}/providers/Microsoft.ContainerInstance/containerGroups/aci-{index}"
        self._diagnostics(gid, index % 3 == 0)
        app, sidecar = self._runs(index, logins)

        def container(name: str, image: str) -> dict[str, object]:
            security = {"securityContext": {"privileged": index % 20 == 0, "runAsUser": 1000}} if confidential else {}
            return {
                "name": name,
                "properties": {
                    "image": image,
                    "ports": [{"port": 8080}],
                    "environmentVariables": [
                        {"name": "LOG_LEVEL", "value": "info"},
                        {"name": "DB_PASSWORD"},
                        {"name": "API_URL", "value": "https://api.example.com"},
                    ],
                    "resources": {
                        "requests": {"cpu": 1.0, "memoryInGB": 1.5},
                        "limits": {"cpu": 1.0, "memoryInGB": 2.0 if index % 4 == 0 else 1.5},
                    },
                    **security,
                },
            }

        return {
            "id": gid,
            "name": f"aci-{index}",
            "type": "Microsoft.ContainerInstance/containerGroups",
            "location": "westeurope",
            "properties": {
                "containers": [
                    container("app", self._reference(app) if app else f"contoso.azurecr.io/app:{index}.0"),
                    container("sidecar", self._reference(sidecar) if sidecar else "mcr.microsoft.com/oss/nginx:1.25"),
                ],
                "osType": "Linux",
                "sku": "Confidential" if confidential else "Standard",
                **({"confidentialComputeProperties": {"ccePolicy": "cGFja2FnZSBwb2xpY3k="}} if confidential else {}),
                "ipAddress": {
                    "type": "Public" if index % 5 == 0 else "Private",
                    "ports": [{"port": 8080, "protocol": "TCP"}],
                },
                "imageRegistryCredentials": [{"server": "contoso.azurecr.io", "identity": "[system]"}],
            },
        }

    def _vault(self, sub: str, group: str, index: int) -> dict[str, object]:
        name = f"kv{sub[:8]}{index}"
        vid = f"{group}/providers/Microsoft.KeyVault/vaults/{name}"
        host = f"https://{name}.vault.azure.net"
        self._diagnostics(vid, index % 2 == 1)
        secrets = [
            {
                "id": f"{host}/secrets/s{i}",
                "attributes": {
                    "enabled": True,
                    "created": NOW - i * 86400 * 90,
                    "updated": NOW - i * 86400 * 90,
                    **({"exp": NOW + 86400 * 100} if i % 2 else {}),
                },
            }
            for i in range(SECRETS_PER_VAULT)
        ]
        self._paged(f"{host}/secrets", secrets, SECRETS_PAGE)
        keys = []
        for i in range(KEYS_PER_VAULT):
            key = {
                "id": f"{vid}/keys/k{i}",
                "name": f"k{i}",
                "type": "Microsoft.KeyVault/vaults/keys",
                "properties": {"attributes": {"enabled": True, "exp": NOW + 86400 * 200}, "kty": "RSA"},
            }
            keys.append(key)
            detail = {
                **key,
                "properties": {
                    **key["properties"],
                    "rotationPolicy": {
                        "lifetimeActions": [{"trigger": {"timeAfterCreate": "P11M"}, "action": {"type": "rotate"}}]
                    },
                },
            }
            self._add(f"{ARM}{vid}/keys/k{i}", _ok(detail))
        self._add(f"{ARM}{vid}/keys", _ok({"value": keys}))
        return {
            "id": vid,
            "name": name,
            "type": "Microsoft.KeyVault/vaults",
            "location": "westeurope",
            "properties": {
                "tenantId": TENANT,
                "sku": {"family": "A", "name": "standard"},
                "vaultUri": f"{host}/",
                "enableRbacAuthorization": True,
                "enableSoftDelete": True,
                "accessPolicies": [],
            },
        }

    def request_count(self, parts: int = 1) -> int:
        """What the full catalogue needs: every response once (built-in roles are listed through one
        subscription only). No Key Vault bearer challenge: the challenge is seeded from ARM. No
        registry challenge either: each repository's token (of both actions) is asked for before its
        first read, which carries it (azaudit.registry_plane)."""
        builtin = sum(1 for key in self.responses if ("$filter", "type eq 'BuiltInRole'") in key[3])
        # a graph run sends its queries instead of the ARM lists they replace (kept for its fallback)
        graph = self.graph_requests(parts) - self._replaced if self.graph else 0
        # Defender's image findings: one query per part and chunk of its subscriptions (answered for
        # up to 8 parts, one page each); at 1,000 subscriptions in two parts, three a part
        vulnerabilities = len(self._vulnerability_chunks(parts)) - self._vulnerability_answers_kept
        return len(self.responses) - (builtin - 1) + graph + vulnerabilities

    def __iter__(self) -> Iterator[RequestKey]:
        return iter(self.responses)
