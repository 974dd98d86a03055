from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.common import Subscription
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.defender import DefenderPlan, PlanExtension
from azaudit.model import Outcome, Severity
from azaudit_checks.defender._plans import judge_plan, plan_evidence

SCANNING = "ContainerRegistriesVulnerabilityAssessments"


def _registry_scanning(sub: Subscription, plan: DefenderPlan, plans: dict[str, DefenderPlan]) -> Outcome:
    """Whether registry images are scanned, once the Containers plan is on."""
    extension = plan.extension(SCANNING)
    posture = plans.get("cloudposture")
    posture_scanning = posture.extension(SCANNING) if posture is not None else None
    evidence = plan_evidence(plan) | {
        f"properties.extensions[{SCANNING}].isEnabled": _enabled(extension),
        f"CloudPosture: properties.extensions[{SCANNING}].isEnabled": _enabled(posture_scanning),
    }
    if posture is not None:
        evidence["CloudPosture: properties.pricingTier"] = posture.pricing_tier
    if extension is None:
        return Outcome.passed(
            sub,
            f"Defender for Containers is on (Standard); its pricing lists no {SCANNING} extension, "
            "so only the tier is judged",
            evidence=evidence,
        )
    if extension.enabled:
        return Outcome.passed(
            sub, "Defender for Containers is on (Standard), with registry vulnerability assessment", evidence=evidence
        )
    if (
        posture is not None
        and posture.pricing_tier.lower() == "standard"
        and posture_scanning
        and posture_scanning.enabled
    ):
        return Outcome.passed(
            sub,
            f"Defender for Containers is on (Standard) with its {SCANNING} extension off, but Defender CSPM's is on: "
            "registry images are scanned",
            evidence=evidence,
        )
    return Outcome.failed(
        sub,
        f"Defender for Containers is on (Standard) but its {SCANNING} extension is off "
        "(and Defender CSPM's is not on): registry images are not scanned for vulnerabilities",
        item=SCANNING,
        evidence=evidence,
    )


def _enabled(extension: PlanExtension | None) -> str:
    if extension is None:
        return "absent"
    return "True" if extension.enabled else "False"


@check(
    code="DEF001",
    name="defender-for-containers-off",
    title="Defender for Containers is on and scans registry images",
    severity=Severity.HIGH,
    resource_type="Microsoft.Resources/subscriptions",
    requires=(Dataset.DEFENDER_PLANS,),
    recommendations=("defender", "scan-images"),
    mcsb=("PV-6", "LT-1"),
    policies=("1c988dd6-ade4-430f-a608-2a3e5b0a6d38", "efd4031d-b232-4595-babf-ae817348e91b"),
)
def defender_for_containers_off(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    The `Containers` Defender plan (pricing) of each audited subscription: FAIL unless its
    pricing tier is `Standard`. With the plan on, FAIL too when its
    `ContainerRegistriesVulnerabilityAssessments` extension is listed with `isEnabled` "False",
    unless the Defender CSPM plan (`CloudPosture`, Standard) has that extension on: the same
    agentless scanner serves both plans. A subscription whose pricing list lacks the
    `Containers` plan is not offered it (SKIPPED, not applicable). The deprecated
    `ContainerRegistry` plan does not count: it was replaced by `Containers`.

    ## Why it matters
    Defender for Containers scans registry images for vulnerabilities, maps them to running
    workloads and raises runtime threat alerts. Without it, nothing in Azure tells you that a
    container group runs an image with a known exploitable flaw. The plan's tier alone is not
    enough: with the vulnerability-assessment extension off, the plan is on but no registry
    image is scanned.

    ## How to fix
    Enable the plan, and its registry vulnerability assessment, on the subscription:

    ```bash
    az rest --method put --url "https://management.azure.com/subscriptions/<subscription-id>\\
    /providers/Microsoft.Security/pricings/Containers?api-version=2024-01-01" \\
      --body '{"properties":{"pricingTier":"Standard",
               "extensions":[{"name":"ContainerRegistriesVulnerabilityAssessments","isEnabled":"True"}]}}'
    ```

    ## Decisions
    The pricings API (2024-01-01) lists a plan's extensions with `isEnabled` as the string
    "True" or "False". A Standard plan that lists no such extension (an older enablement, or a
    cloud without it) is judged by its tier alone, as Azure Policy's
    1c988dd6-ade4-430f-a608-2a3e5b0a6d38 ("Microsoft Defender for Containers should be enabled")
    does; efd4031d-b232-4595-babf-ae817348e91b ("Configure Microsoft Defender for Containers
    plan") counts the plan compliant only when this extension is enabled (with the plan's
    others), as this check does for this one. A plan
    missing from the list is SKIPPED rather than failed: Azure lists every plan a cloud offers
    (Free included), so a missing plan is one the subscription cannot enable. Other extensions
    (the sensor, agentless discovery for Kubernetes) concern AKS and Arc clusters, not Container
    Instances, and are not judged.

    ## References
    - https://learn.microsoft.com/azure/defender-for-cloud/defender-for-containers-introduction
    - https://learn.microsoft.com/azure/defender-for-cloud/agentless-vulnerability-assessment-azure
    - https://learn.microsoft.com/rest/api/defenderforcloud/pricings/list
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Security%20Center/ASC_EnableAdvancedThreatProtectionOnContainers_Audit.json
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Security%20Center/ASC_Azure_Defender_Containers_Full_Features_DINE.json
    """
    yield from judge_plan(ctx, "Containers", "Defender for Containers", "images are not scanned", _registry_scanning)
