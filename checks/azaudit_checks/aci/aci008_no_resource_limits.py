from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity


@check(
    code="ACI008",
    name="no-resource-limits",
    title="Every container has resource limits",
    severity=Severity.LOW,
    resource_type="Microsoft.ContainerInstance/containerGroups",
    requires=(Dataset.CONTAINER_GROUPS,),
    recommendations=("resource-limits",),
)
def no_resource_limits(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether every (non-init) container declares `resources.limits` with a CPU or memory limit.
    One FAIL per container without limits, naming it.

    ## Why it matters
    Limits state, in the definition, the most a container may consume. Without them a runaway or
    compromised process (a crypto miner, a fork bomb, a memory leak) competes for the group's
    whole allocation and starves its neighbours in the group. The seeds ask to limit resources
    per container.

    ## How to fix
    Add limits to each container (no higher than the group's allocation) and redeploy:

    ```bash
    az container create --resource-group <rg> --file container-group.yaml
    ```

    In YAML: `resources: {requests: {cpu: 1.0, memoryInGB: 1.5}, limits: {cpu: 1.0, memoryInGB: 1.5}}`.

    ## Decisions
    Init containers have no `resources` property in the ACI API and are not assessed. The check
    follows the catalogue rule literally: whatever cap the platform applies by default, an
    explicit limit is what makes the cap visible and reviewable in the definition. No MCSB
    control fits resource limits; the check carries only its seed tag.

    ## References
    - https://learn.microsoft.com/azure/container-instances/container-instances-container-groups#resource-allocation
    - https://learn.microsoft.com/azure/container-instances/container-instances-reference-yaml
    """
    for group in ctx.inventory.container_groups:
        missing = [c for c in group.containers if not c.init and not c.resources.has_limits]
        for container in missing:
            yield Outcome.failed(group, f"container {container.name} has no resource limits", item=container.name)
        if not missing:
            yield Outcome.passed(group, "every container has resource limits")
