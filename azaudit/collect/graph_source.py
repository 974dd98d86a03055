"""Enumerate through Azure Resource Graph (``--source graph``): a few paged queries for the whole
scope instead of one ARM list per subscription and service.

Each :class:`Enumeration` replaces one per-subscription ARM list: its query's rows are ARM JSON
(:mod:`azaudit.collect.graph`), read by the same mapper as that list's items, and every record
then gets its per-record follow-ups (tokens, cache rules, diagnostic settings, secrets...) through
ARM as usual. When Resource Graph refuses (403), stays throttled after the retries (429), or
fails in any other way, the enumeration falls back to the ARM lists it replaces, with a note that
says so; when it answers, a note says the inventory came from Resource Graph and what its lag
means. Never a silent change of source.

Role assignments come from Resource Graph too (:mod:`azaudit.collect.graph_rbac`): its
``authorizationresources`` table holds them at every scope (table reference:
https://learn.microsoft.com/azure/governance/resource-graph/reference/supported-tables-resources),
the request option ``authorizationScopeFilter`` ``AtScopeAboveAndBelow`` (REST API 2022-10-01 and
later) brings those of the management groups above the subscriptions, and ``resourcecontainers``
gives each subscription's ``managementGroupAncestorsChain``, which tells which of them it inherits.

What stays on ARM, and why:

- **Custom role definitions.** ``authorizationresources`` holds
  ``microsoft.authorization/roledefinitions``, but nothing Microsoft publishes says how a custom
  role assignable in several subscriptions, or created at a management group, is written there
  (one row or one per scope, which id and ``subscriptionId``), while ARM's list at a subscription
  gives every role applicable there under that subscription's id. Built-in roles are one list
  per run already.
- **Defender plans.** ``securityresources`` holds ``microsoft.security/pricings``, and Microsoft's
  sample query reads ``properties.pricingTier`` from it; no Microsoft page says the row carries
  ``subPlan``, ``extensions``, ``deprecated`` or ``enablementTime``, which DEF001-DEF003 judge. A row
  without ``extensions`` would read as "every extension off": a wrong FAIL, not an ERROR.
- **The activity log's diagnostic settings.** No Resource Graph table holds
  ``microsoft.insights/diagnosticsettings`` (the table reference lists
  ``guestdiagnosticsettings`` in ``resources`` and, in ``insightresources``, only data collection
  rule associations and tenant action groups).
- Every per-record dataset (tokens, cache rules, diagnostic settings, secrets, keys...).

Registries, container groups, key vaults and identities are read by the very mappers of their ARM
lists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from azure.core.exceptions import AzureError

from azaudit.clients import Clients
from azaudit.collect import aci, acr, graph_rbac, keyvault, rbac
from azaudit.collect.graph import LAG, graph_query, source_note
from azaudit.collect.tasks import Collected, Task, UnusableShape, describe_failure
from azaudit.errors import TransportRefusal
from azaudit.inventory.common import Subscription
from azaudit.inventory.coverage import CollectionError, CollectionNote, Dataset
from azaudit.runconfig import Source

# ``auto`` uses Resource Graph from this many audited subscriptions (of one collection process).
AUTO_THRESHOLD = 10


def resolve(source: Source, subscriptions: int, live: bool = True) -> Source:
    """``auto`` as arm or graph. Only a live run that is not recorded picks graph by itself: a
    replayed or injected network answers what its recording or its author chose (ask for graph
    with ``--source graph``), and a recording made through the ARM lists replays at any scope."""
    if source is Source.AUTO:
        return Source.GRAPH if live and subscriptions >= AUTO_THRESHOLD else Source.ARM
    return source


@dataclass(frozen=True)
class Enumeration:
    """One ARM list per subscription (``arm``) replaced by one Resource Graph query."""

    dataset: Dataset
    table: str
    resource_type: str  # lower case, as Resource Graph writes types
    record: Callable[[Mapping[str, Any], str], object]  # the ARM path's mapper: (row, subscription id)
    arm: Callable[[Clients, Subscription], Task]
    # True when the ARM path judges a subscription's list as a whole: an unreadable row then fails
    # its subscription's list, as it does there; else it is ERROR for that resource alone.
    whole_list: bool = False

    @property
    def query(self) -> str:
        return f"{self.table} | where type =~ '{self.resource_type}'"


ENUMERATIONS: tuple[Enumeration, ...] = (
    Enumeration(
        Dataset.REGISTRIES,
        "resources",
        "microsoft.containerregistry/registries",
        acr.registry_record,
        acr.registries,
    ),
    Enumeration(
        Dataset.CONTAINER_GROUPS,
        "resources",
        "microsoft.containerinstance/containergroups",
        aci.container_group_record,
        aci.container_groups,
    ),
    Enumeration(Dataset.VAULTS, "resources", "microsoft.keyvault/vaults", keyvault.vault_record, keyvault.vaults),
    Enumeration(
        Dataset.IDENTITIES,
        "resources",
        "microsoft.managedidentity/userassignedidentities",
        rbac.identity_record,
        rbac.identities,
        whole_list=True,
    ),
)

REPLACED: frozenset[Callable[[Clients, Subscription], Task]] = frozenset(
    [*(e.arm for e in ENUMERATIONS), rbac.role_assignments]
)


def tasks(clients: Clients, subscriptions: Sequence[Subscription], needed: frozenset[Dataset]) -> list[Task]:
    """One Resource Graph task per needed enumeration, over all of ``subscriptions``."""
    found = [_task(clients, e, subscriptions) for e in ENUMERATIONS if e.dataset in needed and subscriptions]
    if Dataset.ROLE_ASSIGNMENTS in needed and subscriptions:
        found.append(graph_rbac.assignments(clients, subscriptions))
    return found


def _task(clients: Clients, enumeration: Enumeration, subscriptions: Sequence[Subscription]) -> Task:
    operation = f"resourceGraph({enumeration.resource_type})"

    def run() -> Collected:
        try:
            rows = graph_query(clients.arm(), enumeration.query, [s.subscription_id for s in subscriptions], operation)
        except (AzureError, UnusableShape, TransportRefusal) as exc:
            _, reason = describe_failure(exc)
            return Collected(
                notes=[
                    _note(
                        enumeration,
                        f"Azure Resource Graph could not list them ({reason}): listed through Azure "
                        "Resource Manager, one list per subscription, instead",
                    )
                ],
                followups=[enumeration.arm(clients, sub) for sub in subscriptions],
            )
        collected = _read(task, enumeration, rows, {s.subscription_id.lower(): s for s in subscriptions})
        collected.notes.append(_note(enumeration, f"listed through Azure Resource Graph. {LAG}"))
        return collected

    task = Task(enumeration.dataset, "", operation, run, paced=False)  # a Resource Graph POST
    return task


def _read(
    task: Task, enumeration: Enumeration, rows: list[Mapping[str, Any]], scope: dict[str, Subscription]
) -> Collected:
    """The records of ``rows``, each read by the ARM path's mapper for the subscription it is in."""
    records: dict[str, list[object]] = {key: [] for key in scope}
    errors: list[CollectionError] = []
    failed: dict[str, CollectionError] = {}
    for row in rows:
        key = _subscription_of(row)
        if key is None or key not in scope:
            continue  # not a resource of the audited scope
        subscription_id = scope[key].subscription_id
        try:
            records[key].append(enumeration.record(row, subscription_id))
        except (ValueError, TypeError, AttributeError, KeyError) as exc:  # UnusableShape too
            error = task.unusable(row, exc, _row_scope)
            if enumeration.whole_list:
                # judged as a whole on the ARM path: the subscription's list is unusable
                failed.setdefault(
                    key,
                    CollectionError(
                        dataset=enumeration.dataset,
                        subscription_id=subscription_id,
                        operation=task.operation,
                        reason=error.reason,
                    ),
                )
            else:
                errors.append(_in_subscription(error, subscription_id))
    errors.extend(failed.values())
    return Collected(
        records=[record for key, found in records.items() if key not in failed for record in found],
        errors=errors,
    )


def _subscription_of(row: Mapping[str, Any]) -> str | None:
    """The subscription of a row: its ``subscriptionId``, else the one its ARM id names."""
    value = row.get("subscriptionId")
    if isinstance(value, str) and value:
        return value.lower()
    resource_id = row.get("id")
    if isinstance(resource_id, str):
        parts = resource_id.split("/")
        if len(parts) > 2 and parts[1].lower() == "subscriptions":
            return parts[2].lower()
    return None


def _row_scope(row: Any) -> tuple[str, str]:
    resource_id, name = row.get("id"), row.get("name")
    return (
        resource_id if isinstance(resource_id, str) and resource_id.startswith("/") else "",
        name if isinstance(name, str) else "",
    )


def _in_subscription(error: CollectionError, subscription_id: str) -> CollectionError:
    return CollectionError(
        dataset=error.dataset,
        subscription_id=subscription_id,
        resource_id=error.resource_id,
        resource_name=error.resource_name,
        operation=error.operation,
        status_code=error.status_code,
        reason=error.reason,
    )


def _note(enumeration: Enumeration, message: str) -> CollectionNote:
    return source_note(enumeration.dataset, enumeration.resource_type.rsplit("/", 1)[-1], message)
