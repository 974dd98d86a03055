"""Microsoft Defender for Cloud's vulnerability findings on registry images, read through Azure
Resource Graph for the whole scope (``IMAGE_VULNERABILITIES``).

Defender for Cloud publishes each vulnerability it finds in a registry image as a sub-assessment
of the registry's assessment ``c0b7cfc6-3172-465a-b378-53c7ff2cc0d5`` ("Azure registry container
images should have vulnerabilities resolved (powered by Microsoft Defender Vulnerability
Management)") in Resource Graph's ``securityresources`` table, type
``microsoft.security/assessments/subassessments``. Learn's "Container vulnerability assessments
REST API" (https://learn.microsoft.com/azure/defender-for-cloud/subassessment-rest-api) gives the
query (``properties.additionalData.assessedResourceType == "AzureContainerRegistryVulnerability"``,
the assessment key extracted from the row's ``id``) and an example row; every field read here is
one of that row's: ``properties.status.code`` (Healthy, Unhealthy, NotApplicable) and
``.severity``, ``properties.id`` (the CVE), ``properties.additionalData.artifactDetails``
(``registryHost``, ``repositoryName``, ``digest``), ``.vulnerabilityDetails`` (``cveId``,
``severity``) and ``.softwareDetails`` (``packageName``, ``version``, ``fixedVersion``,
``fixStatus``: Unknown, FixAvailable, NoFixAvailable, Scheduled, WontFix).

Only Unhealthy rows are asked for (a Healthy or NotApplicable sub-assessment is not a finding; the
Learn example's NotApplicable row is an exempted one, "Disabled parent assessment"), and only the
columns above, so a page is small. The subscriptions are queried :data:`CHUNK` at a time (each
query paged by :func:`azaudit.collect.graph.graph_query`, its ``$skipToken`` loop bounded) and each
answer is folded into one bounded record per image digest before the next is read: the memory held
is one chunk's rows and a record per scanned digest (counts and at most
:data:`azaudit.inventory.vulnerabilities.KEPT` findings), whatever the number of findings. A refusal
(403: the audit identity cannot read the subscriptions' security resources) fails the task: every
image the check would judge is ERROR with the reason, never PASS.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from azaudit.clients import Clients
from azaudit.collect.graph import graph_query
from azaudit.collect.spec import DatasetSpec, Per
from azaudit.collect.tasks import Collected, Task, UnusableShape
from azaudit.inventory.common import Subscription
from azaudit.inventory.coverage import CollectionError, CollectionNote, Dataset
from azaudit.inventory.vulnerabilities import (
    ASSESSED_TYPE,
    ASSESSMENT_KEY,
    KEPT,
    SEVERITIES,
    UNKNOWN,
    ImageVulnerabilities,
    VulnerabilityFinding,
    image_key,
    severity_rank,
)

CHUNK = 200  # subscriptions per query: a chunk's rows are folded into records before the next is read
OPERATION = "resourceGraph(securityresources subassessments)"

# Learn's generic sub-assessment query, restricted to Unhealthy rows and the columns read.
QUERY = (
    "securityresources"
    " | where type =~ 'microsoft.security/assessments/subassessments'"
    f" | where properties.additionalData.assessedResourceType == '{ASSESSED_TYPE}'"
    " | extend assessmentKey = extract(@'(?i)providers/Microsoft.Security/assessments/([^/]*)', 1, id)"
    f" | where assessmentKey == '{ASSESSMENT_KEY}'"
    " | where properties.status.code =~ 'Unhealthy'"
    " | project id, subscriptionId,"
    " registryHost = tostring(properties.additionalData.artifactDetails.registryHost),"
    " repositoryName = tostring(properties.additionalData.artifactDetails.repositoryName),"
    " digest = tostring(properties.additionalData.artifactDetails.digest),"
    " findingId = tostring(properties.id),"
    " cveId = tostring(properties.additionalData.vulnerabilityDetails.cveId),"
    " severity = tostring(properties.additionalData.vulnerabilityDetails.severity),"
    " statusSeverity = tostring(properties.status.severity),"
    " packageName = tostring(properties.additionalData.softwareDetails.packageName),"
    " version = tostring(properties.additionalData.softwareDetails.version),"
    " fixedVersion = tostring(properties.additionalData.softwareDetails.fixedVersion),"
    " fixStatus = tostring(properties.additionalData.softwareDetails.fixStatus)"
)
MAX_TEXT = 200  # characters kept of a CVE id, package or version (vendor text)


def _text(row: Mapping[str, Any], key: str) -> str | None:
    value = row.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise UnusableShape(f"the sub-assessment's {key} is not a string")
    return value[:MAX_TEXT]


def _severity(row: Mapping[str, Any]) -> str:
    value = (_text(row, "severity") or _text(row, "statusSeverity") or "").lower()
    return value if value in SEVERITIES else UNKNOWN


def _registry_of(row_id: str) -> str:
    """The registry's ARM id: the sub-assessment's id up to its ``/providers/Microsoft.Security``."""
    head, found, _ = row_id.partition("/providers/Microsoft.Security/")
    if not found:
        head, found, _ = row_id.lower().partition("/providers/microsoft.security/")
    return head if found else ""


class _Image:
    """One digest's findings as they are folded in: counts, and the worst :data:`KEPT`."""

    def __init__(self, subscription_id: str, host: str, repository: str, digest: str) -> None:
        self.subscription_id, self.host, self.repository, self.digest = subscription_id, host, repository, digest
        self.findings = 0
        self.by_severity: dict[str, int] = {}
        self.fixable: dict[str, int] = {}
        self.worst: list[VulnerabilityFinding] = []

    def add(self, finding: VulnerabilityFinding) -> None:
        self.findings += 1
        self.by_severity[finding.severity] = self.by_severity.get(finding.severity, 0) + 1
        if finding.fix_available:
            self.fixable[finding.severity] = self.fixable.get(finding.severity, 0) + 1
        self.worst.append(finding)
        if len(self.worst) > 2 * KEPT:
            self._trim()

    def _trim(self) -> None:
        self.worst.sort(key=lambda f: (severity_rank(f.severity), not f.fix_available, f.cve, f.package or ""))
        del self.worst[KEPT:]

    def record(self) -> ImageVulnerabilities:
        self._trim()
        return ImageVulnerabilities(
            id=image_key(self.host, self.repository, self.digest),
            subscription_id=self.subscription_id,
            login_server=self.host,
            repository=self.repository,
            digest=self.digest,
            findings=self.findings,
            by_severity=dict(sorted(self.by_severity.items(), key=lambda item: severity_rank(item[0]))),
            fixable=dict(sorted(self.fixable.items(), key=lambda item: severity_rank(item[0]))),
            worst=tuple(self.worst),
        )


def fold(rows: Sequence[Mapping[str, Any]], images: dict[str, _Image], task: Task) -> list[CollectionError]:
    """Fold ``rows`` into ``images``; a row that cannot be read is a collection error for its
    registry (its images are then ERROR), never a silently dropped finding."""
    errors: dict[str, CollectionError] = {}
    for row in rows:
        row_id, subscription_id = row.get("id"), row.get("subscriptionId")
        if not isinstance(row_id, str) or not isinstance(subscription_id, str) or not _registry_of(row_id):
            raise UnusableShape("a sub-assessment row has no usable id or subscriptionId")
        try:
            host, repository, digest = _text(row, "registryHost"), _text(row, "repositoryName"), _text(row, "digest")
            if not host or not repository or not digest:
                raise UnusableShape("a sub-assessment names no registryHost, repositoryName or digest")
            fix = (_text(row, "fixStatus") or "").lower() == "fixavailable"
            finding = VulnerabilityFinding(
                cve=_text(row, "cveId") or _text(row, "findingId") or "unnamed finding",
                severity=_severity(row),
                package=_text(row, "packageName"),
                version=_text(row, "version"),
                fixed_version=_text(row, "fixedVersion"),
                fix_available=fix,
            )
        except UnusableShape as exc:
            registry = _registry_of(row_id)
            errors.setdefault(
                registry.lower(),
                CollectionError(
                    dataset=Dataset.IMAGE_VULNERABILITIES,
                    subscription_id=subscription_id,
                    resource_id=registry,
                    resource_name=registry.rstrip("/").rsplit("/", 1)[-1],
                    operation=task.operation,
                    reason=f"unusable answer: {exc}",
                ),
            )
            continue
        key = image_key(host, repository, digest).lower()
        if key not in images:
            images[key] = _Image(subscription_id, host.lower(), repository, digest)
        images[key].add(finding)
    return list(errors.values())


def image_findings(clients: Clients, subscriptions: Sequence[Subscription]) -> Task:
    """One task for the scope: every Unhealthy registry-image sub-assessment of ``subscriptions``."""

    def run() -> Collected:
        ids = sorted(dict.fromkeys(s.subscription_id for s in subscriptions))
        images: dict[str, _Image] = {}
        errors: list[CollectionError] = []
        for start in range(0, len(ids), CHUNK):
            rows = graph_query(clients.arm(), QUERY, ids[start : start + CHUNK], OPERATION)
            errors += fold(rows, images, task)
        note = CollectionNote(
            dataset=Dataset.IMAGE_VULNERABILITIES,
            subscription_id="",
            resource_id="",
            resource_name="",
            message=(
                f"image vulnerabilities: Defender for Cloud's findings on {len(images)} registry image digest(s) "
                "read through Azure Resource Graph, their only source (whatever --source says): they are as "
                "recent as Defender's last scan (daily) and Resource Graph's copy of it (minutes behind)"
            ),
        )
        return Collected(records=[image.record() for image in images.values()], notes=[note], errors=errors)

    task = Task(Dataset.IMAGE_VULNERABILITIES, "", OPERATION, run, paced=False)  # a Resource Graph POST
    return task


DATASETS = (
    DatasetSpec(
        Dataset.IMAGE_VULNERABILITIES, {ImageVulnerabilities: "image_vulnerabilities"}, Per.SCOPE, image_findings
    ),
)
