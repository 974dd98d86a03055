"""Renderers: pure functions from a :class:`~azaudit.reports.model.Report` to text; files are
written by :mod:`azaudit.finish`."""

from __future__ import annotations

import enum
from collections.abc import Callable

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


# Each renderer's module is imported when a report is first rendered in its format: HTML and
# Markdown bring jinja2, the table rich, and a command that writes JSON (or prints its help)
# needs neither.


def _table(report: Report) -> str:
    from azaudit.render.table import render

    return render(report)


def _markdown(report: Report) -> str:
    from azaudit.render.markdown import render

    return render(report)


def _json_document(report: Report) -> str:
    from azaudit.render.json_document import render

    return render(report)


def _sarif(report: Report) -> str:
    from azaudit.render.sarif import render

    return render(report)


def _junit(report: Report) -> str:
    from azaudit.render.junit import render

    return render(report)


def _csv_rows(report: Report) -> str:
    from azaudit.render.csv_rows import render

    return render(report)


def _html(report: Report) -> str:
    from azaudit.render.html import render

    return render(report)


def _ocsf(report: Report) -> str:
    from azaudit.render.ocsf import render

    return render(report)


FORMATS: dict[str, Renderer] = {
    Format.TABLE.value: _table,
    Format.MARKDOWN.value: _markdown,
    Format.JSON.value: _json_document,
    Format.SARIF.value: _sarif,
    Format.JUNIT.value: _junit,
    Format.CSV.value: _csv_rows,
    Format.HTML.value: _html,
    Format.OCSF.value: _ocsf,
}


def renderer(name: str | Format) -> Renderer:
    key = name.value if isinstance(name, Format) else name
    try:
        return FORMATS[key]
    except KeyError:
        raise ValueError(f"unknown format {key!r}; choose from {', '.join(FORMATS)}") from None
