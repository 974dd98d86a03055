"""RBAC least-privilege checks."""

from azaudit_checks.rbac import (
    rbac001_too_many_owners,
    rbac002_privileged_role_on_managed_identity,
    rbac003_user_access_administrator_at_subscription,
    rbac004_custom_role_wildcard,
    rbac005_registry_write_role_broad_scope,
    rbac006_vault_data_role_broad_scope,
)

__all__ = [
    "rbac001_too_many_owners",
    "rbac002_privileged_role_on_managed_identity",
    "rbac003_user_access_administrator_at_subscription",
    "rbac004_custom_role_wildcard",
    "rbac005_registry_write_role_broad_scope",
    "rbac006_vault_data_role_broad_scope",
]
