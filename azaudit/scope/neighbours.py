"""The managed identities and registries of the subscriptions other ``--shard`` jobs audit.

A role assignment in one subscription may name a managed identity that lives in another (a
deployment identity of prod that is Contributor in dev). An audit of the whole tenant recognises
it from its own inventory; a job that audits one slice would not, and RBAC checks would judge the
assignment differently than the unsharded audit does. So a shard job also lists what holds
identities in the other subscriptions (user-assigned identities, container groups, registries,
vaults: four paged lists each, no per-resource call) and keeps only a directory of principal ids
and names. Likewise ACI001 approves by default the registries of every audited subscription
and must know their cache rules: a job that judges container groups also lists the other
subscriptions' registries and their cache rules, and keeps a directory of login servers and
rules. Nothing from those subscriptions is judged, and their collection failures belong to the
job that audits them, so they are not reported here (a registry whose cache rules could not be
read is marked so, and images from it are not assessed).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import msgspec

from azaudit.clients import Clients
from azaudit.collect import collect
from azaudit.inventory import Inventory
from azaudit.inventory.acr import KnownRegistry
from azaudit.inventory.common import Subscription
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.rbac import KnownIdentity

IDENTITY_HOLDERS = frozenset({Dataset.IDENTITIES, Dataset.CONTAINER_GROUPS, Dataset.REGISTRIES, Dataset.VAULTS})


def needs_neighbours(datasets: set[Dataset]) -> bool:
    """Whether the selected checks judge role assignments (whose principals need recognising) or
    images against the audited registries (whose login servers and cache rules are needed)."""
    return Dataset.ROLE_ASSIGNMENTS in datasets or Dataset.REGISTRY_CACHE_RULES in datasets


def with_neighbour_identities(
    inventory: Inventory,
    clients: Clients,
    others: Sequence[Subscription],
    concurrency: int,
    datasets: Collection[Dataset] = frozenset({Dataset.ROLE_ASSIGNMENTS}),
) -> Inventory:
    """``inventory`` plus a directory of the managed identities (and, when images are judged,
    of the registries and their cache rules) found in ``others``."""
    if not others:
        return inventory
    wanted = set(IDENTITY_HOLDERS)
    registries = Dataset.REGISTRY_CACHE_RULES in datasets
    if registries:
        wanted.add(Dataset.REGISTRY_CACHE_RULES)
    neighbours = collect(clients, others, wanted, concurrency)
    directory = tuple(
        KnownIdentity(principal_id=principal, words=words)
        for principal, words in sorted(neighbours.managed_identities().items())
    )
    inventory = msgspec.structs.replace(inventory, identity_directory=directory)
    if not registries:
        return inventory
    lost = {e.resource_id.lower() for e in neighbours.errors_for([Dataset.REGISTRY_CACHE_RULES])}
    known = tuple(
        KnownRegistry(
            id=registry.id,
            name=registry.name,
            login_server=registry.login_server,
            cache_rules=neighbours.cache_rules_of(registry.id),
            cache_rules_read=registry.id.lower() not in lost,
        )
        for registry in neighbours.registries
    )
    return msgspec.structs.replace(inventory, registry_directory=known)
