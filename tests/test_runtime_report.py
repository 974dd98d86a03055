"""What runs where: the report's ``runtime`` block (JSON) and its section in the Markdown and HTML
reports, over the sample tenant (replayed through the real SDKs) and hand-made reports."""

from __future__ import annotations

import datetime as dt
import json
import re

import msgspec
import pytest
from markdown_it import MarkdownIt

from azaudit.audit import Audit
from azaudit.inventory.common import Subscription
from azaudit.render import Format, renderer
from azaudit.reports.io import load
from azaudit.reports.merge import merge_reports
from azaudit.reports.model import Report
from azaudit.reports.runtime import RunningContainer, running_containers
from tests.conftest import CANARY_MARK, NOW, audit_replay
from tests.test_checks_images import AFTER, BEFORE, FOUND, REGISTRY, _inventory
from tests.test_reports import fixed_report

NOT_AUDITED = "not resolvable: registry {} not audited"
REFUSED = "not assessed: registry contosomlacr refused: HTTP 401"
GONE = "not assessed: the image is no longer in its registry"
MOVED = "not assessed: the tag was updated after the container started"

# (group, container): signature, drift, age in days, the reason given for the digest (None: known)
EXPECTED: dict[tuple[str, str], tuple[str, str, int | None, str | None]] = {
    ("aci-prod-api", "api"): ("signed", "current", 25, None),
    ("aci-prod-api", "migrate"): ("signed", "current", 25, None),
    ("aci-prod-worker", "worker"): ("unknown", "unknown", None, NOT_AUDITED.format("docker.io")),
    ("aci-prod-worker", "sidecar"): ("unknown", "unknown", None, NOT_AUDITED.format("mcr.microsoft.com")),
    ("aci-prod-batch", "batch"): ("unknown", "moved", None, MOVED),
    ("aci-prod-batch", "fetch-config"): ("unknown", "unknown", None, NOT_AUDITED.format("docker.io")),
    ("aci-dev-web", "web"): ("unsigned", "current", 267, None),
    ("aci-dev-web", "cli"): ("unknown", "unknown", None, GONE),
    ("aci-dev-jobs", "jobs"): ("unknown", "unknown", None, REFUSED),
    ("aci-dev-jobs", "proxy"): ("signed", "current", 19, None),
    ("aci-dev-jobs", "uploader"): ("unknown", "unknown", None, NOT_AUDITED.format("fabrikamtools.azurecr.io")),
    ("aci-dev-debug", "debug"): ("unknown", "unknown", None, NOT_AUDITED.format("ghcr.io")),
    ("aci-dev-tools", "cli"): ("unknown", "unknown", None, None),  # pinned by digest, from MCR
    ("aci-dev-tools", "agent"): ("unknown", "unknown", None, NOT_AUDITED.format("registry.contoso.example:5000")),
    ("aci-dev-tools", "migrate"): ("signed", "current", 23, None),
}


def _severities(critical: int = 0, high: int = 0, medium: int = 0, low: int = 0) -> dict[str, int]:
    return {"critical": critical, "high": high, "medium": medium, "low": low, "unknown": 0}


# Defender for Cloud's findings on contoso-prod's running digests: (all, with a fix available)
VULNERABILITIES = {
    ("aci-prod-api", "api"): (_severities(high=1, medium=1, low=1), _severities(medium=1)),
    ("aci-prod-api", "migrate"): (_severities(critical=1, high=2, medium=1), _severities(critical=1, high=2)),
}
# contoso-dev's registry images are not scanned: Defender for Containers' scanning extension is off.
UNSCANNED = {("aci-dev-web", "web"), ("aci-dev-jobs", "proxy"), ("aci-dev-tools", "migrate")}
DEV_UNSCANNED = (
    "the ContainerRegistriesVulnerabilityAssessments extension of Defender for Containers is off in subscription "
    "contoso-dev (and Defender CSPM's is not on), so Defender for Cloud does not scan its registries' images (DEF001)"
)


def _by_container(report: Report) -> dict[tuple[str, str], RunningContainer]:
    assert report.runtime is not None
    return {(c.container_group, c.container): c for c in report.runtime}


def test_the_sample_tenant_lists_every_container_with_its_states(sample_audit: Audit) -> None:
    entries = _by_container(sample_audit.report)
    assert set(entries) == set(EXPECTED)
    for key, (signature, drift, age, digest_reason) in EXPECTED.items():
        entry = entries[key]
        assert (entry.signature, entry.drift, entry.age_days) == (signature, drift, age), key
        if digest_reason is None:
            assert entry.digest is not None and entry.digest.startswith("sha256:"), key
            assert "digest" not in entry.not_assessed, key
        else:
            assert entry.digest is None and entry.not_assessed["digest"].startswith(digest_reason), key
        if key in VULNERABILITIES:
            assert entry.vulnerabilities == VULNERABILITIES[key][0], key
            assert entry.fixable_vulnerabilities == VULNERABILITIES[key][1], key
            assert "vulnerabilities" not in entry.not_assessed, key
        else:  # never a count where Defender's findings do not apply: the reason
            assert entry.vulnerabilities is None and entry.not_assessed["vulnerabilities"].startswith("not "), key
            if key in UNSCANNED:
                assert entry.not_assessed["vulnerabilities"] == "not assessed: " + DEV_UNSCANNED, key
        judged = {"signature": signature != "unknown", "drift": drift != "unknown", "age": age is not None}
        for aspect, known in judged.items():
            assert (aspect not in entry.not_assessed) is known, (key, aspect)
    assert entries[("aci-prod-batch", "fetch-config")].init
    assert entries[("aci-prod-api", "api")].signatures == 1 and entries[("aci-dev-web", "web")].signatures == 0
    assert "Container Registry Repository Reader" in entries[("aci-dev-jobs", "jobs")].not_assessed["signature"]
    assert entries[("aci-prod-batch", "batch")].tag_updated == dt.datetime(2026, 11, 20, 3, tzinfo=dt.UTC)
    assert (
        not entries[("aci-dev-tools", "cli")].registry_audited
        and entries[("aci-dev-tools", "migrate")].registry_audited
    )


def test_markdown_and_html_show_what_runs_where(sample_audit: Audit) -> None:
    markdown = renderer(Format.MARKDOWN)(sample_audit.report)
    section = markdown.split("## What runs where", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| contoso-")]
    assert len(rows) == len(EXPECTED)
    api = next(r for r in rows if "| aci-prod-api | api |" in r)
    assert (
        "| signed (1) | no | 25 days (pushed 2026-10-30) | 1 high, 1 medium, 1 low (fix available: 1 medium) |" in api
    )
    migrate = next(r for r in rows if "| aci-prod-api | migrate (init) |" in r)
    assert "| 1 critical, 2 high, 1 medium (fix available: 1 critical, 2 high) |" in migrate
    web = next(r for r in rows if "| aci-dev-web | web |" in r)
    assert "| not assessed: " + DEV_UNSCANNED + " |" in web
    batch = next(r for r in rows if "| aci-prod-batch | batch |" in r)
    assert "tag moved 2026-11-20" in batch and "digest, signature, age: " + MOVED in batch
    assert "| fetch-config (init) |" in markdown
    html = renderer(Format.HTML)(sample_audit.report)
    assert '<section id="runtime">' in html and "<td>unsigned</td>" in html
    assert "<td>267 days (pushed 2026-03-02)</td>" in html


def test_the_runtime_block_survives_azaudit_report(sample_audit: Audit) -> None:
    text = renderer(Format.JSON)(sample_audit.report)
    assert json.loads(text)["runtime"][0]["not_assessed"]
    again = load(text, "report.json")
    assert again.runtime == sample_audit.report.runtime
    assert "## What runs where" in renderer(Format.MARKDOWN)(again)


@pytest.mark.parametrize("fmt", [Format.JSON, Format.MARKDOWN, Format.HTML])
def test_the_canary_never_appears(sample_audit: Audit, fmt: Format) -> None:
    assert CANARY_MARK not in renderer(fmt)(sample_audit.report)
    assert CANARY_MARK not in msgspec.json.encode(sample_audit.report.runtime).decode()


def test_a_run_without_image_checks_has_no_runtime_block() -> None:
    report = audit_replay(select=("ACR001",)).report
    assert report.runtime is None
    assert "runtime" not in json.loads(renderer(Format.JSON)(report))
    assert "What runs where" not in renderer(Format.MARKDOWN)(report)
    assert 'id="runtime"' not in renderer(Format.HTML)(report)


def test_no_container_group_says_so() -> None:
    report = msgspec.structs.replace(fixed_report(), runtime=())
    assert "No container group in the audited scope runs a container." in renderer(Format.MARKDOWN)(report)
    assert json.loads(renderer(Format.JSON)(report))["runtime"] == []


def _entry(subscription: str, container: str) -> RunningContainer:
    return RunningContainer(
        subscription_id=subscription,
        container_group="g",
        container_group_id=f"/subscriptions/{subscription}/resourceGroups/rg/providers/x/g",
        container=container,
        image="ghcr.io/a/b:1",
        registry="ghcr.io",
        not_assessed={"vulnerabilities": "not assessed: vulnerability data not collected"},
    )


def test_merged_reports_concatenate_their_runtime_entries() -> None:
    first = msgspec.structs.replace(fixed_report(), runtime=(_entry("s-1", "a"),))
    other_run = msgspec.structs.replace(
        first.run, subscriptions=(Subscription(subscription_id="s-2", display_name="dev", state="Enabled"),)
    )
    second = msgspec.structs.replace(first, run=other_run, runtime=(_entry("s-2", "b"), _entry("s-2", "c")))
    merged = merge_reports([("one.json", first), ("two.json", second)])
    assert merged.runtime is not None and [c.container for c in merged.runtime] == ["a", "b", "c"]
    without = msgspec.structs.replace(second, runtime=None)
    assert merge_reports([("one.json", first), ("two.json", without)]).runtime == (_entry("s-1", "a"),)
    plain = msgspec.structs.replace(first, runtime=None)
    assert merge_reports([("one.json", plain), ("two.json", without)]).runtime is None


HOSTILE_IMAGE = (
    "evil.example/x:1<img src=x onerror=alert(1)>|`q`[l](https://evil.example)\u202e##vso[task.setvariable variable=X]1"
)
HOSTILE_CONTAINER = "c|<script>alert(1)</script>\x1b[2J"


def test_hostile_image_and_container_names_are_text() -> None:
    entry = msgspec.structs.replace(
        _entry("s-1", HOSTILE_CONTAINER),
        image=HOSTILE_IMAGE,
        digest="sha256:`evil`|<b>",
        not_assessed={"signature": "not assessed: registry said <b>|no|</b>\u2066"},
    )
    report = msgspec.structs.replace(fixed_report(), runtime=(entry,))
    markdown = renderer(Format.MARKDOWN)(report)
    html_of_markdown = MarkdownIt("commonmark").enable("table").render(markdown)
    assert "<img" not in html_of_markdown and "<script" not in html_of_markdown and "<b>" not in html_of_markdown
    assert 'href="https://evil.example' not in html_of_markdown
    table = re.findall(r"<table>.*?</table>", html_of_markdown, re.S)[-1]
    header_cells = len(re.findall(r"<th[ >]", table.split("</tr>")[0]))
    assert all(row.count("<td") == header_cells for row in re.findall(r"<tr>.*?</tr>", table, re.S)[1:])
    html = renderer(Format.HTML)(report)
    assert "<img" not in html and html.count("<script") == 1 and "<b>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    for text in (markdown, html):
        assert "\u202e" not in text and "\u2066" not in text and "\x1b" not in text
        assert "##vso" not in text and "U+202E" in text


def test_hand_made_inventories_name_what_is_not_assessed() -> None:
    (no_start,) = running_containers(_inventory("acrone1.azurecr.io/web:1.0", FOUND, None), NOW)
    assert no_start.drift == "unknown" and no_start.digest is None
    assert no_start.not_assessed["drift"] == "not assessed: the instance view gives no start time"
    assert set(no_start.not_assessed) == {"digest", "signature", "drift", "age", "vulnerabilities"}

    (moved,) = running_containers(_inventory("acrone1.azurecr.io/web:1.0", FOUND, BEFORE), NOW)
    assert (moved.drift, moved.signature, moved.digest) == ("moved", "unknown", None)

    (current,) = running_containers(_inventory("acrone1.azurecr.io/web:1.0", FOUND, AFTER), NOW)
    assert (current.drift, current.signature, current.age_days) == ("current", "unsigned", 23)
    assert set(current.not_assessed) == {"vulnerabilities"}

    other = "sha256:" + "c" * 64
    pinned = _inventory(
        f"acrone1.azurecr.io/web:1.0@{other}", {**FOUND, "signatures": 1, "manifest_digest": other}, AFTER
    )
    artifact = msgspec.structs.replace(pinned.image_artifacts[0], id=f"{REGISTRY.id}/images/web:1.0@{other}")
    (entry,) = running_containers(msgspec.structs.replace(pinned, image_artifacts=(artifact,)), NOW)
    # pinned by digest: the digest it runs is known although its tag now names another image
    assert (entry.drift, entry.digest, entry.signature, entry.signatures) == ("moved", other, "signed", 1)

    refusal = {"failure": "HTTP 403", "refused_by": "registry"}
    (refused,) = running_containers(_inventory("acrone1.azurecr.io/web:1.0", refusal, AFTER), NOW)
    assert refused.not_assessed["signature"] == "not assessed: registry acrone1 refused: HTTP 403"


@pytest.mark.parametrize(
    ("failure", "said"),
    [
        # azaudit's own guard refused: the registry was never asked (it said "registry acrone1 refused")
        (
            {
                "failure": "refused GET https://acrone1.azurecr.io/v2/web/blobs/x: never downloaded",
                "refused_by": "azaudit",
            },
            "not assessed: azaudit's own guard refused a read from registry acrone1: refused GET "
            "https://acrone1.azurecr.io/v2/web/blobs/x: never downloaded",
        ),
        # nobody refused: the registry could not be reached, or answered unusably
        (
            {"failure": "could not reach the service: timed out"},
            "not assessed: registry acrone1 could not be read: could not reach the service: timed out",
        ),
    ],
)
def test_a_failed_read_says_who_refused_it(failure: dict[str, str], said: str) -> None:
    (entry,) = running_containers(_inventory("acrone1.azurecr.io/web:1.0", failure, AFTER), NOW)
    assert entry.not_assessed["signature"] == said
