from collections.abc import Iterator

from azaudit.applicability import PREMIUM_REGISTRIES
from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity


@check(
    code="ACR007",
    name="untagged-retention-disabled",
    title="Premium registry deletes untagged manifests after a retention period",
    severity=Severity.LOW,
    resource_type="Microsoft.ContainerRegistry/registries",
    requires=(Dataset.REGISTRIES,),
    recommendations=("image-integrity",),
    mcsb=("AM-3",),
    applies_to=(PREMIUM_REGISTRIES,),
)
def untagged_retention_disabled(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether a Premium registry's retention policy for untagged manifests
    (`policies.retentionPolicy.status`) is `enabled`. An absent policy counts as disabled. Basic
    and Standard registries cannot have one and are SKIPPED.

    ## Why it matters
    Every push of an existing tag leaves the previous manifest behind, untagged but still
    pullable by digest. Without retention, old and vulnerable images pile up indefinitely and stay
    deployable: the container security guidance asks to keep out-of-date images out of reach.

    ## How to fix
    Enable the retention policy with a period that suits your rollbacks:

    ```bash
    az acr config retention update --registry <registry> --status enabled --days 30 --type UntaggedManifests
    ```

    ## Decisions
    An absent policy FAILs: Azure creates registries with retention disabled. There is no Azure
    Policy built-in definition for the retention policy.

    ## References
    - https://learn.microsoft.com/azure/container-registry/container-registry-retention-policy
    - https://learn.microsoft.com/cli/azure/acr/config/retention
    """
    for registry in ctx.inventory.registries:
        evidence = {
            "properties.policies.retentionPolicy.status": registry.retention_policy_status
            or "absent (Azure default: disabled)"
        }
        if (registry.retention_policy_status or "").lower() == "enabled":
            days = registry.retention_days
            after = f" after {days} day(s)" if days is not None else ""
            evidence["properties.policies.retentionPolicy.days"] = str(days) if days is not None else "absent"
            yield Outcome.passed(registry, f"untagged manifests are deleted{after}", evidence=evidence)
        else:
            yield Outcome.failed(
                registry,
                "the retention policy is disabled: untagged manifests stay pullable by digest forever",
                evidence=evidence,
            )
