from collections.abc import Iterator

from azaudit.applicability import CONFIDENTIAL_CONTAINER_GROUPS, LINUX_CONTAINER_GROUPS
from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity
from azaudit_checks.aci._paths import container_path


@check(
    code="ACI007",
    name="runs-as-root",
    title="Containers run as a non-root user",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.ContainerInstance/containerGroups",
    requires=(Dataset.CONTAINER_GROUPS,),
    recommendations=("least-privilege-runtime",),
    mcsb=("PV-2",),
    applies_to=(LINUX_CONTAINER_GROUPS, CONFIDENTIAL_CONTAINER_GROUPS),
)
def runs_as_root(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    The `securityContext.runAsUser` of every container and init container of each Confidential
    container group. A container that sets it to `0` (root) FAILs, naming the container. A
    container that does not set it runs as the user its image declares, which the control plane
    does not show: it is reported as SKIPPED with that reason, never as a pass. A group passes
    only when every container sets a non-root `runAsUser`. Standard, Dedicated and Windows groups
    are not applicable: one SKIPPED outcome per group.

    ## Why it matters
    A process running as root inside the container is one kernel or runtime vulnerability away
    from root on the container host, and it can read and change everything in the container's
    file system and mounted volumes. The container security guidance asks for non-root
    containers.

    ## How to fix
    Build the image with a non-root `USER`, and state it in the group definition so that it is
    enforced and auditable (`securityContext.runAsUser: 10001`), regenerate the enforcement
    policy and redeploy:

    ```bash
    az confcom acipolicygen --template-file container-group.json
    az deployment group create --resource-group <rg> --template-file container-group.json
    ```

    ## Decisions
    Only Confidential groups have container security contexts (see ACI005): on Standard,
    Dedicated and Windows groups `runAsUser` cannot be set, so they are SKIPPED once per group
    (this check used to report one SKIPPED per container for them, and judged security contexts
    Azure never returns on them). Without `runAsUser`, the user comes from the image's
    configuration, which lives in the registry, not in ARM (the Azure CLI `confcom` extension
    reads it from the image for the same reason): azaudit cannot see it from the control plane,
    so it neither FAILs nor PASSes such a container and says why (SKIPPED). A `runAsGroup` of 0
    alone does not FAIL: the catalogue rule is about the user. No Azure Policy built-in
    definition tests container group security contexts, so the check names none.

    ## References
    - https://learn.microsoft.com/azure/container-instances/container-instances-confidential-overview
    - https://learn.microsoft.com/rest/api/container-instances/container-groups/create-or-update
    - https://github.com/Azure/azure-cli-extensions/tree/main/src/confcom
    - https://docs.docker.com/engine/security/rootless/
    """
    for group in ctx.inventory.container_groups:
        root = 0
        unknown = 0
        for container in group.containers:
            kind_of = "init container" if container.init else "container"
            user = container.security_context.run_as_user if container.security_context else None
            if user == 0:
                root += 1
                yield Outcome.failed(
                    group,
                    f"{kind_of} {container.name} runs as root (runAsUser 0)",
                    item=container.name,
                    evidence={f"{container_path(container)}.properties.securityContext.runAsUser": "0"},
                )
            elif user is None:
                unknown += 1
                yield Outcome.skipped(
                    group,
                    f"{kind_of} {container.name} sets no runAsUser: it runs as its image's user, "
                    "which is not visible from the control plane",
                    item=container.name,
                )
        if not root and not unknown:
            users = sorted(
                {str(c.security_context.run_as_user) for c in group.containers if c.security_context is not None}
            )
            yield Outcome.passed(
                group,
                "every container sets a non-root runAsUser",
                evidence={"properties.containers[].properties.securityContext.runAsUser": ", ".join(users)},
            )
