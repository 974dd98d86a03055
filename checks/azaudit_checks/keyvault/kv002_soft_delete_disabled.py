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
)
def soft_delete_disabled(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether `properties.enableSoftDelete` is explicitly `false`. An absent value passes: soft
    delete has been on by default, and cannot be turned off, for every vault created since 2020.

    ## Why it matters
    Without soft delete, a deleted secret, key or vault is gone at once: an attacker or a
    mistaken script can destroy the credentials workloads depend on, and any data encrypted with
    a deleted key becomes unreadable.

    ## How to fix
    Soft delete cannot be enabled on the old vault itself through newer API versions: move its
    secrets and keys to a new vault (soft delete is always on), then delete the old one.

    ```bash
    az keyvault create --name <new-vault> --resource-group <rg> --enable-purge-protection true
    ```

    ## References
    - https://learn.microsoft.com/azure/key-vault/general/soft-delete-overview
    - https://learn.microsoft.com/azure/key-vault/general/soft-delete-change
    """
    for vault in ctx.inventory.vaults:
        if vault.enable_soft_delete is False:
            yield Outcome.failed(vault, "soft delete is off: a deleted secret or key is gone immediately")
        else:
            yield Outcome.passed(vault, "soft delete is on")
