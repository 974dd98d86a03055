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
    policies=("0aa61e00-0a01-4a3c-9945-e93cffedf0e6",),
)
def no_customer_managed_key(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether the container group's `encryptionProperties` name a Key Vault key: both
    `vaultBaseUrl` and `keyName`. With them the group's deployment data (its definition,
    including secure environment values and secret volumes) is encrypted with that
    customer-managed key instead of Microsoft-managed keys.

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
    Azure Policy's built-in definition "Azure Container Instance container group should use
    customer-managed key for encryption" is the reference: a group is non-compliant when
    `encryptionProperties.vaultBaseUrl` or `encryptionProperties.keyName` does not exist, so a
    vault URL without a key name FAILs (this check used to PASS it). `keyVersion` is not
    required: the REST API (2023-05-01) requires it when the group is created, so every accepted
    group has one, and the Policy definition does not test it; a missing `keyVersion` in an
    answer does not make the key Microsoft-managed. The container security guidance has no
    recommendation for this row; it is tagged `protect-credentials` because what the key protects
    is the group's secure values and secret volumes.

    ## References
    - https://learn.microsoft.com/azure/container-instances/container-instances-encrypt-data
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Container%20Instance/ContainerInstance_CMK_Audit.json
    - https://learn.microsoft.com/rest/api/container-instances/container-groups/create-or-update
    """
    for group in ctx.inventory.container_groups:
        vault, key = group.encryption_key_vault, group.encryption_key_name
        evidence = {
            "properties.encryptionProperties.vaultBaseUrl": "present" if vault else "absent",
            "properties.encryptionProperties.keyName": key or "absent",
        }
        if vault and key:
            yield Outcome.passed(group, f"deployment data is encrypted with key {key} from {vault}", evidence=evidence)
        elif vault or key:
            missing = "keyName" if vault else "vaultBaseUrl"
            yield Outcome.failed(
                group, f"encryptionProperties has no {missing}: no customer-managed key is named", evidence=evidence
            )
        else:
            yield Outcome.failed(
                group, "deployment data is encrypted with Microsoft-managed keys only", evidence=evidence
            )
