from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity


@check(
    code="ACI006",
    name="privilege-escalation-allowed",
    title="No container may escalate privileges or add capabilities",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.ContainerInstance/containerGroups",
    requires=(Dataset.CONTAINER_GROUPS,),
    recommendations=("least-privilege-runtime",),
    mcsb=("PV-2",),
)
def privilege_escalation_allowed(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    The security context of every container and init container: it FAILs when
    `allowPrivilegeEscalation` is true or `capabilities.add` lists any capability. One FAIL per
    container, naming it and the capabilities added.

    ## Why it matters
    Allowing privilege escalation lets a process gain more privileges than its parent (through
    setuid binaries, for example), and each added Linux capability (`NET_ADMIN`, `SYS_PTRACE`,
    `SYS_ADMIN`...) hands the container a slice of root's power over the kernel. An attacker who
    gets code execution in the container inherits all of it. The seeds ask to remove every
    privilege a container does not need.

    ## How to fix
    Set `allowPrivilegeEscalation: false`, drop `ALL` capabilities and add back only what the
    process needs (usually nothing), then redeploy the group:

    ```bash
    az container create --resource-group <rg> --file container-group.yaml
    ```

    ## Decisions
    A privileged container is ACI005's finding and is not repeated here unless it also sets one
    of these two fields. A security context that leaves `allowPrivilegeEscalation` unset does
    not FAIL: the rule is about what the definition grants explicitly.

    ## References
    - https://learn.microsoft.com/azure/container-instances/container-instances-reference-yaml
    - https://learn.microsoft.com/azure/container-instances/container-instances-image-security
    - https://kubernetes.io/docs/tasks/configure-pod-container/security-context/
    """
    for group in ctx.inventory.container_groups:
        found = 0
        for container in group.containers:
            context = container.security_context
            if context is None:
                continue
            reasons = []
            if context.allow_privilege_escalation:
                reasons.append("allows privilege escalation")
            if context.capabilities_add:
                reasons.append(f"adds capabilities {', '.join(context.capabilities_add)}")
            if reasons:
                found += 1
                kind_of = "init container" if container.init else "container"
                yield Outcome.failed(group, f"{kind_of} {container.name} {' and '.join(reasons)}", item=container.name)
        if not found:
            yield Outcome.passed(group, "no container allows privilege escalation or adds capabilities")
