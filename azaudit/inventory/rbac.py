"""Role assignments, role definitions and user-assigned managed identities."""

from __future__ import annotations

from typing import ClassVar

import msgspec


class RoleAssignment(msgspec.Struct, frozen=True, kw_only=True):
    """One role assignment as one subscription's list returns it. An assignment at a management
    group or the root is listed by every subscription below it, and each of those subscriptions is
    judged with it: the inventory keeps one record per (assignment, subscription)."""

    # The inventory's duplicate detection keys this record by its id and subscription.
    PER_SUBSCRIPTION: ClassVar[bool] = True

    id: str
    name: str
    subscription_id: str
    scope: str
    role_definition_id: str
    principal_id: str
    principal_type: str | None
    condition: str | None = None

    @property
    def role_guid(self) -> str:
        return self.role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower()


class RoleDefinition(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str  # the role's display name (roleName)
    subscription_id: str  # where it was listed; built-in roles are listed once per run
    guid: str
    role_type: str  # BuiltInRole, CustomRole
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    data_actions: tuple[str, ...]
    assignable_scopes: tuple[str, ...]
    not_data_actions: tuple[str, ...] = ()

    @property
    def is_custom(self) -> bool:
        return self.role_type.lower() == "customrole"


class UserAssignedIdentity(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    subscription_id: str
    principal_id: str
    client_id: str


class KnownIdentity(msgspec.Struct, frozen=True, kw_only=True):
    """A managed identity of a subscription this run does not audit (another --shard job's), kept
    only so that role assignments to it are recognised; no check judges it."""

    principal_id: str
    words: str  # e.g. "user-assigned identity id-aci-prod-api"


# Built-in role definition GUIDs: the same in every tenant (compare on the trailing GUID).
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
USER_ACCESS_ADMINISTRATOR = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
RBAC_ADMINISTRATOR = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"
ACR_PUSH = "8311e382-0749-4cb8-b61a-304f252e45ec"
ACR_DELETE = "c2f4ef07-c644-48eb-af81-4b1b4947fb11"
ACR_IMAGE_SIGNER = "6cef56e8-d556-48e5-a04f-b8e64114680f"
ACR_QUARANTINE_WRITER = "c8d4ff99-41c3-41a8-9f60-21dfdad59608"
ACR_REPOSITORY_WRITER = "2a1e307c-b015-4ebd-883e-5b7698a07328"
ACR_REPOSITORY_CONTRIBUTOR = "2efddaa5-3f1f-4df3-97df-af3f13818f4c"
ACR_TASKS_CONTRIBUTOR = "fb382eab-e894-4461-af04-94435c366c3f"
KEY_VAULT_ADMINISTRATOR = "00482a5a-887f-4fb3-b363-3b7fe8e74483"
KEY_VAULT_SECRETS_OFFICER = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"
KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
KEY_VAULT_CERTIFICATE_USER = "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba"
KEY_VAULT_CERTIFICATES_OFFICER = "a4417e6f-fecd-4de8-b567-7b0420556985"
KEY_VAULT_DATA_ACCESS_ADMINISTRATOR = "8b54135c-b56d-4d72-a534-26097cfdc8d8"

BUILTIN_NAMES = {
    OWNER: "Owner",
    CONTRIBUTOR: "Contributor",
    USER_ACCESS_ADMINISTRATOR: "User Access Administrator",
    RBAC_ADMINISTRATOR: "Role Based Access Control Administrator",
    ACR_PUSH: "AcrPush",
    ACR_DELETE: "AcrDelete",
    ACR_IMAGE_SIGNER: "AcrImageSigner",
    ACR_QUARANTINE_WRITER: "AcrQuarantineWriter",
    ACR_REPOSITORY_WRITER: "Container Registry Repository Writer",
    ACR_REPOSITORY_CONTRIBUTOR: "Container Registry Repository Contributor",
    ACR_TASKS_CONTRIBUTOR: "Container Registry Tasks Contributor",
    KEY_VAULT_ADMINISTRATOR: "Key Vault Administrator",
    KEY_VAULT_SECRETS_OFFICER: "Key Vault Secrets Officer",
    KEY_VAULT_SECRETS_USER: "Key Vault Secrets User",
    KEY_VAULT_CERTIFICATE_USER: "Key Vault Certificate User",
    KEY_VAULT_CERTIFICATES_OFFICER: "Key Vault Certificates Officer",
    KEY_VAULT_DATA_ACCESS_ADMINISTRATOR: "Key Vault Data Access Administrator",
}


def scope_kind(scope: str) -> str:
    """``root``, ``management group``, ``subscription``, ``resource group`` or ``resource``."""
    parts = [p for p in scope.strip("/").split("/") if p]
    lowered = [p.lower() for p in parts]
    if not parts:
        return "root"
    if lowered[:3] == ["providers", "microsoft.management", "managementgroups"]:
        return "management group"
    if lowered[0] == "subscriptions":
        if len(parts) == 2:
            return "subscription"
        if len(parts) == 4 and lowered[2] == "resourcegroups":
            return "resource group"
        return "resource"
    return "resource"


def describe_scope(scope: str) -> str:
    """A scope in words, e.g. ``resource group rg-prod`` or ``registry contosoprodacr``."""
    kind = scope_kind(scope)
    parts = [p for p in scope.strip("/").split("/") if p]
    if kind == "root":
        return "the tenant root"
    if kind == "management group":
        return f"management group {parts[3] if len(parts) > 3 else '?'}"
    if kind == "subscription":
        return f"subscription {parts[1]}"
    if kind == "resource group":
        return f"resource group {parts[3]}"
    resource_type = parts[-2] if len(parts) >= 2 else "resource"
    return f"{resource_type.rstrip('s')} {parts[-1]}" if parts else "a resource"


def is_broad_scope(scope: str) -> bool:
    """Subscription, resource group, management group or root: wider than one resource."""
    return scope_kind(scope) != "resource"
