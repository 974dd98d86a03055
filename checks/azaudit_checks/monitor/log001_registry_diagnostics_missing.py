from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity
from azaudit_checks.monitor._destinations import logs_sent


@check(
    code="LOG001",
    name="registry-diagnostics-missing",
    title="Container registry sends its logs somewhere",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.ContainerRegistry/registries",
    requires=(Dataset.REGISTRIES, Dataset.DIAGNOSTIC_SETTINGS),
    recommendations=("log-admin-access",),
    mcsb=("LT-3",),
)
def registry_diagnostics_missing(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether the registry has at least one diagnostic setting that sends at least one enabled log
    (a category or a category group such as `audit` or `allLogs`) to a destination (Log
    Analytics workspace, storage account, event hub or partner solution). Settings that send
    only metrics, have every log disabled, or have no destination do not count. Retention days
    are not judged (retention on diagnostic settings is deprecated). Whether the right
    categories are sent is LOG002's question.

    ## Why it matters
    Registry logs are the only record of who logged in to the registry and who pushed, pulled or
    deleted which image. Without them a stolen credential or a poisoned image cannot be traced,
    and the seeds' "log all administrative access to registries and images" is not met.

    ## How to fix
    Send the registry's `audit` category group (or `allLogs`) to a Log Analytics workspace:

    ```bash
    az monitor diagnostic-settings create --name acr-audit --resource <registry-id> \\
      --workspace <workspace-id> --logs '[{"categoryGroup":"audit","enabled":true}]'
    ```

    ## References
    - https://learn.microsoft.com/azure/container-registry/monitor-container-registry
    - https://learn.microsoft.com/azure/azure-monitor/essentials/diagnostic-settings
    """
    for registry in ctx.inventory.registries:
        yield logs_sent(registry, ctx.inventory.diagnostics_for(registry.id), "logins, pushes and pulls are not logged")
