"""The check catalogue as data: ``azaudit checks -f json`` (one object per check, with the same
field names and values as the JSON report's ``checks``) and ``-f markdown`` (a table)."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

import msgspec

from azaudit.model import CheckMeta
from azaudit.render.escape import Output, neutralise

DOCS_URL = "docs/checks/{code}.md"  # a built-in check's page, relative to the repository


class CatalogueFormat(enum.Enum):
    """What ``azaudit checks --format`` accepts."""

    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"


FIELDS = (
    "code",
    "name",
    "title",
    "severity",
    "service",
    "resource_type",
    "applies_to",
    "requires",
    "mcsb",
    "policies",
    "origin",
    "docs",
)


def entry(meta: CheckMeta) -> dict[str, Any]:
    """One check, serialised as the JSON report serialises it (severity and datasets by name)."""
    data = msgspec.to_builtins(meta)
    return {name: data[name] for name in FIELDS}


def as_json(checks: Iterable[CheckMeta]) -> str:
    document = {"checks": [entry(meta) for meta in checks]}
    return msgspec.json.format(msgspec.json.encode(document), indent=2).decode() + "\n"


def _md(value: str) -> str:
    return neutralise(value, Output.MARKDOWN)


def as_markdown(checks: Iterable[CheckMeta]) -> str:
    lines = [
        "| code | name | severity | service | passes when | applies to | MCSB | Azure Policy definitions |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for meta in checks:
        code = f"[{meta.code}]({DOCS_URL.format(code=meta.code)})" if meta.builtin else _md(meta.code)
        cells = (
            code,
            _md(meta.name),
            meta.severity.label,
            _md(meta.service),
            _md(meta.title),
            _md(", ".join(meta.applies_to)) or "every resource",
            _md(", ".join(meta.mcsb)) or "-",
            str(len(meta.policies)) if meta.policies else "-",
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
