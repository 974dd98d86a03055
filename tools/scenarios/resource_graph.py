"""The sample tenant's Azure Resource Graph answers (``--source graph``), derived from its ARM lists.

Resource Graph indexes the same resources ARM lists: each query's rows are the items of the ARM
list answers already written for the enumerated subscriptions (every page), as Resource Graph
writes them (tools/armbodies.py ``graph_row``), so that a graph run sees what an ARM run sees. The
queries cover the default scope, every enabled subscription; the registries' answer comes in two
pages joined by ``$skipToken``, as Resource Graph pages a large answer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tools import armbodies

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
    return [
        (
            "resourcegraph.json",
            "Azure Resource Graph answers for the enabled subscriptions (--source graph)",
            interactions,
        )
    ]
