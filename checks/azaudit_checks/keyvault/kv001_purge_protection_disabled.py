from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity


@check(
    code="KV001",
    name="purge-protection-disabled",
    title="Key vault purge protection is enabled",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.KeyVault/vaults",
    requires=(Dataset.VAULTS,),
    recommendations=("protect-credentials",),
    mcsb=("DP-8",),
    policies=("0b60c0b2-2dc2-4e1c-b5c9-abbed971de53",),
)
def purge_protection_disabled(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether `properties.enablePurgeProtection` is true. ARM omits the property when it was never
    set, which means purge protection is off: absent fails.

    ## Why it matters
    Without purge protection, anyone with the purge permission (or a compromised identity) can
    delete a vault or its secrets and keys permanently, skipping the soft-delete retention
    period. Workloads that read credentials from the vault then fail with no way back.

    ## How to fix
    Turn purge protection on (it cannot be turned off again, by design):

    ```bash
    az keyvault update --name <vault> --enable-purge-protection true
    ```

    ## Decisions
    Absent is off, as for Azure Policy "Key vaults should have deletion protection enabled", whose
    rule is non-compliant when `enablePurgeProtection` does not exist or is false (it also flags
    soft delete off, which is KV002's finding here).

    ## References
    - https://learn.microsoft.com/azure/key-vault/general/soft-delete-overview#purge-protection
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Key%20Vault/Recoverable_Audit.json
    - https://learn.microsoft.com/security/benchmark/azure/baselines/key-vault-security-baseline
    """
    for vault in ctx.inventory.vaults:
        value = vault.enable_purge_protection
        shown = "absent (Azure default: off)" if value is None else str(value).lower()
        evidence = {"properties.enablePurgeProtection": shown}
        if value:
            yield Outcome.passed(vault, "purge protection is enabled", evidence=evidence)
        else:
            yield Outcome.failed(
                vault, "purge protection is off: deleted secrets and keys can be purged at once", evidence=evidence
            )
