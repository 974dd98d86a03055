"""Container registries, their repository-scoped tokens and their pull-through cache rules, read as
ARM JSON through the Container Registry client's own pipeline (no SDK model is built): one mapper
per resource serves a REST body and a Resource Graph row alike, and says once what an absent value
means. The field names and defaults are those of the Microsoft.ContainerRegistry REST spec
(``Registry/stable/2025-11-01/containerregistry.json``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from azaudit.clients import Clients
from azaudit.collect.arm import (
    arm_list,
    boolean,
    identity,
    integer,
    mapping,
    objects,
    private_endpoints,
    properties,
    string,
    tags,
)
from azaudit.collect.registration import provider_list
from azaudit.collect.spec import DatasetSpec, Per
from azaudit.collect.tasks import Collected, Task, UnusableShape
from azaudit.inventory.acr import CacheRule, Registry, RegistryToken, TokenCredential
from azaudit.inventory.common import Subscription, resource_group_of
from azaudit.inventory.coverage import Dataset

# The API version the SDK's registry, token and cache-rule operations use (azure-mgmt-containerregistry 15).
REGISTRY_API = "2025-11-01"


def _status(policies: Mapping[str, Any] | None, policy: str) -> str | None:
    """``policies.<policy>.status`` as ARM wrote it; absent is None: the checks name Azure's default."""
    found = mapping(policies, policy) if policies is not None else None
    return string(found, "status") if found is not None else None


def registry_record(reg: Mapping[str, Any], subscription_id: str) -> Registry:
    """One registry from its ARM JSON (a REST body or a Resource Graph row). Absent means, as the
    REST spec's defaults say: ``adminUserEnabled`` and ``anonymousPullEnabled`` false,
    ``publicNetworkAccess`` Enabled; no ``networkRuleSet`` (network_default_action None: the firewall
    check says what Azure does then) and no IP rule; no private endpoint; no managed identity. The
    policy statuses, ``encryption.status``, ``retentionPolicy.days`` and ``roleAssignmentMode`` stay
    None when absent ("not set"): each check that reads one names Azure's default for it (quarantine
    and trust disabled, export and ARM-audience tokens enabled, no customer-managed key, legacy
    registry permissions) and shows it in its evidence."""
    props = properties(reg)
    resource_id, name = string(reg, "id"), string(reg, "name")
    if not resource_id or not name:
        raise UnusableShape("it has no id or name")
    policies = mapping(props, "policies")
    rules = mapping(props, "networkRuleSet")
    ip_rules = objects(rules, "ipRules") if rules is not None else []
    retention = mapping(policies, "retentionPolicy") if policies is not None else None
    return Registry(
        id=resource_id,
        name=name,
        subscription_id=subscription_id,
        resource_group=resource_group_of(resource_id),
        location=string(reg, "location") or "",
        tags=tags(reg),
        sku=string(mapping(reg, "sku") or {}, "name") or "",
        login_server=string(props, "loginServer") or "",
        admin_user_enabled=boolean(props, "adminUserEnabled", False),
        anonymous_pull_enabled=boolean(props, "anonymousPullEnabled", False),
        public_network_access=string(props, "publicNetworkAccess", "Enabled") or "Enabled",
        network_default_action=string(rules, "defaultAction") if rules is not None else None,
        ip_rule_count=len(ip_rules),
        private_endpoints=private_endpoints(props),
        trust_policy_status=_status(policies, "trustPolicy"),
        quarantine_policy_status=_status(policies, "quarantinePolicy"),
        retention_policy_status=_status(policies, "retentionPolicy"),
        retention_days=integer(retention, "days") if retention is not None else None,
        export_policy_status=_status(policies, "exportPolicy"),
        arm_audience_policy_status=_status(policies, "azureADAuthenticationAsArmPolicy"),
        encryption_status=string(mapping(props, "encryption") or {}, "status"),
        identity=identity(reg),
        role_assignment_mode=string(props, "roleAssignmentMode"),
        ip_rules=tuple(string(rule, "value") or "" for rule in ip_rules),
    )


def registries(clients: Clients, sub: Subscription) -> Task:
    def run() -> Collected:
        found, notes = provider_list(
            clients.arm(), sub, "Microsoft.ContainerRegistry", "registries", REGISTRY_API, task.operation, task.dataset
        )
        collected = task.each(found, lambda r: registry_record(r, sub.subscription_id))
        collected.notes.extend(notes)
        return collected

    task = Task(Dataset.REGISTRIES, sub.subscription_id, "registries.list", run)
    return task


def _children(clients: Clients, registry: Registry, kind: str, operation: str) -> list[Mapping[str, Any]]:
    """Every item of one of ``registry``'s child lists (``tokens``, ``cacheRules``). The path is
    built as the SDK builds it, from the registry's resource group and name (tenant data), each
    quoted whole so it stays one path segment."""
    path = (
        f"/subscriptions/{quote(registry.subscription_id, safe='')}"
        f"/resourceGroups/{quote(registry.resource_group, safe='')}"
        f"/providers/Microsoft.ContainerRegistry/registries/{quote(registry.name, safe='')}/{kind}"
    )
    return arm_list(clients.arm(), path, REGISTRY_API, operation)


def token_record(token: Mapping[str, Any], registry: Registry) -> RegistryToken:
    """One repository-scoped token from its ARM JSON. Absent means: status and scope map unknown
    (None), no password and no certificate."""
    try:
        props = properties(token)
        credentials = mapping(props, "credentials")
        return RegistryToken(
            id=string(token, "id") or "",
            name=string(token, "name") or "",
            subscription_id=registry.subscription_id,
            registry_id=registry.id,
            status=string(props, "status"),
            scope_map_id=string(props, "scopeMapId"),
            passwords=token_credentials(objects(credentials, "passwords") if credentials is not None else []),
            certificates=token_credentials(objects(credentials, "certificates") if credentials is not None else []),
        )
    except UnusableShape as exc:
        name = token.get("name")
        raise UnusableShape(f"token {name if isinstance(name, str) and name else '(unnamed)'}: {exc}") from None


def tokens(clients: Clients, registry: Registry) -> Task:
    def run() -> Collected:
        # The token checks judge a registry by all of its tokens: one unreadable token leaves
        # the registry's verdict unknown, so the error is the registry's.
        return task.each(
            _children(clients, registry, "tokens", task.operation),
            lambda t: token_record(t, registry),
            lambda t: (registry.id, registry.name),
        )

    task = Task(Dataset.REGISTRY_TOKENS, registry.subscription_id, "tokens.list", run, registry.id, registry.name)
    return task


def cache_rule_record(rule: Mapping[str, Any], registry: Registry) -> CacheRule:
    """One pull-through cache rule from its ARM JSON. Absent repositories read as ''."""
    props = properties(rule)
    return CacheRule(
        id=string(rule, "id") or "",
        name=string(rule, "name") or "",
        subscription_id=registry.subscription_id,
        registry_id=registry.id,
        source_repository=string(props, "sourceRepository") or "",
        target_repository=string(props, "targetRepository") or "",
    )


def cache_rules(clients: Clients, registry: Registry) -> Task:
    """The pull-through cache rules of one registry (a paged list). A refusal, or one rule that
    cannot be read, is a collection error for this registry: its images cannot be told apart from
    cached public content."""

    def run() -> Collected:
        found = _children(clients, registry, "cacheRules", task.operation)
        return Collected(records=[cache_rule_record(rule, registry) for rule in found])

    task = Task(
        Dataset.REGISTRY_CACHE_RULES, registry.subscription_id, "cacheRules.list", run, registry.id, registry.name
    )
    return task


def token_credentials(items: list[Mapping[str, Any]]) -> tuple[TokenCredential, ...]:
    """The name and expiry of each password or certificate of a token. A password's ``value`` is
    never read (ARM returns it only when it is generated, which azaudit never asks for)."""
    return tuple(TokenCredential(name=string(item, "name") or "", expiry=_expiry(item)) for item in items)


def _expiry(item: Mapping[str, Any]) -> dt.datetime | None:
    """A credential's expiry (an ISO 8601 date or date-time; without an offset, UTC). One that is
    not a date reads as none: the credential counts as live, the conservative reading."""
    value = item.get("expiry")
    if not isinstance(value, str):
        return None
    try:
        expiry = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return expiry if expiry.tzinfo is not None else expiry.replace(tzinfo=dt.UTC)


DATASETS = (
    DatasetSpec(Dataset.REGISTRIES, {Registry: "registries"}, Per.SUBSCRIPTION, registries),
    DatasetSpec(Dataset.REGISTRY_TOKENS, {RegistryToken: "registry_tokens"}, Per.RECORD, tokens, follows=Registry),
    DatasetSpec(
        Dataset.REGISTRY_CACHE_RULES, {CacheRule: "registry_cache_rules"}, Per.RECORD, cache_rules, follows=Registry
    ),
)
