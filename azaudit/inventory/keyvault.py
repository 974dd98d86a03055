"""Key Vault records: vaults, access policies, secret and key *metadata* (never values)."""

from __future__ import annotations

import datetime as dt

import msgspec

from azaudit.inventory.common import Identity, PrivateEndpointConnection, Tagged


class AccessPolicy(msgspec.Struct, frozen=True, kw_only=True):
    object_id: str
    tenant_id: str
    application_id: str | None
    keys: tuple[str, ...]
    secrets: tuple[str, ...]
    certificates: tuple[str, ...]
    storage: tuple[str, ...]


class KeyVault(Tagged, frozen=True, kw_only=True):
    id: str
    name: str
    subscription_id: str
    resource_group: str
    location: str
    vault_uri: str
    tenant_id: str
    sku: str
    enable_soft_delete: bool | None  # None: absent, as on legacy vaults created without soft delete
    enable_purge_protection: bool | None  # None: absent, purge protection off
    enable_rbac_authorization: bool | None  # None: absent, the access-policy model
    public_network_access: str | None
    network_default_action: str | None  # None when there is no networkAcls
    ip_rule_count: int
    virtual_network_rule_count: int
    private_endpoints: tuple[PrivateEndpointConnection, ...]
    access_policies: tuple[AccessPolicy, ...]
    identity: Identity = Identity()
    ip_rules: tuple[str, ...] = ()  # networkAcls.ipRules[].value: addresses and CIDR ranges


class Secret(msgspec.Struct, frozen=True, kw_only=True):
    """Metadata of one secret. There is deliberately no field for a value."""

    vault_id: str
    name: str
    subscription_id: str
    enabled: bool
    expires: dt.datetime | None
    not_before: dt.datetime | None
    created: dt.datetime | None
    updated: dt.datetime | None
    content_type: str | None
    managed: bool  # backs a certificate: lifecycle follows the certificate
    # attributes the answer carried but not as a time (``exp``, ``nbf``...): checks that read one
    # of them report the secret as not assessed instead of judging it
    unreadable: tuple[str, ...] = ()


class SecretListing(msgspec.Struct, frozen=True, kw_only=True):
    """Where a vault's secret metadata came from, and why a fallback happened."""

    vault_id: str
    source: str  # "data-plane" or "arm"
    fallback_reason: str | None = None


class Key(msgspec.Struct, frozen=True, kw_only=True):
    vault_id: str
    name: str
    subscription_id: str
    enabled: bool
    expires: dt.datetime | None
    key_type: str | None
    rotation_actions: tuple[str, ...]  # lifetime action types of the rotation policy
    has_rotation_policy: bool
    unreadable: tuple[str, ...] = ()  # as for Secret: attributes that were not a time
