"""Role assignments, role definitions (built-in once per run, custom per subscription) and
user-assigned managed identities. No Microsoft Graph call: managed identities are recognised by
joining principal ids with the identities in the inventory."""

from __future__ import annotations

from typing import Any

from azaudit.clients import Clients
from azaudit.collect.sdk import get, strings, text
from azaudit.collect.spec import DatasetSpec, Per
from azaudit.collect.tasks import Collected, Task, UnusableShape
from azaudit.inventory.common import Subscription
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.rbac import RoleAssignment, RoleDefinition, UserAssignedIdentity


def _assignment(assignment: Any, subscription_id: str) -> RoleAssignment:
    if get(assignment, "role_definition_id") is None or get(assignment, "principal_id") is None:
        # Both are required in every assignment Azure returns; the SDK flattens properties, so
        # null or missing properties arrive as neither: who holds which role is unknown.
        raise UnusableShape("its properties are null, missing or name no role or principal")
    return RoleAssignment(
        id=assignment.id,
        name=assignment.name,
        subscription_id=subscription_id,
        scope=text(assignment.scope) or "",
        role_definition_id=text(assignment.role_definition_id) or "",
        principal_id=text(assignment.principal_id) or "",
        principal_type=text(get(assignment, "principal_type")),
        condition=text(get(assignment, "condition")),
    )


def role_assignments(clients: Clients, sub: Subscription) -> Task:
    def run() -> Collected:
        client = clients.authorization(sub.subscription_id)
        # Assignment checks judge a subscription as a whole (its owners, say): one unreadable
        # assignment leaves every such judgement of the subscription unknown, so it fails the list.
        found = client.role_assignments.list_for_subscription()
        return Collected(records=[_assignment(a, sub.subscription_id) for a in found])

    return Task(Dataset.ROLE_ASSIGNMENTS, sub.subscription_id, "roleAssignments.listForSubscription", run)


def _definition(definition: Any, subscription_id: str) -> RoleDefinition:
    if get(definition, "permissions") is None:
        # Every role definition Azure returns has a permissions list (flattened from properties):
        # without it, what the role grants is unknown, never "nothing".
        raise UnusableShape("its properties are null, missing or hold no permissions")
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
        return task.each(found, lambda d: _definition(d, sub.subscription_id))

    task = Task(Dataset.ROLE_DEFINITIONS, sub.subscription_id, "roleDefinitions.list(custom)", run)
    return task


def builtin_roles(clients: Clients, sub: Subscription) -> Task:
    """Built-in roles are the same in every subscription: listed once per run (through the first
    subscription); a failure here affects every subscription."""

    def run() -> Collected:
        client = clients.authorization(sub.subscription_id)
        found = client.role_definitions.list(sub.id, filter="type eq 'BuiltInRole'")
        return task.each(found, lambda d: _definition(d, ""))

    task = Task(Dataset.ROLE_DEFINITIONS, "", "roleDefinitions.list(built-in)", run)
    return task


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


DATASETS = (
    DatasetSpec(Dataset.ROLE_ASSIGNMENTS, {RoleAssignment: "role_assignments"}, Per.SUBSCRIPTION, role_assignments),
    DatasetSpec(Dataset.ROLE_DEFINITIONS, {RoleDefinition: "role_definitions"}, Per.SUBSCRIPTION, custom_roles),
    DatasetSpec(Dataset.ROLE_DEFINITIONS, {RoleDefinition: "role_definitions"}, Per.RUN, builtin_roles),
    DatasetSpec(Dataset.IDENTITIES, {UserAssignedIdentity: "identities"}, Per.SUBSCRIPTION, identities),
)
