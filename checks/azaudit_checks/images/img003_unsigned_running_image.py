from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.detect.image_ref import quoted
from azaudit.model import Outcome, Severity
from azaudit_checks.images._runtime import RUNTIME, judged_digests


@check(
    code="IMG003",
    name="unsigned-running-image",
    title="Running images carry a Notary Project signature",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.ContainerInstance/containerGroups",
    requires=RUNTIME,
    recommendations=("approved-images", "image-integrity"),
    mcsb=("DS-6",),
)
def unsigned_running_image(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether the manifest each container runs has a Notary Project signature in its registry: an
    OCI referrer of the digest whose `artifactType` is `application/vnd.cncf.notary.signature`.
    No such referrer FAILs; one or more PASSes. One finding per container and init container whose
    image comes from an audited registry.

    ## Why it matters
    A signature ties an image to whoever signed it (the build pipeline's key in Key Vault), so a
    deployment can refuse an image that was pushed by anyone else or altered on the way. Docker
    Content Trust, the registry setting ACR005 judges, is retired; Notary Project signatures,
    stored in the registry beside the image, are its successor. An unsigned running image cannot
    be verified by anyone. The container security guidance asks for signed, approved images.

    ## How to fix
    Sign images in the pipeline with `notation` and a certificate in Key Vault, and verify before
    deploying:

    ```bash
    notation sign --signature-format cose --plugin azure-kv \\
      --id "$(az keyvault certificate show --vault-name <vault> --name <cert> --query kid --output tsv)" \\
      <registry>.azurecr.io/<repository>@<digest>
    notation verify <registry>.azurecr.io/<repository>@<digest>
    ```

    ## Decisions
    The referrers are read with the OCI 1.1 referrers API (`GET /v2/{repository}/referrers/{digest}`
    with an `artifactType` filter), which ACR serves; the filter is applied again on the answer.
    Every page of the answer is read (the OCI distribution spec's `Link: <...>; rel="next"`
    header, on the registry's own host); a link back to a page already read or more than 20 pages
    is an ERROR for that image.
    No blob is downloaded: a signature's presence is judged, not its validity (verifying needs the
    signer's trust policy, which is the deployment's). The digest judged is the pinned one, or the
    tag's current one when the tag has not moved since the container started; a container whose
    tag moved runs an unknown digest and is SKIPPED (IMG002 reports it). Images outside the audited
    registries are SKIPPED as not resolvable; a registry that refused is ERROR. Container Instances
    does not verify signatures itself. There is no Azure Policy built-in definition for it.
    A multi-platform image (an image index) is judged on the index digest, the one the container
    pulls by: `notation sign` on a tag signs the manifest the tag names, for a multi-platform tag the
    index and not its platform manifests (the Notary Project's issue on multi-platform signing:
    signing the index alone leaves the platform images unsigned, and recursive signing is not
    offered), and a verifier checks the reference deployed. Its platform manifests' signatures are
    not read.

    ## References
    - https://learn.microsoft.com/azure/container-registry/container-registry-tutorial-sign-build-push
    - https://learn.microsoft.com/azure/container-registry/container-registry-content-trust
    - https://learn.microsoft.com/azure/container-registry/container-registry-manage-artifact
    - https://notaryproject.dev/docs/
    - https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-referrers
    - https://github.com/notaryproject/notation/issues/1229
    """
    for judged in judged_digests(ctx, needs=lambda artifact: artifact.signatures):
        if isinstance(judged, Outcome):
            yield judged
            continue
        image, digest, signatures = judged.image, judged.digest, judged.value
        group, name = image.group, image.container.name
        evidence = image.evidence("tag", "manifest.digest", "referrers[notation signature]")
        if signatures == 0:
            yield Outcome.failed(
                group,
                f"{image.label} runs {quoted(judged.reference.original)} ({digest}), which has no Notary Project "
                "signature in its registry: nobody can verify who built it",
                item=name,
                evidence=evidence,
            )
        else:
            yield Outcome.passed(
                group,
                f"{image.label}'s image {digest} has {signatures} Notary Project signature(s)",
                item=name,
                evidence=evidence,
            )
