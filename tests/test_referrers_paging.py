"""The Notary Project signature referrers of a digest may come in pages joined by ``Link:
<url>; rel="next"`` headers (OCI distribution spec): a signature on a later page counts, and a
paging loop is an ERROR for that image only, over a copy of the sample tenant replayed through
the real SDK."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from azure.keyvault.secrets._shared import http_challenge_cache

from azaudit.model import Status
from azaudit.registry_plane import MAX_LINK_HEADER, MAX_REFERRER_PAGES, ReferrersPagingError, next_link
from tests.conftest import SAMPLE_TENANT, audit_replay, names

REGISTRY = "contosoprodacr"
DIGEST = "sha256:4c1b8f2ad7e6a9c03b5d1e2f4a6b8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a1b"
PATH = f"/v2/orders/api/referrers/{DIGEST}"
FIRST = f"https://{REGISTRY}.azurecr.io{PATH}?artifactType=application/vnd.cncf.notary.signature"
# the second page, as a registry names it: a relative link with its own query
SECOND = f"{PATH}?artifactType=application%2Fvnd.cncf.notary.signature&n=1&last=sha256%3A{'5' * 64}"
SBOM = {
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": f"sha256:{'5' * 64}",
    "size": 512,
    "artifactType": "application/spdx+json",
}


def _split(tenant: Path, second_links_to: str | None) -> None:
    """Split the signed orders/api digest's referrers in two pages: a non-signature referrer on
    the first, the Notary Project signature on the second (which links to ``second_links_to``)."""
    file = tenant / "registries" / f"{REGISTRY}.json"
    document = json.loads(file.read_text())
    interactions: list[dict[str, Any]] = document["interactions"]
    first = next(i for i in interactions if i["request"]["url"] == FIRST)
    signature = first["response"]["body"]["manifests"]
    assert [m["artifactType"] for m in signature] == ["application/vnd.cncf.notary.signature"]
    first["response"]["body"] = {**first["response"]["body"], "manifests": [SBOM]}
    first["response"]["headers"] = {"Link": f'<{SECOND}>; rel="next"'}
    second: dict[str, Any] = {
        "request": {"method": "GET", "url": f"https://{REGISTRY}.azurecr.io{SECOND}"},
        "response": {"status": 200, "body": {**first["response"]["body"], "manifests": signature}},
    }
    if second_links_to is not None:
        second["response"]["headers"] = {"Link": f'<{second_links_to}>; rel="next"'}
    interactions.append(second)
    file.write_text(json.dumps(document, indent=2))


def _audit(tmp_path: Path, second_links_to: str | None) -> Any:
    tenant = tmp_path / "contoso"
    shutil.copytree(SAMPLE_TENANT, tenant)
    _split(tenant, second_links_to)
    http_challenge_cache.clear()
    return audit_replay(tenant)


def test_a_signature_on_the_second_page_counts(tmp_path: Path) -> None:
    findings = _audit(tmp_path, None).report.findings
    assert "aci-prod-api/api" in names(findings, "IMG003", Status.PASS)
    api = next(f for f in findings if f.code == "IMG003" and f.item == "api")
    assert "1 Notary Project signature(s)" in api.message


def test_a_paging_loop_is_an_error_for_that_image_only(tmp_path: Path) -> None:
    audit = _audit(tmp_path, FIRST)  # the second page links back to the first (absolute)
    findings = audit.report.findings
    assert "aci-prod-api/api" in names(findings, "IMG003", Status.ERROR)
    api = next(f for f in findings if f.code == "IMG003" and f.item == "api")
    assert "page already read" in api.message
    # the image itself is named as not assessed, and the audit went on with the others
    assert any(
        f.code == "IMG003" and f.status is Status.ERROR and f.resource_name.endswith("orders/api:2.4.1@" + DIGEST)
        for f in findings
    )
    assert "aci-dev-jobs/proxy" in names(findings, "IMG003", Status.PASS)
    assert "aci-dev-web/web" in names(findings, "IMG003", Status.FAIL)


def test_a_link_to_another_host_is_an_error(tmp_path: Path) -> None:
    findings = _audit(tmp_path, f"https://contosodevacr.azurecr.io{PATH}?n=2").report.findings
    api = next(f for f in findings if f.code == "IMG003" and f.item == "api")
    assert api.status is Status.ERROR and "another host" in api.message


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('</v2/a/referrers/d?n=1>; rel="next"', "/v2/a/referrers/d?n=1"),
        ("<https://r.azurecr.io/x>; rel=next", "https://r.azurecr.io/x"),
        ('<https://r/p>; rel="prev", <https://r/n>; type="x"; rel="next"', "https://r/n"),
        ('<https://r/p>; rel="prev"', None),
        ("", None),
        (None, None),
    ],
)
def test_next_link(header: str | None, expected: str | None) -> None:
    assert next_link(header) == expected


@pytest.mark.parametrize(
    "header",
    [
        "<" * 60_000,  # no ">": the old pattern's search took time growing with the square of this
        ";" * 60_000,
        "<x>" + ";" * 60_000 + "<",
        ('<https://r/p>; rel="prev", ' * 400)[: MAX_LINK_HEADER + 1],
    ],
)
def test_an_over_long_link_header_is_not_read_and_ends_the_paging(header: str) -> None:
    """A registry's Link header is read only up to a bound (the image is then an ERROR: its
    pages cannot be followed), so no answer can hold a lookup's thread, and every other thread,
    in the header's parsing."""
    with pytest.raises(ReferrersPagingError, match=f"over {MAX_LINK_HEADER} characters"):
        next_link(header)


@pytest.mark.parametrize("junk", ["<" * 4000, ";" * 4000, "<x>" + "; a=b" * 800, "<" + ";" * 4000])
def test_link_headers_within_the_bound_are_read_in_linear_time(junk: str) -> None:
    """Within the bound a hostile header is read without backtracking: as many characters of
    junk as the bound allows, then a real link, still found (a quadratic search of 8 KiB of '<'
    alone took seconds)."""
    header = (junk + ', </v2/a/referrers/d?n=2>; rel="next"')[-MAX_LINK_HEADER:]
    assert next_link(header) == "/v2/a/referrers/d?n=2"


def test_more_pages_than_the_limit_is_an_error(tmp_path: Path) -> None:
    """A registry that keeps naming new pages is not followed forever."""
    tenant = tmp_path / "contoso"
    shutil.copytree(SAMPLE_TENANT, tenant)
    _split(tenant, f"{PATH}?n=1&page=3")
    file = tenant / "registries" / f"{REGISTRY}.json"
    document = json.loads(file.read_text())
    for page in range(3, MAX_REFERRER_PAGES + 5):
        document["interactions"].append(
            {
                "request": {"method": "GET", "url": f"https://{REGISTRY}.azurecr.io{PATH}?n=1&page={page}"},
                "response": {
                    "status": 200,
                    "headers": {"Link": f'<{PATH}?n=1&page={page + 1}>; rel="next"'},
                    "body": {"schemaVersion": 2, "manifests": [SBOM]},
                },
            }
        )
    file.write_text(json.dumps(document, indent=2))
    http_challenge_cache.clear()
    api = next(f for f in audit_replay(tenant).report.findings if f.code == "IMG003" and f.item == "api")
    assert api.status is Status.ERROR and f"more than {MAX_REFERRER_PAGES} pages" in api.message


def test_a_recording_keeps_the_link_to_the_next_page(tmp_path: Path) -> None:
    """Replaying a recording of paged referrers follows the pages as the live run did."""
    tenant = tmp_path / "contoso"
    shutil.copytree(SAMPLE_TENANT, tenant)
    _split(tenant, None)
    http_challenge_cache.clear()
    recording = tmp_path / "recorded"
    audit_replay(tenant, record=recording)
    recorded = json.loads((recording / "registry-dataplane.json").read_text())
    links = [i["response"]["headers"] for i in recorded["interactions"] if "headers" in i["response"]]
    assert links == [{"Link": f'<https://{REGISTRY}.azurecr.io{SECOND}>; rel="next"'}]
    http_challenge_cache.clear()
    findings = audit_replay(recording).report.findings
    assert "aci-prod-api/api" in names(findings, "IMG003", Status.PASS)
