from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity


@check(
    code="KV006",
    name="no-private-endpoint",
    title="Key vault has an approved private endpoint",
    severity=Severity.LOW,
    resource_type="Microsoft.KeyVault/vaults",
    requires=(Dataset.VAULTS,),
    recommendations=("network-segmentation",),
    mcsb=("NS-2",),
    policies=("a6abeaec-4d90-4a02-805f-6b26c4d3fbe9",),
)
def no_private_endpoint(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether the vault has at least one private endpoint connection whose state is `Approved`.
    Pending, rejected or disconnected connections do not count.

    ## Why it matters
    A private endpoint lets workloads reach the vault over the virtual network, so the public
    endpoint can be closed; without one, every consumer needs the public endpoint open.

    ## How to fix
    ```bash
    az network private-endpoint create --name pe-<vault> --resource-group <rg> --vnet-name <vnet> \\
      --subnet <subnet> --private-connection-resource-id <vault-id> --group-id vault \\
      --connection-name pe-<vault>
    ```

    ## Decisions
    Only `Approved` connections count, as in Azure Policy "Azure Key Vaults should use private
    link", whose rule counts connections whose `privateLinkServiceConnectionState.status` is
    `Approved`. A vault without `privateEndpointConnections` has none.

    ## References
    - https://learn.microsoft.com/azure/key-vault/general/private-link-service
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Key%20Vault/Should_Use_PrivateEndpoint_Audit.json
    - https://learn.microsoft.com/azure/private-link/private-endpoint-overview
    """
    for vault in ctx.inventory.vaults:
        approved = [p for p in vault.private_endpoints if p.approved]
        states = ", ".join(sorted({p.status for p in vault.private_endpoints}))
        evidence = {"properties.privateEndpointConnections": f"{len(vault.private_endpoints)} connection(s)"}
        if vault.private_endpoints:
            evidence["properties.privateEndpointConnections[].properties.privateLinkServiceConnectionState.status"] = (
                states
            )
        if approved:
            yield Outcome.passed(vault, f"{len(approved)} approved private endpoint connection(s)", evidence=evidence)
        elif vault.private_endpoints:
            yield Outcome.failed(
                vault, f"private endpoint connections exist but none is approved ({states})", evidence=evidence
            )
        else:
            yield Outcome.failed(
                vault, "no private endpoint: consumers must use the public endpoint", evidence=evidence
            )
