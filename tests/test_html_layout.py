"""The HTML report of the sample tenant stays within a 1280-pixel window: the 'what runs where'
table (eleven columns, image references with 64-character digests) wraps its cells instead of
making the whole page scroll sideways."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from azaudit.audit import Audit
from azaudit.render import FORMATS
from tests.test_html_report import browser

__all__ = ["browser"]  # the Chromium fixture, shared with the HTML report's browser test


def test_the_page_never_scrolls_sideways(browser: Any, tmp_path: Path, sample_audit: Audit) -> None:
    path = tmp_path / "report.html"
    path.write_text(FORMATS["html"](sample_audit.report), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    assert page.locator("#runtime table").count() == 1
    scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert scroll <= client, f"the page is {scroll}px wide in a {client}px window"
    page.close()
