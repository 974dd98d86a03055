from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity


@check(
    code="KV003",
    name="access-policy-model",
    title="Key vault uses Azure RBAC for data access",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.KeyVault/vaults",
    requires=(Dataset.VAULTS,),
    recommendations=("protect-credentials",),
    mcsb=("PA-7",),
)
def access_policy_model(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether `properties.enableRbacAuthorization` is true. Absent means false: the vault uses
    the legacy access-policy model.

    ## Why it matters
    Access policies grant per vault, with no scoping to one secret, no conditions, no
    Privileged Identity Management, and anyone with Key Vault Contributor on the management
    plane can grant themselves data access. Azure RBAC fixes all of these and puts vault access
    under the same reviews as every other role.

    ## How to fix
    Recreate the policies' grants as role assignments (Key Vault Secrets User, Crypto User...),
    then switch the vault to RBAC:

    ```bash
    az keyvault update --name <vault> --enable-rbac-authorization true
    ```

    ## References
    - https://learn.microsoft.com/azure/key-vault/general/rbac-migration
    - https://learn.microsoft.com/azure/key-vault/general/rbac-access-policy
    """
    for vault in ctx.inventory.vaults:
        if vault.enable_rbac_authorization:
            yield Outcome.passed(vault, "data access is governed by Azure RBAC")
        else:
            count = len(vault.access_policies)
            yield Outcome.failed(vault, f"the vault uses the access-policy model ({count} polic(ies))")
