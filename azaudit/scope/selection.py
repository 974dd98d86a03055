"""The scope of a run: resolved once, before collection, into the subscriptions it audits.

A ``Scope`` turns the run's request (named subscriptions, management groups) into a
``Selection`` using the run's clients. Every scope honours ``--shard``: the selection keeps the
job's slice, and the rest of the chosen subscriptions as ``neighbours`` (what other jobs audit,
of which a shard job needs a directory of identities and registries). A tenant-wide scope
(every subscription through Azure Resource Graph) is one more ``Scope`` with its own ``select``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from azaudit.clients import Clients
from azaudit.inventory import Inventory
from azaudit.inventory.common import Subscription
from azaudit.inventory.coverage import Dataset
from azaudit.scope.management_groups import subscriptions_under
from azaudit.scope.neighbours import needs_neighbours, with_neighbour_identities
from azaudit.scope.subscriptions import choose, choose_under, visible_subscriptions
from azaudit.shard import Shard


@dataclass(frozen=True)
class Selection:
    """The subscriptions this run audits, and the chosen ones other ``--shard`` jobs audit."""

    subscriptions: list[Subscription]
    neighbours: list[Subscription]
    shard: Shard | None

    def with_neighbours(
        self, inventory: Inventory, clients: Clients, datasets: set[Dataset], concurrency: int
    ) -> Inventory:
        """``inventory`` plus the directory of the neighbours' identities and registries, when
        this is a shard job whose checks need it."""
        if self.shard is None or not needs_neighbours(datasets):
            return inventory
        return with_neighbour_identities(inventory, clients, self.neighbours, concurrency, datasets)


class Scope(Protocol):
    def select(self, clients: Clients) -> Selection: ...


def _sliced(chosen: Sequence[Subscription], shard: Shard | None) -> Selection:
    if shard is None:
        return Selection(list(chosen), [], None)
    mine = shard.take(chosen)
    return Selection(mine, [s for s in chosen if s not in mine], shard)


@dataclass(frozen=True)
class SubscriptionScope:
    """The subscriptions named (``-s``), or every enabled one the credential can see."""

    requested: tuple[str, ...]
    shard: Shard | None = None

    def select(self, clients: Clients) -> Selection:
        return _sliced(choose(visible_subscriptions(clients), self.requested), self.shard)


@dataclass(frozen=True)
class ManagementGroupScope:
    """The enabled subscriptions the named management groups hold, at any depth (``-m``)."""

    groups: tuple[str, ...]
    shard: Shard | None = None

    def select(self, clients: Clients) -> Selection:
        visible = visible_subscriptions(clients)
        members = subscriptions_under(clients, self.groups)
        return _sliced(choose_under(visible, members, self.groups), self.shard)


class ScopeRequest(Protocol):
    """What a run asks to audit (a ``RunConfig`` is one)."""

    @property
    def subscriptions(self) -> tuple[str, ...]: ...
    @property
    def management_groups(self) -> tuple[str, ...]: ...
    @property
    def shard(self) -> Shard | None: ...


def scope_for(config: ScopeRequest) -> Scope:
    if config.management_groups:
        return ManagementGroupScope(config.management_groups, config.shard)
    return SubscriptionScope(config.subscriptions, config.shard)
