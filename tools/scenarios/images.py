"""What the sample tenant's container groups run: each container's instance view, and what the
audited registries' data planes answer about each running image, with every image check's
expected outcome.

tools/make_sample_tenant.py writes, after the container groups and registries: one ``GET`` per
listed container group with its ``instanceView`` (the list does not carry it), and per audited
registry one token exchange, one access token per repository (both actions a lookup reads it
with, ``pull,metadata_read``, in one scope), and the tag, manifest and referrers
answers of each distinct image (``fixtures``). tests/test_checks_images.py asserts
``expectations(...)``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from azaudit.detect.image_ref import parse_image_reference
from azaudit.model import Status
from azaudit.replay.adapter import registry_access_token
from azaudit.replay.fixtures import AAD_TOKEN_STAND_IN
from tools.scenarios import ERROR, FAIL, PASS, SKIPPED, vulnerabilities

NOTARY = "application/vnd.cncf.notary.signature"
DATA_PLANE_API = "2021-07-01"  # azure-containerregistry 1.2's api-version
GROUP_STARTED = "2026-11-10T08:00:00.000Z"  # when the sample tenant's containers started, unless told


def digest(seed: str) -> str:
    """A stable fake sha256 digest."""
    return "sha256:" + hashlib.sha256(seed.encode()).hexdigest()


@dataclass(frozen=True)
class Image:
    """What one registry holds for an image reference containers run."""

    registry: str  # login server
    repository: str
    tag: str | None  # the tag looked up (latest for a reference naming neither tag nor digest)
    digest: str | None = None  # the pinned digest, when the reference names one
    tag_digest: str | None = None  # what the tag names now (None: the tag is gone)
    tag_updated: str = "2026-10-01T09:00:00Z"
    created: str = "2026-10-01T09:00:00Z"  # the manifest's createdTime
    signatures: int = 0
    refused: bool = False  # the registry refuses (ABAC without Repository Reader)
    # a multi-platform image: the manifest is an image index of these (digest, os, architecture)
    platforms: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class Running:
    """One container or init container, what it runs and every image check's outcome for it."""

    group: str
    container: str
    expect: Mapping[str, Status]
    started: str = GROUP_STARTED
    restarts: int = 0
    init: bool = False


ALL = ("IMG001", "IMG002", "IMG003", "IMG004", "IMG005")


def every(status: Status) -> dict[str, Status]:
    return dict.fromkeys(ALL, status)


IMAGES = (
    # a clean running image: pinned by digest, the tag still names it, signed, a month old
    Image(
        "contosoprodacr.azurecr.io",
        "orders/api",
        "2.4.1",
        digest="sha256:4c1b8f2ad7e6a9c03b5d1e2f4a6b8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a1b",
        tag_digest="sha256:4c1b8f2ad7e6a9c03b5d1e2f4a6b8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a1b",
        created="2026-10-30T10:00:00Z",
        tag_updated="2026-10-30T10:00:00Z",
        signatures=1,
    ),
    # a recent, signed, multi-platform schema migration image (the container pins its image index,
    # signed as `notation sign` on the tag signs it) whose linux/amd64 manifest Defender finds
    # vulnerable (IMG001 FAIL; under the index digest alone it would read clean)
    Image(
        "contosoprodacr.azurecr.io",
        "orders/migrate",
        "2.4.1",
        digest=vulnerabilities.MIGRATE,
        tag_digest=vulnerabilities.MIGRATE,
        created="2026-10-30T10:05:00Z",
        tag_updated="2026-10-30T10:05:00Z",
        signatures=1,
        platforms=(
            (vulnerabilities.MIGRATE_AMD64, "linux", "amd64"),
            (vulnerabilities.MIGRATE_ARM64, "linux", "arm64"),
        ),
    ),
    # a drifted tag: latest was moved after the batch container started
    Image(
        "contosolegacyacr.azurecr.io",
        "batch/reporter",
        "latest",
        tag_digest=digest("batch/reporter:latest@2026-11-20"),
        tag_updated="2026-11-20T03:00:00Z",
        created="2026-11-20T03:00:00Z",
    ),
    # an unsigned, stale image: pushed in March and never rebuilt
    Image(
        "contosodevacr.azurecr.io",
        "web/frontend",
        "1.8.0",
        tag_digest=digest("web/frontend:1.8.0"),
        tag_updated="2026-03-02T11:00:00Z",
        created="2026-03-02T11:00:00Z",
    ),
    # a deleted tag: the mirrored CLI tag was purged
    Image("contosodevacr.azurecr.io", "mirror/azure-cli", "2.67.0"),
    # a signed, recent image
    Image(
        "contosodevacr.azurecr.io",
        "hub/nginx",
        "1.27.3",
        tag_digest=digest("hub/nginx:1.27.3"),
        created="2026-11-05T07:00:00Z",
        tag_updated="2026-11-05T07:00:00Z",
        signatures=2,
    ),
    Image(
        "contosodevacr.azurecr.io",
        "db/migrate",
        "latest",
        tag_digest=digest("db/migrate:latest"),
        created="2026-11-01T07:00:00Z",
        tag_updated="2026-11-01T07:00:00Z",
        signatures=1,
    ),
    # an ABAC registry that gives the audit identity no repository permission
    Image("contosomlacr.azurecr.io", "jobs/runner", "latest", refused=True),
)

NOT_RESOLVABLE = every(SKIPPED)
# contoso-dev's Defender for Containers does not scan its registries (DEF001): IMG001 not assessed.
UNSCANNED = {**every(PASS), "IMG001": ERROR}
RUNNING = (
    Running("aci-prod-api", "api", every(PASS)),  # Defender: only findings below high, or without a fix
    Running("aci-prod-api", "migrate", {**every(PASS), "IMG001": FAIL}, init=True, started="2026-11-10T07:59:00.000Z"),
    Running("aci-prod-worker", "worker", NOT_RESOLVABLE),  # Docker Hub
    Running("aci-prod-worker", "sidecar", NOT_RESOLVABLE),  # mcr.microsoft.com
    Running(
        "aci-prod-batch",
        "batch",
        {"IMG001": SKIPPED, "IMG002": FAIL, "IMG003": SKIPPED, "IMG004": PASS, "IMG005": SKIPPED},
        started="2026-11-02T06:00:00.000Z",
        restarts=3,
    ),
    Running("aci-prod-batch", "fetch-config", NOT_RESOLVABLE, started="2026-11-02T05:59:00.000Z", init=True),
    Running("aci-dev-web", "web", {"IMG001": ERROR, "IMG002": PASS, "IMG003": FAIL, "IMG004": PASS, "IMG005": FAIL}),
    Running(
        "aci-dev-web",
        "cli",
        {"IMG001": SKIPPED, "IMG002": SKIPPED, "IMG003": SKIPPED, "IMG004": FAIL, "IMG005": SKIPPED},
    ),
    Running("aci-dev-jobs", "jobs", every(ERROR)),
    Running("aci-dev-jobs", "proxy", UNSCANNED),
    Running("aci-dev-jobs", "uploader", NOT_RESOLVABLE),  # fabrikamtools.azurecr.io: not audited
    Running("aci-dev-debug", "debug", NOT_RESOLVABLE),  # ghcr.io
    Running("aci-dev-tools", "cli", NOT_RESOLVABLE),
    Running("aci-dev-tools", "agent", NOT_RESOLVABLE),
    Running("aci-dev-tools", "migrate", UNSCANNED, init=True, started="2026-11-10T07:58:00.000Z"),
)
# The ABAC registry's refusal is also one ERROR per check for the registry itself.
REGISTRY_ERRORS = dict.fromkeys(ALL, "contosomlacr")
# contoso-sandbox's Defender plans answer 403 (tools/scenarios/defender.py): IMG001 cannot say
# whether its registries are scanned, one ERROR for the subscription.
PLAN_ERRORS = {"IMG001": "contoso-sandbox"}


def expectations() -> dict[str, dict[Status, set[str]]]:
    table: dict[str, dict[Status, set[str]]] = {}
    for row in RUNNING:
        for code, status in row.expect.items():
            table.setdefault(code, {}).setdefault(status, set()).add(f"{row.group}/{row.container}")
    for code, name in (*REGISTRY_ERRORS.items(), *PLAN_ERRORS.items()):
        table[code].setdefault(ERROR, set()).add(name)
    return table


# ---------------------------------------------------------------------------------------- bodies


def _runs_from(group: Any, audited: set[str]) -> bool:
    """True for a usable group body with an image from one of the ``audited`` login servers."""
    if not isinstance(group, dict) or not isinstance(group.get("id"), str):
        return False
    props = group.get("properties")
    if not isinstance(props, dict):
        return False
    for container in [*(props.get("containers") or []), *(props.get("initContainers") or [])]:
        image = (container.get("properties") or {}).get("image") if isinstance(container, dict) else None
        try:
            if isinstance(image, str) and parse_image_reference(image).registry in audited:
                return True
        except ValueError:
            continue
    return False


def instance_view(group: dict[str, Any]) -> dict[str, Any]:
    """A container group as ``containerGroups.get`` returns it: the listed body with the group's
    and each container's ``instanceView``."""
    body: dict[str, Any] = json.loads(json.dumps(group))
    props = body["properties"]
    rows = {(r.group, r.container): r for r in RUNNING}
    for key, init in (("containers", False), ("initContainers", True)):
        for container in props.get(key) or []:
            row = rows.get((body["name"], container["name"]))
            started = row.started if row is not None else GROUP_STARTED
            state = "Terminated" if init else "Running"
            current: dict[str, Any] = {"state": state, "startTime": started, "detailStatus": ""}
            if init:
                current |= {"exitCode": 0, "finishTime": started, "detailStatus": "Completed"}
            container["properties"]["instanceView"] = {
                "restartCount": row.restarts if row is not None else 0,
                "currentState": current,
                "events": [],
            }
    props["instanceView"] = {"events": [], "state": "Running"}
    return body


def tag_body(image: Image) -> dict[str, Any]:
    attributes = {"deleteEnabled": True, "writeEnabled": True, "readEnabled": True, "listEnabled": True}
    return {
        "registry": image.registry,
        "imageName": image.repository,
        "tag": {
            "name": image.tag,
            "digest": image.tag_digest,
            "createdTime": image.created,
            "lastUpdateTime": image.tag_updated,
            "signed": False,
            "changeableAttributes": attributes,
        },
    }


def manifest_body(image: Image, manifest: str) -> dict[str, Any]:
    """``GET /acr/v1/{name}/_manifests/{digest}``: a single-platform manifest names its
    architecture and os; an image index lists its platform manifests under ``references`` (the
    REST spec's ManifestAttributesBase: "empty if this is a leaf manifest")."""
    attributes = {"deleteEnabled": True, "writeEnabled": True, "readEnabled": True, "listEnabled": True}
    platform: dict[str, Any] = {
        "architecture": "amd64",
        "os": "linux",
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
    }
    if image.platforms:
        platform = {
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "references": [{"digest": d, "architecture": arch, "os": system} for d, system, arch in image.platforms],
        }
    return {
        "registry": image.registry,
        "imageName": image.repository,
        "manifest": {
            "digest": manifest,
            "imageSize": 52_428_800 if not image.platforms else 743,
            "createdTime": image.created,
            "lastUpdateTime": image.created,
            **platform,
            "tags": [image.tag] if image.tag else [],
            "changeableAttributes": attributes,
        },
    }


def referrers_body(image: Image, manifest: str) -> dict[str, Any]:
    return {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": digest(f"{manifest} signature {n}"),
                "size": 728,
                "artifactType": NOTARY,
                "annotations": {"io.cncf.notary.x509chain.thumbprint#S256": "[]"},
            }
            for n in range(image.signatures)
        ],
    }


def _get(url: str, body: object, status: int = 200) -> dict[str, object]:
    return {"request": {"method": "GET", "url": url}, "response": {"status": status, "body": body}}


def _post(url: str, form: dict[str, str], body: object) -> dict[str, object]:
    return {"request": {"method": "POST", "url": url, "body": form}, "response": {"status": 200, "body": body}}


NOT_FOUND = {"errors": [{"code": "TAG_UNKNOWN", "message": "the specified tag does not exist", "detail": None}]}
UNAUTHORIZED = {
    "errors": [
        {
            "code": "UNAUTHORIZED",
            "message": "authentication required, visit https://aka.ms/acr/authorization for more information.",
            "detail": None,
        }
    ]
}


def registry_interactions(host: str, images: list[Image]) -> list[dict[str, object]]:
    """Everything the data plane of one registry answers: one exchange, a token per repository (of
    both actions the run reads it with, asked for before its first read), the reads."""
    base = f"https://{host}"
    refresh = f"replay-acr-refresh-{host}"
    out = [
        _post(
            f"{base}/oauth2/exchange?api-version={DATA_PLANE_API}",
            {"grant_type": "access_token", "service": host, "access_token": AAD_TOKEN_STAND_IN},
            {"refresh_token": refresh},
        )
    ]
    scopes: set[str] = set()

    def token(repository: str) -> None:
        scope = f"repository:{repository}:pull,metadata_read"
        if scope not in scopes:
            scopes.add(scope)
            form = {"grant_type": "refresh_token", "service": host, "scope": scope, "refresh_token": refresh}
            access = registry_access_token(host, repository, "pull,metadata_read")  # replay checks what it serves
            out.append(_post(f"{base}/oauth2/token?api-version={DATA_PLANE_API}", form, {"access_token": access}))

    for image in images:
        repo = quote(image.repository, safe="")
        token(image.repository)
        if image.refused:
            out.append(_get(f"{base}/acr/v1/{repo}/_tags/{image.tag}?api-version={DATA_PLANE_API}", UNAUTHORIZED, 401))
            continue
        manifest = image.digest
        if image.tag is not None:
            url = f"{base}/acr/v1/{repo}/_tags/{image.tag}?api-version={DATA_PLANE_API}"
            if image.tag_digest is None:
                out.append(_get(url, NOT_FOUND, 404))
            else:
                out.append(_get(url, tag_body(image)))
                manifest = manifest or image.tag_digest
        if manifest is None or (image.tag is not None and image.tag_digest is None):
            continue
        out.append(
            _get(
                f"{base}/acr/v1/{repo}/_manifests/{quote(manifest, safe='')}?api-version={DATA_PLANE_API}",
                manifest_body(image, manifest),
            )
        )
        out.append(
            _get(
                f"{base}/v2/{image.repository}/referrers/{manifest}?artifactType={NOTARY}",
                referrers_body(image, manifest),
            )
        )
    return out


def fixtures(out: Path, group_url: Callable[[str], str]) -> Iterator[tuple[str, str, list[dict[str, object]]]]:
    """(file name, description, interactions): the GET with instance view of every listed container
    group that runs an image from an audited registry (one file per subscription folder), and
    each registry's data plane. Reads the lists already written."""
    listings = [(path, json.loads(path.read_text())["interactions"]) for path in sorted(out.rglob("*.json"))]
    audited = {
        str(item["properties"]["loginServer"]).lower()
        for _, interactions in listings
        for interaction in interactions
        if "/Microsoft.ContainerRegistry/registries?" in interaction["request"]["url"]
        for item in (interaction["response"].get("body") or {}).get("value") or []
        if isinstance(item, dict) and isinstance(item.get("properties"), dict) and item["properties"].get("loginServer")
    }
    for listing, interactions in listings:
        views = []
        for interaction in interactions:
            body = interaction["response"].get("body")
            if "/containerGroups?" not in interaction["request"]["url"] or not isinstance(body, dict):
                continue
            for group in body.get("value") or []:
                if _runs_from(group, audited):
                    views.append(_get(group_url(group["id"]), instance_view(group)))
        if views:
            folder = listing.parent.relative_to(out)
            yield f"{folder}/containerinstance-views.json", "Each container group's GET, with its instance view.", views
    # Defender for Cloud's findings on the registries' images, always read through Resource Graph
    enabled = sorted(
        sub["subscriptionId"]
        for _, interactions in listings
        for interaction in interactions
        if urlsplit(interaction["request"]["url"]).path == "/subscriptions"
        for sub in interaction["response"]["body"]["value"]
        if sub["state"] == "Enabled"
    )
    yield from vulnerabilities.fixtures(enabled)
    by_registry: dict[str, list[Image]] = {}
    for image in IMAGES:
        by_registry.setdefault(image.registry, []).append(image)
    for host, images in sorted(by_registry.items()):
        yield (
            f"registries/{host.split('.')[0]}.json",
            f"The data plane of {host}: token exchange, tags, manifests and Notary Project signature referrers.",
            registry_interactions(host, images),
        )
