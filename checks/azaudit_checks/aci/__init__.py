"""Azure Container Instances checks."""

from azaudit_checks.aci import aci005_privileged_container

__all__ = ["aci005_privileged_container"]
