"""The HTML report: self-contained, strict Content-Security-Policy, tenant text shown as text, and,
in a real browser (Debian's chromium through Playwright), no console error and no request, filters
and sorting that work, and a PDF print."""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from azaudit.model import Finding, Severity, Status
from azaudit.render import FORMATS
from azaudit.reports.model import Report
from tests.conftest import audit_replay
from tests.test_reports import fixed_report

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--headless",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOSTILE = "<img src=x onerror=alert(1)></script><script>alert(2)</script>\u202e##vso[task.complete]"
# what a reader sees: the markup as text, the bidi override shown, the logging command defused
SHOWN = "<img src=x onerror=alert(1)></script><script>alert(2)</script><U+202E>**vso[task.complete]"


def hostile(report: Report) -> Report:
    """``report`` plus a failing finding whose name, item and message an attacker wrote."""
    first = report.findings[0]
    planted = Finding(
        code=first.code,
        status=Status.FAIL,
        severity=Severity.CRITICAL,
        resource_id=first.resource_id + "/" + HOSTILE,
        resource_name=HOSTILE,
        resource_type=first.resource_type,
        subscription_id=first.subscription_id,
        message=f"message {HOSTILE}",
        item='" onmouseover="alert(3)',
    )
    return msgspec.structs.replace(report, findings=(*report.findings, planted))


def test_tenant_text_is_escaped_and_nothing_is_fetched() -> None:
    text = FORMATS["html"](hostile(fixed_report()))
    assert "<img" not in text and "&lt;img src=x onerror=alert(1)&gt;&lt;/script&gt;&lt;script&gt;" in text
    assert text.count("<script") == 1 and text.count("</script>") == 1  # only azaudit's own script
    assert "&#34; onmouseover=&#34;alert(3)" in text  # quotes cannot leave an attribute or a cell
    assert "##vso" not in text and "\u202e" not in text and "&lt;U+202E&gt;" in text
    # nothing loaded from anywhere: no src, no stylesheet link; links are plain anchors
    assert not re.search(r"<[a-z]+[^>]*\s(src|srcset|data)=", text, re.IGNORECASE)
    assert "<link" not in text and "@import" not in text and "url(" not in text


def test_csp_allows_exactly_the_inline_style_and_script() -> None:
    text = FORMATS["html"](fixed_report())
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', text)
    assert policy is not None
    directives = dict(d.strip().split(" ", 1) for d in policy.group(1).split(";"))
    assert directives["default-src"] == "'none'"
    for tag, directive in (("style", "style-src"), ("script", "script-src")):
        body = re.search(rf"<{tag}>(.*?)</{tag}>", text, re.S)
        assert body is not None
        digest = base64.b64encode(hashlib.sha256(body.group(1).encode("utf-8")).digest()).decode()
        assert directives[directive] == f"'sha256-{digest}'"


# ---------------------------------------------------------------------------- in a real browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.skip("chromium is not installed (.ci/run installs Debian's chromium; apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")), args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Report]:
    report = hostile(audit_replay().report)
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(FORMATS["html"](report), encoding="utf-8")
    return path, report


def _row_text(report: Report, f: Finding) -> tuple[str, ...]:
    """What a row of the findings table shows."""
    where = report.subscription_name(f.subscription_id)
    return (f.severity.label, f.status_text, f.code, where, f.resource_name, f.resource_id, f.item or "", f.message)


def _shown(page: Any) -> int:
    return int(page.locator("#findings-table tbody tr:not([hidden])").count())


def test_in_a_browser_loads_filters_sorts_and_prints(browser: Any, report_file: tuple[Path, Report]) -> None:
    path, report = report_file
    page = browser.new_page()
    problems: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")

    total = len(report.findings)
    assert _shown(page) == total
    assert page.locator("#shown").inner_text() == f"{total} of {total} findings shown"
    assert page.locator("img").count() == 0  # the hostile name stayed text
    assert SHOWN in page.locator("#findings-table").inner_text()

    page.select_option("select[data-filter=status]", "FAIL")
    failing = sum(1 for f in report.findings if f.status is Status.FAIL)
    assert _shown(page) == failing
    page.select_option("select[data-filter=severity]", "critical")
    critical = sum(1 for f in report.findings if f.status is Status.FAIL and f.severity is Severity.CRITICAL)
    assert _shown(page) == critical
    page.select_option("select[data-filter=severity]", "")
    page.select_option("select[data-filter=status]", "")
    page.fill("input[data-filter=text]", "contosolegacyacr")
    legacy = sum(1 for f in report.findings if "contosolegacyacr" in " ".join(_row_text(report, f)).lower())
    assert 0 < _shown(page) == legacy < total
    page.fill("input[data-filter=text]", "")
    page.select_option("select[data-filter=check]", "ACR001")
    assert _shown(page) == sum(1 for f in report.findings if f.code == "ACR001")
    page.select_option("select[data-filter=check]", "")
    assert _shown(page) == total

    page.click("button[data-sort=severity]")  # ascending: info/low first
    ranks = page.eval_on_selector_all("#findings-table tbody tr", "rows => rows.map(r => Number(r.dataset.rank))")
    assert ranks == sorted(ranks) and ranks[0] < ranks[-1]
    page.click("button[data-sort=severity]")  # descending
    ranks = page.eval_on_selector_all("#findings-table tbody tr", "rows => rows.map(r => Number(r.dataset.rank))")
    assert ranks == sorted(ranks, reverse=True)
    page.click("button[data-sort=check]")
    codes = page.eval_on_selector_all("#findings-table tbody tr", "rows => rows.map(r => r.dataset.check)")
    assert codes == sorted(codes, key=str.lower)

    pdf = page.pdf()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    assert requests == [path.as_uri()], "the page fetched nothing but itself"
    assert problems == []
    page.close()
