from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.detect.image_ref import quoted
from azaudit.model import Outcome, Severity
from azaudit_checks.images._runtime import RUNTIME, resolved_images


@check(
    code="IMG004",
    name="running-image-missing",
    title="Running images still exist in their registry",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.ContainerInstance/containerGroups",
    requires=RUNTIME,
    recommendations=("image-integrity",),
    mcsb=("DS-6",),
)
def running_image_missing(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether the tag and the manifest each container runs still exist in their audited registry.
    The registry answering 404 for the tag (`GET /acr/v1/{repository}/_tags/{tag}`) or for the
    manifest (`GET /acr/v1/{repository}/_manifests/{digest}`) FAILs; both present PASSes. One
    finding per container and init container whose image comes from an audited registry.

    ## Why it matters
    A container group pulls its images again whenever it is recreated or moved to another host:
    an image that was deleted (by hand, by a retention or purge task) cannot be pulled, so the
    next restart is an outage. And an image that is no longer in the registry has lost its
    provenance: its signatures, scan results and build metadata went with it, so nobody can say
    any more what runs. The container security guidance asks for integrity through the image's
    lifecycle.

    ## How to fix
    Redeploy the group from an image that exists (rebuild and push it if needed), and keep the
    images that run: lock them, or exclude them from purge tasks.

    ```bash
    az acr repository show --name <registry> --image <repository>:<tag>
    az acr repository update --name <registry> --image <repository>:<tag> --delete-enabled false
    ```

    ## Decisions
    Only a 404 counts as missing: any other refusal is ERROR for that registry (an ABAC registry
    without Container Registry Repository Reader answers 401/403), never PASS. The message quotes
    the code and message of the registry's error answer (`TAG_UNKNOWN`, `MANIFEST_UNKNOWN`,
    `NAME_UNKNOWN` in the Docker Registry HTTP API v2 error format ACR uses), at most three of
    them, each message cut at 160 characters. Images outside the
    audited registries are SKIPPED as not resolvable. An untagged manifest deleted by the
    retention policy (ACR007) shows here only if a container runs it by digest. There is no Azure
    Policy built-in definition for it.

    ## References
    - https://learn.microsoft.com/azure/container-registry/container-registry-delete
    - https://learn.microsoft.com/azure/container-registry/container-registry-image-lock
    - https://learn.microsoft.com/azure/container-registry/container-registry-auto-purge
    - https://learn.microsoft.com/azure/container-registry/container-registry-retention-policy
    - https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes
    """
    for image, outcome in resolved_images(ctx):
        if outcome is not None:
            yield outcome
            continue
        artifact, reference, group, name = image.artifact, image.reference, image.group, image.container.name
        assert artifact is not None and reference is not None
        evidence = image.evidence("tag", "digest", "tag.found", "manifest.digest", "manifest.found")
        # what the registry's 404 said (ACR's error code and message, bounded), when it said it
        said = f" (the registry said {artifact.not_found})" if artifact.not_found else ""
        if artifact.tag_found is False:
            yield Outcome.failed(
                group,
                f"{image.label} runs {quoted(reference.original)}, whose tag {artifact.reference} is no longer in "
                f"registry {artifact.login_server}{said}: a restart cannot pull it and its provenance is lost",
                item=name,
                evidence=evidence,
            )
        elif artifact.manifest_found is False:
            yield Outcome.failed(
                group,
                f"{image.label} runs {quoted(reference.original)}, whose manifest {artifact.manifest_digest} is no "
                f"longer in registry {artifact.login_server}{said}: a restart cannot pull it and its provenance is "
                "lost",
                item=name,
                evidence=evidence,
            )
        else:
            yield Outcome.passed(group, f"{image.label}'s image is in its registry", item=name, evidence=evidence)
