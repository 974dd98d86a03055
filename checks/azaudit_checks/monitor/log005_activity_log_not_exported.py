from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity


@check(
    code="LOG005",
    name="activity-log-not-exported",
    title="Subscription activity log is exported",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.Resources/subscriptions",
    requires=(Dataset.ACTIVITY_LOG,),
    recommendations=("monitor-activity",),
    mcsb=("LT-3",),
)
def activity_log_not_exported(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether the subscription has at least one subscription-level diagnostic setting (the
    activity log export) with a destination.

    ## Why it matters
    The activity log records every control-plane change (who changed a registry's network
    rules, who granted a role, who deleted a vault) but Azure keeps it only 90 days and only
    in the portal. Exported, it can be retained, alerted on and correlated with resource logs.

    ## How to fix
    ```bash
    az monitor diagnostic-settings subscription create --name activity-to-law --location westeurope \\
      --workspace <workspace-id> \\
      --logs '[{"category":"Administrative","enabled":true},{"category":"Security","enabled":true},
               {"category":"Alert","enabled":true},{"category":"Policy","enabled":true}]'
    ```

    ## References
    - https://learn.microsoft.com/azure/azure-monitor/essentials/activity-log
    - https://learn.microsoft.com/azure/azure-monitor/essentials/diagnostic-settings
    """
    for sub in ctx.inventory.subscriptions:
        settings = [s for s in ctx.inventory.diagnostics_for(sub.id) if s.has_destination]
        if settings:
            names = ", ".join(s.name for s in settings)
            yield Outcome.passed(sub, f"the activity log is exported by {names}")
        else:
            yield Outcome.failed(sub, "the activity log is not exported: control-plane changes age out after 90 days")
