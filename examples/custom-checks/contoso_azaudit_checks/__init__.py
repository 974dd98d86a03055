"""Contoso's azaudit checks. Importing this package registers them (one module per check)."""

from contoso_azaudit_checks import aci101_owner_tag_missing

__all__ = ["aci101_owner_tag_missing"]
