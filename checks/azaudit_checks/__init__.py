"""The azaudit check catalogue: one module per check, grouped by service.

Importing this package registers every check (explicit imports, no path walking).
"""

from azaudit_checks import aci, acr, defender, images, keyvault, monitor, rbac

__all__ = ["aci", "acr", "defender", "images", "keyvault", "monitor", "rbac"]
