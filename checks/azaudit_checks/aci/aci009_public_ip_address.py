from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity


@check(
    code="ACI009",
    name="public-ip-address",
    title="Container group has no public IP address",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.ContainerInstance/containerGroups",
    requires=(Dataset.CONTAINER_GROUPS,),
    recommendations=("network-segmentation",),
    mcsb=("NS-2",),
)
def public_ip_address(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether the container group's `ipAddress.type` is `Public`. The message names the exposed
    ports and the DNS name, when there is one. A private address, or no address at all, passes.

    ## Why it matters
    A public IP puts the group's ports straight on the internet, with no firewall, web
    application firewall or DDoS protection in front, and ACI offers no network security group on
    a public group. Every exposed port is scanned within minutes of deployment. The container
    security guidance asks to segment running containers and avoid needless public exposure.

    ## How to fix
    Deploy the group into a virtual network subnet with a private IP, and publish what must be
    public through Application Gateway or Front Door:

    ```bash
    az container create --resource-group <rg> --name <group> --image <image> \\
      --vnet <vnet> --subnet <subnet> --ip-address Private
    ```

    From a YAML file, set `ipAddress.type: Private` and `subnetIds` in the file instead: with
    `--file`, `az container create` ignores `--vnet`, `--subnet` and `--ip-address`.

    ## Decisions
    An absent `ipAddress` means the group has no IP address at all: it passes. No Azure Policy
    built-in definition audits the public IP address of container groups; "Azure Container
    Instance container group should deploy into a virtual network" counts a Private address as
    compliant but tests the virtual network, and is named by ACI010.

    ## References
    - https://learn.microsoft.com/azure/container-instances/container-instances-vnet
    - https://learn.microsoft.com/azure/container-instances/container-instances-application-gateway
    """
    for group in ctx.inventory.container_groups:
        evidence = {"properties.ipAddress.type": group.ip_address_type or "absent"}
        if (group.ip_address_type or "").lower() == "public":
            ports = ", ".join(str(p) for p in group.ip_ports) or "none"
            dns = f" ({group.fqdn})" if group.fqdn else ""
            evidence["properties.ipAddress.ports"] = ports
            yield Outcome.failed(
                group, f"the group has a public IP address{dns} exposing port(s) {ports}", evidence=evidence
            )
        elif group.ip_address_type:
            yield Outcome.passed(group, f"the group's IP address is {group.ip_address_type}", evidence=evidence)
        else:
            yield Outcome.passed(group, "the group has no IP address", evidence=evidence)
