from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity


@check(
    code="ACR004",
    name="no-private-endpoint",
    title="Registry has an approved private endpoint",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.ContainerRegistry/registries",
    requires=(Dataset.REGISTRIES,),
    recommendations=("network-segmentation",),
    mcsb=("NS-2",),
    policies=("e8eef0a8-67cf-4eb4-9386-14b0e78733d4",),
)
def no_private_endpoint(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether the registry has at least one private endpoint connection in the `Approved` state
    (`properties.privateEndpointConnections`). Pending, rejected or disconnected connections do
    not count: no traffic flows through them. This is the Azure Policy definition "Container
    Registries should use private links", which counts connections whose
    `privateLinkServiceConnectionState.status` is `Approved`.

    ## Why it matters
    A private endpoint gives the registry an address inside your virtual network, so that
    container hosts and build agents pull and push without crossing the internet, and so that
    public access can be switched off altogether (ACR003). Without one, every pull travels to the
    public endpoint.

    ## How to fix
    Create a private endpoint for the registry's `registry` sub-resource in the workload's
    virtual network (Premium SKU), with a private DNS zone `privatelink.azurecr.io`, then disable
    public access:

    ```bash
    az network private-endpoint create --name pe-<registry> --resource-group <rg> \\
      --vnet-name <vnet> --subnet <subnet> --group-id registry --connection-name <registry>-pe \\
      --private-connection-resource-id "$(az acr show --name <registry> --query id --output tsv)"
    ```

    ## Decisions
    Basic and Standard registries FAIL as well (the catalogue rule has no SKU exception); the
    message says that private endpoints need the Premium SKU (Azure Policy flags them too, and
    has a separate definition for the SKU itself, "Container registries should have SKUs that
    support Private Links"). A connection still waiting for approval is named in the message
    but does not pass.

    ## References
    - https://learn.microsoft.com/azure/container-registry/container-registry-private-link
    - https://learn.microsoft.com/azure/private-link/private-endpoint-overview
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Container%20Registry/ACR_PrivateEndpointEnabled_Audit.json
    """
    for registry in ctx.inventory.registries:
        approved = [pe for pe in registry.private_endpoints if pe.approved]
        waiting = [pe for pe in registry.private_endpoints if not pe.approved]
        evidence = {
            "properties.privateEndpointConnections": f"{len(approved)} approved, {len(waiting)} not approved",
            "sku.name": registry.sku,
        }
        if approved:
            yield Outcome.passed(
                registry, f"{len(approved)} approved private endpoint connection(s)", evidence=evidence
            )
            continue
        if not registry.is_premium:
            detail = f"; a {registry.sku} registry cannot have one: private endpoints need the Premium SKU"
        elif waiting:
            states = ", ".join(sorted({pe.status for pe in waiting}))
            detail = f"; {len(waiting)} connection(s) are not approved ({states})"
        else:
            detail = ""
        yield Outcome.failed(
            registry, f"no approved private endpoint: pulls go to the public endpoint{detail}", evidence=evidence
        )
