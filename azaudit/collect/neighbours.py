"""The managed identities of the subscriptions other ``--shard`` jobs audit.

A role assignment in one subscription may name a managed identity that lives in another (a
deployment identity of prod that is Contributor in dev). An audit of the whole tenant recognises
it from its own inventory; a job that audits one slice would not, and RBAC checks would judge the
assignment differently than the unsharded audit does. So a shard job also lists what holds
identities in the other subscriptions (user-assigned identities, container groups, registries,
vaults: four paged lists each, no per-resource call) and keeps only a directory of principal ids
and names. Nothing from those subscriptions is judged, and their collection failures belong to
the job that audits them, so they are not reported here.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from azaudit.clients import Clients
from azaudit.collect import collect
from azaudit.inventory import Inventory
from azaudit.inventory.common import Subscription
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.rbac import KnownIdentity

IDENTITY_HOLDERS = frozenset({Dataset.IDENTITIES, Dataset.CONTAINER_GROUPS, Dataset.REGISTRIES, Dataset.VAULTS})


def needs_neighbours(datasets: set[Dataset]) -> bool:
    """Whether the selected checks judge role assignments (whose principals need recognising)."""
    return Dataset.ROLE_ASSIGNMENTS in datasets


def with_neighbour_identities(
    inventory: Inventory, clients: Clients, others: Sequence[Subscription], concurrency: int
) -> Inventory:
    """``inventory`` plus a directory of the managed identities found in ``others``."""
    if not others:
        return inventory
    neighbours = collect(clients, others, set(IDENTITY_HOLDERS), concurrency)
    directory = tuple(
        KnownIdentity(principal_id=principal, words=words)
        for principal, words in sorted(neighbours.managed_identities().items())
    )
    return msgspec.structs.replace(inventory, identity_directory=directory)
