from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity


@check(
    code="KV005",
    name="public-network-unrestricted",
    title="Key vault is not reachable from every network",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.KeyVault/vaults",
    requires=(Dataset.VAULTS,),
    recommendations=("network-segmentation",),
    mcsb=("NS-2",),
)
def public_network_unrestricted(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether `publicNetworkAccess` is not `Disabled` while `networkAcls` is absent or its
    `defaultAction` is `Allow`: the vault's data plane answers every address on the internet.

    ## Why it matters
    A stolen token or client secret is enough to read secrets from anywhere when the vault is
    open to all networks. Restricting the firewall (or using private endpoints only) makes a
    leaked credential useless outside your networks.

    ## How to fix
    ```bash
    az keyvault update --name <vault> --default-action Deny --bypass AzureServices
    az keyvault network-rule add --name <vault> --ip-address <cidr>
    # or, with private endpoints in place:
    az keyvault update --name <vault> --public-network-access Disabled
    ```

    ## References
    - https://learn.microsoft.com/azure/key-vault/general/network-security
    - https://learn.microsoft.com/azure/key-vault/general/private-link-service
    """
    for vault in ctx.inventory.vaults:
        if (vault.public_network_access or "").lower() == "disabled":
            yield Outcome.passed(vault, "public network access is disabled")
        elif vault.network_default_action is None:
            yield Outcome.failed(vault, "the data plane is open to every network: there is no firewall rule set")
        elif vault.network_default_action.lower() == "allow":
            yield Outcome.failed(
                vault, "the data plane is open to every network: the firewall's default action is Allow"
            )
        else:
            rules = vault.ip_rule_count + vault.virtual_network_rule_count
            yield Outcome.passed(vault, f"the firewall denies by default ({rules} allow rule(s))")
