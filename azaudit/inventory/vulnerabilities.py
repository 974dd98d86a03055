"""Microsoft Defender for Cloud's vulnerability findings on registry images, one record per image
digest, and whether Defender scans a subscription's registries at all.

The findings are the sub-assessments of the registry-image assessment "Azure registry container
images should have vulnerabilities resolved (powered by Microsoft Defender Vulnerability
Management)" (assessment key :data:`ASSESSMENT_KEY`), read through Azure Resource Graph
(:mod:`azaudit.collect.vulnerabilities`). Each record keeps what the image checks and the report
need, bounded: counts by severity, counts of the findings with a fix, and the worst
:data:`KEPT` findings (worst first). Sources:
https://learn.microsoft.com/azure/defender-for-cloud/subassessment-rest-api
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import msgspec

from azaudit.inventory.coverage import CollectionError, Dataset
from azaudit.inventory.defender import DefenderPlan
from azaudit.inventory.images import MAX_PLATFORMS, PlatformManifest, platform_manifest

if TYPE_CHECKING:
    from azaudit.inventory import Inventory
    from azaudit.inventory.acr import Registry

# The assessment key of Azure registry image findings powered by Microsoft Defender Vulnerability
# Management (Learn: "Container vulnerability assessments REST API"; the built-in policy
# MDC_AzureContainerRegistryVulnerabilityAssessment_Audit audits this assessment's name).
ASSESSMENT_KEY = "c0b7cfc6-3172-465a-b378-53c7ff2cc0d5"
# properties.additionalData.assessedResourceType of those sub-assessments (same Learn page)
ASSESSED_TYPE = "AzureContainerRegistryVulnerability"
# The Defender plan extension that scans registry images (Defender for Containers, Defender CSPM):
# the pricings API lists it under properties.extensions (see DEF001).
SCANNING = "ContainerRegistriesVulnerabilityAssessments"

# Severities worst first (vulnerabilityDetails.severity / status.severity of the sub-assessment).
SEVERITIES = ("critical", "high", "medium", "low")
UNKNOWN = "unknown"  # a severity Defender may add later: counted, never above a threshold
KEPT = 20  # findings kept per image, worst first


def severity_rank(severity: str) -> int:
    """0 for critical ... 3 for low, 4 for anything else."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


class VulnerabilityFinding(msgspec.Struct, frozen=True, kw_only=True):
    """One unhealthy sub-assessment of an image (tenant and vendor text: renderers escape it)."""

    cve: str  # vulnerabilityDetails.cveId, else the sub-assessment's properties.id
    severity: str  # one of SEVERITIES or UNKNOWN
    package: str | None = None  # softwareDetails.packageName
    version: str | None = None  # softwareDetails.version (installed)
    fixed_version: str | None = None  # softwareDetails.fixedVersion ('' in Azure's answer: None)
    fix_available: bool = False  # softwareDetails.fixStatus == "FixAvailable"


class ImageVulnerabilities(msgspec.Struct, frozen=True, kw_only=True):
    """Defender for Cloud's findings on one image digest of a registry: its Unhealthy
    sub-assessments (a Healthy or NotApplicable one is not a finding)."""

    id: str  # {login server}/{repository}@{digest}
    subscription_id: str  # the registry's
    login_server: str  # artifactDetails.registryHost, lower case
    repository: str  # artifactDetails.repositoryName
    digest: str  # artifactDetails.digest
    findings: int = 0  # Unhealthy ones
    by_severity: dict[str, int] = {}  # Unhealthy findings per severity
    fixable: dict[str, int] = {}  # Unhealthy findings with a fix available, per severity
    worst: tuple[VulnerabilityFinding, ...] = ()  # at most KEPT, worst first (fixable first within a severity)

    def at_or_above(self, threshold: str, *, fixable_only: bool = True) -> int:
        """How many findings are at ``threshold`` or worse (with a fix, unless told otherwise)."""
        counts = self.fixable if fixable_only else self.by_severity
        limit = severity_rank(threshold)
        return sum(n for severity, n in counts.items() if severity_rank(severity) <= limit)


def image_key(login_server: str, repository: str, digest: str) -> str:
    return f"{login_server.lower()}/{repository}@{digest.lower()}"


def scanning_off(
    subscription_id: str, subscription_name: str, plans: tuple[DefenderPlan, ...], errors: tuple[CollectionError, ...]
) -> str | None:
    """Why Defender for Cloud does not scan the registry images of a subscription, or None when
    it does: Defender for Containers (``Containers``) on (Standard) with its
    :data:`SCANNING` extension on or not listed (an older enablement, as DEF001 judges it), or
    Defender CSPM (``CloudPosture``) on with that extension on (Learn: registry vulnerability
    assessment needs Registry access in either plan)."""
    for error in errors:
        if error.dataset is Dataset.DEFENDER_PLANS and (
            not error.subscription_id or error.subscription_id.lower() == subscription_id.lower()
        ):
            return (
                f"the Defender for Cloud plans of subscription {subscription_name} could not be read ({error.reason})"
            )
    by_name = {plan.name.lower(): plan for plan in plans}
    containers, posture = by_name.get("containers"), by_name.get("cloudposture")
    if containers is not None and containers.pricing_tier.lower() == "standard":
        extension = containers.extension(SCANNING)
        if extension is None or extension.enabled:
            return None
    if posture is not None and posture.pricing_tier.lower() == "standard":
        extension = posture.extension(SCANNING)
        if extension is not None and extension.enabled:
            return None
    if containers is None or containers.pricing_tier.lower() != "standard":
        return (
            f"Defender for Containers is off in subscription {subscription_name}, so Defender for Cloud "
            "does not scan its registries' images (DEF001)"
        )
    return (
        f"the {SCANNING} extension of Defender for Containers is off in subscription {subscription_name} "
        "(and Defender CSPM's is not on), so Defender for Cloud does not scan its registries' images (DEF001)"
    )


# Defender scans an image "within a few hours" of its push (Learn training: Assess container image
# vulnerabilities): a digest pushed less than this long before the audit with no sub-assessment may
# not be scanned yet.
SCAN_DELAY = dt.timedelta(hours=24)
# Defender rescans daily only the images pushed or imported, or pulled, in the last 30 days (and
# those running in AKS clusters it monitors, which container groups are not) (same Learn page).
# Outside that window, a digest without findings may simply no longer be scanned.
RESCAN_WINDOW = dt.timedelta(days=30)


def asked(inventory: Inventory) -> bool:
    """True when the run asked Defender for Cloud's findings (its note or its error is there).
    Read once per inventory: IMG001 and the runtime block ask for every container, and a run with
    thousands of notes read them all each time (5,000 notes at 10,000 resources: 6 s each)."""
    return inventory.derived(_asked)


def _asked(inventory: Inventory) -> bool:
    return any(n.dataset is Dataset.IMAGE_VULNERABILITIES for n in inventory.notes) or any(
        e.dataset is Dataset.IMAGE_VULNERABILITIES for e in inventory.errors
    )


def _unscanned(inventory: Inventory, registry: Registry) -> str | None:
    """Why Defender's findings on ``registry``'s images cannot be judged (its findings query
    failed, its subscription's plans do not scan), or None. Depends on the registry's id and
    subscription only: answered once per registry and inventory (:func:`_unscanned_of`) from the
    errors of the two datasets it reads, where each container read every error of the run (5,000
    errors at 10,000 resources: 12 s each for IMG001 and the runtime block)."""
    for error in inventory.derived(_findings_errors):
        if error.dataset is Dataset.IMAGE_VULNERABILITIES and (
            error.resource_id.lower() == registry.id.lower()
            if error.resource_id
            else not error.subscription_id or error.subscription_id.lower() == registry.subscription_id.lower()
        ):
            return f"Defender for Cloud's findings could not be read through Azure Resource Graph ({error.reason})"
    subscription = inventory.subscription(registry.subscription_id)
    name = subscription.display_name if subscription is not None else registry.subscription_id
    return scanning_off(
        registry.subscription_id,
        name,
        inventory.defender_plans_of(registry.subscription_id),
        inventory.derived(_plan_errors),
    )


def _unscanned_of(inventory: Inventory, registry: Registry) -> str | None:
    answers = inventory.derived(_unscanned_answers)
    key = (registry.id, registry.subscription_id)
    if key not in answers:
        answers[key] = _unscanned(inventory, registry)
    return answers[key]


def _unscanned_answers(inventory: Inventory) -> dict[tuple[str, str], str | None]:
    return {}


# The only errors _unscanned reads (scanning_off reads only the plans'), in inventory order, taken
# once per inventory: every registry would otherwise read all the run's errors.
def _findings_errors(inventory: Inventory) -> tuple[CollectionError, ...]:
    return tuple(e for e in inventory.errors if e.dataset is Dataset.IMAGE_VULNERABILITIES)


def _plan_errors(inventory: Inventory) -> tuple[CollectionError, ...]:
    return tuple(e for e in inventory.errors if e.dataset is Dataset.DEFENDER_PLANS)


# The architecture Container Instances runs: its API offers no architecture choice (a group states
# only osType Linux or Windows), and the platform of a multi-platform image it pulls is taken as
# amd64 (IMG001's Decisions).
RUNTIME_ARCHITECTURE = "amd64"


def assessment(
    inventory: Inventory,
    registry: Registry,
    repository: str,
    digest: str,
    pushed: dt.datetime | None,
    now: dt.datetime,
    pulled: dt.datetime | None = None,
    *,
    platforms: tuple[PlatformManifest, ...] = (),
    platforms_cut: bool = False,
    os_type: str | None = None,
) -> tuple[ImageVulnerabilities | None, str | None]:
    """Defender for Cloud's findings on ``digest`` of ``registry``'s ``repository``: (the record,
    None), or (None, why it is not assessed). A digest without any sub-assessment while scanning is
    on is an image with no finding only while Defender still rescans it: pushed at least
    :data:`SCAN_DELAY` before the audit, and pushed or ``pulled`` (a container group's first start
    pulls its images) within :data:`RESCAN_WINDOW`. Otherwise, or with no push time, (None, why).

    ``digest`` with ``platforms`` is a multi-platform image (an image index or manifest list):
    the findings are looked up under the platform manifest the group runs (``os_type``, on
    :data:`RUNTIME_ARCHITECTURE`) and under the index digest, the platform's first (its record
    names the platform digest). Neither having any finding is never a clean image: (None, why)."""
    if not asked(inventory):
        return None, "Defender for Cloud's findings were not read (no selected check needs them)"
    off = _unscanned_of(inventory, registry)
    if off is not None:
        return None, off
    found = inventory.vulnerabilities_of(registry.login_server, repository, digest)
    if platforms or platforms_cut:
        return _index_assessment(inventory, registry, repository, found, platforms, platforms_cut, os_type)
    if found is not None:
        return found, None
    if pushed is None:
        return (
            None,
            "Defender for Cloud has no finding for the digest and the registry gives no push time, "
            "so whether it was scanned is unknown",
        )
    if now - pushed < SCAN_DELAY:
        return None, (
            f"the digest was pushed {pushed:%Y-%m-%d %H:%M} UTC, less than a day before the audit, and Defender "
            "for Cloud has no result for it yet"
        )
    if now - pushed > RESCAN_WINDOW and (pulled is None or now - pulled > RESCAN_WINDOW):
        started = f"last pulled when its container started {pulled:%Y-%m-%d}" if pulled else "no pull time known"
        return None, (
            f"Defender for Cloud has no finding for the digest, but it rescans only images pushed or pulled in "
            f"the last 30 days (pushed {pushed:%Y-%m-%d}, {started}): no finding does not mean a clean scan; "
            "redeploy or re-push the image to have it scanned again"
        )
    return ImageVulnerabilities(
        id=image_key(registry.login_server, repository, digest),
        subscription_id=registry.subscription_id,
        login_server=registry.login_server.lower(),
        repository=repository,
        digest=digest,
    ), None


def _index_assessment(
    inventory: Inventory,
    registry: Registry,
    repository: str,
    found: ImageVulnerabilities | None,
    platforms: tuple[PlatformManifest, ...],
    platforms_cut: bool,
    os_type: str | None,
) -> tuple[ImageVulnerabilities | None, str | None]:
    """A multi-platform image's findings: those of the platform manifest the group runs, else
    those under the index digest, else (None, why): the sources read do not say which of the two
    digests Defender keys its findings by, so no finding under either is not a clean scan."""
    os_type = os_type if os_type and os_type.isalpha() and len(os_type) <= 16 else None  # ARM text
    platform = platform_manifest(platforms, os_type, RUNTIME_ARCHITECTURE) if os_type else None
    if platform is not None:
        child = inventory.vulnerabilities_of(registry.login_server, repository, platform.digest)
        if child is not None:
            return child, None
    if found is not None:
        return found, None
    if platform is None:
        wanted = (
            f"{os_type.lower()}/{RUNTIME_ARCHITECTURE}"
            if os_type
            else "the group's platform (its osType is not stated)"
        )
        cut = f" (the registry listed more than {MAX_PLATFORMS}; only those were read)" if platforms_cut else ""
        return None, (
            f"the image is a multi-platform image (an image index of {len(platforms)} platform manifests{cut}) with "
            f"no manifest for {wanted}, and Defender for Cloud has no finding under the index digest: which "
            "image the container runs, and whether Defender scanned it, is unknown"
        )
    return None, (
        f"the image is a multi-platform image (an image index); Defender for Cloud has no finding under the index "
        f"digest nor under its {platform.os}/{platform.architecture} manifest {platform.digest}, and which of the "
        "two Defender keys its findings by is not documented: no finding does not mean a clean scan"
    )
