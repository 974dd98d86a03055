from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity


@check(
    code="ACI012",
    name="no-log-analytics",
    title="Container group sends its logs to Log Analytics",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.ContainerInstance/containerGroups",
    requires=(Dataset.CONTAINER_GROUPS,),
    recommendations=("monitor-activity",),
    mcsb=("LT-3",),
)
def no_log_analytics(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether the container group sends its container logs and events to a Log Analytics
    workspace (`diagnostics.logAnalytics`).

    ## Why it matters
    Without it, a container's output lives only as long as the container, and the events of the
    group (restarts, image pulls, kills) are not kept anywhere. After an incident there is nothing
    to investigate, and nothing to alert on while it happens. The seeds ask to monitor container
    activity with Azure Monitor.

    ## How to fix
    Redeploy the group with a workspace (its id and key are passed at creation):

    ```bash
    az container create --resource-group <rg> --file container-group.yaml \
      --log-analytics-workspace <workspace-id> --log-analytics-workspace-key "$WORKSPACE_KEY"
    ```

    ## References
    - https://learn.microsoft.com/azure/container-instances/container-instances-log-analytics
    - https://learn.microsoft.com/azure/container-instances/monitor-azure-container-instances
    """
    for group in ctx.inventory.container_groups:
        if group.log_analytics_workspace_id:
            yield Outcome.passed(group, f"logs go to Log Analytics workspace {group.log_analytics_workspace_id}")
        else:
            yield Outcome.failed(group, "container logs and events are not sent to Log Analytics")
