"""One record per resource, however often an answer lists it.

ARM ids are case-insensitive, and an answer may list a resource twice: a page repeating an item,
or two pages naming the same resource with different casing. Auditing both copies would report
every finding twice and collect its secrets, keys and settings twice; dropping one silently would
hide that the answer was odd (and, when the copies differ, which one was judged). The ledger keeps
the first copy, drops the others before their follow-up collections are scheduled, and writes a
note. The one expected repetition stays silent: the same id, exactly, from different listings (a
custom role assignable in several subscriptions is listed by each of them). Role assignments are
kept once per subscription that lists them (:func:`record_key`): an Owner at a management group
owns every subscription below it, and each subscription's checks must see it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec

from azaudit.collect.tasks import Task
from azaudit.inventory.coverage import CollectionNote

_WORDS = {
    "Registry": "registry",
    "RegistryToken": "registry token",
    "CacheRule": "cache rule",
    "ContainerGroup": "container group",
    "KeyVault": "key vault",
    "Secret": "secret",
    "SecretListing": "secret listing",
    "Key": "key",
    "DiagnosticSetting": "diagnostic setting",
    "RoleAssignment": "role assignment",
    "RoleDefinition": "role definition",
    "UserAssignedIdentity": "managed identity",
    "DefenderPlan": "Defender plan",
}


def shown_id(record: object) -> str:
    """The id a record is known by: its ARM id, or for vault items (secrets, keys) the vault's id
    and the item's name, or for a vault's secret listing the vault's id. '' when it has none."""
    identity = getattr(record, "id", None)
    if isinstance(identity, str) and identity:
        return identity
    vault = getattr(record, "vault_id", None)
    if not isinstance(vault, str) or not vault:
        return ""
    name = getattr(record, "name", None)
    if isinstance(name, str):
        return f"{vault}/{type(record).__name__.lower()}s/{name}"
    return vault


# Fields that hold ARM ids or their parts (compared without case, as ARM does).
_ID_FIELDS = frozenset({"id", "resource_group", "subscription_id", "vault_id", "registry_id", "resource_id"})


def record_key(record: object, identity: str) -> tuple[object, ...]:
    """What makes two records one resource: their type and id (without case), and for a record
    kept per subscription (a role assignment inherited from a management group is listed by every
    subscription below it, and judged with each) the subscription that listed it too."""
    kind = type(record)
    per_subscription = _PER_SUBSCRIPTION.get(kind)
    if per_subscription is None:
        per_subscription = _PER_SUBSCRIPTION[kind] = bool(getattr(kind, "PER_SUBSCRIPTION", False))
    if per_subscription:
        return kind, identity.lower(), str(getattr(record, "subscription_id", "")).lower()
    return kind, identity.lower()


# Whether a record type is kept per subscription, by type: looking up a class attribute most
# types lack raises (and catches) an AttributeError each time, for every record.
_PER_SUBSCRIPTION: dict[type, bool] = {}


def _same(one: object, other: object) -> bool:
    """Two copies of a resource say the same thing (ids compared without case)."""

    def plain(record: object) -> object:
        values = msgspec.to_builtins(record)
        if isinstance(values, dict):
            return {k: v.lower() if k in _ID_FIELDS and isinstance(v, str) else v for k, v in values.items()}
        return values

    return plain(one) == plain(other)


def _words(record: object) -> str:
    kind = _WORDS.get(type(record).__name__, type(record).__name__)
    name = getattr(record, "name", None)
    return f"{kind} {name}" if isinstance(name, str) and name else kind


@dataclass
class Ledger:
    """The records and follow-up tasks admitted so far, and notes on the repeats turned away."""

    notes: list[CollectionNote] = field(default_factory=list)
    _records: dict[tuple[object, ...], tuple[object, Task]] = field(default_factory=dict)
    _tasks: set[tuple[str, str, str, str]] = field(default_factory=set)

    def admit(self, record: object, task: Task) -> bool:
        """True for the first copy of a resource; False (with a note when unexpected) for a repeat."""
        identity = shown_id(record)
        if not identity:
            return True
        key = record_key(record, identity)
        first = self._records.get(key)
        if first is None:
            self._records[key] = (record, task)
            return True
        kept, source = first
        kept_id = shown_id(kept)
        if kept_id == identity and source is not task:
            return False  # listed by two listings, as a custom role is: expected
        if kept_id == identity:
            how = f"appears twice in the {task.operation} answer"
        else:
            how = f"is listed twice with ids that differ only in case ({kept_id} and {identity})"
        differ = "" if _same(kept, record) else "; the copies differ and only the first was judged"
        self._note(task, kept_id, record, f"{_words(record)} {how}: audited once, as first listed{differ}")
        return False

    def admit_task(self, followup: Task, parent: Task) -> bool:
        """True for the first follow-up collection of a resource (a key listed twice is read once)."""
        if not followup.resource_id:
            return True
        key = (
            followup.dataset.value,
            followup.operation,
            followup.subscription_id.lower(),
            followup.resource_id.lower(),
        )
        if key in self._tasks:
            name = followup.resource_name or followup.resource_id
            self.notes.append(
                CollectionNote(
                    dataset=followup.dataset,
                    subscription_id=followup.subscription_id,
                    resource_id=followup.resource_id,
                    resource_name=name,
                    message=f"{name} is listed twice in the {parent.operation} answer: read once",
                )
            )
            return False
        self._tasks.add(key)
        return True

    def _note(self, task: Task, resource_id: str, record: object, message: str) -> None:
        name = getattr(record, "name", None)
        self.notes.append(
            CollectionNote(
                dataset=task.dataset,
                subscription_id=task.subscription_id,
                resource_id=resource_id,
                resource_name=name if isinstance(name, str) else "",
                message=message,
            )
        )
