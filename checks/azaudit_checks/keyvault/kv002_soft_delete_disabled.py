from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity


@check(
    code="KV002",
    name="soft-delete-disabled",
    title="Key vault soft delete is on",
    severity=Severity.HIGH,
    resource_type="Microsoft.KeyVault/vaults",
    requires=(Dataset.VAULTS,),
    recommendations=("protect-credentials",),
    mcsb=("DP-8",),
    policies=("1e66c121-a66a-4b1f-9b83-0fd99bf0fc2d",),
)
def soft_delete_disabled(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether `properties.enableSoftDelete` is `true`. ARM sets the property on every vault created
    since soft delete became the default (it is on, and cannot be turned off, for new vaults), so
    an absent value means a legacy vault created without it: absent fails, like `false`.

    ## Why it matters
    Without soft delete, a deleted secret, key or vault is gone at once: an attacker or a
    mistaken script can destroy the credentials workloads depend on, and any data encrypted with
    a deleted key becomes unreadable.

    ## How to fix
    Turn soft delete on for the existing vault (irreversible, by design; check first that no
    automation deletes and re-creates secrets of the same name, which then needs a purge):

    ```bash
    az resource update --id <vault-id> --set properties.enableSoftDelete=true
    ```

    ## Decisions
    Absent never passes. Azure Policy "Key vaults should have soft delete enabled" is non-compliant
    when `enableSoftDelete` is false or does not exist; the Key Vault REST reference says a vault
    created without the property gets `true`, so only vaults from before that default lack it.

    ## References
    - https://learn.microsoft.com/azure/key-vault/general/soft-delete-overview
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Key%20Vault/SoftDeleteMustBeEnabled_Audit.json
    - https://learn.microsoft.com/rest/api/keyvault/keyvault/vaults/create-or-update
    - https://learn.microsoft.com/azure/key-vault/general/soft-delete-change
    - https://learn.microsoft.com/azure/key-vault/general/key-vault-recovery
    """
    for vault in ctx.inventory.vaults:
        value = vault.enable_soft_delete
        evidence = {"properties.enableSoftDelete": "absent (a legacy vault)" if value is None else str(value).lower()}
        if value is True:
            yield Outcome.passed(vault, "soft delete is on", evidence=evidence)
        elif value is None:
            yield Outcome.failed(
                vault,
                "soft delete is not set (a legacy vault): a deleted secret or key is gone immediately",
                evidence=evidence,
            )
        else:
            yield Outcome.failed(
                vault, "soft delete is off: a deleted secret or key is gone immediately", evidence=evidence
            )
