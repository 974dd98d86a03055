"""What was collected and what was not: datasets and collection errors.

Every collector fills one :class:`Dataset`. When a request for a dataset fails, the collector
records a :class:`CollectionError` naming the dataset, the subscription and (where the failure is
about one resource) the resource. Checks declare the datasets they read; the engine turns every
matching collection error into ERROR findings for the affected scope, so that missing data never
reads as PASS or FAIL.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

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


class ErrorIndex:
    """Collection errors, indexed so that whether a finding depends on lost data
    (:meth:`CollectionError.covers` by any of them) costs a few lookups, not one comparison per
    error: a tenant where most reads were refused has as many errors as resources, and every
    check asks once per finding."""

    def __init__(self, errors: Iterable[CollectionError]) -> None:
        self._everywhere = False  # an error of every subscription, every resource
        self._subscriptions: set[str] = set()  # whole subscriptions lost
        self._resources: dict[str, set[str]] = {}  # resource id -> its subscriptions ('' for any)
        for error in errors:
            subscription = error.subscription_id.lower()
            if error.resource_id:
                self._resources.setdefault(error.resource_id.lower(), set()).add(subscription)
            elif subscription:
                self._subscriptions.add(subscription)
            else:
                self._everywhere = True

    def covers(self, resource_id: str, subscription_id: str) -> bool:
        """True when one of the errors covers a finding about ``resource_id``."""
        if self._everywhere:
            return True
        subscription = subscription_id.lower()
        if subscription in self._subscriptions:
            return True
        if not self._resources:
            return False
        theirs = resource_id.lower()
        # an error's resource covers itself and what lies below it: the id, or the id up to a '/'
        candidates = [theirs] + [theirs[:i] for i, char in enumerate(theirs) if char == "/"]
        for candidate in candidates:
            subscriptions = self._resources.get(candidate)
            if subscriptions is not None and ("" in subscriptions or subscription in subscriptions):
                return True
        return False


class CollectionNote(msgspec.Struct, frozen=True, kw_only=True):
    """Something the reader should know about how data was collected that is not an error,
    such as a Key Vault data plane that refused and the ARM fallback that was used instead."""

    dataset: Dataset
    subscription_id: str
    resource_id: str
    resource_name: str
    message: str
