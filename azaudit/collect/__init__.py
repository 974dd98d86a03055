"""Collect the inventory: which tasks run for each subscription and each discovered record.

Only the datasets the selected checks need are collected. Cross-service follow-ups (the
diagnostic settings of a registry or a vault) are declared here, so that no collector module
imports another.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from azaudit.clients import Clients
from azaudit.collect import aci, acr, defender, keyvault, monitor, rbac
from azaudit.collect.scheduler import Progress, run_tasks
from azaudit.collect.tasks import Task
from azaudit.inventory import Inventory
from azaudit.inventory.aci import ContainerGroup
from azaudit.inventory.acr import CacheRule, Registry, RegistryToken
from azaudit.inventory.common import Subscription
from azaudit.inventory.coverage import CollectionError, CollectionNote, Dataset
from azaudit.inventory.defender import DefenderPlan
from azaudit.inventory.keyvault import Key, KeyVault, Secret, SecretListing
from azaudit.inventory.monitor import DiagnosticSetting
from azaudit.inventory.rbac import RoleAssignment, RoleDefinition, UserAssignedIdentity

SubscriptionTask = Callable[[Clients, Subscription], Task]

PER_SUBSCRIPTION: tuple[tuple[Dataset, SubscriptionTask], ...] = (
    (Dataset.REGISTRIES, acr.registries),
    (Dataset.CONTAINER_GROUPS, aci.container_groups),
    (Dataset.VAULTS, keyvault.vaults),
    (Dataset.ACTIVITY_LOG, monitor.activity_log),
    (Dataset.ROLE_ASSIGNMENTS, rbac.role_assignments),
    (Dataset.ROLE_DEFINITIONS, rbac.custom_roles),
    (Dataset.IDENTITIES, rbac.identities),
    (Dataset.DEFENDER_PLANS, defender.plans),
)

PER_RUN: tuple[tuple[Dataset, SubscriptionTask], ...] = ((Dataset.ROLE_DEFINITIONS, rbac.builtin_roles),)

PER_RECORD: dict[type, tuple[tuple[Dataset, Callable[[Clients, object], Task]], ...]] = {
    Registry: (
        (Dataset.REGISTRY_TOKENS, acr.tokens),  # type: ignore[dict-item]
        (Dataset.REGISTRY_CACHE_RULES, acr.cache_rules),  # type: ignore[dict-item]
        (Dataset.DIAGNOSTIC_SETTINGS, monitor.diagnostic_settings),
    ),
    ContainerGroup: ((Dataset.CONTAINER_GROUP_DIAGNOSTICS, monitor.container_group_diagnostics),),  # type: ignore[dict-item]
    KeyVault: (
        (Dataset.SECRETS, keyvault.secrets),  # type: ignore[dict-item]
        (Dataset.KEYS, keyvault.keys),  # type: ignore[dict-item]
        (Dataset.DIAGNOSTIC_SETTINGS, monitor.diagnostic_settings),
    ),
}

# A dataset gathered per record needs the list that yields those records.
PARENTS: dict[Dataset, tuple[Dataset, ...]] = {
    Dataset.REGISTRY_TOKENS: (Dataset.REGISTRIES,),
    Dataset.REGISTRY_CACHE_RULES: (Dataset.REGISTRIES,),
    Dataset.SECRETS: (Dataset.VAULTS,),
    Dataset.KEYS: (Dataset.VAULTS,),
    Dataset.CONTAINER_GROUP_DIAGNOSTICS: (Dataset.CONTAINER_GROUPS,),
}

FIELDS: dict[type, str] = {
    Registry: "registries",
    RegistryToken: "registry_tokens",
    CacheRule: "registry_cache_rules",
    ContainerGroup: "container_groups",
    KeyVault: "vaults",
    Secret: "secrets",
    SecretListing: "secret_listings",
    Key: "keys",
    DiagnosticSetting: "diagnostic_settings",
    RoleAssignment: "role_assignments",
    RoleDefinition: "role_definitions",
    UserAssignedIdentity: "identities",
    DefenderPlan: "defender_plans",
}


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
) -> Inventory:
    """Collect ``datasets`` for ``subscriptions``. ``run_wide`` also collects the data listed once
    per run (built-in role definitions); a shard of a multi-process run leaves it to the first."""
    needed = needed_datasets(datasets)
    initial = [
        factory(clients, sub) for sub in subscriptions for dataset, factory in PER_SUBSCRIPTION if dataset in needed
    ]
    if subscriptions and run_wide:
        initial += [factory(clients, subscriptions[0]) for dataset, factory in PER_RUN if dataset in needed]

    def followups_of(record: object) -> list[Task]:
        return [factory(clients, record) for dataset, factory in PER_RECORD.get(type(record), ()) if dataset in needed]

    outcome = run_tasks(initial, followups_of, concurrency, progress)
    return assemble(subscriptions, outcome.records, outcome.errors, outcome.notes)


def assemble(
    subscriptions: Sequence[Subscription],
    records: Iterable[object],
    errors: Iterable[CollectionError],
    notes: Iterable[CollectionNote],
) -> Inventory:
    """The inventory of collected records, deduplicated by id and in a stable order."""
    grouped: dict[str, list[object]] = defaultdict(list)
    seen: set[tuple[type, str]] = set()
    for record in records:
        identity = getattr(record, "id", None)
        if identity is not None:
            # A custom role assignable in several subscriptions is listed by each of them.
            if (type(record), identity.lower()) in seen:
                continue
            seen.add((type(record), identity.lower()))
        grouped[FIELDS[type(record)]].append(record)
    fields = {name: tuple(sorted(items, key=_sort_key)) for name, items in grouped.items()}
    return Inventory(
        subscriptions=tuple(subscriptions),
        errors=tuple(sorted(errors, key=lambda e: (e.subscription_id, e.dataset.value, e.resource_id))),
        notes=tuple(sorted(notes, key=lambda n: n.resource_id)),
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


def _sort_key(record: object) -> tuple[str, str]:
    primary = str(getattr(record, "id", "") or getattr(record, "vault_id", ""))
    return primary.lower(), str(getattr(record, "name", "")).lower()
