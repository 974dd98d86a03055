from collections.abc import Iterator

from azaudit.applicability import PREMIUM_REGISTRIES
from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity


@check(
    code="ACR006",
    name="quarantine-disabled",
    title="Premium registry quarantines new images until scanned",
    severity=Severity.LOW,
    resource_type="Microsoft.ContainerRegistry/registries",
    requires=(Dataset.REGISTRIES,),
    recommendations=("scan-images", "image-integrity"),
    mcsb=("DS-6",),
    applies_to=(PREMIUM_REGISTRIES,),
)
def quarantine_disabled(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether a Premium registry's quarantine policy (`policies.quarantinePolicy.status`) is
    `enabled`. An absent policy counts as disabled. Basic and Standard registries cannot
    quarantine and are SKIPPED.

    ## Why it matters
    With quarantine on, a newly pushed image cannot be pulled by ordinary clients until a scanner
    has marked it as passed. Without it, an image is usable the moment it is pushed, before anyone
    looked for vulnerabilities or malware: the container security guidance asks that images be
    scanned before they run.

    ## How to fix
    Enable the quarantine policy (a preview feature with no dedicated `az acr` command) and wire a
    scanner that marks images as passed:

    ```bash
    az resource update --ids "$(az acr show --name <registry> --query id --output tsv)" \\
      --set properties.policies.quarantinePolicy.status=enabled
    ```

    ## Decisions
    Quarantine is a preview feature that needs a scanner able to release images; a registry
    whose images are gated some other way (a pipeline that scans before pushing and signs) can
    suppress this low-severity check with a reason. There is no Azure Policy built-in
    definition for the quarantine policy.

    ## References
    - https://learn.microsoft.com/azure/templates/microsoft.containerregistry/registries
    - https://azure.github.io/PSRule.Rules.Azure/en/rules/Azure.ACR.Quarantine/
    """
    for registry in ctx.inventory.registries:
        evidence = {
            "properties.policies.quarantinePolicy.status": registry.quarantine_policy_status
            or "absent (Azure default: disabled)"
        }
        if (registry.quarantine_policy_status or "").lower() == "enabled":
            yield Outcome.passed(registry, "new images are quarantined until marked as scanned", evidence=evidence)
        else:
            yield Outcome.failed(
                registry, "quarantine is disabled: new images can be pulled before any scan", evidence=evidence
            )
