"""The 'what runs where' section introduces every column it shows: a compliance reader must learn
from the text above the table that the vulnerabilities column is Defender for Cloud's findings."""

from __future__ import annotations

import re

import pytest

from azaudit.audit import Audit
from azaudit.render import Format, renderer


@pytest.mark.parametrize(
    ("fmt", "heading"), [(Format.MARKDOWN, "## What runs where"), (Format.HTML, "What runs where</h2>")]
)
def test_the_runtime_section_says_where_its_vulnerability_counts_come_from(
    sample_audit: Audit, fmt: Format, heading: str
) -> None:
    text = renderer(fmt)(sample_audit.report)
    section = text.split(heading, 1)[1]
    intro = re.split(r"\n\| subscription |<table", section, maxsplit=1)[0]
    assert "vulnerabilities" in section[len(intro) : len(intro) + 400]
    assert "Defender for Cloud's vulnerability findings" in intro
    assert "fix available" in intro
