"""The frozen inventory a run collected, with the joins checks need.

Records are typed, frozen and round-trip through JSON (:func:`to_json` / :func:`from_json`).
Joins across services ("the diagnostic settings of this registry", "the role behind this
assignment") live here, so checks never reach into another service's collector.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar, cast

import msgspec

from azaudit.inventory.aci import ContainerGroup
from azaudit.inventory.acr import CacheRule, KnownRegistry, Registry, RegistryToken
from azaudit.inventory.common import Subscription, subscription_of
from azaudit.inventory.coverage import CollectionError, CollectionNote, Dataset
from azaudit.inventory.defender import DefenderPlan
from azaudit.inventory.images import ContainerGroupView, ImageArtifact
from azaudit.inventory.keyvault import Key, KeyVault, Secret, SecretListing
from azaudit.inventory.monitor import DiagnosticSetting
from azaudit.inventory.rbac import (
    BUILTIN_NAMES,
    KnownIdentity,
    RoleAssignment,
    RoleDefinition,
    UserAssignedIdentity,
    describe_scope,
    scope_kind,
)
from azaudit.inventory.vulnerabilities import ImageVulnerabilities, image_key

__all__ = ["CollectionError", "CollectionNote", "Dataset", "Inventory", "from_json", "to_json"]

T = TypeVar("T")


def _group(items: Iterable[T], key: str) -> Mapping[str, tuple[T, ...]]:
    grouped: dict[str, list[T]] = defaultdict(list)
    for item in items:
        grouped[str(getattr(item, key)).lower()].append(item)
    return {k: tuple(v) for k, v in grouped.items()}


class Inventory(msgspec.Struct, frozen=True, kw_only=True, dict=True):
    subscriptions: tuple[Subscription, ...] = ()
    registries: tuple[Registry, ...] = ()
    registry_tokens: tuple[RegistryToken, ...] = ()
    registry_cache_rules: tuple[CacheRule, ...] = ()
    registry_directory: tuple[KnownRegistry, ...] = ()  # of subscriptions other shards audit
    container_groups: tuple[ContainerGroup, ...] = ()
    vaults: tuple[KeyVault, ...] = ()
    secrets: tuple[Secret, ...] = ()
    secret_listings: tuple[SecretListing, ...] = ()
    keys: tuple[Key, ...] = ()
    diagnostic_settings: tuple[DiagnosticSetting, ...] = ()
    role_assignments: tuple[RoleAssignment, ...] = ()
    role_definitions: tuple[RoleDefinition, ...] = ()
    identities: tuple[UserAssignedIdentity, ...] = ()
    identity_directory: tuple[KnownIdentity, ...] = ()  # of subscriptions other shards audit
    defender_plans: tuple[DefenderPlan, ...] = ()
    container_group_views: tuple[ContainerGroupView, ...] = ()
    image_artifacts: tuple[ImageArtifact, ...] = ()
    image_vulnerabilities: tuple[ImageVulnerabilities, ...] = ()
    errors: tuple[CollectionError, ...] = ()
    notes: tuple[CollectionNote, ...] = ()

    # ---- joins ---------------------------------------------------------------------------

    @functools.cached_property
    def _diagnostics_by_resource(self) -> Mapping[str, tuple[DiagnosticSetting, ...]]:
        return _group(self.diagnostic_settings, "resource_id")

    def diagnostics_for(self, resource_id: str) -> tuple[DiagnosticSetting, ...]:
        """The diagnostic settings of a resource, or of a subscription (``/subscriptions/<id>``)."""
        return self._diagnostics_by_resource.get(resource_id.lower(), ())

    @functools.cached_property
    def _secrets_by_vault(self) -> Mapping[str, tuple[Secret, ...]]:
        return _group(self.secrets, "vault_id")

    def secrets_of(self, vault_id: str) -> tuple[Secret, ...]:
        return self._secrets_by_vault.get(vault_id.lower(), ())

    @functools.cached_property
    def _listing_by_vault(self) -> Mapping[str, SecretListing]:
        return {listing.vault_id.lower(): listing for listing in self.secret_listings}

    def secret_listing_of(self, vault_id: str) -> SecretListing | None:
        return self._listing_by_vault.get(vault_id.lower())

    @functools.cached_property
    def _keys_by_vault(self) -> Mapping[str, tuple[Key, ...]]:
        return _group(self.keys, "vault_id")

    def keys_of(self, vault_id: str) -> tuple[Key, ...]:
        return self._keys_by_vault.get(vault_id.lower(), ())

    @functools.cached_property
    def _tokens_by_registry(self) -> Mapping[str, tuple[RegistryToken, ...]]:
        return _group(self.registry_tokens, "registry_id")

    def tokens_of(self, registry_id: str) -> tuple[RegistryToken, ...]:
        return self._tokens_by_registry.get(registry_id.lower(), ())

    @functools.cached_property
    def _cache_rules_by_registry(self) -> Mapping[str, tuple[CacheRule, ...]]:
        return _group(self.registry_cache_rules, "registry_id")

    def cache_rules_of(self, registry_id: str) -> tuple[CacheRule, ...]:
        return self._cache_rules_by_registry.get(registry_id.lower(), ())

    @functools.cached_property
    def _role_by_guid(self) -> Mapping[str, RoleDefinition]:
        return {definition.guid.lower(): definition for definition in self.role_definitions}

    def role_definition(self, role_definition_id: str) -> RoleDefinition | None:
        """The role behind an assignment's ``roleDefinitionId`` (compared on its trailing GUID)."""
        guid = role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower()
        return self._role_by_guid.get(guid)

    @functools.cached_property
    def _managed_identities(self) -> Mapping[str, str]:
        """principal id → words naming the managed identity, from everything in the inventory."""
        found: dict[str, str] = {}
        for user_assigned in self.identities:
            found[user_assigned.principal_id.lower()] = f"user-assigned identity {user_assigned.name}"
        holders: list[tuple[str, str, object]] = []
        holders += [("container group", g.name, g.identity) for g in self.container_groups]
        holders += [("registry", r.name, r.identity) for r in self.registries]
        holders += [("key vault", v.name, v.identity) for v in self.vaults]
        for kind, name, identity in holders:
            principal = getattr(identity, "principal_id", "")
            if principal:
                found.setdefault(principal.lower(), f"system-assigned identity of {kind} {name}")
            for ref in getattr(identity, "user_assigned", ()):
                if ref.principal_id:
                    label = ref.id.rstrip("/").rsplit("/", 1)[-1]
                    found.setdefault(ref.principal_id.lower(), f"user-assigned identity {label}")
        for known in self.identity_directory:
            found.setdefault(known.principal_id.lower(), known.words)
        return found

    def managed_identities(self) -> Mapping[str, str]:
        """principal id → words, for every managed identity the inventory knows."""
        return self._managed_identities

    def managed_identity(self, principal_id: str) -> str | None:
        """Words naming the managed identity with this principal id, or None when it is not one
        the inventory knows."""
        return self._managed_identities.get(principal_id.lower())

    def role_name(self, role_definition_id: str) -> str:
        """The role's name; built-in names are known even when definitions were not listed, and an
        unknown role is named by its GUID."""
        definition = self.role_definition(role_definition_id)
        if definition is not None:
            return definition.name
        guid = role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower()
        return BUILTIN_NAMES.get(guid, f"role {guid}")

    def describe_scope(self, scope: str) -> str:
        """A role assignment scope in words, with subscriptions named as the user knows them."""
        words = describe_scope(scope)
        if scope_kind(scope) == "subscription":
            sub = self.subscription(subscription_of(scope))
            if sub is not None:
                words = f"subscription {sub.name}"
        return words

    def principal_words(self, principal_id: str, principal_type: str | None) -> str:
        """A principal in words: the managed identity it is when the inventory knows it, else its
        type and object id (azaudit makes no Microsoft Graph call)."""
        identity = self.managed_identity(principal_id)
        if identity is not None:
            return f"{identity} (object id {principal_id})"
        return f"{principal_type or 'principal'} {principal_id}"

    @functools.cached_property
    def _subscriptions_by_id(self) -> Mapping[str, Subscription]:
        return {s.subscription_id.lower(): s for s in self.subscriptions}

    def subscription(self, subscription_id: str) -> Subscription | None:
        return self._subscriptions_by_id.get(subscription_id.lower())

    @functools.cached_property
    def _plans_by_subscription(self) -> Mapping[str, tuple[DefenderPlan, ...]]:
        return _group(self.defender_plans, "subscription_id")

    def defender_plans_of(self, subscription_id: str) -> tuple[DefenderPlan, ...]:
        return self._plans_by_subscription.get(subscription_id.lower(), ())

    @functools.cached_property
    def _assignments_by_subscription(self) -> Mapping[str, tuple[RoleAssignment, ...]]:
        return _group(self.role_assignments, "subscription_id")

    def role_assignments_of(self, subscription_id: str) -> tuple[RoleAssignment, ...]:
        """The role assignments listed in one subscription, in inventory order (grouped once: the
        RBAC checks ask for each subscription, and reading the whole list each time grew with the
        number of subscriptions squared)."""
        return self._assignments_by_subscription.get(subscription_id.lower(), ())

    @functools.cached_property
    def _views_by_group(self) -> Mapping[str, ContainerGroupView]:
        return {view.id.lower(): view for view in self.container_group_views}

    def view_of(self, group_id: str) -> ContainerGroupView | None:
        """The instance view of a container group, when its GET answered."""
        return self._views_by_group.get(group_id.lower())

    @functools.cached_property
    def _artifacts_by_image(self) -> Mapping[tuple[str, str, str | None, str | None], ImageArtifact]:
        found = {}
        for artifact in self.image_artifacts:
            repository_tag_digest = artifact.id.rsplit("/images/", 1)[-1]
            name, _, digest = repository_tag_digest.rpartition("@")
            repository, _, tag = name.rpartition(":")
            key = (artifact.login_server.lower(), repository, tag or None, digest or None)
            found[key] = artifact
        return found

    def artifact_of(self, registry: str, repository: str, tag: str | None, digest: str | None) -> ImageArtifact | None:
        """What the registry said about one image reference (registry host lower case)."""
        return self._artifacts_by_image.get((registry.lower(), repository, tag, digest))

    @functools.cached_property
    def _vulnerabilities_by_image(self) -> Mapping[str, ImageVulnerabilities]:
        return {record.id.lower(): record for record in self.image_vulnerabilities}

    def vulnerabilities_of(self, login_server: str, repository: str, digest: str) -> ImageVulnerabilities | None:
        """Defender for Cloud's findings on one digest of a registry's repository, when it has any."""
        return self._vulnerabilities_by_image.get(image_key(login_server, repository, digest).lower())

    def derived(self, compute: Callable[[Inventory], T]) -> T:
        """``compute(self)``, computed once for this inventory and remembered with it: a join that
        several checks and the report read alike (what runs where: five image checks and the
        runtime block each joined every container anew). ``compute`` must be a pure function of
        the inventory; the inventory is frozen, so what it returned never goes stale. An inventory
        made from this one (``msgspec.structs.replace``) starts with nothing remembered. A
        ``compute`` that raises is not remembered: it raises again when asked again."""
        remembered = self._derived
        if compute in remembered:
            return cast(T, remembered[compute])
        value = remembered[compute] = compute(self)
        return value

    def shared(self, produce: Callable[[Inventory], Iterable[T]]) -> Iterable[T]:
        """The items ``produce(self)`` yields, made once for this inventory and remembered (as
        :meth:`derived` remembers a value) for every caller that reads them all: a join of what runs
        where, say. Should making them raise on an odd record, nothing is remembered and each
        caller gets ``produce(self)`` itself, lazily: it sees the items before that record and then
        the same exception, as when nothing was shared (a check keeps the findings it made)."""
        remembered = self._derived
        if produce in remembered:
            return cast(tuple[T, ...], remembered[produce])
        try:
            items = remembered[produce] = tuple(produce(self))
        except Exception:
            return produce(self)
        return items

    @functools.cached_property
    def _derived(self) -> dict[Callable[[Inventory], object], object]:
        return {}

    def errors_for(self, datasets: Iterable[Dataset]) -> tuple[CollectionError, ...]:
        wanted = set(datasets)
        return tuple(e for e in self.errors if e.dataset in wanted)


def to_json(inventory: Inventory) -> bytes:
    return msgspec.json.encode(inventory)


def from_json(data: bytes | str) -> Inventory:
    return msgspec.json.decode(data, type=Inventory)
