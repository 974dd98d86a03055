"""Renderers: pure functions from a :class:`~azaudit.reports.model.Report` to text; files are
written by :mod:`azaudit.finish`."""

from __future__ import annotations

import enum
from collections.abc import Callable

from azaudit.render import csv_rows, html, json_document, junit, markdown, ocsf, sarif, table
from azaudit.reports.model import Report

Renderer = Callable[[Report], str]


class Format(enum.Enum):
    """A report format, as ``--format`` and ``--report FORMAT=PATH`` name it."""

    TABLE = "table"
    MARKDOWN = "markdown"
    JSON = "json"
    SARIF = "sarif"
    JUNIT = "junit"
    CSV = "csv"
    HTML = "html"
    OCSF = "ocsf"


FORMATS: dict[str, Renderer] = {
    Format.TABLE.value: table.render,
    Format.MARKDOWN.value: markdown.render,
    Format.JSON.value: json_document.render,
    Format.SARIF.value: sarif.render,
    Format.JUNIT.value: junit.render,
    Format.CSV.value: csv_rows.render,
    Format.HTML.value: html.render,
    Format.OCSF.value: ocsf.render,
}


def renderer(name: str | Format) -> Renderer:
    key = name.value if isinstance(name, Format) else name
    try:
        return FORMATS[key]
    except KeyError:
        raise ValueError(f"unknown format {key!r}; choose from {', '.join(FORMATS)}") from None
