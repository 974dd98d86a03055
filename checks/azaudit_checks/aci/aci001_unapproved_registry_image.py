from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.detect.image_ref import default_approved_registries, registry_matches
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity
from azaudit_checks._images import image_uses, unparsable


@check(
    code="ACI001",
    name="unapproved-registry-image",
    title="Images come only from approved registries",
    severity=Severity.HIGH,
    resource_type="Microsoft.ContainerInstance/containerGroups",
    requires=(Dataset.CONTAINER_GROUPS,),
    recommendations=("approved-registries", "private-registry"),
    mcsb=("DS-6",),
)
def unapproved_registry_image(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    The image of every container and init container: the registry it comes from must be on the
    approved list. One FAIL per container, naming it, its image and the registry. By default the
    approved registries are the Azure Container Registry login servers of the cloud audited
    (`*.azurecr.io`, `*.azurecr.cn` or `*.azurecr.us`) and `mcr.microsoft.com`; the config file
    (`[registries] approved = [...]`) or `--approved-registry` replaces that list with exact host
    names or `*.` wildcards. A bare name such as `nginx` means Docker Hub (`docker.io`).

    ## Why it matters
    An image from a public or unknown registry is code that nobody in the organisation built,
    scanned or approved, pulled at run time from a place you do not control: a typosquatted or
    hijacked repository, or a tag that changes under you, runs with the group's identity and
    network access. The seeds ask to permit only approved registries and to keep production
    images in a private registry.

    ## How to fix
    Import the image into your own registry (where it is scanned), and point the container at it:

    ```bash
    az acr import --name <registry> --source docker.io/library/nginx:1.27 --image nginx:1.27
    az container create --resource-group <rg> --file container-group.yaml
    ```

    To approve a registry on purpose, list it in the config file (`[registries] approved`).

    ## Decisions
    An image reference that cannot be parsed FAILs with a message that says so: its registry
    cannot be shown to be approved. Registry host names are compared case-insensitively, with the
    port when the reference has one. A configured list replaces the default entirely, so that an
    organisation can narrow approval to its own registries.

    ## References
    - https://learn.microsoft.com/azure/container-instances/container-instances-image-security#use-a-private-registry
    - https://learn.microsoft.com/azure/container-registry/container-registry-import-images
    - https://learn.microsoft.com/azure/container-instances/using-azure-container-registry-mi
    """
    approved = ctx.settings.registries.approved or default_approved_registries(ctx.cloud.registry_suffix)
    for group in ctx.inventory.container_groups:
        found = 0
        for use in image_uses(group):
            if use.reference is None:
                found += 1
                yield unparsable(group, use, "its registry cannot be shown to be approved")
            elif not registry_matches(use.reference.registry, approved):
                found += 1
                yield Outcome.failed(
                    group,
                    f"{use.kind} {use.container.name} runs {use.container.image} from {use.reference.registry}, "
                    "which is not an approved registry",
                    item=use.container.name,
                )
        if not found:
            yield Outcome.passed(group, f"every image comes from an approved registry ({', '.join(approved)})")
