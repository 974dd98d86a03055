"""Logging coverage checks (Azure Monitor diagnostic settings and activity log)."""

from azaudit_checks.monitor import log003_vault_diagnostics_missing

__all__ = ["log003_vault_diagnostics_missing"]
