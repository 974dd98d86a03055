"""The sample tenant's Azure Resource Graph answers (``--source graph``), derived from its ARM lists.

Resource Graph indexes the same resources ARM lists: each query's rows are the items of the ARM
list answers already written for the enumerated subscriptions (every page), as Resource Graph
writes them (tools/armbodies.py ``graph_row``), so that a graph run sees what an ARM run sees. The
queries cover the default scope, every enabled subscription; the registries' answer comes in two
pages joined by ``$skipToken``, as Resource Graph pages a large answer.

Role assignments (azaudit/collect/graph_rbac.py): the ``authorizationresources`` answer (request
option ``authorizationScopeFilter`` ``AtScopeAboveAndBelow``, two pages) holds every assignment the
enabled subscriptions' ``listForSubscription`` answers hold, each once: those at a subscription or
below it, and those of the management groups above them (contoso-prod-lz's Owner group,
contoso-sandbox-lz's User Access Administrator). The ``resourcecontainers`` answer gives each
subscription its management group chain (:data:`CHAINS`, the landing zones of management-groups.json
up to the tenant root group), which tells which subscription inherits which of them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tools import armbodies
from tools.scenarios import DEV, PROD, SANDBOX

GRAPH_URL = "https://management.azure.com/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01"

# (query, the ARM list path under /subscriptions/<id>, rows on the first page when paged)
QUERIES: tuple[tuple[str, str, int | None], ...] = (
    ("resources | where type =~ 'microsoft.containerregistry/registries'", "microsoft.containerregistry/registries", 2),
    (
        "resources | where type =~ 'microsoft.containerinstance/containergroups'",
        "microsoft.containerinstance/containergroups",
        None,
    ),
    ("resources | where type =~ 'microsoft.keyvault/vaults'", "microsoft.keyvault/vaults", None),
    (
        "resources | where type =~ 'microsoft.managedidentity/userassignedidentities'",
        "microsoft.managedidentity/userassignedidentities",
        None,
    ),
)
NEXT_PAGE = "ew0KICAiJGlkIjogIjEiLA0KICAiTWF4Um93cyI6IDIsDQogICJSb3dzVG9Ta2lwIjogMg0KfQ=="

AUTHORIZATION_URL = "https://management.azure.com/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01"
SUBSCRIPTIONS_QUERY = "resourcecontainers | where type =~ 'microsoft.resources/subscriptions'"
ASSIGNMENTS_QUERY = "authorizationresources | where type =~ 'microsoft.authorization/roleassignments'"
SCOPE_FILTER = {"authorizationScopeFilter": "AtScopeAboveAndBelow"}
ASSIGNMENTS_FIRST_PAGE = 4
ASSIGNMENTS_NEXT_PAGE = "ew0KICAiJGlkIjogIjIiLA0KICAiTWF4Um93cyI6IDQsDQogICJSb3dzVG9Ta2lwIjogNA0KfQ=="
# Each enabled subscription's management groups, parent first, as ``managementGroupAncestorsChain``
# names them (name, display name); the last is the tenant root group, named after the tenant.
CHAINS: dict[str, tuple[tuple[str, str], ...]] = {
    PROD: (("contoso-prod-lz", "Contoso production landing zone"), ("contoso-landing-zones", "Contoso landing zones")),
    DEV: (("contoso-dev-lz", "Contoso development landing zone"), ("contoso-landing-zones", "Contoso landing zones")),
    SANDBOX: (("contoso-sandbox-lz", "Contoso sandbox landing zone"),),
}


def _answers(destination: Path) -> list[dict[str, Any]]:
    return [
        interaction
        for path in sorted(destination.rglob("*.json"))
        for interaction in json.loads(path.read_text())["interactions"]
    ]


def fixtures(destination: Path, tenant: str) -> list[tuple[str, str, list[dict[str, object]]]]:
    answers = _answers(destination)
    enabled = sorted(
        sub["subscriptionId"]
        for answer in answers
        if urlsplit(answer["request"]["url"]).path == "/subscriptions"
        for sub in answer["response"]["body"]["value"]
        if sub["state"] == "Enabled"
    )
    interactions: list[dict[str, object]] = []
    for query, listed, first_page in QUERIES:
        wanted = {f"/subscriptions/{sub}/providers/{listed}" for sub in enabled}
        rows = [
            armbodies.graph_row(item, tenant)
            for answer in answers
            if answer["request"]["method"] == "GET"
            and urlsplit(answer["request"]["url"]).path.lower() in wanted
            and answer["response"]["status"] == 200
            for item in answer["response"]["body"].get("value") or []
        ]
        rows.sort(key=lambda row: str(row["id"]).lower())
        pages = (
            [(None, rows[:first_page], NEXT_PAGE), (NEXT_PAGE, rows[first_page:], None)]
            if first_page
            else [(None, rows, None)]
        )
        for token, page_rows, following in pages:
            interactions.append(
                {
                    "request": {
                        "method": "POST",
                        "url": GRAPH_URL,
                        "body": armbodies.graph_request(query, enabled, token),
                    },
                    "response": {"status": 200, "body": armbodies.graph_page(page_rows, len(rows), following)},
                }
            )
    interactions += _authorization(answers, enabled, tenant)
    return [
        (
            "resourcegraph.json",
            "Azure Resource Graph answers for the enabled subscriptions (--source graph)",
            interactions,
        )
    ]


def _request(query: str, subscriptions: list[str], token: str | None, extra: dict[str, str]) -> dict[str, object]:
    body = armbodies.graph_request(query, subscriptions, token)
    options = body["options"]
    assert isinstance(options, dict)
    options.update(extra)
    return body


def assignment_row(item: dict[str, Any], tenant: str) -> dict[str, Any]:
    """A role assignment as an ``authorizationresources`` row: the ARM JSON, the type in lower
    case, the subscription and resource group its scope is in ('' above a subscription)."""
    parts = str(item["id"]).split("/")
    in_subscription = len(parts) > 2 and parts[1].lower() == "subscriptions"
    in_group = in_subscription and len(parts) > 4 and parts[3].lower() == "resourcegroups"
    row: dict[str, Any] = {**item, "type": str(item["type"]).lower(), "tenantId": tenant}
    row.update(
        {"subscriptionId": parts[2] if in_subscription else "", "resourceGroup": parts[4].lower() if in_group else ""}
    )
    for column in armbodies.GRAPH_COLUMNS:
        row.setdefault(column, None)
    return row


def _subscription_row(sub: dict[str, Any], tenant: str) -> dict[str, Any]:
    chain = [{"name": name, "displayName": display} for name, display in CHAINS[sub["subscriptionId"]]]
    chain.append({"name": tenant, "displayName": "Tenant Root Group"})
    row: dict[str, Any] = {
        "id": f"/subscriptions/{sub['subscriptionId']}",
        "name": sub["displayName"],
        "type": "microsoft.resources/subscriptions",
        "tenantId": tenant,
        "subscriptionId": sub["subscriptionId"],
        "resourceGroup": "",
        "properties": {"state": sub["state"], "managementGroupAncestorsChain": chain},
    }
    for column in armbodies.GRAPH_COLUMNS:
        row.setdefault(column, None)
    return row


def _authorization(answers: list[dict[str, Any]], enabled: list[str], tenant: str) -> list[dict[str, object]]:
    """The role assignment queries' answers: the subscriptions' chains, then the assignments."""
    subscriptions = [
        sub
        for answer in answers
        if urlsplit(answer["request"]["url"]).path == "/subscriptions"
        for sub in answer["response"]["body"]["value"]
        if sub["subscriptionId"] in enabled
    ]
    chains = [_subscription_row(sub, tenant) for sub in sorted(subscriptions, key=lambda s: s["subscriptionId"])]
    lists = {f"/subscriptions/{sub}/providers/microsoft.authorization/roleassignments" for sub in enabled}
    rows: dict[str, dict[str, Any]] = {}
    for answer in answers:
        if answer["request"]["method"] != "GET" or answer["response"]["status"] != 200:
            continue
        if urlsplit(answer["request"]["url"]).path.lower() not in lists:
            continue
        for item in answer["response"]["body"].get("value") or []:
            rows.setdefault(str(item["id"]).lower(), assignment_row(item, tenant))
    ordered = [rows[key] for key in sorted(rows)]
    first, rest = ordered[:ASSIGNMENTS_FIRST_PAGE], ordered[ASSIGNMENTS_FIRST_PAGE:]
    return [
        {
            "request": {"method": "POST", "url": GRAPH_URL, "body": _request(SUBSCRIPTIONS_QUERY, enabled, None, {})},
            "response": {"status": 200, "body": armbodies.graph_page(chains, len(chains))},
        },
        {
            "request": {
                "method": "POST",
                "url": AUTHORIZATION_URL,
                "body": _request(ASSIGNMENTS_QUERY, enabled, None, SCOPE_FILTER),
            },
            "response": {"status": 200, "body": armbodies.graph_page(first, len(ordered), ASSIGNMENTS_NEXT_PAGE)},
        },
        {
            "request": {
                "method": "POST",
                "url": AUTHORIZATION_URL,
                "body": _request(ASSIGNMENTS_QUERY, enabled, ASSIGNMENTS_NEXT_PAGE, SCOPE_FILTER),
            },
            "response": {"status": 200, "body": armbodies.graph_page(rest, len(ordered))},
        },
    ]
