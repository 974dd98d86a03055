"""Azure Container Registry records."""

from __future__ import annotations

import datetime as dt

import msgspec

from azaudit.inventory.common import Identity, PrivateEndpointConnection, Tagged


class Registry(Tagged, frozen=True, kw_only=True):
    id: str
    name: str
    subscription_id: str
    resource_group: str
    location: str
    sku: str  # Basic, Standard, Premium
    login_server: str
    admin_user_enabled: bool
    anonymous_pull_enabled: bool
    public_network_access: str  # "Enabled" / "Disabled" as ARM reports it
    network_default_action: str | None  # None when there is no networkRuleSet
    ip_rule_count: int
    private_endpoints: tuple[PrivateEndpointConnection, ...]
    trust_policy_status: str | None
    quarantine_policy_status: str | None
    retention_policy_status: str | None
    retention_days: int | None
    export_policy_status: str | None
    arm_audience_policy_status: str | None
    encryption_status: str | None
    identity: Identity
    role_assignment_mode: str | None = None
    ip_rules: tuple[str, ...] = ()  # networkRuleSet.ipRules[].value: addresses and CIDR ranges

    @property
    def is_premium(self) -> bool:
        return self.sku.lower() == "premium"


class CacheRule(msgspec.Struct, frozen=True, kw_only=True):
    """A pull-through cache rule: pulls of ``target_repository`` in the registry fetch
    ``source_repository`` (``docker.io/library/nginx``) from its upstream registry."""

    id: str
    name: str
    subscription_id: str
    registry_id: str
    source_repository: str
    target_repository: str


class KnownRegistry(msgspec.Struct, frozen=True, kw_only=True):
    """A registry of a subscription another ``--shard`` job audits: only what ACI001 needs to
    judge images pulled from it here (its login server and cache rules), never judged itself."""

    id: str
    name: str
    login_server: str
    cache_rules: tuple[CacheRule, ...] = ()
    cache_rules_read: bool = True  # False: its cache rules could not be listed


class TokenCredential(msgspec.Struct, frozen=True, kw_only=True):
    """One password or certificate of a repository token: its name and expiry, never a value."""

    name: str
    expiry: dt.datetime | None  # None: no expiry set (valid until deleted)

    def live(self, now: dt.datetime) -> bool:
        """Whether it can still authenticate at ``now``."""
        return self.expiry is None or self.expiry > now


class RegistryToken(msgspec.Struct, frozen=True, kw_only=True):
    """A repository-scoped access token of a registry (never a password, only its name and expiry)."""

    id: str
    name: str
    subscription_id: str
    registry_id: str
    status: str | None
    scope_map_id: str | None
    passwords: tuple[TokenCredential, ...] = ()
    certificates: tuple[TokenCredential, ...] = ()
