"""Diagnostic settings of registries, vaults and container groups, and of each subscription
(activity log export).

Diagnostic settings are per resource: Resource Graph cannot see them, so there is one request
per audited resource. The lists are not paged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from azaudit.clients import Clients
from azaudit.collect.arm import arm_get, boolean, listed, objects, properties, string
from azaudit.collect.spec import DatasetSpec, Per
from azaudit.collect.tasks import Collected, Task
from azaudit.inventory.aci import ContainerGroup
from azaudit.inventory.acr import Registry
from azaudit.inventory.common import Subscription
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.keyvault import KeyVault
from azaudit.inventory.monitor import DiagnosticSetting, LogEntry
from azaudit.model import ResourceLike

# The API version the SDK's diagnostic settings operations use (azure-mgmt-monitor 6).
SETTINGS_API = "2021-05-01-preview"


def setting_record(setting: Mapping[str, Any], subscription_id: str, resource_id: str) -> DiagnosticSetting:
    """One diagnostic setting from its ARM JSON. Absent means: no log entry, no destination, an
    entry not enabled."""
    props = properties(setting)
    return DiagnosticSetting(
        id=string(setting, "id") or "",
        name=string(setting, "name") or "",
        subscription_id=subscription_id,
        resource_id=resource_id,
        logs=tuple(
            LogEntry(
                category=string(entry, "category"),
                category_group=string(entry, "categoryGroup"),
                enabled=boolean(entry, "enabled", False),
            )
            for entry in objects(props, "logs")
        ),
        workspace_id=string(props, "workspaceId"),
        storage_account_id=string(props, "storageAccountId"),
        event_hub_authorization_rule_id=string(props, "eventHubAuthorizationRuleId"),
        marketplace_partner_id=string(props, "marketplacePartnerId"),
    )


def _settings(clients: Clients, subscription_id: str, scope_id: str) -> Collected:
    """The diagnostic settings of a resource or a subscription (``scope_id``), read as ARM JSON."""
    body = arm_get(clients.arm(), f"{scope_id}/providers/Microsoft.Insights/diagnosticSettings", SETTINGS_API)
    return Collected(
        records=[setting_record(s, subscription_id, scope_id) for s in listed(body, "diagnosticSettings.list")]
    )


def diagnostic_settings(
    clients: Clients, resource: ResourceLike, dataset: Dataset = Dataset.DIAGNOSTIC_SETTINGS
) -> Task:
    def run() -> Collected:
        return _settings(clients, resource.subscription_id, resource.id)

    return Task(dataset, resource.subscription_id, "diagnosticSettings.list", run, resource.id, resource.name)


def container_group_diagnostics(clients: Clients, group: ResourceLike) -> Task:
    """The diagnostic settings of a container group: a dataset of their own, so that a group whose
    settings cannot be read is an ERROR for the container group checks, not for the registry and
    vault logging checks."""
    return diagnostic_settings(clients, group, Dataset.CONTAINER_GROUP_DIAGNOSTICS)


def activity_log(clients: Clients, sub: Subscription) -> Task:
    def run() -> Collected:
        return _settings(clients, sub.subscription_id, sub.id)

    return Task(Dataset.ACTIVITY_LOG, sub.subscription_id, "subscriptionDiagnosticSettings.list", run)


SETTINGS: dict[type, str] = {DiagnosticSetting: "diagnostic_settings"}

# The diagnostic settings of registries and vaults are read for those the run lists for other
# checks (no parents): a check that reads them also reads the registries or vaults it judges.
DATASETS = (
    DatasetSpec(Dataset.ACTIVITY_LOG, SETTINGS, Per.SUBSCRIPTION, activity_log),
    DatasetSpec(Dataset.DIAGNOSTIC_SETTINGS, SETTINGS, Per.RECORD, diagnostic_settings, follows=Registry, parents=()),
    DatasetSpec(Dataset.DIAGNOSTIC_SETTINGS, SETTINGS, Per.RECORD, diagnostic_settings, follows=KeyVault, parents=()),
    DatasetSpec(
        Dataset.CONTAINER_GROUP_DIAGNOSTICS, SETTINGS, Per.RECORD, container_group_diagnostics, follows=ContainerGroup
    ),
)
