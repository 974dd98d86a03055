"""What ACI005, ACI006 and ACI007 share: which container groups have container security contexts.

Azure accepts and returns ``securityContext`` only on containers of Confidential container groups
(``sku: Confidential``, Linux only, with a confidential computing enforcement policy). Standard and
Dedicated groups have no such setting, and Windows groups are not Linux containers: for those
groups the checks report one SKIPPED outcome (not applicable), never one per container.
"""

from __future__ import annotations

from azaudit.inventory.aci import ContainerGroup
from azaudit.model import Outcome


def not_applicable(group: ContainerGroup) -> Outcome | None:
    """A SKIPPED outcome when the group cannot have container security contexts, else None."""
    if (group.os_type or "").lower() == "windows":
        return Outcome.skipped(
            group, "not applicable: a Windows container group has no Linux container security context"
        )
    if not group.confidential:
        sku = group.sku or "Standard"
        return Outcome.skipped(
            group,
            f"not applicable: container security contexts exist only on Confidential container groups "
            f"(this group's SKU is {sku})",
        )
    return None
