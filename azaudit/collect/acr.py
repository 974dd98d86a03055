"""Container registries, their repository-scoped tokens and their pull-through cache rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from azaudit.clients import Clients
from azaudit.collect.sdk import get, identity_of, private_endpoints, properties_of, tags_of, text
from azaudit.collect.spec import DatasetSpec, Per
from azaudit.collect.tasks import Collected, Task, UnusableShape
from azaudit.inventory.acr import CacheRule, Registry, RegistryToken, TokenCredential
from azaudit.inventory.common import Subscription, resource_group_of
from azaudit.inventory.coverage import Dataset


def registry_record(reg: Any, subscription_id: str) -> Registry:
    props = properties_of(reg)
    policies = get(props, "policies")
    rules = get(props, "network_rule_set")
    return Registry(
        id=reg.id,
        name=reg.name,
        subscription_id=subscription_id,
        resource_group=resource_group_of(reg.id),
        location=reg.location,
        tags=tags_of(get(reg, "tags")),
        sku=text(get(reg, "sku", "name")) or "",
        login_server=text(get(props, "login_server")) or "",
        admin_user_enabled=bool(get(props, "admin_user_enabled")),
        anonymous_pull_enabled=bool(get(props, "anonymous_pull_enabled")),
        public_network_access=text(get(props, "public_network_access")) or "Enabled",
        network_default_action=text(get(rules, "default_action")) if rules is not None else None,
        ip_rule_count=len(get(rules, "ip_rules") or ()),
        private_endpoints=private_endpoints(get(props, "private_endpoint_connections")),
        trust_policy_status=text(get(policies, "trust_policy", "status")),
        quarantine_policy_status=text(get(policies, "quarantine_policy", "status")),
        retention_policy_status=text(get(policies, "retention_policy", "status")),
        retention_days=get(policies, "retention_policy", "days"),
        export_policy_status=text(get(policies, "export_policy", "status")),
        arm_audience_policy_status=text(get(policies, "azure_ad_authentication_as_arm_policy", "status")),
        encryption_status=text(get(props, "encryption", "status")),
        identity=identity_of(get(reg, "identity")),
        role_assignment_mode=text(get(props, "role_assignment_mode")),
        ip_rules=tuple(text(get(r, "ip_address_or_range")) or "" for r in get(rules, "ip_rules") or ()),
    )


def registries(clients: Clients, sub: Subscription) -> Task:
    def run() -> Collected:
        client = clients.registry(sub.subscription_id)
        return task.each(client.registries.list(), lambda r: registry_record(r, sub.subscription_id))

    task = Task(Dataset.REGISTRIES, sub.subscription_id, "registries.list", run)
    return task


def token_record(token: Any, registry: Registry) -> RegistryToken:
    try:
        props = properties_of(token)
    except UnusableShape as exc:
        raise UnusableShape(f"token {text(get(token, 'name')) or '(unnamed)'}: {exc}") from None
    credentials = get(props, "credentials")
    return RegistryToken(
        id=token.id or "",
        name=token.name or "",
        subscription_id=registry.subscription_id,
        registry_id=registry.id,
        status=text(get(props, "status")),
        scope_map_id=text(get(props, "scope_map_id")),
        passwords=token_credentials(get(credentials, "passwords")),
        certificates=token_credentials(get(credentials, "certificates")),
    )


def tokens(clients: Clients, registry: Registry) -> Task:
    def run() -> Collected:
        client = clients.registry(registry.subscription_id)
        # The token checks judge a registry by all of its tokens: one unreadable token leaves
        # the registry's verdict unknown, so the error is the registry's.
        return task.each(
            client.tokens.list(registry.resource_group, registry.name),
            lambda t: token_record(t, registry),
            lambda t: (registry.id, registry.name),
        )

    task = Task(Dataset.REGISTRY_TOKENS, registry.subscription_id, "tokens.list", run, registry.id, registry.name)
    return task


def cache_rules(clients: Clients, registry: Registry) -> Task:
    """The pull-through cache rules of one registry (a paged list). A refusal is a collection
    error for this registry: its images cannot be told apart from cached public content."""

    def run() -> Collected:
        client = clients.registry(registry.subscription_id)
        return Collected(
            records=[
                CacheRule(
                    id=rule.id or "",
                    name=rule.name or "",
                    subscription_id=registry.subscription_id,
                    registry_id=registry.id,
                    source_repository=text(get(rule, "properties", "source_repository")) or "",
                    target_repository=text(get(rule, "properties", "target_repository")) or "",
                )
                for rule in client.cache_rules.list(registry.resource_group, registry.name)
            ]
        )

    return Task(
        Dataset.REGISTRY_CACHE_RULES, registry.subscription_id, "cacheRules.list", run, registry.id, registry.name
    )


def token_credentials(items: Any) -> tuple[TokenCredential, ...]:
    """The name and expiry of each password or certificate of a token. A password's ``value`` is
    never read (ARM returns it only when it is generated, which azaudit never asks for)."""
    return tuple(TokenCredential(name=text(get(item, "name")) or "", expiry=_expiry(item)) for item in items or ())


def _expiry(item: Any) -> dt.datetime | None:
    """A credential's expiry; one that is not a time reads as none (the credential counts as
    live, the conservative reading)."""
    try:
        value = get(item, "expiry")
    except (TypeError, ValueError):
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, dt.datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


DATASETS = (
    DatasetSpec(Dataset.REGISTRIES, {Registry: "registries"}, Per.SUBSCRIPTION, registries),
    DatasetSpec(Dataset.REGISTRY_TOKENS, {RegistryToken: "registry_tokens"}, Per.RECORD, tokens, follows=Registry),
    DatasetSpec(
        Dataset.REGISTRY_CACHE_RULES, {CacheRule: "registry_cache_rules"}, Per.RECORD, cache_rules, follows=Registry
    ),
)
