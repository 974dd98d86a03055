"""Renderers: pure functions from a :class:`~azaudit.reports.model.Report` to text. The CLI owns files."""

from __future__ import annotations

from collections.abc import Callable

from azaudit.render import csv_rows, json_document, junit, markdown, sarif, table
from azaudit.reports.model import Report

Renderer = Callable[[Report], str]

FORMATS: dict[str, Renderer] = {
    "table": table.render,
    "markdown": markdown.render,
    "json": json_document.render,
    "sarif": sarif.render,
    "junit": junit.render,
    "csv": csv_rows.render,
}


def renderer(name: str) -> Renderer:
    try:
        return FORMATS[name]
    except KeyError:
        raise ValueError(f"unknown format {name!r}; choose from {', '.join(FORMATS)}") from None
