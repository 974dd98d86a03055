"""A collection note about the whole scope (Defender's findings read through Resource Graph, the
inventory listed through Resource Graph) names no resource: the reports print its message alone,
not a dangling ``: `` where the name would be."""

from __future__ import annotations

import msgspec
import pytest

from azaudit.inventory.coverage import CollectionNote, Dataset
from azaudit.render import Format, renderer
from tests.test_reports import fixed_report

SCOPE_NOTE = "image vulnerabilities: read through Azure Resource Graph"


@pytest.mark.parametrize(
    ("fmt", "expected", "dangling"),
    [
        (Format.TABLE, f"- note: {SCOPE_NOTE}", "note: : "),
        (Format.MARKDOWN, f"- {SCOPE_NOTE}", "- : "),
        (Format.HTML, f"<li>{SCOPE_NOTE}</li>", "<li>: "),
    ],
)
def test_a_note_without_a_resource_is_printed_without_a_name(fmt: Format, expected: str, dangling: str) -> None:
    scoped = CollectionNote(
        dataset=Dataset.IMAGE_VULNERABILITIES, subscription_id="", resource_id="", resource_name="", message=SCOPE_NOTE
    )
    report = fixed_report()
    report = msgspec.structs.replace(report, notes=(*report.notes, scoped))
    text = renderer(fmt)(report)
    assert expected in text
    assert dangling not in text
    assert "kv: a note" in text  # a note about one resource still names it
