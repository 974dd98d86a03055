"""Key Vault checks."""

from azaudit_checks.keyvault import (
    kv001_purge_protection_disabled,
    kv002_soft_delete_disabled,
    kv003_access_policy_model,
    kv004_broad_access_policy,
    kv005_public_network_unrestricted,
    kv006_no_private_endpoint,
    kv007_secret_without_expiry,
    kv008_stale_secret,
    kv009_secret_expiring_soon,
    kv010_key_without_expiry,
    kv011_key_without_rotation_policy,
)

__all__ = [
    "kv001_purge_protection_disabled",
    "kv002_soft_delete_disabled",
    "kv003_access_policy_model",
    "kv004_broad_access_policy",
    "kv005_public_network_unrestricted",
    "kv006_no_private_endpoint",
    "kv007_secret_without_expiry",
    "kv008_stale_secret",
    "kv009_secret_expiring_soon",
    "kv010_key_without_expiry",
    "kv011_key_without_rotation_policy",
]
