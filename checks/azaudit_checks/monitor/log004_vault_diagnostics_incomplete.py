from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.monitor import covered, sending
from azaudit.model import Outcome, Severity
from azaudit_checks.monitor._destinations import categories_observed

CATEGORIES = frozenset({"AuditEvent"})
GROUPS = frozenset({"allLogs", "audit"})


@check(
    code="LOG004",
    name="vault-diagnostics-incomplete",
    title="Key vault logs its audit events",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.KeyVault/vaults",
    requires=(Dataset.VAULTS, Dataset.DIAGNOSTIC_SETTINGS),
    recommendations=("log-admin-access",),
    mcsb=("LT-3",),
    policies=(
        "bef3f64c-5290-43b7-85b0-9b254eef4c47",
        "187242f4-89c6-4c43-9a4e-188c0efacc5f",
        "6b359d8f-f88d-4052-aa7c-32015963ecc1",
        "71153be3-4742-4aae-9aec-150f7589311b",
        "edf35972-ed56-4c2f-a4a1-65f0471ba702",
    ),
)
def vault_diagnostics_incomplete(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    For a vault that has diagnostic settings, whether an enabled log sent to a destination
    covers `AuditEvent`: the category itself, or the category group `audit` or `allLogs`.
    Disabled entries, metrics-only settings and settings without a destination do not count.
    A vault logging through `allLogs` alone passes (some tools get this wrong). A vault with no
    setting at all is LOG003's finding and is SKIPPED here.

    ## Why it matters
    `AuditEvent` is the record of every read of a secret, key or certificate and every change
    to the vault's access: without it a leaked credential's use cannot be traced.

    ## How to fix
    ```bash
    az monitor diagnostic-settings update --name <setting> --resource <vault-id> \\
      --logs '[{"categoryGroup":"audit","enabled":true}]'
    ```

    ## Decisions
    Azure Policy's bef3f64c-5290-43b7-85b0-9b254eef4c47 ("Deploy Diagnostic Settings for Key
    Vault to Log Analytics workspace") counts a setting compliant when it enables the
    `AuditEvent` category; 187242f4-89c6-4c43-9a4e-188c0efacc5f and the "Enable logging by
    category group for Key vaults" definitions (6b359d8f-f88d-4052-aa7c-32015963ecc1,
    71153be3-4742-4aae-9aec-150f7589311b, edf35972-ed56-4c2f-a4a1-65f0471ba702) accept the `audit`
    or `allLogs` group. azaudit accepts all three forms, sent to any destination.

    ## References
    - https://learn.microsoft.com/azure/key-vault/general/logging
    - https://learn.microsoft.com/azure/azure-monitor/reference/supported-logs/microsoft-keyvault-vaults-logs
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Monitoring/KeyVault_DeployDiagnosticLog_Deploy_LogAnalytics.json
    """
    for vault in ctx.inventory.vaults:
        settings = ctx.inventory.diagnostics_for(vault.id)
        if not settings:
            yield Outcome.skipped(vault, "no diagnostic setting at all (see LOG003)")
            continue
        sent = covered(sending(settings), CATEGORIES, GROUPS)
        evidence = categories_observed(sent, CATEGORIES)
        if sent:
            yield Outcome.passed(vault, "AuditEvent is logged", evidence=evidence)
        else:
            yield Outcome.failed(
                vault, "AuditEvent is not sent to any destination", item="AuditEvent", evidence=evidence
            )
