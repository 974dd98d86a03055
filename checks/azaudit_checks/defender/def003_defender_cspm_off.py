from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity
from azaudit_checks.defender._plans import judge_plan


@check(
    code="DEF003",
    name="defender-cspm-off",
    title="Defender CSPM is on",
    severity=Severity.LOW,
    resource_type="Microsoft.Resources/subscriptions",
    requires=(Dataset.DEFENDER_PLANS,),
    recommendations=("defender", "vuln-to-running"),
    mcsb=("PV-6",),
    policies=("1f90fc71-a595-4066-8974-d4d0802e8ef0",),
)
def defender_cspm_off(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    The `CloudPosture` Defender plan (Defender CSPM) of each audited subscription: FAIL unless
    its pricing tier is `Standard`. A subscription whose pricing list lacks the plan is not offered
    it (a sovereign cloud, or a plan not rolled out there): SKIPPED, not applicable.

    ## Why it matters
    Defender CSPM adds attack-path analysis and agentless scanning, which connect a vulnerable
    image in a registry to the container that runs it and to the identities and secrets it can
    reach: what the container security guidance means by "map vulnerabilities to running
    containers".

    ## How to fix
    ```bash
    az security pricing create --name CloudPosture --tier standard
    ```

    ## Decisions
    The verdict is Azure Policy's: 1f90fc71-a595-4066-8974-d4d0802e8ef0
    ("Microsoft Defender CSPM should be enabled") is compliant when the `CloudPosture` pricing's `pricingTier` is
    `Standard`. Azure lists every plan a cloud offers, Free ones included, so a plan missing from
    the list cannot be enabled there and is not a finding.

    ## References
    - https://learn.microsoft.com/azure/defender-for-cloud/concept-cloud-security-posture-management
    - https://learn.microsoft.com/azure/defender-for-cloud/concept-attack-path
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Security%20Center/ASC_Azure_Defender_CSPM_Audit.json
    """
    yield from judge_plan(ctx, "CloudPosture", "Defender CSPM", "attack paths and agentless scanning are off")
