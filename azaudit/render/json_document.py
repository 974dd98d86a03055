"""The JSON report: a versioned document that can be re-rendered offline into any format.

Schema: ``azaudit/schemas/report-v1.schema.json``; :mod:`azaudit.reports.io` reads it back.
``schema_version`` changes only when a field is removed or changes meaning; new optional fields
keep the version.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import msgspec

from azaudit.frameworks.view import FrameworkView
from azaudit.inventory.coverage import CollectionError, CollectionNote
from azaudit.model import CheckMeta, Finding
from azaudit.render.escape import json_text
from azaudit.reports.model import BaselineSummary, Report, RunInfo
from azaudit.reports.runtime import RunningContainer

SCHEMA_VERSION = 1
_SURROGATE = re.compile("[\ud800-\udfff]")


class ReportDocument(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    schema_version: int
    tool: str
    run: RunInfo
    checks: dict[str, CheckMeta]
    findings: tuple[Finding, ...]
    errors: tuple[CollectionError, ...] = ()
    notes: tuple[CollectionNote, ...] = ()
    baseline: BaselineSummary | None = None
    # --framework: the per-control views; absent (not empty) without the option
    frameworks: tuple[FrameworkView, ...] | msgspec.UnsetType = msgspec.UNSET
    # what runs where: each container, its image's digest, signature, drift and age; absent when
    # the run did not read the running images (no image check selected)
    runtime: tuple[RunningContainer, ...] | msgspec.UnsetType = msgspec.UNSET


def render(report: Report) -> str:
    document = ReportDocument(
        schema_version=SCHEMA_VERSION,
        tool="azaudit",
        run=report.run,
        checks=report.checks,
        findings=report.findings,
        errors=report.errors,
        notes=report.notes,
        baseline=report.baseline,
        frameworks=report.frameworks or msgspec.UNSET,
        runtime=msgspec.UNSET if report.runtime is None else report.runtime,
    )
    try:
        encoded = msgspec.json.encode(document)
    except UnicodeEncodeError:
        # A lone surrogate (a hostile answer's "\ud800") has no UTF-8 form: it becomes U+FFFD,
        # the replacement character, so that the report can still be written and read back.
        encoded = msgspec.json.encode(_well_formed(msgspec.to_builtins(document)))
    return json_text(msgspec.json.format(encoded.decode("utf-8"), indent=2)) + "\n"


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
