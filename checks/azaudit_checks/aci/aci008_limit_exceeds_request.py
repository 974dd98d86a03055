from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.aci import Container
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity


def _number(value: float) -> str:
    return f"{value:g}"


def _above(container: Container) -> list[str]:
    """What the container may use beyond its request, in words (empty when nothing)."""
    resources = container.resources
    found = []
    for what, unit, limit, request in (
        ("CPU", "", resources.limit_cpu, resources.request_cpu),
        ("memory", " GB", resources.limit_memory_gb, resources.request_memory_gb),
    ):
        if limit is None:
            continue
        if request is None:
            found.append(f"a {what} limit of {_number(limit)}{unit} with no {what} request")
        elif limit > request:
            found.append(f"{what} up to {_number(limit)}{unit} (request {_number(request)}{unit})")
    return found


def _evidence(container: Container) -> dict[str, str]:
    """The container's requests and limits, as ARM names them."""
    resources = container.resources
    path = "properties.containers[].properties.resources"

    def shown(value: float | None) -> str:
        return "absent" if value is None else _number(value)

    return {
        f"{path}.requests.cpu": shown(resources.request_cpu),
        f"{path}.limits.cpu": shown(resources.limit_cpu),
        f"{path}.requests.memoryInGB": shown(resources.request_memory_gb),
        f"{path}.limits.memoryInGB": shown(resources.limit_memory_gb),
    }


@check(
    code="ACI008",
    name="limit-exceeds-request",
    title="No container may use more than it requests",
    severity=Severity.LOW,
    resource_type="Microsoft.ContainerInstance/containerGroups",
    requires=(Dataset.CONTAINER_GROUPS,),
    recommendations=("resource-limits",),
)
def limit_exceeds_request(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    The `resources` of every (non-init) container: a container whose `limits.cpu` or
    `limits.memoryInGB` is above its `requests` FAILs, naming the container and what it may use
    beyond its request. A container without limits, or with limits equal to (or below) its
    requests, passes.

    ## Why it matters
    In Azure Container Instances a container without a limit can use at most its request: the
    request is its cap. A limit above the request is what lets one container grow into the
    capacity its neighbours in the group requested. A runaway or compromised process (a crypto
    miner, a fork bomb, a memory leak) in such a container starves the other containers of the
    group, which is the risk the container security guidance names when it asks to limit the
    resources of each container.

    ## How to fix
    Remove the limits (the request then caps the container) or lower them to the requests, and
    redeploy the group:

    ```bash
    az container create --resource-group <rg> --file container-group.yaml
    ```

    In YAML: `resources: {requests: {cpu: 1.0, memoryInGB: 1.5}}` (no `limits`), or limits equal
    to the requests.

    ## Decisions
    Microsoft Learn (container groups, resource allocation) is the reference: without a limit
    the request is the most a container may use, so a missing limit is not a finding (this check
    used to FAIL it). A limit without a request (ARM requires requests, so only a malformed
    answer has one) FAILs: nothing caps it below the limit. GPU limits are not assessed. Init
    containers have no `resources` property in the ACI API and are not assessed. No MCSB control
    fits resource limits. No Azure Policy built-in definition tests container group resources
    (the limit definitions for Kubernetes clusters do not apply to ACI), so the check names none.

    ## References
    - https://learn.microsoft.com/azure/container-instances/container-instances-container-groups#resource-allocation
    - https://learn.microsoft.com/azure/container-instances/container-instances-reference-yaml
    - https://learn.microsoft.com/rest/api/container-instances/container-groups/create-or-update
    """
    for group in ctx.inventory.container_groups:
        found = 0
        for container in group.containers:
            if container.init:
                continue
            above = _above(container)
            if above:
                found += 1
                yield Outcome.failed(
                    group,
                    f"container {container.name} may use more than it requests: {' and '.join(above)}",
                    item=container.name,
                    evidence=_evidence(container),
                )
        if not found:
            yield Outcome.passed(
                group,
                "no container may use more than it requests",
                evidence={"properties.containers[].properties.resources.limits": "none above its request"},
            )
