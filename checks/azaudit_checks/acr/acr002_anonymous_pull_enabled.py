from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity


@check(
    code="ACR002",
    name="anonymous-pull-enabled",
    title="Registry requires authentication to pull",
    severity=Severity.HIGH,
    resource_type="Microsoft.ContainerRegistry/registries",
    requires=(Dataset.REGISTRIES,),
    recommendations=("private-registry",),
    mcsb=("IM-1",),
    policies=("9f2dea28-e834-476c-99c5-3507b4728395", "cced2946-b08a-44fe-9fd9-e4ed8a779897"),
)
def anonymous_pull_enabled(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether the registry allows unauthenticated pulls (`properties.anonymousPullEnabled`). An
    absent value counts as disabled, as it does in Azure and in the Azure Policy definitions
    "Container registries should have anonymous authentication disabled" (and its Modify twin).

    ## Why it matters
    With anonymous pull on, anyone who can reach the registry endpoint can list nothing but pull
    everything: every image, every layer, and whatever was baked into them (configuration,
    internal code, forgotten credentials). A private registry that anyone can read is a public
    one; the container security guidance asks for private registries for production images.

    ## How to fix
    Turn anonymous pull off and give readers an identity with `AcrPull` instead. Images meant for
    the public belong in a separate registry that holds nothing else.

    ```bash
    az acr update --name <registry> --anonymous-pull-enabled false
    ```

    ## References
    - https://learn.microsoft.com/azure/container-registry/anonymous-pull-access
    - https://learn.microsoft.com/azure/container-registry/container-registry-authentication
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Container%20Registry/ACR_AnonymousPullDisabled_AuditDeny.json
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Container%20Registry/ACR_AnonymousPullDisabled_Modify.json
    """
    for registry in ctx.inventory.registries:
        evidence = {"properties.anonymousPullEnabled": "true" if registry.anonymous_pull_enabled else "false"}
        if registry.anonymous_pull_enabled:
            yield Outcome.failed(
                registry,
                "anonymous pull is enabled: anyone who reaches the registry can pull every image",
                evidence=evidence,
            )
        else:
            yield Outcome.passed(registry, "pulls require authentication", evidence=evidence)
