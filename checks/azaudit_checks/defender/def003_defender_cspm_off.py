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
)
def defender_cspm_off(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    The `CloudPosture` Defender plan (Defender CSPM) of each audited subscription: FAIL unless
    its pricing tier is `Standard`, or when the pricing list lacks the plan.

    ## Why it matters
    Defender CSPM adds attack-path analysis and agentless scanning, which connect a vulnerable
    image in a registry to the container that runs it and to the identities and secrets it can
    reach: the "map vulnerabilities to running containers" recommendation of the seeds.

    ## How to fix
    ```bash
    az security pricing create --name CloudPosture --tier standard
    ```

    ## References
    - https://learn.microsoft.com/azure/defender-for-cloud/concept-cloud-security-posture-management
    - https://learn.microsoft.com/azure/defender-for-cloud/concept-attack-path
    """
    yield from judge_plan(ctx, "CloudPosture", "Defender CSPM", "attack paths and agentless scanning are off")
