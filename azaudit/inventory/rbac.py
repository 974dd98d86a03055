"""Role assignments, role definitions and user-assigned managed identities."""

from __future__ import annotations

import msgspec


class RoleAssignment(msgspec.Struct, frozen=True, kw_only=True):
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

    @property
    def is_custom(self) -> bool:
        return self.role_type.lower() == "customrole"


class UserAssignedIdentity(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    subscription_id: str
    principal_id: str
    client_id: str
