from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.detect.firewall import FirewallWords, judge_firewall
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity

_WORDS = FirewallWords(
    endpoint="the public endpoint",
    no_rules="there are no network rules",
    default_allow="the network rules' default action is Allow",
    deny_but_allow="the network rules deny by default but allow",
    rules="the network rules",
)


@check(
    code="ACR003",
    name="public-network-unrestricted",
    title="Registry is not reachable from every network",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.ContainerRegistry/registries",
    requires=(Dataset.REGISTRIES,),
    recommendations=("network-segmentation",),
    mcsb=("NS-2",),
    policies=("d0793b48-0edc-4296-a390-4c75d1bdfd71",),
)
def public_network_unrestricted(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether the registry's public endpoint is open to every address: `publicNetworkAccess` is not
    `Disabled` and there is either no `networkRuleSet` or its `defaultAction` is `Allow`, as
    the Azure Policy definition "Container registries should not allow unrestricted network
    access" tests (an absent `publicNetworkAccess` counts as `Enabled`, Azure's default). A
    firewall that denies by default but whose IP rules (`networkRuleSet.ipRules[].value`) allow
    `0.0.0.0/0` or any range of /8 or wider is open too, and FAILs. A registry whose public
    access is disabled (Azure then ignores the IP rules), or whose network rules deny by default
    and allow only narrower addresses, passes.

    ## Why it matters
    A registry open to the internet can be reached by anyone holding a stolen token, admin
    password or repository token, from anywhere. Restricting the endpoint to known networks
    means a leaked credential alone is not enough to pull (or push) images.

    ## How to fix
    On a Premium registry, deny by default and allow only your build agents' addresses, or
    disable public access and use private endpoints:

    ```bash
    az acr update --name <registry> --default-action Deny
    az acr network-rule add --name <registry> --ip-address <build-agent-cidr>
    # or, with private endpoints in place:
    az acr update --name <registry> --public-network-enabled false
    ```

    Basic and Standard registries cannot restrict network access at all: move to Premium first
    (`az acr update --name <registry> --sku Premium`).

    ## Decisions
    Basic and Standard registries still FAIL (the catalogue rule): their endpoint is open to
    every network and nothing short of the Premium SKU can change that, so the message says
    Premium is needed rather than skipping the check.

    Azure Policy stops at `defaultAction`; azaudit also reads the allowed ranges, because a
    Deny firewall that allows `0.0.0.0/0` lets every address in. A range of /8 or wider (16.7
    million addresses or more) counts as open; a bare address is one host (/32). An IP rule that
    is neither an address nor a CIDR range (Azure would not accept one) cannot be judged: the
    registry is reported as ERROR, naming the rule, rather than passed.

    ## References
    - https://learn.microsoft.com/azure/container-registry/container-registry-access-selected-networks
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Container%20Registry/ACR_NetworkRulesExist_AuditDeny.json
    - https://learn.microsoft.com/azure/container-registry/container-registry-private-link
    - https://learn.microsoft.com/security/benchmark/azure/baselines/azure-container-registry-security-baseline
    """
    for registry in ctx.inventory.registries:
        evidence = {"properties.publicNetworkAccess": registry.public_network_access}
        if registry.public_network_access.lower() == "disabled":
            yield Outcome.passed(registry, "public network access is disabled", evidence=evidence)
        elif not registry.is_premium:
            evidence["sku.name"] = registry.sku
            yield Outcome.failed(
                registry,
                f"the public endpoint is open to every network; a {registry.sku} registry cannot restrict it: "
                "network rules and private endpoints need the Premium SKU",
                evidence=evidence,
            )
        else:
            evidence["properties.networkRuleSet.defaultAction"] = registry.network_default_action or "absent"
            evidence["properties.networkRuleSet.ipRules"] = f"{len(registry.ip_rules)} rule(s)"
            yield judge_firewall(
                registry,
                registry.network_default_action,
                registry.ip_rules,
                _WORDS,
                f"the public endpoint denies by default and allows {len(registry.ip_rules)} IP rule(s)",
                evidence,
            )
