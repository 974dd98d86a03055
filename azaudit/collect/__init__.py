"""Collect the inventory: which tasks run for each subscription and each discovered record.

Only the datasets the selected checks need are collected. Every table here is derived from the
dataset specs each collector module declares (``DATASETS``, see :mod:`azaudit.collect.spec`):
adding a service is one collector module with its specs, listed in ``SERVICES``. Cross-service
follow-ups (the diagnostic settings of a registry or a vault) are declared by the collector that
gathers them, on the record type they follow, so that no collector module imports another.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from types import ModuleType

from azaudit.clients import Clients, import_client_modules
from azaudit.collect import aci, acr, defender, graph_source, images, keyvault, monitor, rbac, vulnerabilities
from azaudit.collect.dedup import record_key
from azaudit.collect.scheduler import Progress, run_tasks
from azaudit.collect.spec import DatasetSpec, Per
from azaudit.collect.tasks import Task
from azaudit.inventory import Inventory
from azaudit.inventory.common import Subscription
from azaudit.inventory.coverage import CollectionError, CollectionNote, Dataset
from azaudit.runconfig import Source

SERVICES: tuple[ModuleType, ...] = (acr, aci, keyvault, monitor, rbac, defender, images, vulnerabilities)

SPECS: tuple[DatasetSpec, ...] = tuple(spec for service in SERVICES for spec in service.DATASETS)

SubscriptionTask = Callable[[Clients, Subscription], Task]

PER_SUBSCRIPTION: tuple[tuple[Dataset, SubscriptionTask], ...] = tuple(
    (spec.dataset, spec.task) for spec in SPECS if spec.per is Per.SUBSCRIPTION
)

PER_RUN: tuple[tuple[Dataset, SubscriptionTask], ...] = tuple(
    (spec.dataset, spec.task) for spec in SPECS if spec.per is Per.RUN
)

# One task over all the subscriptions of the collection process (a shard queries its own share).
PER_SCOPE: tuple[tuple[Dataset, Callable[[Clients, Sequence[Subscription]], Task]], ...] = tuple(
    (spec.dataset, spec.task) for spec in SPECS if spec.per is Per.SCOPE
)


def _per_record() -> dict[type, tuple[tuple[Dataset, Callable[[Clients, object], Task]], ...]]:
    table: dict[type, list[tuple[Dataset, Callable[[Clients, object], Task]]]] = defaultdict(list)
    for spec in SPECS:
        if spec.follows is not None:
            table[spec.follows].append((spec.dataset, spec.task))
    return {record: tuple(tasks) for record, tasks in table.items()}


PER_RECORD = _per_record()

# The inventory field each record type goes to.
FIELDS: dict[type, str] = {record: name for spec in SPECS for record, name in spec.records.items()}


def _parents() -> dict[Dataset, tuple[Dataset, ...]]:
    """A dataset gathered per record needs the list that yields those records (unless its spec
    says otherwise)."""
    yielding = {record: spec.dataset for spec in SPECS if spec.per is Per.SUBSCRIPTION for record in spec.records}
    parents: dict[Dataset, tuple[Dataset, ...]] = {}
    for spec in SPECS:
        if spec.follows is None:
            continue
        declared = (yielding[spec.follows],) if spec.parents is None else spec.parents
        if declared:
            parents[spec.dataset] = tuple(dict.fromkeys((*parents.get(spec.dataset, ()), *declared)))
    return parents


PARENTS = _parents()


def needed_datasets(wanted: Iterable[Dataset]) -> frozenset[Dataset]:
    needed = set(wanted)
    for dataset in list(needed):
        needed.update(PARENTS.get(dataset, ()))
    return frozenset(needed)


def collect(
    clients: Clients,
    subscriptions: Sequence[Subscription],
    datasets: Iterable[Dataset],
    concurrency: int,
    progress: Progress | None = None,
    run_wide: bool = True,
    source: Source = Source.ARM,
) -> Inventory:
    """Collect ``datasets`` for ``subscriptions``. ``run_wide`` also collects the data listed once
    per run (built-in role definitions); a shard of a multi-process run leaves it to the first.
    ``source`` says where resources are enumerated (:mod:`azaudit.collect.graph_source`)."""
    # The clients' modules are imported before the collector threads start, not by the first
    # thread that builds each client: importlib hands a thread a half-imported module when two
    # threads' imports wait on each other.
    import_client_modules()
    needed = needed_datasets(datasets)
    graph = graph_source.resolve(source, len(subscriptions)) is Source.GRAPH
    initial = [
        factory(clients, sub)
        for sub in subscriptions
        for dataset, factory in PER_SUBSCRIPTION
        if dataset in needed and not (graph and factory in graph_source.REPLACED)
    ]
    if graph:
        initial += graph_source.tasks(clients, subscriptions, needed)
    if subscriptions and run_wide:
        initial += [factory(clients, subscriptions[0]) for dataset, factory in PER_RUN if dataset in needed]
    if subscriptions:
        initial += [factory(clients, subscriptions) for dataset, factory in PER_SCOPE if dataset in needed]

    def followups_of(record: object) -> list[Task]:
        return [factory(clients, record) for dataset, factory in PER_RECORD.get(type(record), ()) if dataset in needed]

    # the run's ARM pacing: over several subscriptions, a task of a dry bucket yields its thread
    outcome = run_tasks(initial, followups_of, concurrency, progress, clients.transport.pacer)
    return assemble(subscriptions, outcome.records, outcome.errors, outcome.notes)


def assemble(
    subscriptions: Sequence[Subscription],
    records: Iterable[object],
    errors: Iterable[CollectionError],
    notes: Iterable[CollectionNote],
) -> Inventory:
    """The inventory of collected records, deduplicated by id and in a stable order."""
    grouped: dict[str, list[object]] = defaultdict(list)
    seen: set[tuple[object, ...]] = set()
    for record in records:
        identity = getattr(record, "id", None)
        if identity is not None:
            # A custom role assignable in several subscriptions is listed by each of them (kept
            # once); an inherited role assignment is kept once per subscription (record_key).
            key = record_key(record, identity)
            if key in seen:
                continue
            seen.add(key)
        grouped[FIELDS[type(record)]].append(record)
    fields = {name: tuple(sorted(items, key=_sort_key)) for name, items in grouped.items()}
    return Inventory(
        subscriptions=tuple(subscriptions),
        errors=tuple(sorted(errors, key=lambda e: (e.subscription_id, e.dataset.value, e.resource_id))),
        # one note however many parts of the run wrote it (each says Resource Graph lags, say)
        notes=tuple(sorted(dict.fromkeys(notes), key=lambda n: n.resource_id)),
        **fields,  # type: ignore[arg-type]
    )


def merge(subscriptions: Sequence[Subscription], parts: Iterable[Inventory]) -> Inventory:
    """One inventory from those of several shards (each collected a share of the subscriptions)."""
    records: list[object] = []
    errors: list[CollectionError] = []
    notes: list[CollectionNote] = []
    for part in parts:
        for name in FIELDS.values():
            records.extend(getattr(part, name))
        errors.extend(part.errors)
        notes.extend(part.notes)
    return assemble(subscriptions, records, errors, notes)


def _sort_key(record: object) -> tuple[str, str, str]:
    primary = str(getattr(record, "id", "") or getattr(record, "vault_id", ""))
    # the subscription orders the copies of an inherited role assignment
    return primary.lower(), str(getattr(record, "name", "")).lower(), str(getattr(record, "subscription_id", ""))
