from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.detect.image_ref import quoted
from azaudit.model import Outcome, Severity
from azaudit_checks.images._runtime import RUNTIME, START, gone, resolved_images, when


@check(
    code="IMG002",
    name="out-of-date-running-image",
    title="Containers run the image their tag names now",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.ContainerInstance/containerGroups",
    requires=RUNTIME,
    recommendations=("image-integrity",),
    mcsb=("DS-6",),
)
def out_of_date_running_image(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether each container and init container of a container group still runs the image its tag
    names in the registry. For an image from an audited registry, the registry's data plane gives
    the tag's current digest and when the tag was last updated; the group's instance view gives
    when the container started. A tag updated after the container started FAILs: the container
    runs the image the tag named before. An image pinned by digest FAILs when its tag (if it
    names one) now points to another digest. One finding per container.

    ## Why it matters
    A container pulls its image when it starts and keeps it until it is restarted or recreated.
    When a tag is moved to a rebuilt image (a patched base, a fixed dependency), containers that
    started before keep running the old one: production runs what the registry has replaced, and
    the fix that was shipped is not running. The container security guidance asks to audit
    production for out-of-date images.

    ## How to fix
    Restart the container group so that it pulls the tag's current image, or better, deploy by
    digest and roll the digest forward in the deployment:

    ```bash
    az acr repository show --name <registry> --image <repository>:<tag> --query digest --output tsv
    az container restart --resource-group <rg> --name <container-group>
    ```

    ## Decisions
    Container Instances does not report the digest it pulled, so for an image named by tag the
    check compares times: the tag's `lastUpdateTime` (`GET /acr/v1/{repository}/_tags/{tag}`)
    against the container's `instanceView.currentState.startTime`. A restart re-uses the pulled
    image, so the start time is when the image was pulled at the latest. An image that is not
    from a registry in the audited subscriptions is SKIPPED as not resolvable, with the reason;
    one whose registry refused to answer (an ABAC registry without Container Registry Repository
    Reader, say) is ERROR, never PASS. A tag or manifest that no longer exists is IMG004's
    finding and is SKIPPED here. There is no Azure Policy built-in definition for it.

    ## References
    - https://learn.microsoft.com/azure/container-registry/container-registry-image-tag-version
    - https://learn.microsoft.com/azure/container-instances/container-instances-update
    - https://learn.microsoft.com/azure/container-instances/container-instances-get-logs
    - https://learn.microsoft.com/rest/api/containerinstance/container-groups/get
    """
    for image, unresolved_outcome in resolved_images(ctx):
        outcome = unresolved_outcome or gone(image)
        if outcome is not None:
            yield outcome
            continue
        artifact, reference, group, name = image.artifact, image.reference, image.group, image.container.name
        assert artifact is not None and reference is not None  # unresolved() said so
        if reference.digest is not None:
            evidence = image.evidence("tag", "digest", "tag.digest", "tag.lastUpdateTime")
            if reference.tag is not None and artifact.tag_digest and artifact.tag_digest != reference.digest:
                yield Outcome.failed(
                    group,
                    f"{image.label} runs {quoted(reference.original)}, but the tag {reference.tag} now names "
                    f"{artifact.tag_digest} (updated {when(artifact.tag_updated_on)}): production runs an image "
                    "the registry has replaced",
                    item=name,
                    evidence=evidence,
                )
            else:
                yield Outcome.passed(
                    group, f"{image.label} runs its image pinned by digest", item=name, evidence=evidence
                )
            continue
        start = image.runtime.start_time if image.runtime is not None else None
        evidence = image.evidence("tag", "tag.digest", "tag.lastUpdateTime", START)
        if start is None:
            yield Outcome.errored(
                group,
                f"not assessed: the instance view gives no start time for {image.label}, so whether it runs "
                f"the image {quoted(reference.original)} names now cannot be told",
                item=name,
            )
        elif image.drifted():
            yield Outcome.failed(
                group,
                f"{image.label} started {when(start)} from {quoted(reference.original)}, and the tag was updated "
                f"{when(artifact.tag_updated_on)} (now {artifact.tag_digest}): it runs the image the tag named "
                "before; restart it or deploy by digest",
                item=name,
                evidence=evidence,
            )
        else:
            yield Outcome.passed(
                group,
                f"{image.label} started {when(start)}, after the tag's last update ({when(artifact.tag_updated_on)})",
                item=name,
                evidence=evidence,
            )
