"""Role assignments, role definitions (built-in once per run, custom per subscription) and
user-assigned managed identities, read as ARM JSON (paged lists). No Microsoft Graph call: managed
identities are recognised by joining principal ids with the identities in the inventory."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from azaudit.clients import Clients
from azaudit.collect.arm import arm_list, objects, string, texts
from azaudit.collect.registration import provider_list
from azaudit.collect.spec import DatasetSpec, Per
from azaudit.collect.tasks import Collected, Task, UnusableShape
from azaudit.inventory.common import Subscription
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.rbac import RoleAssignment, RoleDefinition, UserAssignedIdentity

# The API versions the SDK's operations use (azure-mgmt-authorization 4, azure-mgmt-msi 7).
AUTHORIZATION_API = "2022-04-01"
IDENTITIES_API = "2024-11-30"


def _properties(resource: Mapping[str, Any], missing: str) -> Mapping[str, Any]:
    props = resource.get("properties")
    if not isinstance(props, Mapping):
        raise UnusableShape(f"its properties are null, missing or {missing}")
    return props


def _id_and_name(resource: Mapping[str, Any]) -> tuple[str, str]:
    resource_id, name = string(resource, "id"), string(resource, "name")
    if not resource_id or not name:
        raise UnusableShape("it has no id or name")
    return resource_id, name


def assignment_record(assignment: Mapping[str, Any], subscription_id: str) -> RoleAssignment:
    """One role assignment from its ARM JSON. ``roleDefinitionId`` and ``principalId`` are required
    in every assignment Azure returns: without them who holds which role is unknown. Absent means:
    no scope (''), principal type and condition unknown (None)."""
    props = _properties(assignment, "name no role or principal")
    role, principal = string(props, "roleDefinitionId"), string(props, "principalId")
    if role is None or principal is None:
        raise UnusableShape("its properties are null, missing or name no role or principal")
    resource_id, name = _id_and_name(assignment)
    return RoleAssignment(
        id=resource_id,
        name=name,
        subscription_id=subscription_id,
        scope=string(props, "scope") or "",
        role_definition_id=role,
        principal_id=principal,
        principal_type=string(props, "principalType"),
        condition=string(props, "condition"),
    )


def _whole_list(
    dataset: Dataset,
    sub: Subscription,
    clients: Clients,
    provider_path: str,
    api_version: str,
    operation: str,
    record: Callable[[Mapping[str, Any], str], object],
) -> Task:
    """A task listing ``provider_path`` in one subscription, where one unreadable item fails the
    whole list (the callers say why)."""

    def run() -> Collected:
        found = arm_list(clients.arm(), f"{sub.id}/providers/{provider_path}", api_version, operation)
        return Collected(records=[record(item, sub.subscription_id) for item in found])

    return Task(dataset, sub.subscription_id, operation, run)


def role_assignments(clients: Clients, sub: Subscription) -> Task:
    # Assignment checks judge a subscription as a whole (its owners, say): one unreadable
    # assignment leaves every such judgement of the subscription unknown, so it fails the list.
    return _whole_list(
        Dataset.ROLE_ASSIGNMENTS,
        sub,
        clients,
        "Microsoft.Authorization/roleAssignments",
        AUTHORIZATION_API,
        "roleAssignments.listForSubscription",
        assignment_record,
    )


def definition_record(definition: Mapping[str, Any], subscription_id: str) -> RoleDefinition:
    """One role definition from its ARM JSON. Every definition Azure returns has a ``permissions``
    list: without it what the role grants is unknown, never "nothing". Absent means: the display
    name is the GUID, no role type (''), no action of a kind, no assignable scope."""
    props = _properties(definition, "hold no permissions")
    if props.get("permissions") is None:
        raise UnusableShape("its properties are null, missing or hold no permissions")
    permissions = objects(props, "permissions")
    resource_id, guid = _id_and_name(definition)
    return RoleDefinition(
        id=resource_id,
        name=string(props, "roleName") or guid,
        subscription_id=subscription_id,
        guid=guid,
        role_type=string(props, "type") or "",
        actions=tuple(a for p in permissions for a in texts(p, "actions")),
        not_actions=tuple(a for p in permissions for a in texts(p, "notActions")),
        data_actions=tuple(a for p in permissions for a in texts(p, "dataActions")),
        assignable_scopes=texts(props, "assignableScopes"),
        not_data_actions=tuple(a for p in permissions for a in texts(p, "notDataActions")),
    )


def _definitions(clients: Clients, sub: Subscription, role_type: str, task: Task, subscription_id: str) -> Collected:
    found = arm_list(
        clients.arm(),
        f"{sub.id}/providers/Microsoft.Authorization/roleDefinitions",
        AUTHORIZATION_API,
        task.operation,
        {"$filter": f"type eq '{role_type}'"},
    )
    # one unreadable definition is ERROR for the checks that judge it, not for the others
    return task.each(found, lambda d: definition_record(d, subscription_id))


def custom_roles(clients: Clients, sub: Subscription) -> Task:
    def run() -> Collected:
        return _definitions(clients, sub, "CustomRole", task, sub.subscription_id)

    task = Task(Dataset.ROLE_DEFINITIONS, sub.subscription_id, "roleDefinitions.list(custom)", run)
    return task


def builtin_roles(clients: Clients, sub: Subscription) -> Task:
    """Built-in roles are the same in every subscription: listed once per run (through the first
    subscription); a failure here affects every subscription."""

    def run() -> Collected:
        return _definitions(clients, sub, "BuiltInRole", task, "")

    task = Task(Dataset.ROLE_DEFINITIONS, "", "roleDefinitions.list(built-in)", run)
    return task


def identity_record(identity: Mapping[str, Any], subscription_id: str) -> UserAssignedIdentity:
    """One user-assigned identity from its ARM JSON. ``principalId`` and ``clientId`` are read-only
    values Azure sets on creation; absent means unknown (''), which no assignment matches."""
    props = _properties(identity, "not an object")
    resource_id, name = _id_and_name(identity)
    return UserAssignedIdentity(
        id=resource_id,
        name=name,
        subscription_id=subscription_id,
        principal_id=string(props, "principalId") or "",
        client_id=string(props, "clientId") or "",
    )


def identities(clients: Clients, sub: Subscription) -> Task:
    # Identities name the principals of role assignments: one unreadable identity would make
    # an assignment to it look like one to someone else, so it fails the list. A subscription not
    # registered for Microsoft.ManagedIdentity holds none (azaudit/collect/registration.py).
    def run() -> Collected:
        found, notes = provider_list(
            clients.arm(),
            sub,
            "Microsoft.ManagedIdentity",
            "userAssignedIdentities",
            IDENTITIES_API,
            task.operation,
            task.dataset,
        )
        return Collected(records=[identity_record(item, sub.subscription_id) for item in found], notes=notes)

    task = Task(Dataset.IDENTITIES, sub.subscription_id, "userAssignedIdentities.listBySubscription", run)
    return task


DATASETS = (
    DatasetSpec(Dataset.ROLE_ASSIGNMENTS, {RoleAssignment: "role_assignments"}, Per.SUBSCRIPTION, role_assignments),
    DatasetSpec(Dataset.ROLE_DEFINITIONS, {RoleDefinition: "role_definitions"}, Per.SUBSCRIPTION, custom_roles),
    DatasetSpec(Dataset.ROLE_DEFINITIONS, {RoleDefinition: "role_definitions"}, Per.RUN, builtin_roles),
    DatasetSpec(Dataset.IDENTITIES, {UserAssignedIdentity: "identities"}, Per.SUBSCRIPTION, identities),
)
