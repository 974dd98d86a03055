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
    policies=(
        "cf820ca0-f99e-4f3e-84fb-66e913812d21",
        "187242f4-89c6-4c43-9a4e-188c0efacc5f",
        "6b359d8f-f88d-4052-aa7c-32015963ecc1",
        "71153be3-4742-4aae-9aec-150f7589311b",
        "edf35972-ed56-4c2f-a4a1-65f0471ba702",
    ),
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

    ## Decisions
    Azure Policy tests the same control with cf820ca0-f99e-4f3e-84fb-66e913812d21 ("Resource
    logs in Key Vault should be enabled": any enabled log; its retention clause concerns the
    deprecated diagnostic-setting retention and is not judged), 187242f4-89c6-4c43-9a4e-188c0efacc5f
    (an enabled `audit` or `allLogs` group) and the "Enable logging by category group for Key
    vaults" definitions to Log Analytics (6b359d8f-f88d-4052-aa7c-32015963ecc1), Event Hub
    (71153be3-4742-4aae-9aec-150f7589311b) and Storage (edf35972-ed56-4c2f-a4a1-65f0471ba702),
    which also require the destination they name.

    ## References
    - https://learn.microsoft.com/azure/key-vault/general/logging
    - https://learn.microsoft.com/azure/azure-monitor/essentials/diagnostic-settings
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Key%20Vault/AuditDiagnosticLog_Audit.json
    """
    for vault in ctx.inventory.vaults:
        yield logs_sent(vault, ctx.inventory.diagnostics_for(vault.id), "vault access is not logged")
