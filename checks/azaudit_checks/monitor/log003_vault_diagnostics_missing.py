from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity
from azaudit_checks.monitor._destinations import logs_sent


@check(
    code="LOG003",
    name="vault-diagnostics-missing",
    title="Key vault sends its logs somewhere",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.KeyVault/vaults",
    requires=(Dataset.VAULTS, Dataset.DIAGNOSTIC_SETTINGS),
    recommendations=("log-admin-access",),
    mcsb=("LT-3",),
)
def vault_diagnostics_missing(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether the vault has at least one diagnostic setting that sends at least one enabled log
    (a category or a category group such as `audit` or `allLogs`) to a destination (Log
    Analytics workspace, storage account, event hub or partner solution). Settings that only
    send metrics, have every log disabled, or have no destination do not count. Retention days
    are not judged (retention on diagnostic settings is deprecated).

    ## Why it matters
    Without logs there is no record of who read which secret, key or certificate, or who changed
    an access policy: a leaked credential cannot be traced and misuse cannot be detected.

    ## How to fix
    Create a diagnostic setting that sends the `audit` category group (or `allLogs`) to a Log
    Analytics workspace:

    ```bash
    az monitor diagnostic-settings create --name audit-to-law --resource <vault-id> \\
      --workspace <workspace-id> --logs '[{"categoryGroup":"audit","enabled":true}]'
    ```

    ## References
    - https://learn.microsoft.com/azure/key-vault/general/logging
    - https://learn.microsoft.com/azure/azure-monitor/essentials/diagnostic-settings
    """
    for vault in ctx.inventory.vaults:
        yield logs_sent(vault, ctx.inventory.diagnostics_for(vault.id), "vault access is not logged")
