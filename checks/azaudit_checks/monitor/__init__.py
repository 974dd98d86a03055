"""Logging coverage checks (Azure Monitor diagnostic settings and activity log)."""

from azaudit_checks.monitor import (
    log001_registry_diagnostics_missing,
    log002_registry_diagnostics_incomplete,
    log003_vault_diagnostics_missing,
    log004_vault_diagnostics_incomplete,
    log005_activity_log_not_exported,
    log006_activity_log_incomplete,
)

__all__ = [
    "log001_registry_diagnostics_missing",
    "log002_registry_diagnostics_incomplete",
    "log003_vault_diagnostics_missing",
    "log004_vault_diagnostics_incomplete",
    "log005_activity_log_not_exported",
    "log006_activity_log_incomplete",
]
