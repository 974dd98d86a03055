from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity


@check(
    code="ACR008",
    name="export-allowed",
    title="Registry does not allow exporting artifacts",
    severity=Severity.LOW,
    resource_type="Microsoft.ContainerRegistry/registries",
    requires=(Dataset.REGISTRIES,),
    recommendations=("network-segmentation",),
    mcsb=("NS-2",),
    policies=("524b0254-c285-4903-bee6-bb8126cde579",),
)
def export_allowed(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether the registry lets its artifacts be exported: its export policy
    (`policies.exportPolicy.status`) is not `disabled`, or its public network access is not
    `Disabled`, as the Azure Policy definition "Container registries should have exports
    disabled" tests. Azure creates registries with exports enabled, so an absent policy counts as
    enabled. Basic and Standard registries have no export policy at all: their artifacts can
    always be imported elsewhere, so they FAIL, with a message that the Premium SKU is needed.

    ## Why it matters
    With exports allowed, anyone with enough rights can copy the registry's artifacts out with
    `az acr import` into another registry or through an export pipeline to a storage account,
    around the network restrictions that protect the registry. Disabling exports closes that
    exfiltration path for network-restricted registries.

    ## How to fix
    Disable exports (Azure requires public network access to be disabled at the same time, and
    existing export pipelines to be deleted first):

    ```bash
    az resource update --ids "$(az acr show --name <registry> --query id --output tsv)" \\
      --set properties.publicNetworkAccess=Disabled properties.policies.exportPolicy.status=disabled
    ```

    ## Decisions
    An absent export policy FAILs: Azure's default for the policy is `enabled`. Basic and
    Standard registries used to be SKIPPED; Azure Policy counts them as non-compliant (they have
    no export policy to disable) and `az acr import` copies their images out, so they FAIL like
    ACR003 and ACR004 do, naming the Premium SKU. Azure disables exports only together with
    public network access; a registry reported with exports disabled but public access enabled
    FAILs, as in Azure Policy.

    ## References
    - https://learn.microsoft.com/azure/container-registry/data-loss-prevention
    - https://learn.microsoft.com/azure/container-registry/container-registry-transfer-images
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Container%20Registry/ACR_ExportPolicy_AuditDeny.json
    """
    for registry in ctx.inventory.registries:
        evidence = {
            "sku.name": registry.sku,
            "properties.policies.exportPolicy.status": registry.export_policy_status
            or "absent (Azure default: enabled)",
            "properties.publicNetworkAccess": registry.public_network_access,
        }
        if not registry.is_premium:
            yield Outcome.failed(
                registry,
                f"exports are allowed: artifacts can be copied out with import; a {registry.sku} registry has no "
                "export policy: disabling exports needs the Premium SKU",
                evidence=evidence,
            )
        elif (registry.export_policy_status or "enabled").lower() != "disabled":
            yield Outcome.failed(
                registry,
                "exports are allowed: artifacts can be copied out with import or export pipelines",
                evidence=evidence,
            )
        elif registry.public_network_access.lower() != "disabled":
            yield Outcome.failed(
                registry,
                "the export policy says disabled but public network access is enabled: Azure disables exports "
                "only together with public access",
                evidence=evidence,
            )
        else:
            yield Outcome.passed(registry, "exports are disabled", evidence=evidence)
