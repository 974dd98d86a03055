from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity


@check(
    code="ACI013",
    name="no-customer-managed-key",
    title="Container group data is encrypted with a customer-managed key",
    severity=Severity.LOW,
    resource_type="Microsoft.ContainerInstance/containerGroups",
    requires=(Dataset.CONTAINER_GROUPS,),
    recommendations=("protect-credentials",),
    mcsb=("DP-5",),
)
def no_customer_managed_key(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether the container group has `encryptionProperties`: a Key Vault key that encrypts the
    group's deployment data (its definition, including secure environment values and secret
    volumes) instead of Microsoft-managed keys.

    ## Why it matters
    The deployment data of a container group holds its secure values and secret volumes. With a
    customer-managed key you control that key's lifecycle and can revoke access to the data; with
    Microsoft-managed keys you cannot. It is a compliance control (MCSB DP-5) more than a defence
    against a common attack, hence the low severity.

    ## How to fix
    Encryption can only be set when the group is created: redeploy it with a key from Key Vault
    (see the References for the access policy the service principal needs):

    ```bash
    az deployment group create --resource-group <rg> --template-file container-group-cmk.json
    ```

    ## Decisions
    The catalogue gives this row no seed tag; it is tagged `protect-credentials` because what
    the key protects is the group's secure values and secret volumes.

    ## References
    - https://learn.microsoft.com/azure/container-instances/container-instances-encrypt-data
    """
    for group in ctx.inventory.container_groups:
        if group.encryption_key_vault:
            yield Outcome.passed(group, f"deployment data is encrypted with a key from {group.encryption_key_vault}")
        else:
            yield Outcome.failed(group, "deployment data is encrypted with Microsoft-managed keys only")
