"""Microsoft Defender for Cloud's findings on the sample tenant's registry images, as Azure Resource
Graph answers azaudit's sub-assessment query (azaudit/collect/vulnerabilities.py), and IMG001's
expected outcomes (in tools/scenarios/images.py's table).

Only contoso-prod's Defender for Containers scans its registries (tools/scenarios/defender.py):
its images have findings; contoso-dev's have none (its registry scanning is off, so Defender
publishes nothing there). A row carries the columns the query projects from the sub-assessment
Learn documents (https://learn.microsoft.com/azure/defender-for-cloud/subassessment-rest-api).
The query is answered for every non-empty subset of the enabled subscriptions (a shard, or
``--subscription``, asks for its own), in one page (tests/test_image_vulnerabilities.py splits it to
exercise ``$skipToken`` paging).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from azaudit.collect.vulnerabilities import QUERY
from azaudit.inventory.vulnerabilities import ASSESSMENT_KEY
from tools import armbodies
from tools.scenarios import PROD

GRAPH_URL = "https://management.azure.com/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01"
PROD_ACR = f"/subscriptions/{PROD}/resourceGroups/rg-prod-containers/providers/Microsoft.ContainerRegistry/registries/contosoprodacr"

API = "sha256:4c1b8f2ad7e6a9c03b5d1e2f4a6b8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a1b"
MIGRATE = "sha256:9e2f4a6c8b0d1e3f5a7c9b1d3e5f7a9c1b3d5e7f9a1c3e5b7d9f1a3c5e7b9d1f"
# orders/migrate:2.4.1 is a multi-platform image: MIGRATE is its image index, these its platform
# manifests (tools/scenarios/images.py). Defender's findings are keyed by the linux/amd64 one, the
# manifest Container Instances runs: joined by the index digest alone, the image would read clean.
MIGRATE_AMD64 = "sha256:5d7f9b1c3e5a7d9f1b3c5e7a9d1f3b5c7e9a1d3f5b7c9e1a3d5f7b9c1e3a5d7f"
MIGRATE_ARM64 = "sha256:6e8a0c2d4f6b8e0a2c4d6f8b0e2a4c6d8f0b2e4a6c8d0f2b4e6a8c0d2f4b6e8a"
OLD_API = "sha256:0a2c4e6f8b1d3f5a7c9e0b2d4f6a8c1e3b5d7f9a0c2e4b6d8f1a3c5e7b9d0f2a"  # pushed, not running


@dataclass(frozen=True)
class Finding:
    """One Unhealthy sub-assessment of an image digest."""

    registry_id: str
    host: str
    repository: str
    digest: str
    cve: str
    severity: str  # Critical, High, Medium, Low (vulnerabilityDetails.severity)
    package: str
    version: str
    fix_status: str  # FixAvailable, NoFixAvailable, WontFix, Scheduled, Unknown
    fixed_version: str = ""  # '' when Defender names none (as in Learn's example)

    @property
    def subscription_id(self) -> str:
        return self.registry_id.split("/")[2]

    def row(self, n: int) -> dict[str, Any]:
        tail = hashlib.sha256(f"{self.digest} {self.cve} {self.package}".encode()).hexdigest()[:12]
        name = f"{n:08d}-4c1b-4f2a-9d7e-{tail}"
        return {
            "id": f"{self.registry_id}/providers/Microsoft.Security/assessments/{ASSESSMENT_KEY}/subassessments/{name}",
            "subscriptionId": self.subscription_id,
            "registryHost": self.host,
            "repositoryName": self.repository,
            "digest": self.digest,
            "findingId": self.cve,
            "cveId": self.cve,
            "severity": self.severity,
            "statusSeverity": self.severity,
            "packageName": self.package,
            "version": self.version,
            "fixedVersion": self.fixed_version,
            "fixStatus": self.fix_status,
        }


def _prod(repository: str, digest: str, *rest: str) -> Finding:
    return Finding(PROD_ACR, "contosoprodacr.azurecr.io", repository, digest, *rest)


FINDINGS = (
    # orders/api (running): a high finding without a fix and lesser ones: IMG001 PASS at the default threshold
    _prod("orders/api", API, "CVE-2024-26458", "High", "libkrb5-3", "1.20.1-2+deb12u1", "NoFixAvailable"),
    _prod("orders/api", API, "CVE-2023-50495", "Medium", "libncursesw6", "6.4-4", "FixAvailable", "6.4-4+deb12u1"),
    _prod("orders/api", API, "CVE-2011-3374", "Low", "apt", "2.6.1", "WontFix"),
    # orders/migrate (the init container): fixable critical and high findings on its linux/amd64
    # platform manifest (none under its index digest): IMG001 FAIL
    _prod(
        "orders/migrate",
        MIGRATE_AMD64,
        "CVE-2024-45491",
        "Critical",
        "libexpat1",
        "2.5.0-1",
        "FixAvailable",
        "2.5.0-1+deb12u1",
    ),
    _prod(
        "orders/migrate",
        MIGRATE_AMD64,
        "CVE-2024-2961",
        "High",
        "libc6",
        "2.36-9+deb12u4",
        "FixAvailable",
        "2.36-9+deb12u7",
    ),
    _prod(
        "orders/migrate",
        MIGRATE_AMD64,
        "CVE-2023-44487",
        "High",
        "libnghttp2-14",
        "1.52.0-1",
        "FixAvailable",
        "1.52.0-1+deb12u1",
    ),
    _prod("orders/migrate", MIGRATE_AMD64, "CVE-2024-26462", "Medium", "libkrb5-3", "1.20.1-2", "NoFixAvailable"),
    # an older orders/api digest still in the registry, run by nobody: never joined
    _prod(
        "orders/api",
        OLD_API,
        "CVE-2024-6387",
        "Critical",
        "openssh-client",
        "1:9.2p1-2",
        "FixAvailable",
        "1:9.2p1-2+deb12u3",
    ),
)


def _subsets(enabled: list[str]) -> Iterable[tuple[str, ...]]:
    for size in range(1, len(enabled) + 1):
        yield from combinations(sorted(enabled), size)


def interactions(enabled: list[str]) -> list[dict[str, object]]:
    """Resource Graph's answers to the sub-assessment query for every subset of ``enabled``."""
    out: list[dict[str, object]] = []
    for subset in _subsets(enabled):
        rows = [f.row(n) for n, f in enumerate(FINDINGS) if f.subscription_id in subset]
        out.append(
            {
                "request": {"method": "POST", "url": GRAPH_URL, "body": armbodies.graph_request(QUERY, subset)},
                "response": {"status": 200, "body": armbodies.graph_page(rows, len(rows))},
            }
        )
    return out


def fixtures(enabled: list[str]) -> list[tuple[str, str, list[dict[str, object]]]]:
    return [
        (
            "resourcegraph-image-vulnerabilities.json",
            "Defender for Cloud's registry image findings (sub-assessments) through Azure Resource Graph, for every "
            "subset of the enabled subscriptions",
            interactions(enabled),
        )
    ]
