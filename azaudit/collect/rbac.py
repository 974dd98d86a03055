"""Role assignments, role definitions (built-in once per run, custom per subscription) and
user-assigned managed identities. No Microsoft Graph call: managed identities are recognised by
joining principal ids with the identities in the inventory."""

from __future__ import annotations

from typing import Any

from azaudit.clients import Clients
from azaudit.collect.sdk import get, strings, text
from azaudit.collect.tasks import Collected, Task
from azaudit.inventory.common import Subscription
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.rbac import RoleAssignment, RoleDefinition, UserAssignedIdentity


def role_assignments(clients: Clients, sub: Subscription) -> Task:
    def run() -> Collected:
        client = clients.authorization(sub.subscription_id)
        return Collected(
            records=[
                RoleAssignment(
                    id=a.id,
                    name=a.name,
                    subscription_id=sub.subscription_id,
                    scope=text(a.scope) or "",
                    role_definition_id=text(a.role_definition_id) or "",
                    principal_id=text(a.principal_id) or "",
                    principal_type=text(get(a, "principal_type")),
                    condition=text(get(a, "condition")),
                )
                for a in client.role_assignments.list_for_subscription()
            ]
        )

    return Task(Dataset.ROLE_ASSIGNMENTS, sub.subscription_id, "roleAssignments.listForSubscription", run)


def _definition(definition: Any, subscription_id: str) -> RoleDefinition:
    permissions = get(definition, "permissions") or ()
    return RoleDefinition(
        id=definition.id,
        name=text(get(definition, "role_name")) or definition.name,
        subscription_id=subscription_id,
        guid=definition.name,
        role_type=text(get(definition, "role_type")) or "",
        actions=tuple(a for p in permissions for a in strings(get(p, "actions"))),
        not_actions=tuple(a for p in permissions for a in strings(get(p, "not_actions"))),
        data_actions=tuple(a for p in permissions for a in strings(get(p, "data_actions"))),
        assignable_scopes=strings(get(definition, "assignable_scopes")),
        not_data_actions=tuple(a for p in permissions for a in strings(get(p, "not_data_actions"))),
    )


def custom_roles(clients: Clients, sub: Subscription) -> Task:
    def run() -> Collected:
        client = clients.authorization(sub.subscription_id)
        found = client.role_definitions.list(sub.id, filter="type eq 'CustomRole'")
        return Collected(records=[_definition(d, sub.subscription_id) for d in found])

    return Task(Dataset.ROLE_DEFINITIONS, sub.subscription_id, "roleDefinitions.list(custom)", run)


def builtin_roles(clients: Clients, sub: Subscription) -> Task:
    """Built-in roles are the same in every subscription: listed once per run (through the first
    subscription); a failure here affects every subscription."""

    def run() -> Collected:
        client = clients.authorization(sub.subscription_id)
        found = client.role_definitions.list(sub.id, filter="type eq 'BuiltInRole'")
        return Collected(records=[_definition(d, "") for d in found])

    return Task(Dataset.ROLE_DEFINITIONS, "", "roleDefinitions.list(built-in)", run)


def identities(clients: Clients, sub: Subscription) -> Task:
    def run() -> Collected:
        client = clients.identities(sub.subscription_id)
        return Collected(
            records=[
                UserAssignedIdentity(
                    id=i.id,
                    name=i.name,
                    subscription_id=sub.subscription_id,
                    principal_id=text(get(i, "principal_id")) or "",
                    client_id=text(get(i, "client_id")) or "",
                )
                for i in client.user_assigned_identities.list_by_subscription()
            ]
        )

    return Task(Dataset.IDENTITIES, sub.subscription_id, "userAssignedIdentities.listBySubscription", run)
