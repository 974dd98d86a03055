from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.monitor import sending
from azaudit.model import Outcome, Severity
from azaudit_checks.monitor._destinations import observed

DESTINATION = "diagnosticSettings[].properties.workspaceId|storageAccountId|eventHubAuthorizationRuleId"


@check(
    code="LOG005",
    name="activity-log-not-exported",
    title="Subscription activity log is exported",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.Resources/subscriptions",
    requires=(Dataset.ACTIVITY_LOG,),
    recommendations=("monitor-activity",),
    mcsb=("LT-3",),
    policies=("2465583e-4e78-4c15-b6be-a36cbc7c8b0f",),
)
def activity_log_not_exported(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether the subscription has at least one subscription-level diagnostic setting (the
    activity log export) that sends at least one enabled category (or category group) to a
    destination: a Log Analytics workspace, storage account, event hub or partner solution. A
    setting with a destination but every category disabled exports nothing and FAILs with its
    own message, as does a setting without a destination. Which categories are exported is
    LOG006's question.

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

    ## Decisions
    Azure Monitor sends only the categories whose `enabled` is true: a setting whose every
    entry is disabled is kept by ARM but exports nothing, so it does not count. Azure Policy's
    2465583e-4e78-4c15-b6be-a36cbc7c8b0f ("Configure Azure Activity logs to stream to specified
    Log Analytics workspace") tests the same export (enabled logs, and a workspace it names).
    The definitions about log profiles (7796937f-307b-4598-941c-67d3a05ebfe7 and the others
    under Monitoring/ActivityLog_*) test the retired log-profile mechanism, not diagnostic
    settings, and are not named.

    ## References
    - https://learn.microsoft.com/azure/azure-monitor/essentials/activity-log
    - https://learn.microsoft.com/azure/azure-monitor/essentials/diagnostic-settings
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Monitoring/DataConnectorsAzureActivity.json
    """
    for sub in ctx.inventory.subscriptions:
        settings = ctx.inventory.diagnostics_for(sub.id)
        active = sending(settings)
        silent = [s.name for s in settings if s.has_destination]
        evidence = observed(settings)
        evidence[DESTINATION] = ", ".join(silent) or "none"
        if active:
            names = ", ".join(s.name for s in active)
            yield Outcome.passed(sub, f"the activity log is exported by {names}", evidence=evidence)
            continue
        if silent:
            yield Outcome.failed(
                sub,
                f"setting(s) {', '.join(silent)} have a destination but every category disabled: nothing is exported, "
                "and control-plane changes age out after 90 days",
                item=", ".join(silent),
                evidence=evidence,
            )
        elif settings:
            yield Outcome.failed(
                sub,
                f"setting(s) {', '.join(s.name for s in settings)} have no destination: the activity log is not "
                "exported, and control-plane changes age out after 90 days",
                evidence=evidence,
            )
        else:
            yield Outcome.failed(
                sub, "the activity log is not exported: control-plane changes age out after 90 days", evidence=evidence
            )
