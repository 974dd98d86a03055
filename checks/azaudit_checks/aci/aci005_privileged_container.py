from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity


@check(
    code="ACI005",
    name="privileged-container",
    title="No container runs privileged",
    severity=Severity.HIGH,
    resource_type="Microsoft.ContainerInstance/containerGroups",
    requires=(Dataset.CONTAINER_GROUPS,),
    recommendations=("least-privilege-runtime",),
    mcsb=("PV-2",),
)
def privileged_container(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Every container and init container of each container group, for
    `securityContext.privileged: true`. One FAIL per privileged container, naming it; a group
    with none passes.

    ## Why it matters
    A privileged container gets every capability and the host's devices: a compromise of the
    process inside becomes a compromise of the host it shares with other workloads. The seeds'
    least-privilege guidance says no privileged containers.

    ## How to fix
    Remove `privileged: true` from the container's security context and add only the
    capabilities it really needs. Container groups are immutable in this respect: redeploy the
    group from its corrected YAML or template.

    ```bash
    az container create --resource-group <rg> --file container-group.yaml
    ```

    ## References
    - https://learn.microsoft.com/azure/container-instances/container-instances-image-security
    - https://learn.microsoft.com/azure/container-instances/container-instances-reference-yaml
    """
    for group in ctx.inventory.container_groups:
        privileged = [c for c in group.containers if c.security_context and c.security_context.privileged]
        for container in privileged:
            kind = "init container" if container.init else "container"
            yield Outcome.failed(group, f"{kind} {container.name} runs privileged", item=container.name)
        if not privileged:
            yield Outcome.passed(group, "no container runs privileged")
