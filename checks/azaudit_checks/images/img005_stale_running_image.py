from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.detect.image_ref import quoted
from azaudit.model import Outcome, Severity
from azaudit_checks.images._runtime import RUNTIME, judged_digests, when


@check(
    code="IMG005",
    name="stale-running-image",
    title="Running images were built recently",
    severity=Severity.LOW,
    resource_type="Microsoft.ContainerInstance/containerGroups",
    requires=RUNTIME,
    recommendations=("image-integrity",),
    mcsb=("PV-6",),
)
def stale_running_image(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether the manifest each container runs was created in the registry within the last
    `[images] max_age_days` days (default 90): older FAILs, naming its age. One finding per
    container and init container whose image comes from an audited registry.

    ## Why it matters
    An image is frozen when it is built: every operating-system and runtime patch published since
    is missing from its base layers. An image that has not been rebuilt for months runs with the
    vulnerabilities of months, whatever the scanner said when it was pushed. Rebuilding on base
    image updates (ACR Tasks triggers) keeps what runs close to its patched base. The container
    security guidance asks to audit production for out-of-date images.

    ## How to fix
    Rebuild and redeploy the image on a schedule or when its base image is updated:

    ```bash
    az acr task create --registry <registry> --name rebuild-<repository> \\
      --image <repository>:{{.Run.ID}} --context <git-url> --file Dockerfile \\
      --base-image-trigger-enabled true --schedule "0 3 * * 1"
    ```

    ## Decisions
    The age is the manifest's `createdTime` in the registry (`GET /acr/v1/{repository}/_manifests/
    {digest}`): when it was pushed, the closest the registry knows to when it was built. The
    threshold is configurable from 1 to 3650 days. The digest judged is the pinned one, or the
    tag's current one when the tag has not moved since the container started (otherwise SKIPPED:
    IMG002 reports it). Images outside the audited registries are SKIPPED as not resolvable; a
    registry that refused is ERROR. There is no Azure Policy built-in definition for it.
    A multi-platform image (an image index) is judged on the index's own `createdTime`, as the
    registry describes the digest the container runs; its platform manifests' times are not read
    (the sources read say nothing of how they differ), so an index pushed again over older
    platform manifests looks younger than the image that runs.

    ## References
    - https://learn.microsoft.com/azure/container-registry/container-registry-tasks-base-images
    - https://learn.microsoft.com/azure/container-registry/container-registry-tasks-scheduled
    - https://learn.microsoft.com/azure/container-registry/container-registry-image-tag-version
    """
    limit = ctx.settings.images.max_age_days
    for judged in judged_digests(ctx, needs=lambda artifact: artifact.manifest_created_on):
        if isinstance(judged, Outcome):
            yield judged
            continue
        image, created = judged.image, judged.value
        group, name = image.group, image.container.name
        age = (ctx.now - created).days
        evidence = image.evidence("tag", "manifest.digest", "manifest.createdTime") | {"age": f"{age} days"}
        if age > limit:
            yield Outcome.failed(
                group,
                f"{image.label} runs {quoted(judged.reference.original)}, pushed {when(created)}: {age} days old, "
                f"more than {limit}; its base layers miss every patch since",
                item=name,
                evidence=evidence,
            )
        else:
            yield Outcome.passed(
                group,
                f"{image.label}'s image was pushed {age} days ago (limit {limit})",
                item=name,
                evidence=evidence,
            )
