from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.detect.firewall import FirewallWords, judge_firewall
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity

_WORDS = FirewallWords(
    endpoint="the data plane",
    no_rules="there is no firewall rule set",
    default_allow="the firewall's default action is Allow",
    deny_but_allow="the firewall denies by default but allows",
    rules="the firewall",
)


@check(
    code="KV005",
    name="public-network-unrestricted",
    title="Key vault is not reachable from every network",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.KeyVault/vaults",
    requires=(Dataset.VAULTS,),
    recommendations=("network-segmentation",),
    mcsb=("NS-2",),
    policies=("55615ac9-af46-4a59-874e-391cc3dfb490", "ac673a9a-f77d-4846-b2d8-a57f8e1c01dc"),
)
def public_network_unrestricted(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether `publicNetworkAccess` is not `Disabled` while `networkAcls` is absent or its
    `defaultAction` is `Allow`: the vault's data plane answers every address on the internet.
    A firewall that denies by default but whose IP rules (`networkAcls.ipRules[].value`) allow
    `0.0.0.0/0` or any range of /8 or wider is open too, and FAILs.

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

    ## Decisions
    The Azure Policy definitions "Azure Key Vault should have firewall enabled" and "Configure
    key vaults to enable firewall" test `networkAcls.defaultAction` not being `Deny`. azaudit
    also passes a vault whose public network access is disabled (Azure then accepts only private
    endpoint traffic, whatever the firewall says), and also reads the allowed ranges: a Deny
    firewall that allows a range of /8 or wider (16.7 million addresses or more) lets nearly
    everyone in. A bare address is one host (/32). An IP rule that is neither an address nor a
    CIDR range cannot be judged: the vault is reported as ERROR, naming the rule.

    ## References
    - https://learn.microsoft.com/azure/key-vault/general/network-security
    - https://learn.microsoft.com/azure/key-vault/general/private-link-service
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Key%20Vault/AzureKeyVaultFirewallEnabled_Audit.json
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Key%20Vault/AzureKeyVaultFirewallEnabled_Modify.json
    """
    for vault in ctx.inventory.vaults:
        access = vault.public_network_access
        evidence = {"properties.publicNetworkAccess": access or "absent (Azure default: Enabled)"}
        if (access or "").lower() == "disabled":
            yield Outcome.passed(vault, "public network access is disabled", evidence=evidence)
        else:
            rules = len(vault.ip_rules) + vault.virtual_network_rule_count
            evidence["properties.networkAcls.defaultAction"] = vault.network_default_action or "absent (no networkAcls)"
            evidence["properties.networkAcls.ipRules"] = f"{len(vault.ip_rules)} rule(s)"
            evidence["properties.networkAcls.virtualNetworkRules"] = f"{vault.virtual_network_rule_count} rule(s)"
            yield judge_firewall(
                vault,
                vault.network_default_action,
                vault.ip_rules,
                _WORDS,
                f"the firewall denies by default ({rules} allow rule(s))",
                evidence,
            )
