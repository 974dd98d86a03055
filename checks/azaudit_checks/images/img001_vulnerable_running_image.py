from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.detect.image_ref import quoted
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.vulnerabilities import (
    RUNTIME_ARCHITECTURE,
    SEVERITIES,
    ImageVulnerabilities,
    assessment,
    severity_rank,
)
from azaudit.model import Outcome, Severity
from azaudit_checks.images._runtime import RUNTIME, RunningImage, gone, resolved_images, unknown_digest

SHOWN = 5  # worst findings named in a message


def _counts(counts: dict[str, int]) -> str:
    shown = [f"{counts[s]} {s}" for s in (*SEVERITIES, "unknown") if counts.get(s)]
    return ", ".join(shown) or "none"


def _worst(record: ImageVulnerabilities, threshold: str) -> str:
    """The worst fixable findings at or above ``threshold``: CVE, package, installed and fixed
    version (vendor and tenant text: every renderer escapes it)."""
    limit = severity_rank(threshold)
    wanted = [f for f in record.worst if f.fix_available and severity_rank(f.severity) <= limit][:SHOWN]
    parts = []
    for finding in wanted:
        package = f" in {quoted(finding.package)}" if finding.package else ""
        installed = f" {quoted(finding.version)}" if finding.version else ""
        fixed = f", fixed in {quoted(finding.fixed_version)}" if finding.fixed_version else ", fix available"
        parts.append(f"{quoted(finding.cve)} ({finding.severity}{package}{installed}{fixed})")
    return "; ".join(parts)


def _evidence(image: RunningImage, record: ImageVulnerabilities, threshold: str) -> dict[str, str]:
    return image.evidence("tag", "manifest.digest") | {
        "subassessments[Unhealthy] by severity": _counts(record.by_severity),
        "subassessments[Unhealthy, fixStatus FixAvailable] by severity": _counts(record.fixable),
        "threshold": threshold,
    }


@check(
    code="IMG001",
    name="vulnerable-running-image",
    title="Running images have no fixable vulnerability at or above the threshold",
    severity=Severity.HIGH,
    resource_type="Microsoft.ContainerInstance/containerGroups",
    requires=(*RUNTIME, Dataset.IMAGE_VULNERABILITIES, Dataset.DEFENDER_PLANS),
    recommendations=("vuln-to-running", "image-integrity"),
    mcsb=("PV-6",),
    # Azure Policy's "Container registry images should have vulnerability findings resolved (powered
    # by Microsoft Defender Vulnerability Management)": the same assessment, judged per registry.
    policies=("090c7b07-b4ed-4561-ad20-e9075f3ccaff",),
)
def vulnerable_running_image(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether Microsoft Defender for Cloud reports, for the image digest each container runs, a
    vulnerability of `[images] vulnerability_min_severity` or worse (default `high`: critical and
    high) that has a fix available. One FAILs, naming the counts by severity, the worst CVEs and
    their fixed versions; none PASSes. One finding per container and init container whose image
    comes from an audited registry.

    ## Why it matters
    Registry scanning tells you which images are vulnerable; it does not tell you which of them
    run. A container started from a digest with a critical, fixable CVE exposes the group to a
    known exploit until it is rebuilt on the patched package and redeployed. Joining Defender's
    registry findings with what the container groups run puts the fixes that matter first. The
    container security guidance asks to map image vulnerabilities to the workloads that run them.

    ## How to fix
    Rebuild the image on the fixed package versions (or a patched base image), push it, and
    redeploy the container group on the new digest:

    ```bash
    az acr build --registry <registry> --image <repository>:<new-tag> .
    az acr manifest show-metadata --registry <registry> --name <repository>:<new-tag> --query digest
    az container create --resource-group <group-rg> --file group.yaml   # image pinned to the new digest
    ```

    ## Decisions
    The findings are Defender for Cloud's sub-assessments of the registry assessment
    `c0b7cfc6-3172-465a-b378-53c7ff2cc0d5` ("Azure registry container images should have
    vulnerabilities resolved (powered by Microsoft Defender Vulnerability Management)"), read
    through Azure Resource Graph (`securityresources`, type
    `microsoft.security/assessments/subassessments`, `additionalData.assessedResourceType`
    `AzureContainerRegistryVulnerability`) for the whole scope in paged queries. An image is keyed
    by `artifactDetails.registryHost`, `repositoryName` and `digest`; a finding is a sub-assessment
    whose `status.code` is Unhealthy (Healthy and NotApplicable ones, such as an exempted finding,
    are not findings, as the built-in policy `090c7b07-b4ed-4561-ad20-e9075f3ccaff` counts a
    registry whose assessment is Healthy or NotApplicable compliant); its severity is
    `vulnerabilityDetails.severity` (else `status.severity`); a fix is available when
    `softwareDetails.fixStatus` is `FixAvailable` (Unknown, NoFixAvailable, Scheduled and WontFix
    are not), and `softwareDetails.fixedVersion` names it when Defender gives one. Findings
    without a fix are counted, never failed: nothing can be done but wait or replace the package.

    Defender scans the images of a registry only when its subscription has Defender for Containers
    on with its `ContainerRegistriesVulnerabilityAssessments` extension (or Defender CSPM with that
    extension, Registry access): otherwise every image of that registry is ERROR, not assessed, with
    that reason (DEF001 reports the plan). Resource Graph refusing (403) or a subscription's plans
    unreadable is ERROR with the reason, never PASS. Sub-assessments are published per finding:
    Defender gives no row for a digest it scanned and found clean, nor for one it has not scanned
    yet. A digest with no finding PASSes when its manifest was pushed more than a day before the
    audit (Defender scans within hours of a push) and Defender still rescans it: it rescans daily
    only the images pushed or pulled in the last 30 days, so a digest pushed longer ago whose
    container has not been started afresh (a first start pulls the image; a restart in place may
    not, so a restarted container's start time does not count) within 30 days is ERROR, not
    assessed: no finding there does not mean a clean scan (pulls by other clients are not visible
    to azaudit). Pushed within the day, or with no push time, it is ERROR too. The
    digest judged is the pinned one, or the tag's current one when the tag has not moved since the
    container started (otherwise SKIPPED: IMG002 reports it). Images outside the audited
    registries are SKIPPED as not resolvable; a registry that refused is ERROR. The findings are
    Defender's latest scan as Resource Graph holds it: a rebuilt, redeployed image is judged on its
    new digest (ERROR during its first day if Defender has no result for it yet, as above).

    Multi-platform images: when the digest a container runs is an image index (an OCI image
    index or Docker manifest list), the registry's manifest properties list its platform
    manifests under `references` (digest, architecture, os; "empty if this is a leaf manifest",
    per the Container Registry data-plane REST spec, read from the same `GET
    /acr/v1/{name}/_manifests/{digest}` through the SDK's own operation, since
    `ArtifactManifestProperties` drops them; at most 32 kept). Which digest Defender keys its
    findings on such an image by is not stated in the sources read: Learn's vulnerability
    assessment and sub-assessment pages say nothing of indexes, and an older Defender for
    Containers support matrix only said that "providing image tag information for
    multi-architecture images is currently unsupported" (findings not tied to the tag, which names
    the index). So both are looked up: the platform manifest the group runs (its `osType`, on
    amd64: the container group API states no architecture, and none other was found documented
    for Container Instances) first, then the index digest. Findings under either are judged (the
    message then names the platform manifest judged); none under either is ERROR, not assessed,
    never PASS, whatever the push and pull times, and so is an index with no manifest for the
    group's platform and no finding under the index digest. A single-platform manifest is judged
    as before.

    Retirement: Learn ("Transition from grouped to individual recommendations") says Defender for
    Cloud is moving from grouped recommendations ("also known as sub-assessment") to one
    recommendation per finding, and that grouped ones are "set for deprecation during the
    transition period", both shown side by side meanwhile. No retirement date, and no Resource
    Graph shape of the individual container-image recommendations, is documented in the sources
    read; the sub-assessments remain the documented interface, so they are what is read. When the
    grouped recommendation is retired, this query returns no rows: every running image would look
    clean. Until the individual findings' shape is documented and read, keep Defender's registry
    recommendation in view (DEF001, the portal) and watch that page.

    ## References
    - https://learn.microsoft.com/azure/defender-for-cloud/subassessment-rest-api
    - https://learn.microsoft.com/azure/container-registry/resource-graph-samples
    - https://learn.microsoft.com/azure/defender-for-cloud/agentless-vulnerability-assessment-azure
    - https://learn.microsoft.com/azure/defender-for-cloud/transition-grouped-individual-recommendations
    - https://learn.microsoft.com/training/modules/detect-container-risks-defender-containers/4-assess-container-image-vulnerabilities
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Security%20Center/MDC_AzureContainerRegistryVulnerabilityAssessment_Audit.json
    - https://learn.microsoft.com/azure/defender-for-cloud/permissions
    - https://learn.microsoft.com/azure/defender-for-cloud/support-matrix-defender-for-containers
    - https://github.com/Azure/azure-rest-api-specs/blob/main/specification/containerregistry/data-plane/Azure.ContainerRegistry/stable/2021-07-01/containerregistry.json
    - https://learn.microsoft.com/rest/api/container-instances/container-groups/create-or-update
    """
    threshold = ctx.settings.images.vulnerability_min_severity
    for image, unresolved_outcome in resolved_images(ctx):
        outcome = unresolved_outcome or gone(image)
        if outcome is not None:
            yield outcome
            continue
        artifact, registry, group, name = image.artifact, image.registry, image.group, image.container.name
        assert artifact is not None and registry is not None and image.reference is not None
        digest = image.running_digest()
        if digest is None or digest != artifact.manifest_digest:
            yield unknown_digest(image)
            continue
        pulled = image.runtime.pulled if image.runtime is not None else None
        record, why = assessment(
            ctx.inventory,
            registry,
            artifact.repository,
            digest,
            artifact.manifest_created_on,
            ctx.now,
            pulled,
            platforms=artifact.platforms,
            platforms_cut=artifact.platforms_cut,
            os_type=group.os_type,
        )
        if record is None:
            yield Outcome.errored(
                group,
                f"not assessed: {image.label}'s image {quoted(image.reference.original)}: {why}",
                item=name,
            )
            continue
        evidence = _evidence(image, record, threshold)
        judged = digest
        if record.digest.lower() != digest.lower():  # a multi-platform image: its platform manifest's findings
            evidence["platform manifest.digest"] = record.digest
            judged = f"an image index, judged on its {RUNTIME_ARCHITECTURE} platform manifest {record.digest}"
            judged = f"{digest}, {judged}"
        failing = record.at_or_above(threshold)
        if failing:
            yield Outcome.failed(
                group,
                f"{image.label} runs {quoted(image.reference.original)} ({judged}), on which Defender for Cloud "
                f"reports {failing} fixable finding(s) of {threshold} severity or worse (all findings: "
                f"{_counts(record.by_severity)}; with a fix: {_counts(record.fixable)}). Worst: "
                f"{_worst(record, threshold)}",
                item=name,
                evidence=evidence,
            )
        else:
            yield Outcome.passed(
                group,
                f"Defender for Cloud reports no fixable finding of {threshold} severity or worse on {image.label}'s "
                f"image {judged} (all findings: {_counts(record.by_severity)})",
                item=name,
                evidence=evidence,
            )
