"""The JSON report: the versioned document (:mod:`azaudit.reports.document`) that can be
re-rendered offline into any format; :mod:`azaudit.reports.io` reads it back.

``python -m azaudit.render.json_document`` writes its schema, ``azaudit/schemas/report-v1.schema.json``.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from typing import Any

import msgspec

from azaudit.model import Finding
from azaudit.render.escape import json_text
from azaudit.reports.document import ReportDocument, as_document
from azaudit.reports.model import Report

_SURROGATE = re.compile("[\ud800-\udfff]")


def render(report: Report) -> str:
    document = as_document(report)
    try:
        encoded = msgspec.json.encode(document)
    except UnicodeEncodeError:
        # A lone surrogate (a hostile answer's "\ud800") has no UTF-8 form: it becomes U+FFFD,
        # the replacement character, so that the report can still be written and read back.
        encoded = msgspec.json.encode(_well_formed(msgspec.to_builtins(document)))
    # Indented as bytes and decoded once, each intermediate dropped as soon as the next exists,
    # and the newline appended in place: a merged report of 100 shards is over a gigabyte of
    # text, and every copy held at once (compact bytes, compact text, indented text, text plus
    # newline) cost another.
    indented = msgspec.json.format(encoded, indent=2)
    del encoded
    text = indented.decode("utf-8")
    del indented
    text = json_text(text)
    text += "\n"
    return text


FINDINGS_PER_CHUNK = 1000
_FINDINGS_KEY = b'\n  "findings": []'  # the top-level key: nested keys are indented further


def chunks(report: Report) -> Iterator[str]:
    """The text of :func:`render`, in pieces of about a thousand findings: a report file is
    written (and the JSON report's SHA-256 taken) from them as they are made, instead of from
    the whole text, which at 10,000 resources is 130 MB held twice or more while it is made."""
    skeleton = msgspec.json.format(_encoded(msgspec.structs.replace(as_document(report), findings=())), indent=2)
    head, found, tail = skeleton.partition(_FINDINGS_KEY)
    if not found or not report.findings:
        yield render(report)
        return
    yield json_text((head + b'\n  "findings": [\n').decode("utf-8"))
    total = len(report.findings)
    for start in range(0, total, FINDINGS_PER_CHUNK):
        batch = report.findings[start : start + FINDINGS_PER_CHUNK]
        text = b",\n".join(_indented(finding) for finding in batch)
        text += b"\n" if start + len(batch) == total else b",\n"
        yield json_text(text.decode("utf-8"))
    yield json_text((b"  ]" + tail).decode("utf-8")) + "\n"


def _encoded(value: object) -> bytes:
    try:
        return msgspec.json.encode(value)
    except UnicodeEncodeError:  # a lone surrogate: U+FFFD, as render does for the whole document
        return msgspec.json.encode(_well_formed(msgspec.to_builtins(value)))


def _indented(finding: Finding) -> bytes:
    """One finding as it stands in the indented document: four spaces deeper than alone (JSON
    text has no raw line break inside a string, so every line break is the layout's)."""
    return b"    " + msgspec.json.format(_encoded(finding), indent=2).replace(b"\n", b"\n    ")


def _well_formed(value: object) -> object:
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_well_formed(k): _well_formed(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_well_formed(v) for v in value]
    return value


def json_schema() -> dict[str, object]:
    """The JSON Schema of the report document, derived from the types that write it."""
    schema = _clean_descriptions(msgspec.json.schema(ReportDocument))
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/azaudit/azaudit/blob/main/azaudit/schemas/report-v1.schema.json",
        "title": "azaudit report, schema version 1",
        **schema,
    }


def _clean_descriptions(node: object) -> Any:
    """Descriptions come from docstrings, whose indentation differs between msgspec releases and
    Python versions (3.13 strips it): normalise them so the published schema is the same everywhere."""
    if isinstance(node, dict):
        return {
            key: inspect.cleandoc(value)
            if key == "description" and isinstance(value, str)
            else _clean_descriptions(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_clean_descriptions(value) for value in node]
    return node


if __name__ == "__main__":
    import json
    from pathlib import Path

    target = Path(__file__).resolve().parents[1] / "schemas" / "report-v1.schema.json"
    target.write_text(json.dumps(json_schema(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {target}")
