"""A registry lookup that fails for any reason other than the registry's 401/403 is an ERROR for
that image only, never the end of the audit: a request the run's own guards refuse (a referrers
page linked to a blob, which the secret guard refuses, a redirect to another host, a page served
before)
or an unusable answer. And what the registry said in its error answer (the Docker Registry HTTP
API v2 / OCI ``{"errors": [...]}`` body) is the reason given, bounded. Over copies of the sample
tenant replayed through the real SDKs."""

from __future__ import annotations

import base64
import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from azaudit.cli import app
from azaudit.model import Finding, Status
from azaudit.registry_plane import (
    MAX_ERROR_BODY,
    MAX_ERROR_MESSAGE,
    UNREADABLE_EXPIRY_SECONDS,
    _expiry,
    registry_errors,
)
from azaudit.reports.runtime import running_containers
from tests.conftest import CANARY_MARK, NOW, SAMPLE_TENANT, audit_replay, names

REGISTRY = "contosoprodacr"
DIGEST = "sha256:4c1b8f2ad7e6a9c03b5d1e2f4a6b8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a1b"
MANIFEST = f"https://{REGISTRY}.azurecr.io/acr/v1/orders%2Fapi/_manifests/{DIGEST.replace(':', '%3A')}"
REFERRERS = f"https://{REGISTRY}.azurecr.io/v2/orders/api/referrers/{DIGEST}"
IMAGE_CHECKS = ("IMG002", "IMG003", "IMG004", "IMG005")


def _tenant(tmp_path: Path, change: Callable[[list[dict[str, Any]]], None] | None = None) -> Path:
    """A copy of the sample tenant whose prod registry's interactions ``change`` edits."""
    tenant = tmp_path / "contoso"
    shutil.copytree(SAMPLE_TENANT, tenant)
    if change is not None:
        file = tenant / "registries" / f"{REGISTRY}.json"
        document = json.loads(file.read_text())
        change(document["interactions"])
        file.write_text(json.dumps(document, indent=2))
    return tenant


def _answer(interactions: list[dict[str, Any]], url_prefix: str) -> dict[str, Any]:
    return next(i["response"] for i in interactions if i["request"]["url"].startswith(url_prefix))


def _api(findings: tuple[Finding, ...], code: str) -> Finding:
    return next(f for f in findings if f.code == code and f.resource_name == "aci-prod-api" and f.item == "api")


def _others_still_judged(findings: tuple[Finding, ...]) -> None:
    """The audit went on: the other registries' images were judged as in the sample tenant."""
    assert "aci-dev-web/web" in names(findings, "IMG003", Status.FAIL)
    assert "aci-dev-jobs/proxy" in names(findings, "IMG003", Status.PASS)
    assert "aci-dev-web/cli" in names(findings, "IMG004", Status.FAIL)


# ---------------------------------------------------------------------------------------- guards


def _blob_named_repository(tmp_path: Path) -> Path:
    """The prod API group runs ``orders/blobs/uploads``: a valid repository name (anyone who can
    push may choose it) whose referrers path, ``/v2/orders/blobs/uploads/referrers/{digest}``,
    the secret guard once read as a blob upload and refused."""
    tenant = _tenant(tmp_path)
    for file in tenant.rglob("*.json"):
        text = file.read_text()
        changed = text.replace("orders/api", "orders/blobs/uploads").replace("orders%2Fapi", "orders%2Fblobs%2Fuploads")
        if changed != text:
            file.write_text(changed)
    return tenant


def test_a_repository_named_like_a_blob_route_is_judged_like_any_other(tmp_path: Path) -> None:
    """Its tag, manifest and referrers are metadata reads: judged as ``orders/api`` is in the
    sample tenant (it was ERROR: the guard refused its referrers read)."""
    audit = audit_replay(_blob_named_repository(tmp_path))
    findings = audit.report.findings
    for code in IMAGE_CHECKS:
        assert _api(findings, code).status is Status.PASS, code
    _others_still_judged(findings)
    assert not [e for e in audit.inventory.errors if "orders/blobs/uploads" in e.resource_name]


def _blob_link(tmp_path: Path) -> Path:
    """The referrers answer links its next page to a blob of the repository: the secret guard
    refuses that read before it is sent."""

    def link(interactions: list[dict[str, Any]]) -> None:
        blob = f"https://{REGISTRY}.azurecr.io/v2/orders/api/blobs/{DIGEST}"
        _answer(interactions, REFERRERS)["headers"] = {"Link": f'<{blob}>; rel="next"'}

    return _tenant(tmp_path, link)


def test_a_request_the_secret_guard_refuses_is_an_error_for_that_image_only(tmp_path: Path) -> None:
    audit = audit_replay(_blob_link(tmp_path))
    findings = audit.report.findings
    assert _api(findings, "IMG003").status is Status.ERROR
    for code in IMAGE_CHECKS:
        finding = _api(findings, code)
        assert finding.status is Status.ERROR, code
        assert "registry contosoprodacr could not be read" in finding.message
        assert "never downloaded" in finding.message  # the guard's own reason
    _others_still_judged(findings)
    assert not audit.report.complete
    errors = [e for e in audit.inventory.errors if e.resource_name.endswith("orders/api:2.4.1@" + DIGEST)]
    assert len(errors) == 1 and "never downloaded" in errors[0].reason
    # the "what runs where" section says the refusal was azaudit's, not the registry's
    entries = running_containers(audit.inventory, NOW)
    (api,) = [r for r in entries if (r.container_group, r.container) == ("aci-prod-api", "api")]
    assert api.not_assessed["signature"].startswith(
        "not assessed: azaudit's own guard refused a read from registry contosoprodacr: refused GET"
    )


def test_the_cli_finishes_the_report_and_exits_non_zero(tmp_path: Path) -> None:
    """Before, the refusal ended the run: ``azaudit: refused GET ...`` and exit 2, no report."""
    tenant = _blob_link(tmp_path)
    report = tmp_path / "report.json"
    args = ["subscription", "--replay", str(tenant), "--select", "IMG", "-q", "-f", "json", "-o", str(report)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code not in (0, None), result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    document = json.loads(report.read_text())
    statuses = {(f["code"], f["resource_name"], f["item"]): f["status"] for f in document["findings"]}
    assert statuses[("IMG003", "aci-prod-api", "api")] == "ERROR"
    assert statuses[("IMG003", "aci-dev-web", "web")] == "FAIL"
    assert CANARY_MARK not in result.stdout + result.stderr + report.read_text()


def test_a_page_already_served_is_an_error_for_that_image(tmp_path: Path) -> None:
    """The referrers answer links its next page to the manifest read just before: the transport's
    paging guard refuses it (the referrers' own check only knows referrers pages)."""

    def loop(interactions: list[dict[str, Any]]) -> None:
        _answer(interactions, REFERRERS)["headers"] = {"Link": f'<{MANIFEST}?api-version=2021-07-01>; rel="next"'}

    findings = audit_replay(_tenant(tmp_path, loop)).report.findings
    api = _api(findings, "IMG003")
    assert api.status is Status.ERROR
    assert "already served" in api.message and "registry contosoprodacr could not be read" in api.message
    _others_still_judged(findings)


def test_a_redirect_to_another_host_is_an_error_for_that_image(tmp_path: Path) -> None:
    """The manifest read answers 307 to a storage host: the token never goes there."""

    def redirect(interactions: list[dict[str, Any]]) -> None:
        answer = _answer(interactions, MANIFEST)
        answer.clear()
        answer.update(
            {"status": 307, "headers": {"Location": "https://contosoprod.blob.core.windows.net/x"}, "body": None}
        )

    audit = audit_replay(_tenant(tmp_path, redirect))
    findings = audit.report.findings
    api = _api(findings, "IMG005")
    assert api.status is Status.ERROR
    assert "refused to send a request" in api.message and "contosoprod.blob.core.windows.net" in api.message
    _others_still_judged(findings)
    assert not audit.report.complete


@pytest.mark.parametrize("payload", ["W10", "Ingi"], ids=["a-list", "a-string"])
def test_a_registry_token_whose_payload_is_not_an_object_is_used_as_one_of_unknown_expiry(
    tmp_path: Path, sample_audit: Any, payload: str
) -> None:
    """The refresh token's JWT payload is ``[]`` or ``"x"`` (base64url): the SDK's expiry reader
    raised AttributeError, which no caller expected (every image of the registry ended as "not
    asked"). The token is kept for the unreadable-expiry time instead, and the images are judged."""
    token = f"header.{payload}.signature"

    def odd_token(interactions: list[dict[str, Any]]) -> None:
        for interaction in interactions:
            request, body = interaction["request"], interaction["response"].get("body")
            if request["url"].startswith(f"https://{REGISTRY}.azurecr.io/oauth2/exchange"):
                body["refresh_token"] = token
            elif request["url"].startswith(f"https://{REGISTRY}.azurecr.io/oauth2/token"):
                request["body"]["refresh_token"] = token

    audit = audit_replay(_tenant(tmp_path, odd_token))
    mine = {(f.code, f.item): (f.status, f.message) for f in audit.report.findings if f.resource_name == "aci-prod-api"}
    before = {
        (f.code, f.item): (f.status, f.message)
        for f in sample_audit.report.findings
        if f.resource_name == "aci-prod-api"
    }
    assert mine == before
    assert [e for e in audit.report.errors if e.resource_name != "aci-prod-api"] == [
        e for e in sample_audit.report.errors if e.resource_name != "aci-prod-api"
    ]


def test_a_registry_token_expiry_that_is_not_a_finite_time_is_unreadable() -> None:
    """``exp`` 1e400 is infinity to the JSON reader: the token would be kept for ever."""
    payload = base64.urlsafe_b64encode(b'{"exp": 1e400}').decode().rstrip("=")
    before = time.time()
    assert before < _expiry(f"h.{payload}.s") <= time.time() + UNREADABLE_EXPIRY_SECONDS


TAG = f"https://{REGISTRY}.azurecr.io/acr/v1/orders%2Fapi/_tags/2.4.1"


@pytest.mark.parametrize(
    ("url", "key", "value", "said"),
    [
        (TAG, "tag", None, "the registry's tag answer holds no tag object"),
        (TAG, "tag", {"name": 5, "digest": {"a": 1}}, "its digest is an object, not a string"),
        (TAG, "tag", {"digest": DIGEST, "lastUpdateTime": "yesterday"}, "its lastUpdateTime is not an ISO 8601"),
        (MANIFEST, "manifest", None, "the registry's manifest answer holds no manifest object"),
        (MANIFEST, "manifest", {"createdTime": 5}, "its createdTime is a number, not a string"),
        (
            MANIFEST,
            "manifest",
            {"references": {"digest": DIGEST}},
            "its references is an object, not a list of objects",
        ),
        (MANIFEST, "manifest", {"references": [{"digest": 7}]}, "its digest is a number, not a string"),
        (MANIFEST, "manifest", {"references": [{"digest": DIGEST, "os": ["linux"]}]}, "its os is a list, not a string"),
    ],
    ids=["tag-null", "tag-fields-of-other-types", "tag-time", "manifest-null", "created", "refs", "ref-digest", "os"],
)
def test_a_registry_answer_of_the_wrong_shape_is_an_error_naming_why(
    tmp_path: Path, url: str, key: str, value: Any, said: str
) -> None:
    """A tag or manifest answer the strict readers refuse (the SDK's models raised AttributeError
    on some; a null manifest, or a platform list of another type, read as an image without
    platforms): the image is ERROR for what its registry answered, not "the registry was not
    asked", and the audit goes on."""

    def odd(interactions: list[dict[str, Any]]) -> None:
        _answer(interactions, url)["body"][key] = value

    audit = audit_replay(_tenant(tmp_path, odd))
    api = _api(audit.report.findings, "IMG005")
    assert api.status is Status.ERROR
    assert "could not be read" in api.message and said in api.message
    _others_still_judged(audit.report.findings)


# ---------------------------------------------------------------------------------------- what ACR said


def test_what_the_registry_said_is_the_reason(sample_audit: Any) -> None:
    by_item = {(f.code, f.resource_name, f.item): f.message for f in sample_audit.report.findings}
    # the deleted tag's 404 and the ABAC registry's 401, as the sample registries answer them
    deleted = by_item[("IMG004", "aci-dev-web", "cli")]
    assert "(the registry said TAG_UNKNOWN: the specified tag does not exist)" in deleted
    refused = by_item[("IMG003", "aci-dev-jobs", "jobs")]
    assert "HTTP 401: the registry said UNAUTHORIZED: authentication required" in refused
    assert "Container Registry Repository Reader" in refused and "Catalog Lister" not in refused
    # the "not assessed" list joins an error's status and reason once, not twice
    described = [e.describe() for e in sample_audit.report.errors if e.dataset.value == "registry-images"]
    assert any("(HTTP 401: the registry said UNAUTHORIZED" in d for d in described), described
    assert not [d for d in described + list(by_item.values()) if "HTTP 401: HTTP 401" in d]


def test_an_error_answer_names_its_code_and_spares_the_other_images(tmp_path: Path) -> None:
    """The referrers read answers 404 NAME_UNKNOWN after the manifest was found: not a missing
    image (IMG004 judges tag and manifest), an ERROR that says what the registry said."""
    hostile = "x\u202eevil\n" + "A" * 500 + CANARY_MARK

    def broken(interactions: list[dict[str, Any]]) -> None:
        answer = _answer(interactions, REFERRERS)
        answer.clear()
        errors = [{"code": "NAME_UNKNOWN", "message": hostile, "detail": {"secret": CANARY_MARK}}] * 5
        answer.update({"status": 404, "body": {"errors": errors}})

    audit = audit_replay(_tenant(tmp_path, broken))
    api = _api(audit.report.findings, "IMG003")
    assert api.status is Status.ERROR
    assert "HTTP 404: the registry said NAME_UNKNOWN: x evil AAA" in api.message and "(and 2 more)" in api.message
    assert "\u202e" not in api.message and "\n" not in api.message and CANARY_MARK not in api.message
    _others_still_judged(audit.report.findings)


# ---------------------------------------------------------------------------------------- the parser


class _Answer:
    def __init__(self, body: bytes | None) -> None:
        self.content = body


def _said(body: Any) -> str | None:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return registry_errors(_Answer(raw))


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown", "detail": {"Tag": "x"}}]},
            "MANIFEST_UNKNOWN: manifest unknown",
        ),
        (
            {"errors": [{"code": "NAME_UNKNOWN", "message": "repository name not known to registry"}]},
            "NAME_UNKNOWN: repository name not known to registry",
        ),
        (
            {"errors": [{"code": "DENIED", "message": "a"}, {"code": "UNAUTHORIZED", "message": "b"}]},
            "DENIED: a; UNAUTHORIZED: b",
        ),
        ({"errors": [{"code": "DENIED"}]}, "DENIED"),
        ({"errors": [{"code": "not a code!", "message": "m"}]}, "m"),  # a code that is not one is dropped
        ({"errors": [{"code": 7, "message": ["m"]}]}, None),
        ({"errors": [{"code": "X", "message": "m"}] * 7}, "X: m; X: m; X: m (and 4 more)"),
        ({"errors": "DENIED"}, None),
        ({"error": {"code": "AuthorizationFailed", "message": "m"}}, None),  # ARM's shape: not the registry's
        ([], None),
        (b"<html>502 Bad Gateway</html>", None),
        (b"", None),
        (b'{"errors": [' * 5000 + b"]" * 5000 + b"}", None),
    ],
)
def test_registry_errors(body: Any, expected: str | None) -> None:
    assert _said(body) == expected


def test_registry_errors_is_bounded() -> None:
    said = _said({"errors": [{"code": "DENIED", "message": "\x1b[31m" + "word " * 200 + "\u200b"}]})
    assert said is not None and said.startswith("DENIED: [31mword word")
    assert len(said) <= len("DENIED: ") + MAX_ERROR_MESSAGE and said.endswith("...") and "\x1b" not in said
    padded = json.dumps({"errors": [{"code": "DENIED", "message": "m"}], "pad": "x" * MAX_ERROR_BODY}).encode()
    assert registry_errors(_Answer(padded)) is None  # too large to be an error answer: not parsed
    assert registry_errors(None) is None and registry_errors(_Answer(None)) is None
