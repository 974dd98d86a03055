from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity
from azaudit_checks.defender._plans import judge_plan


@check(
    code="DEF001",
    name="defender-for-containers-off",
    title="Defender for Containers is on",
    severity=Severity.HIGH,
    resource_type="Microsoft.Resources/subscriptions",
    requires=(Dataset.DEFENDER_PLANS,),
    recommendations=("defender", "scan-images"),
    mcsb=("PV-6", "LT-1"),
)
def defender_for_containers_off(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    The `Containers` Defender plan (pricing) of each audited subscription: FAIL unless its
    pricing tier is `Standard`. A subscription whose pricing list lacks the plan fails too. The
    deprecated `ContainerRegistry` plan does not count: it was replaced by `Containers`.

    ## Why it matters
    Defender for Containers scans registry images for vulnerabilities, maps them to running
    workloads and raises runtime threat alerts. Without it, nothing in Azure tells you that a
    container group runs an image with a known exploitable flaw.

    ## How to fix
    Enable the plan on the subscription:

    ```bash
    az security pricing create --name Containers --tier standard
    ```

    ## References
    - https://learn.microsoft.com/azure/defender-for-cloud/defender-for-containers-introduction
    - https://learn.microsoft.com/azure/container-instances/container-instances-image-security
    """
    yield from judge_plan(ctx, "Containers", "Defender for Containers", "images are not scanned")
