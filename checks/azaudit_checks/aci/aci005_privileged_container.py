from collections.abc import Iterator

from azaudit.applicability import CONFIDENTIAL_CONTAINER_GROUPS, LINUX_CONTAINER_GROUPS
from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity
from azaudit_checks.aci._paths import container_path


@check(
    code="ACI005",
    name="privileged-container",
    title="No container runs privileged",
    severity=Severity.HIGH,
    resource_type="Microsoft.ContainerInstance/containerGroups",
    requires=(Dataset.CONTAINER_GROUPS,),
    recommendations=("least-privilege-runtime",),
    mcsb=("PV-2",),
    applies_to=(LINUX_CONTAINER_GROUPS, CONFIDENTIAL_CONTAINER_GROUPS),
)
def privileged_container(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Every container and init container of each Confidential container group, for
    `securityContext.privileged: true`. One FAIL per privileged container, naming it; a group
    with none passes. Standard, Dedicated and Windows groups are not applicable: one SKIPPED
    outcome per group.

    ## Why it matters
    A privileged container gets every capability and the devices of the container host: a
    compromise of the process inside becomes a compromise of the whole group and of the
    confidential environment it runs in, whose enforcement policy then has to allow elevated
    containers. The container security guidance's least-privilege advice says no privileged
    containers.

    ## How to fix
    Remove `privileged: true` from the container's security context and add only the
    capabilities it really needs; regenerate the group's confidential computing enforcement
    policy (`az confcom acipolicygen`) and redeploy the group:

    ```bash
    az confcom acipolicygen --template-file container-group.json
    az deployment group create --resource-group <rg> --template-file container-group.json
    ```

    ## Decisions
    Azure accepts and returns a container `securityContext` only on Confidential container groups
    (REST API 2023-05-01, `ContainerProperties.securityContext` and
    `InitContainerPropertiesDefinition.securityContext`; the SDK release that added it says "for
    containers with Confidential ContainerGroupSku"). A Standard or Dedicated group cannot run a
    privileged container, and a Windows group has no Linux security context, so they are SKIPPED
    as not applicable, once per group (this check used to PASS them, and judged security contexts
    that Azure never returns on them). On a Confidential group an absent `privileged` means not
    privileged: that is the default the Azure CLI `confcom` extension writes into the enforcement
    policy (`allow_elevated: false`). No Azure Policy built-in definition tests container group
    security contexts (the privileged-container definitions for Kubernetes clusters do not apply
    to ACI), so the check names none.

    ## References
    - https://learn.microsoft.com/azure/container-instances/container-instances-confidential-overview
    - https://learn.microsoft.com/rest/api/container-instances/container-groups/create-or-update
    - https://learn.microsoft.com/azure/container-instances/container-instances-reference-yaml
    - https://github.com/Azure/azure-cli-extensions/tree/main/src/confcom
    """
    for group in ctx.inventory.container_groups:
        privileged = [c for c in group.containers if c.security_context and c.security_context.privileged]
        for container in privileged:
            kind = "init container" if container.init else "container"
            yield Outcome.failed(
                group,
                f"{kind} {container.name} runs privileged",
                item=container.name,
                evidence={f"{container_path(container)}.properties.securityContext.privileged": "true"},
            )
        if not privileged:
            yield Outcome.passed(
                group,
                "no container runs privileged",
                evidence={
                    "properties.containers[].properties.securityContext.privileged": (
                        f"false or absent in {len(group.containers)} container(s)"
                    )
                },
            )
