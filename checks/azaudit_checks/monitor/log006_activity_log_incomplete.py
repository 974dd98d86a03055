from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.monitor import sending
from azaudit.model import Outcome, Severity
from azaudit_checks.monitor._destinations import NAMES, categories_observed

REQUIRED = frozenset({"Administrative", "Security", "Alert", "Policy"})
GROUPS = frozenset({"allLogs"})


@check(
    code="LOG006",
    name="activity-log-incomplete",
    title="Activity log export includes Administrative, Security, Alert and Policy",
    severity=Severity.LOW,
    resource_type="Microsoft.Resources/subscriptions",
    requires=(Dataset.ACTIVITY_LOG,),
    recommendations=("monitor-activity",),
    mcsb=("LT-3",),
)
def activity_log_incomplete(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    For a subscription that exports its activity log, whether one setting with a destination
    enables all of `Administrative`, `Security`, `Alert` and `Policy` (the category group
    `allLogs` counts as all). A subscription with no export, or whose only settings have every
    category disabled, is LOG005's finding and is SKIPPED here.

    ## Why it matters
    Administrative events record changes to resources and role assignments, Security events
    Defender alerts, Policy events compliance decisions and Alert events fired alerts. An
    export missing one leaves that part of the audit trail to expire.

    ## How to fix
    ```bash
    az monitor diagnostic-settings subscription update --name <setting> \\
      --logs '[{"category":"Administrative","enabled":true},{"category":"Security","enabled":true},
               {"category":"Alert","enabled":true},{"category":"Policy","enabled":true}]'
    ```

    ## Decisions
    The four categories must be enabled in one setting (the catalogue's rule): a split across
    settings usually means different destinations and retention, which defeats a single audit
    trail. Azure Policy has no built-in definition for the categories of a subscription
    diagnostic setting: 1a4e592a-6a6e-44a5-9814-e36264ca96e7 tests the Write, Delete and Action
    categories of the retired log profiles, and 2465583e-4e78-4c15-b6be-a36cbc7c8b0f only that
    some log is enabled (LOG005).

    ## References
    - https://learn.microsoft.com/azure/azure-monitor/essentials/activity-log-schema
    - https://learn.microsoft.com/azure/azure-monitor/essentials/diagnostic-settings
    """
    for sub in ctx.inventory.subscriptions:
        settings = sending(ctx.inventory.diagnostics_for(sub.id))
        if not settings:
            yield Outcome.skipped(sub, "the activity log is not exported (see LOG005)")
            continue
        best = max(settings, key=lambda s: len(s.covers(REQUIRED, GROUPS)))
        sent = best.covers(REQUIRED, GROUPS)
        missing = sorted(REQUIRED - sent)
        evidence = {NAMES: best.name, **categories_observed(sent, REQUIRED)}
        if missing:
            yield Outcome.failed(
                sub, f"setting {best.name} does not export {', '.join(missing)}", item=best.name, evidence=evidence
            )
        else:
            yield Outcome.passed(
                sub, f"setting {best.name} exports Administrative, Security, Alert and Policy", evidence=evidence
            )
