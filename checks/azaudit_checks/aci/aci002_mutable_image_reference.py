from collections.abc import Iterator

import msgspec

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity
from azaudit_checks._images import image_uses, unparsable
from azaudit_checks.aci._paths import container_path


@check(
    code="ACI002",
    name="mutable-image-reference",
    title="Images are pinned by version tag or digest",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.ContainerInstance/containerGroups",
    requires=(Dataset.CONTAINER_GROUPS,),
    recommendations=("image-integrity",),
    mcsb=("DS-6",),
)
def mutable_image_reference(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    The image reference of every container and init container: it FAILs when it has neither a
    tag nor a digest (which means `latest`), or when its tag is `latest` without a digest. A
    version tag passes; a digest (`@sha256:...`) passes and is best. One FAIL per container,
    naming it and its image.

    ## Why it matters
    `latest` (spelled out or implied) points to whatever was pushed last. The image a group runs
    then changes at the next restart without any deployment, review or scan: a broken or
    malicious push reaches production silently, and nobody can say which code ran at the time of
    an incident. The container security guidance asks for integrity of images through their
    lifecycle.

    ## How to fix
    Reference an immutable version, best by digest, and redeploy the group:

    ```bash
    az acr repository show --name <registry> --image <repository>:<tag> --query digest --output tsv
    # in container-group.yaml: image: <registry>.azurecr.io/<repository>@sha256:<digest>
    az container create --resource-group <rg> --file container-group.yaml
    ```

    ## Decisions
    A version tag passes even though tags can be moved: the catalogue rule targets `latest` and
    missing tags, and pinning by digest is recommended in the fix. A reference that cannot be
    parsed FAILs with a message that says so: nothing shows it is pinned. No Azure Policy
    built-in definition tests the image references of container groups (the image definitions
    for Kubernetes clusters do not apply to ACI), so the check names none.

    ## References
    - https://learn.microsoft.com/azure/container-registry/container-registry-image-tag-version
    - https://learn.microsoft.com/azure/container-instances/container-instances-image-security
    """
    for group in ctx.inventory.container_groups:
        found = 0
        images = 0
        for use in image_uses(group):
            images += 1
            image = f"{container_path(use.container)}.properties.image"
            if use.reference is None:
                found += 1
                yield msgspec.structs.replace(
                    unparsable(group, use, "nothing shows it is pinned"),
                    evidence={image: "not a parsable image reference"},
                )
            elif use.reference.is_mutable:
                found += 1
                why = "the tag latest" if use.reference.tag else "no tag and no digest (it means latest)"
                yield Outcome.failed(
                    group,
                    f"{use.kind} {use.container.name} runs {use.container.image} with {why}: "
                    "the image can change at any restart",
                    item=use.container.name,
                    evidence={image: use.container.image},
                )
        if not found:
            yield Outcome.passed(
                group,
                "every image is pinned by a version tag or a digest",
                evidence={
                    "properties.containers[].properties.image": f"{images} image(s), each with a version tag or digest"
                },
            )
