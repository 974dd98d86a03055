"""Azure Container Registry checks."""

from azaudit_checks.acr import acr001_admin_user_enabled

__all__ = ["acr001_admin_user_enabled"]
