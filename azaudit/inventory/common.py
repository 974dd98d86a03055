"""Records shared by several services: subscriptions, tags, managed identities, private endpoints."""

from __future__ import annotations

import msgspec


class Subscription(msgspec.Struct, frozen=True, kw_only=True):
    subscription_id: str
    display_name: str
    state: str
    tenant_id: str = ""

    @property
    def id(self) -> str:
        return f"/subscriptions/{self.subscription_id}"

    @property
    def name(self) -> str:
        return self.display_name or self.subscription_id


class Tagged(msgspec.Struct, frozen=True, kw_only=True):
    """A resource with ARM tags, as ``(name, value)`` pairs sorted by name (read by custom checks;
    the built-in catalogue judges no tag)."""

    tags: tuple[tuple[str, str], ...] = ()

    def tag(self, name: str) -> str | None:
        """The value of tag ``name`` (tag names are case-insensitive in Azure), or None."""
        wanted = name.lower()
        return next((value for key, value in self.tags if key.lower() == wanted), None)


class UserAssignedRef(msgspec.Struct, frozen=True, kw_only=True):
    """A user-assigned identity attached to a resource."""

    id: str
    principal_id: str = ""
    client_id: str = ""


class Identity(msgspec.Struct, frozen=True, kw_only=True):
    """The managed identity block of a resource (``identity``)."""

    type: str = "None"
    principal_id: str = ""
    user_assigned: tuple[UserAssignedRef, ...] = ()


class PrivateEndpointConnection(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    status: str  # Approved, Pending, Rejected, Disconnected

    @property
    def approved(self) -> bool:
        return self.status.lower() == "approved"


def resource_group_of(resource_id: str) -> str:
    """The resource group named in an ARM id, or '' when the id has none."""
    parts = resource_id.split("/")
    for i, part in enumerate(parts[:-1]):
        if part.lower() == "resourcegroups":
            return parts[i + 1]
    return ""


def subscription_of(resource_id: str) -> str:
    """The subscription GUID named in an ARM id, or '' when the id has none."""
    parts = resource_id.split("/")
    for i, part in enumerate(parts[:-1]):
        if part.lower() == "subscriptions":
            return parts[i + 1]
    return ""
