from collections.abc import Iterator

import msgspec

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.aci import ContainerGroup
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.monitor import DiagnosticSetting, covered
from azaudit.model import Outcome, Severity, Status

# The resource log categories of Microsoft.ContainerInstance/containerGroups, and the category
# group that includes them.
CATEGORIES = frozenset({"ContainerInstanceLog", "ContainerEvent"})
GROUPS = frozenset({"allLogs"})


def _through_settings(group: ContainerGroup, settings: tuple[DiagnosticSetting, ...]) -> Outcome:
    sent = covered(settings, CATEGORIES, GROUPS)
    if sent == CATEGORIES:
        names = sorted(s.name for s in settings if s.covers(CATEGORIES, GROUPS))
        return Outcome.passed(group, f"container logs and events are sent by diagnostic setting(s) {', '.join(names)}")
    if not settings:
        return Outcome.failed(
            group, "container logs and events are kept nowhere: no Log Analytics workspace, no diagnostic setting"
        )
    missing = ", ".join(sorted(CATEGORIES - sent))
    return Outcome.failed(
        group,
        f"no Log Analytics workspace, and no diagnostic setting sends {missing} to a destination "
        f"({len(settings)} setting(s))",
    )


@check(
    code="ACI012",
    name="logs-not-exported",
    title="Container group keeps its container logs and events",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.ContainerInstance/containerGroups",
    requires=(Dataset.CONTAINER_GROUPS, Dataset.CONTAINER_GROUP_DIAGNOSTICS),
    recommendations=("monitor-activity",),
    mcsb=("LT-3",),
    policies=("41ebf9df-66cb-48e9-a8d0-98afb4e150ce", "21c469fa-a887-4363-88a9-60bfd6911a15"),
)
def logs_not_exported(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether the container group's container logs and events leave the group, by either of the
    two ways Azure offers: the group's own `diagnostics.logAnalytics` workspace, or diagnostic
    settings that send both resource log categories, `ContainerInstanceLog` (standard output)
    and `ContainerEvent` (restarts, image pulls, kills), or the `allLogs` category group, enabled,
    to a destination (Log Analytics workspace, storage account, event hub or partner solution).
    The categories may be split across settings. A group whose diagnostic settings could not be
    read is an ERROR, never a pass.

    ## Why it matters
    Without it, a container's output lives only as long as the container, and the events of the
    group are not kept anywhere. After an incident there is nothing to investigate, and nothing
    to alert on while it happens. The container security guidance asks to monitor container
    activity with Azure Monitor.

    ## How to fix
    Add a diagnostic setting (no redeployment needed):

    ```bash
    az monitor diagnostic-settings create --name aci-to-law --resource <container-group-id> \\
      --workspace <workspace-id> --logs '[{"categoryGroup":"allLogs","enabled":true}]'
    ```

    Or redeploy the group with a workspace (`--log-analytics-workspace <id>
    --log-analytics-workspace-key "$WORKSPACE_KEY"`).

    ## Decisions
    Azure Policy has a built-in definition for each way: "Configure diagnostic settings for
    container groups to Log Analytics workspace" deploys a setting with `ContainerInstanceLog`
    and `ContainerEvent`, and "Configure diagnostics for container group to log analytics
    workspace" appends `diagnostics.logAnalytics`; a group satisfying either passes (this check
    used to FAIL a group that logs only through diagnostic settings). Both categories are
    required, as the Policy deploys them: events without the output (or the output without the
    events) leave half of the record missing. A setting without a destination, or with the
    categories disabled, sends nothing. Diagnostic settings are read from their own dataset, so a
    403 on one group's settings makes this check ERROR for that group only and never touches the
    registry and vault logging checks. Retention is not judged (retention on diagnostic settings
    is deprecated).

    ## References
    - https://learn.microsoft.com/azure/container-instances/monitor-azure-container-instances
    - https://learn.microsoft.com/azure/container-instances/monitor-azure-container-instances-reference
    - https://learn.microsoft.com/azure/container-instances/container-instances-log-analytics
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Container%20Instance/ContainerInstance_LogAnalytics_DINE.json
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Container%20Instances/ContainerInstance_LogAnalytics_Append.json
    """
    for group in ctx.inventory.container_groups:
        if group.log_analytics_workspace_id:
            yield Outcome.passed(
                group,
                f"logs go to Log Analytics workspace {group.log_analytics_workspace_id}",
                evidence={"properties.diagnostics.logAnalytics.workspaceId": group.log_analytics_workspace_id},
            )
        else:
            settings = ctx.inventory.diagnostics_for(group.id)
            outcome = _through_settings(group, settings)
            if outcome.status in (Status.PASS, Status.FAIL):
                sent = covered(settings, CATEGORIES, GROUPS)
                outcome = msgspec.structs.replace(
                    outcome,
                    evidence={
                        "properties.diagnostics.logAnalytics": "absent",
                        "diagnosticSettings": f"{len(settings)} setting(s)",
                        "diagnosticSettings[].properties.logs": f"sent: {', '.join(sorted(sent)) or 'none'}",
                    },
                )
            yield outcome
