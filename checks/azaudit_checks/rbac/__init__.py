"""RBAC least-privilege checks."""

from azaudit_checks.rbac import rbac004_custom_role_wildcard

__all__ = ["rbac004_custom_role_wildcard"]
