"""What was collected and what was not: datasets and collection errors.

Every collector fills one :class:`Dataset`. When a request for a dataset fails, the collector
records a :class:`CollectionError` naming the dataset, the subscription and (where the failure is
about one resource) the resource. Checks declare the datasets they read; the engine turns every
matching collection error into ERROR findings for the affected scope, so that missing data never
reads as PASS or FAIL.
"""

from __future__ import annotations

import enum

import msgspec


class Dataset(enum.Enum):
    """A kind of inventory data, collected by one collector."""

    REGISTRIES = "registries"
    REGISTRY_TOKENS = "registry-tokens"
    REGISTRY_CACHE_RULES = "registry-cache-rules"  # pull-through cache rules of registries
    CONTAINER_GROUPS = "container-groups"
    VAULTS = "vaults"
    SECRETS = "secrets"
    KEYS = "keys"
    DIAGNOSTIC_SETTINGS = "diagnostic-settings"  # of registries and vaults
    CONTAINER_GROUP_DIAGNOSTICS = "container-group-diagnostics"  # diagnostic settings of container groups
    ACTIVITY_LOG = "activity-log"
    ROLE_ASSIGNMENTS = "role-assignments"
    ROLE_DEFINITIONS = "role-definitions"
    IDENTITIES = "identities"
    DEFENDER_PLANS = "defender-plans"
    CONTAINER_GROUP_VIEWS = "container-group-views"  # instance view of each container group (GET per group)
    REGISTRY_IMAGES = "registry-images"  # registry data plane: tags, manifests, signatures of running images
    IMAGE_VULNERABILITIES = "image-vulnerabilities"  # Defender for Cloud's registry image findings (Resource Graph)


class CollectionError(msgspec.Struct, frozen=True, kw_only=True):
    """One failed collection: what could not be read, where, and why.

    ``resource_id`` is empty when the whole dataset of the subscription is missing (e.g. the
    registry list answered 403); otherwise it is the ARM id of the one resource whose data is
    missing (e.g. the diagnostic settings of one vault).
    """

    dataset: Dataset
    subscription_id: str  # '' for run-wide data (built-in role definitions): affects every subscription
    resource_id: str = ""
    resource_name: str = ""
    operation: str = ""
    status_code: int | None = None
    reason: str = ""

    def covers(self, resource_id: str, subscription_id: str) -> bool:
        """True when a finding about ``resource_id`` depends on the data this error lost."""
        if self.subscription_id and subscription_id.lower() != self.subscription_id.lower():
            return False
        if not self.resource_id:
            return True
        mine = self.resource_id.lower()
        theirs = resource_id.lower()
        return theirs == mine or theirs.startswith(mine + "/")

    def describe(self) -> str:
        """What is missing and why, e.g. ``secrets of kv-prod-legacy not collected (HTTP 403: ...)``."""
        code = f"HTTP {self.status_code}: " if self.status_code else ""
        where = f" of {self.resource_name or self.resource_id}" if self.resource_id else ""
        if not self.subscription_id:
            where += " (every subscription)"
        return f"{self.dataset.value}{where} not collected ({code}{self.reason})"


class CollectionNote(msgspec.Struct, frozen=True, kw_only=True):
    """Something the reader should know about how data was collected that is not an error,
    such as a Key Vault data plane that refused and the ARM fallback that was used instead."""

    dataset: Dataset
    subscription_id: str
    resource_id: str
    resource_name: str
    message: str
