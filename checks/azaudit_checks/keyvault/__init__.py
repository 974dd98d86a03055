"""Key Vault checks."""

from azaudit_checks.keyvault import kv001_purge_protection_disabled

__all__ = ["kv001_purge_protection_disabled"]
