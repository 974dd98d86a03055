"""Azure Resource Graph queries: rows as ARM JSON, for the whole scope in a few paged requests.

The one Resource Graph helper of azaudit: enumeration (``azaudit/collect/graph_source.py``) and
any collector that wants Resource Graph (``securityresources`` for image findings, say) call
:func:`graph_query` rather than building their own requests.

:func:`graph_query` sends ``POST /providers/Microsoft.ResourceGraph/resources`` through the run's
ARM client's pipeline (:mod:`azaudit.arm_client`: authentication, retry with Retry-After on 429, the
run's guarded transport and secret guard, which allows this one POST), with the subscriptions in
batches of at most :data:`BATCH` and ``options`` ``$top`` :data:`PAGE_SIZE`, result format
``objectArray``, following ``$skipToken`` for at most :data:`MAX_PAGES` pages. A refusal raises
what the SDK's operations raise (as :mod:`azaudit.collect.arm` does); an answer that is not a
page of objects, a truncated answer without a skip token, an answer saying it holds only the
first 10,000 subscriptions of its scope (``x-ms-tenant-subscription-limit-hit: true``, which a query
naming its subscriptions should never get), or a page bound reached raise, so a caller never
judges a partial list. Each query, and each of its pages, takes one of the user's Resource Graph
quota, which the guarded transport paces (:mod:`azaudit.transport.graph_pacing`). Rows are
returned as the dicts Resource Graph gives: the same ARM JSON a REST list returns (``id``,
``name``, ``type``, ``location``, ``tags``, ``sku``, ``identity``, ``properties``), plus
``subscriptionId``, ``resourceGroup`` and ``tenantId``.

Resource Graph lags Azure Resource Manager: a change reaches it after minutes (usually under a
minute for changes made through ARM, longer for others), and a deleted resource may still be
listed for a while. Whoever uses it says so in the report (see :data:`LAG`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from azure.core.rest import HttpRequest

from azaudit.collect.arm import json_answer
from azaudit.collect.sdk import shape_of
from azaudit.collect.tasks import UnusableShape
from azaudit.errors import PagingLoopError
from azaudit.inventory.coverage import CollectionNote, Dataset

# The API version azure-mgmt-resourcegraph 8's ``resources`` operation sends, which azaudit's queries were tested with.
GRAPH_API = "2021-03-01"
# The first stable version whose request options hold ``authorizationScopeFilter`` (REST spec
# specification/resourcegraph/.../stable/2022-10-01/resourcegraph.json; 2021-03-01 has none), and
# the latest stable one (2024-04-01) keeps it: the authorization queries send it.
AUTHORIZATION_API = "2024-04-01"
PATH = "/providers/Microsoft.ResourceGraph/resources"
BATCH = 1_000  # subscriptions per request: Resource Graph's limit
PAGE_SIZE = 1_000  # rows per page: Resource Graph's largest $top
MAX_PAGES = 10_000  # per batch: ten million rows
# Resource Graph's word that a tenant or management-group scope's answer holds only the first
# 10,000 subscriptions (Microsoft Learn, "Guidance for throttled requests in Azure Resource Graph").
LIMIT_HIT = "x-ms-tenant-subscription-limit-hit"

LAG = (
    "Azure Resource Graph lags Azure Resource Manager: a change appears there after minutes and a "
    "deleted resource may still be listed for a while; audit with --source arm for the live state"
)


def source_note(dataset: Dataset, what: str, message: str, subscription_id: str = "") -> CollectionNote:
    """The report's note on where ``what`` (a resource type's last segment) was listed from."""
    return CollectionNote(
        dataset=dataset, subscription_id=subscription_id, resource_id="", resource_name="", message=f"{what}: {message}"
    )


def graph_query(
    client: Any,
    query: str,
    subscription_ids: Sequence[str],
    what: str,
    options: Mapping[str, Any] | None = None,
    api_version: str = GRAPH_API,
) -> list[Mapping[str, Any]]:
    """Every row of ``query`` over ``subscription_ids``, sent by ``client`` (the run's ARM client).
    ``options`` are further request options (``authorizationScopeFilter``, which needs
    :data:`AUTHORIZATION_API`), sent on every page."""
    ordered = sorted(dict.fromkeys(subscription_ids))
    rows: list[Mapping[str, Any]] = []
    for start in range(0, len(ordered), BATCH):
        batch = ordered[start : start + BATCH]
        rows.extend(_batch(client, query, batch, what, options or {}, api_version))
    return rows


def _batch(
    client: Any, query: str, subscriptions: list[str], what: str, extra: Mapping[str, Any], api_version: str
) -> list[Mapping[str, Any]]:
    rows: list[Mapping[str, Any]] = []
    token: str | None = None
    seen: set[str] = set()  # a cycle (A, B, A...) is as endless as a token repeated at once
    for _ in range(MAX_PAGES):
        options: dict[str, Any] = {"$top": PAGE_SIZE, "resultFormat": "objectArray", **extra}
        if token is not None:
            options["$skipToken"] = token
        body = _post(client, {"subscriptions": subscriptions, "query": query, "options": options}, api_version)
        rows.extend(_rows(body, what))
        following = body.get("$skipToken")
        if following is None or following == "":
            if body.get("resultTruncated") in (True, "true"):
                raise UnusableShape(f"the {what} answer is truncated and gives no $skipToken to read the rest")
            return rows
        if not isinstance(following, str):
            raise UnusableShape(f"the $skipToken of the {what} answer is {shape_of(following)}, not a string")
        if following in seen:
            raise PagingLoopError(f"the {what} answer gave the same $skipToken twice: the list never ends")
        seen.add(following)
        token = following
    raise PagingLoopError(f"more than {MAX_PAGES} pages in the {what} answer: the list never ends")


def _post(client: Any, body: Mapping[str, Any], api_version: str) -> Mapping[str, Any]:
    pipeline = client._client  # the ARM client's ARMPipelineClient
    request = HttpRequest(
        "POST",
        pipeline.format_url(PATH),
        params={"api-version": api_version},
        headers={"Accept": "application/json"},
        json=body,
    )
    # A failure is raised inside azure-core with ARM's error map, as arm.py's GETs and the SDK
    # raise it: the reason is the service's 'code: message'. A redirect is not followed: a 307 or
    # 308 would send the query again to wherever its Location says, which the secret guard refuses
    # as a write (SecretReadRefusedError ends the whole audit); it is the query's error instead.
    response = pipeline.send_request(request, permit_redirects=False)
    answer = json_answer(response)
    if str(response.headers.get(LIMIT_HIT, "")).strip().lower() == "true":
        # Never expected (every query names its subscriptions), never ignored: a partial answer.
        raise UnusableShape(
            "Resource Graph answered for the first 10,000 subscriptions of the scope only "
            f"({LIMIT_HIT}: true): the answer is partial"
        )
    if not isinstance(answer, Mapping):
        raise UnusableShape(f"the Resource Graph answer is {shape_of(answer)}, not an object")
    return answer


def _rows(body: Mapping[str, Any], what: str) -> list[Mapping[str, Any]]:
    data = body.get("data")
    if not isinstance(data, list):
        raise UnusableShape(f"the data of the {what} answer is {shape_of(data)}, not a list of rows")
    for row in data:
        if not isinstance(row, Mapping):
            raise UnusableShape(f"a row of the {what} answer is {shape_of(row)}, not an object")
    return data
