"""Where a check applies: declarative selectors for ``@check(applies_to=...)``.

A selector names the resources a check is about ("Premium registries only") and tests one
inventory record. The engine evaluates a check's selectors before the check runs: a resource that
fails one gets a single SKIPPED outcome, ``not applicable: <label> (<why this one is not>)``,
worded the same for every check, and the check only sees the resources it applies to. Checks
therefore carry no hand-written "not applicable" branch.

Selectors test records of the check's ``resource_type``; :data:`RECORDS` says which inventory
collection holds them. Plugins use the same vocabulary, or build their own :class:`AppliesTo`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from azaudit.inventory.aci import ContainerGroup
from azaudit.inventory.acr import Registry
from azaudit.inventory.keyvault import KeyVault

R = TypeVar("R")

# resource type -> the Inventory field holding its records (the types a selector can test)
RECORDS: dict[str, str] = {
    "Microsoft.ContainerRegistry/registries": "registries",
    "Microsoft.ContainerInstance/containerGroups": "container_groups",
    "Microsoft.KeyVault/vaults": "vaults",
}


@dataclass(frozen=True)
class AppliesTo(Generic[R]):
    """One selector: a human label, the test a record must pass, and the words saying why a
    record that fails it is not concerned (shown in parentheses after the label)."""

    label: str
    test: Callable[[R], bool]
    because: Callable[[R], str]

    def skip_message(self, record: R) -> str:
        return f"not applicable: {self.label} ({self.because(record)})"


Selector = AppliesTo[Any]


def _group_sku(group: ContainerGroup) -> str:
    return group.sku or "Standard"  # absent: Azure's default SKU


PREMIUM_REGISTRIES: AppliesTo[Registry] = AppliesTo(
    label="Premium registries only",
    test=lambda registry: registry.is_premium,
    because=lambda registry: f"this registry is {registry.sku}",
)

LINUX_CONTAINER_GROUPS: AppliesTo[ContainerGroup] = AppliesTo(
    label="Linux container groups only",
    test=lambda group: (group.os_type or "").lower() != "windows",
    because=lambda group: f"this group is {group.os_type}",
)

# Azure accepts and returns ``securityContext`` only on containers of Confidential container
# groups (``sku: Confidential``, Linux only, with a confidential computing enforcement policy);
# Standard and Dedicated groups have no such setting and Windows groups are not Linux containers.
CONFIDENTIAL_CONTAINER_GROUPS: AppliesTo[ContainerGroup] = AppliesTo(
    label="Confidential container groups only",
    test=lambda group: group.confidential,
    because=lambda group: f"this group's SKU is {_group_sku(group)}",
)

# A vault with enableRbacAuthorization true ignores its access policies (absent: the access-policy
# model, see KeyVault.enable_rbac_authorization).
ACCESS_POLICY_VAULTS: AppliesTo[KeyVault] = AppliesTo(
    label="Key vaults using the access-policy permission model only",
    test=lambda vault: not vault.enable_rbac_authorization,
    because=lambda vault: "this vault uses Azure RBAC: access policies are not in effect",
)
