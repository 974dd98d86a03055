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
    policies=("12d4fa5e-1f9f-4c21-97a9-b99b3c6611b5",),
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

    ## Decisions
    Absent means the access-policy model. Since Key Vault API version 2026-02-01 (azaudit reads
    vaults with 2026-05-15), a vault *created* without the property gets Azure RBAC and ARM returns
    `true`; vaults whose property is null keep using access policies, and updating with a newer
    API version does not switch them. Azure Policy "Azure Key Vault should use RBAC permission
    model" likewise treats a missing property as non-compliant.

    ## References
    - https://learn.microsoft.com/azure/key-vault/general/rbac-migration
    - https://learn.microsoft.com/azure/key-vault/general/access-control-default
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Key%20Vault/Should_Use_RBAC.json
    - https://learn.microsoft.com/azure/key-vault/general/rbac-access-policy
    """
    for vault in ctx.inventory.vaults:
        value = vault.enable_rbac_authorization
        count = len(vault.access_policies)
        evidence = {
            "properties.enableRbacAuthorization": "absent (Azure default: false)"
            if value is None
            else str(value).lower(),
            "properties.accessPolicies": f"{count} polic(ies)",
        }
        if value:
            yield Outcome.passed(vault, "data access is governed by Azure RBAC", evidence=evidence)
        else:
            yield Outcome.failed(
                vault, f"the vault uses the access-policy model ({count} polic(ies))", evidence=evidence
            )
