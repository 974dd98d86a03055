from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity


@check(
    code="ACR011",
    name="no-customer-managed-key",
    title="Registry is encrypted with a customer-managed key",
    severity=Severity.LOW,
    resource_type="Microsoft.ContainerRegistry/registries",
    requires=(Dataset.REGISTRIES,),
    recommendations=("image-integrity",),
    mcsb=("DP-5",),
    policies=("5b9159ae-1701-4a6f-9a7a-aa9c8ddd0580",),
)
def no_customer_managed_key(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether the registry's content is encrypted with a customer-managed key
    (`properties.encryption.status` is `enabled`). Registries without one use Microsoft-managed
    keys. An absent status counts as not encrypted with a customer-managed key, as in the Azure
    Policy definition "Container registries should be encrypted with a customer-managed key"
    (`encryption.status` not equal to `enabled`).

    ## Why it matters
    Images are always encrypted at rest, but with Microsoft-managed keys you cannot revoke access
    to the content, rotate on your schedule, or prove key custody to an auditor. Regulated
    workloads often require customer-managed keys held in Key Vault (MCSB DP-5). It is a
    compliance control more than a protection against a common attack, hence the low severity.

    ## How to fix
    A customer-managed key can only be set when the registry is created (Premium SKU): create a
    new registry with the key, then move the images with `az acr import`.

    ```bash
    az acr create --name <registry> --resource-group <rg> --sku Premium \\
      --identity <user-assigned-identity-id> --key-encryption-key <key-vault-key-uri>
    ```

    ## Decisions
    The container security guidance has no recommendation for this row; it is tagged
    `image-integrity` (custody of the images' content). Basic and Standard registries FAIL with a
    message that the Premium SKU is needed, like ACR003, since the rule has no SKU exception. Docker Content
    Trust does not work with a customer-managed key; it is retired anyway (ACR005), so that is
    no reason to keep Microsoft-managed keys.

    ## References
    - https://learn.microsoft.com/azure/container-registry/tutorial-customer-managed-keys
    - https://learn.microsoft.com/azure/container-registry/tutorial-enable-customer-managed-keys
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Container%20Registry/ACR_CMKEncryptionEnabled_Audit.json
    """
    for registry in ctx.inventory.registries:
        evidence = {
            "properties.encryption.status": registry.encryption_status or "absent (Azure default: disabled)",
            "sku.name": registry.sku,
        }
        if (registry.encryption_status or "").lower() == "enabled":
            yield Outcome.passed(registry, "content is encrypted with a customer-managed key", evidence=evidence)
        elif registry.is_premium:
            yield Outcome.failed(registry, "content is encrypted with Microsoft-managed keys only", evidence=evidence)
        else:
            yield Outcome.failed(
                registry,
                f"content is encrypted with Microsoft-managed keys only; a {registry.sku} registry cannot use a "
                "customer-managed key: it needs the Premium SKU",
                evidence=evidence,
            )
