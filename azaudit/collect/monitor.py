"""Diagnostic settings of registries, vaults and container groups, and of each subscription
(activity log export).

Diagnostic settings are per resource: Resource Graph cannot see them, so there is one request
per audited resource. The lists are not paged.
"""

from __future__ import annotations

from typing import Any

from azaudit.clients import Clients
from azaudit.collect.sdk import get, text
from azaudit.collect.spec import DatasetSpec, Per
from azaudit.collect.tasks import Collected, Task
from azaudit.inventory.aci import ContainerGroup
from azaudit.inventory.acr import Registry
from azaudit.inventory.common import Subscription
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.keyvault import KeyVault
from azaudit.inventory.monitor import DiagnosticSetting, LogEntry
from azaudit.model import ResourceLike


def setting_record(setting: Any, subscription_id: str, resource_id: str) -> DiagnosticSetting:
    return DiagnosticSetting(
        id=text(get(setting, "id")) or "",
        name=text(get(setting, "name")) or "",
        subscription_id=subscription_id,
        resource_id=resource_id,
        logs=tuple(
            LogEntry(
                category=text(get(entry, "category")),
                category_group=text(get(entry, "category_group")),
                enabled=bool(get(entry, "enabled")),
            )
            for entry in get(setting, "logs") or ()
        ),
        workspace_id=text(get(setting, "workspace_id")),
        storage_account_id=text(get(setting, "storage_account_id")),
        event_hub_authorization_rule_id=text(get(setting, "event_hub_authorization_rule_id")),
        marketplace_partner_id=text(get(setting, "marketplace_partner_id")),
    )


def diagnostic_settings(
    clients: Clients, resource: ResourceLike, dataset: Dataset = Dataset.DIAGNOSTIC_SETTINGS
) -> Task:
    def run() -> Collected:
        client = clients.monitor(resource.subscription_id)
        return Collected(
            records=[
                setting_record(s, resource.subscription_id, resource.id)
                for s in client.diagnostic_settings.list(resource.id)
            ]
        )

    return Task(dataset, resource.subscription_id, "diagnosticSettings.list", run, resource.id, resource.name)


def container_group_diagnostics(clients: Clients, group: ResourceLike) -> Task:
    """The diagnostic settings of a container group: a dataset of their own, so that a group whose
    settings cannot be read is an ERROR for the container group checks, not for the registry and
    vault logging checks."""
    return diagnostic_settings(clients, group, Dataset.CONTAINER_GROUP_DIAGNOSTICS)


def activity_log(clients: Clients, sub: Subscription) -> Task:
    def run() -> Collected:
        client = clients.monitor(sub.subscription_id)
        return Collected(
            records=[
                setting_record(s, sub.subscription_id, sub.id) for s in client.subscription_diagnostic_settings.list()
            ]
        )

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
