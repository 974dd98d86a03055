from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity


@check(
    code="ACR010",
    name="arm-audience-token-allowed",
    title="Registry accepts only registry-audience Entra tokens",
    severity=Severity.LOW,
    resource_type="Microsoft.ContainerRegistry/registries",
    requires=(Dataset.REGISTRIES,),
    recommendations=("protect-credentials",),
    mcsb=("IM-1",),
    policies=("42781ec6-6127-4c30-bdfa-fb423a0047d3", "785596ed-054f-41bc-aaec-7f3d0ba05725"),
)
def arm_audience_token_allowed(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether the registry's "authentication as ARM" policy
    (`policies.azureADAuthenticationAsArmPolicy.status`) is `enabled`, which lets clients
    authenticate to the registry with a Microsoft Entra token issued for Azure Resource Manager.

    ## Why it matters
    An ARM-audience token is the most widely held Azure token: every `az login`, every pipeline
    and many tools carry one. When the registry accepts it, any of those tokens, stolen from a
    developer machine or a log, is also a registry credential. Accepting only tokens issued for
    the registry's own audience narrows what a leaked token can do.

    ## How to fix
    Make sure clients use registry-audience tokens (recent `az acr login`, Docker credential
    helpers and AKS do), then disable the policy:

    ```bash
    az acr config authentication-as-arm update --registry <registry> --status disabled
    ```

    ## Decisions
    An absent policy FAILs: Azure's default for `azureADAuthenticationAsArmPolicy` is `enabled`,
    and the Azure Policy definitions "Container registries should have ARM audience token
    authentication disabled" (and its Modify twin) treat an absent policy or status as
    non-compliant.

    ## References
    - https://learn.microsoft.com/azure/container-registry/container-registry-disable-authentication-as-arm
    - https://learn.microsoft.com/cli/azure/acr/config/authentication-as-arm
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Container%20Registry/ACR_AADAuthenticationAsArmPolicy_AuditDeny.json
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Container%20Registry/ACR_AADAuthenticationAsArmDisabled_Modify.json
    """
    for registry in ctx.inventory.registries:
        evidence = {
            "properties.policies.azureADAuthenticationAsArmPolicy.status": registry.arm_audience_policy_status
            or "absent (Azure default: enabled)"
        }
        if (registry.arm_audience_policy_status or "enabled").lower() == "enabled":
            yield Outcome.failed(
                registry, "the registry accepts Entra tokens issued for Azure Resource Manager", evidence=evidence
            )
        else:
            yield Outcome.passed(registry, "the registry accepts only registry-audience tokens", evidence=evidence)
