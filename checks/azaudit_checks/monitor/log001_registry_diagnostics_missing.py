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
    policies=(
        "187242f4-89c6-4c43-9a4e-188c0efacc5f",
        "56288eb2-4350-461d-9ece-2bb242269dce",
        "9ba29e83-863d-4fec-81d0-16dd87067cc3",
        "106cd3bd-50a1-466c-869f-f9c2d310477b",
    ),
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
    and the container security guidance's "log all administrative access to registries and
    images" is not met.

    ## How to fix
    Send the registry's `audit` category group (or `allLogs`) to a Log Analytics workspace:

    ```bash
    az monitor diagnostic-settings create --name acr-audit --resource <registry-id> \\
      --workspace <workspace-id> --logs '[{"categoryGroup":"audit","enabled":true}]'
    ```

    ## Decisions
    Azure Policy tests the same control with 187242f4-89c6-4c43-9a4e-188c0efacc5f ("Resource
    logs should be enabled for Audit on supported resources": an enabled `audit` or `allLogs`
    group, whatever the destination) and with the "Enable logging by category group for
    Container registries" definitions to Log Analytics (56288eb2-4350-461d-9ece-2bb242269dce),
    Event Hub (9ba29e83-863d-4fec-81d0-16dd87067cc3) and Storage
    (106cd3bd-50a1-466c-869f-f9c2d310477b), which also require the destination they name.
    azaudit accepts any destination, and categories named one by one.

    ## References
    - https://learn.microsoft.com/azure/container-registry/monitor-container-registry
    - https://learn.microsoft.com/azure/azure-monitor/essentials/diagnostic-settings
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Monitoring/DiagnosticSettingsExistsAudit_Audit.json
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Monitoring/DS_LA_containerregistry-registries_DINE.json
    """
    for registry in ctx.inventory.registries:
        yield logs_sent(registry, ctx.inventory.diagnostics_for(registry.id), "logins, pushes and pulls are not logged")
