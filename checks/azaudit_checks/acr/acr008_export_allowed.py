from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity


@check(
    code="ACR008",
    name="export-allowed",
    title="Premium registry does not allow exporting artifacts",
    severity=Severity.LOW,
    resource_type="Microsoft.ContainerRegistry/registries",
    requires=(Dataset.REGISTRIES,),
    recommendations=("network-segmentation",),
    mcsb=("NS-2",),
)
def export_allowed(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether a Premium registry's export policy (`policies.exportPolicy.status`) is `enabled`.
    Azure creates registries with exports enabled, so an absent policy counts as enabled. Basic
    and Standard registries have no export policy and are SKIPPED.

    ## Why it matters
    With exports allowed, anyone with enough rights can copy the registry's artifacts out with
    `az acr import` into another registry or through an export pipeline to a storage account,
    around the network restrictions that protect the registry. Disabling exports closes that
    exfiltration path for network-restricted registries.

    ## How to fix
    Disable exports (Azure requires public network access to be disabled at the same time, and
    existing export pipelines to be deleted first):

    ```bash
    az resource update --ids "$(az acr show --name <registry> --query id --output tsv)" \
      --set properties.publicNetworkAccess=Disabled properties.policies.exportPolicy.status=disabled
    ```

    ## Decisions
    An absent export policy on a Premium registry FAILs: Azure's default for the policy is
    `enabled`.

    ## References
    - https://learn.microsoft.com/azure/container-registry/data-loss-prevention
    - https://learn.microsoft.com/azure/container-registry/container-registry-transfer-images
    """
    for registry in ctx.inventory.registries:
        if not registry.is_premium:
            yield Outcome.skipped(
                registry, f"not applicable: the export policy needs the Premium SKU (this registry is {registry.sku})"
            )
        elif (registry.export_policy_status or "enabled").lower() == "enabled":
            yield Outcome.failed(
                registry, "exports are allowed: artifacts can be copied out with import or export pipelines"
            )
        else:
            yield Outcome.passed(registry, "exports are disabled")
