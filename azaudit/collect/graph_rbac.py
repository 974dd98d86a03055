"""Role assignments through Azure Resource Graph (``--source graph``): for every audited
subscription the set ``roleAssignments.listForSubscription`` returns (the assignments at the
subscription, below it, and inherited from its management groups and the root), from two paged
queries over all of them instead of one paged list per subscription.

- ``resourcecontainers``, type ``microsoft.resources/subscriptions``: each subscription's
  ``properties.managementGroupAncestorsChain``, its management groups from the parent up to the
  tenant root group (https://learn.microsoft.com/azure/governance/management-groups/resource-graph-samples).
- ``authorizationresources``, type ``microsoft.authorization/roleassignments``, with the request
  option ``authorizationScopeFilter`` ``AtScopeAboveAndBelow`` (API 2022-10-01 and later): the
  assignments at, below and above the subscriptions named (the default, ``AtScopeAndBelow``, leaves
  out those of management groups and the root).

A row belongs to a subscription when the scope its ARM id names
(``{scope}/providers/Microsoft.Authorization/roleAssignments/{name}``) is that subscription or
below it, one of the management groups of its chain, or the root ``/``; it is read by the ARM
path's mapper (:func:`azaudit.collect.rbac.assignment_record`) once for each such subscription,
and, as there, one unreadable row fails that subscription's list. When Resource Graph refuses,
stays throttled or answers what cannot be read, every subscription is listed through ARM instead,
with a note; a subscription Resource Graph gives no readable chain for (a new one not indexed
yet, say) is listed through ARM alone, with a note naming it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from azure.core.exceptions import AzureError

from azaudit.clients import Clients
from azaudit.collect import rbac
from azaudit.collect.graph import AUTHORIZATION_API, LAG, graph_query, source_note
from azaudit.collect.sdk import shape_of
from azaudit.collect.tasks import Collected, Task, UnusableShape, describe_failure
from azaudit.errors import TransportRefusal
from azaudit.inventory.common import Subscription
from azaudit.inventory.coverage import CollectionError, Dataset

SUBSCRIPTIONS_QUERY = "resourcecontainers | where type =~ 'microsoft.resources/subscriptions'"
ASSIGNMENTS_QUERY = "authorizationresources | where type =~ 'microsoft.authorization/roleassignments'"
SCOPE_FILTER = {"authorizationScopeFilter": "AtScopeAboveAndBelow"}
OPERATION = "resourceGraph(microsoft.authorization/roleassignments)"
WHAT = "roleassignments"
_ASSIGNMENT = "/providers/microsoft.authorization/roleassignments/"
_GROUP = "/providers/microsoft.management/managementgroups/"


def assignments(clients: Clients, subscriptions: Sequence[Subscription]) -> Task:
    """The task listing the role assignments of ``subscriptions`` through Resource Graph."""

    def run() -> Collected:
        ids = [s.subscription_id for s in subscriptions]
        try:
            graph = clients.arm()
            chains = ancestor_chains(graph_query(graph, SUBSCRIPTIONS_QUERY, ids, "resourceGraph(subscriptions)"))
            rows = graph_query(graph, ASSIGNMENTS_QUERY, ids, OPERATION, SCOPE_FILTER, AUTHORIZATION_API)
            scopes = [assignment_scope(row) for row in rows]
        except (AzureError, UnusableShape, TransportRefusal) as exc:
            _, reason = describe_failure(exc)
            message = (
                f"Azure Resource Graph could not list them ({reason}): listed through Azure Resource Manager, "
                "one list per subscription, instead"
            )
            return Collected(
                notes=[source_note(Dataset.ROLE_ASSIGNMENTS, WHAT, message)],
                followups=[rbac.role_assignments(clients, sub) for sub in subscriptions],
            )
        known = [s for s in subscriptions if s.subscription_id.lower() in chains]
        collected = _read(task, list(zip(rows, scopes, strict=True)), known, chains)
        collected.notes.append(
            source_note(Dataset.ROLE_ASSIGNMENTS, WHAT, f"listed through Azure Resource Graph. {LAG}")
        )
        for sub in subscriptions:
            if sub.subscription_id.lower() not in chains:
                collected.notes.append(
                    source_note(
                        Dataset.ROLE_ASSIGNMENTS,
                        WHAT,
                        "Azure Resource Graph gives no readable management group ancestors for this subscription "
                        "(it may not be indexed yet): listed through Azure Resource Manager instead",
                        sub.subscription_id,
                    )
                )
                collected.followups.append(rbac.role_assignments(clients, sub))
        return collected

    task = Task(Dataset.ROLE_ASSIGNMENTS, "", OPERATION, run, paced=False)  # a Resource Graph POST
    return task


def ancestor_chains(rows: Sequence[Mapping[str, Any]]) -> dict[str, frozenset[str]]:
    """Each subscription's management groups (names, lower case), from its ``resourcecontainers``
    row. A row whose chain is absent or not a list of named groups is left out: its subscription's
    inherited assignments cannot be told, so it is listed through ARM."""
    chains: dict[str, frozenset[str]] = {}
    for row in rows:
        subscription = row.get("subscriptionId")
        props = row.get("properties")
        chain = props.get("managementGroupAncestorsChain") if isinstance(props, Mapping) else None
        if not isinstance(subscription, str) or not subscription or not isinstance(chain, list):
            continue
        names = [group.get("name") if isinstance(group, Mapping) else None for group in chain]
        if all(isinstance(name, str) and name for name in names):
            chains[subscription.lower()] = frozenset(str(name).lower() for name in names)
    return chains


def assignment_scope(row: Mapping[str, Any]) -> str:
    """The scope (lower case) a role assignment row's ARM id names; ``/`` for the root. A row
    without one cannot be given to any subscription: the whole answer is unusable."""
    resource_id = row.get("id")
    if not isinstance(resource_id, str):
        raise UnusableShape(f"a row of the {OPERATION} answer has an id that is {shape_of(resource_id)}")
    lowered = resource_id.lower()
    at = lowered.rfind(_ASSIGNMENT)
    if at < 0 or not lowered[at + len(_ASSIGNMENT) :] or "/" in lowered[at + len(_ASSIGNMENT) :]:
        raise UnusableShape(f"a row of the {OPERATION} answer has an id that names no role assignment")
    return lowered[:at] or "/"


def holders(scope: str, chains: Mapping[str, frozenset[str]]) -> list[str]:
    """The audited subscriptions (lower case) whose ``listForSubscription`` holds an assignment at
    ``scope``: every one for the root, the subscription itself at or below it, the subscriptions
    with that management group in their chain; none for any other scope."""
    if scope == "/":
        return list(chains)
    if scope.startswith("/subscriptions/"):
        subscription = scope.split("/")[2]
        return [subscription] if subscription in chains else []
    if scope.startswith(_GROUP) and "/" not in scope[len(_GROUP) :]:
        group = scope[len(_GROUP) :]
        return [key for key, chain in chains.items() if group in chain]
    return []


def _read(
    task: Task,
    rows: list[tuple[Mapping[str, Any], str]],
    subscriptions: Sequence[Subscription],
    chains: Mapping[str, frozenset[str]],
) -> Collected:
    audited = {s.subscription_id.lower(): s.subscription_id for s in subscriptions}
    scoped = {key: chains[key] for key in audited}
    records: dict[str, list[object]] = {key: [] for key in audited}
    failed: dict[str, CollectionError] = {}
    for row, scope in rows:
        for key in holders(scope, scoped):
            try:
                records[key].append(rbac.assignment_record(row, audited[key]))
            except (ValueError, TypeError, AttributeError, KeyError) as exc:  # UnusableShape too
                # judged as a whole on the ARM path: the subscription's list is unusable
                reason = task.unusable(row, exc, _row_scope).reason
                failed.setdefault(
                    key,
                    CollectionError(
                        dataset=task.dataset, subscription_id=audited[key], operation=task.operation, reason=reason
                    ),
                )
    return Collected(
        records=[record for key, found in records.items() if key not in failed for record in found],
        errors=list(failed.values()),
    )


def _row_scope(row: Any) -> tuple[str, str]:
    resource_id, name = row.get("id"), row.get("name")
    return str(resource_id), name if isinstance(name, str) else ""
