from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity


@check(
    code="ACI010",
    name="not-in-virtual-network",
    title="Container group runs in a virtual network",
    severity=Severity.LOW,
    resource_type="Microsoft.ContainerInstance/containerGroups",
    requires=(Dataset.CONTAINER_GROUPS,),
    recommendations=("network-segmentation",),
    mcsb=("NS-1",),
    policies=("8af8f826-edcb-4178-b35f-851ea6fea615",),
)
def not_in_virtual_network(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether the container group is deployed into a virtual network: it lists a subnet
    (`subnetIds`), or its IP address is `Private` (only a group in a virtual network has one).

    ## Why it matters
    Outside a virtual network, a group's outbound traffic leaves from shared Azure addresses that
    no network security group, firewall or route table of yours controls, and it cannot reach
    private endpoints (of the registry or Key Vault) without crossing the internet. Inside a
    subnet, network security groups and Azure Firewall segment it like any other workload.

    ## How to fix
    Redeploy the group into a subnet delegated to `Microsoft.ContainerInstance/containerGroups`:

    ```bash
    az container create --resource-group <rg> --name <group> --image <image> --vnet <vnet> --subnet <subnet>
    ```

    From a YAML file, set `subnetIds` (and `ipAddress.type: Private`) in the file instead: with
    `--file`, `az container create` ignores `--vnet` and `--subnet`.

    ## Decisions
    Azure Policy's built-in definition "Azure Container Instance container group should deploy
    into a virtual network" is the reference: a group is non-compliant when its IP address is not
    `Private` and it has no `subnetIds`. A group with a private IP address therefore passes even
    when its answer lists no subnet (groups deployed through the retired network profiles); this
    check used to FAIL it.

    ## References
    - https://learn.microsoft.com/azure/container-instances/container-instances-vnet
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Container%20Instance/ContainerInstance_VNET_Audit.json
    - https://learn.microsoft.com/azure/container-instances/container-instances-virtual-network-concepts
    """
    for group in ctx.inventory.container_groups:
        evidence = {
            "properties.subnetIds": f"{len(group.subnet_ids)} subnet(s)",
            "properties.ipAddress.type": group.ip_address_type or "absent",
        }
        if group.subnet_ids:
            subnets = ", ".join(s.rstrip("/").rsplit("/", 1)[-1] for s in group.subnet_ids)
            yield Outcome.passed(group, f"the group runs in subnet(s) {subnets}", evidence=evidence)
        elif (group.ip_address_type or "").lower() == "private":
            yield Outcome.passed(
                group, "the group has a private IP address: it runs in a virtual network", evidence=evidence
            )
        else:
            yield Outcome.failed(
                group, "the group is not in a virtual network: no subnet controls its traffic", evidence=evidence
            )
