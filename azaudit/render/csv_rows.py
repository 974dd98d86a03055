"""CSV for spreadsheets: one row per finding, with check metadata inline.

Every cell is tenant-safe (:mod:`azaudit.render.escape`): a cell that starts like a formula gets a
leading quote, hidden characters are shown, and a cell holding a comma, a semicolon (the separator
of spreadsheets in many locales), a quote or a line break is quoted.
"""

from __future__ import annotations

import re

from azaudit.render import frameworks
from azaudit.render.escape import Output, neutralise
from azaudit.reports.model import Report

COLUMNS = (
    "code", "name", "severity", "status", "service", "subscription", "subscription_id", "resource",
    "detail", "message", "resource_id", "resource_type", "recommendations", "mcsb", "suppressed_by",
    "baseline",
)  # fmt: skip


_QUOTED = re.compile('[,;"\n\r]')  # a cell holding one of these is quoted


def safe(value: object) -> str:
    """One cell: tenant text neutralised (formulas defused), quoted when it holds a separator."""
    text = neutralise(value, Output.CSV)
    if _QUOTED.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def _line(cells: tuple[object, ...]) -> str:
    return ",".join(safe(c) for c in cells) + "\n"


def render(report: Report) -> str:
    lines = [_line((*COLUMNS, *frameworks.csv_header(report.frameworks)))]
    controls: dict[str, dict[str, list[str]]] = {}
    for f in report.findings:
        meta = report.checks.get(f.code)
        row = (
            f.code,
            meta.name if meta else "",
            f.severity.label,
            f.status.value,
            meta.service if meta else "",
            report.subscription_name(f.subscription_id) if f.subscription_id else "",
            f.subscription_id,
            f.resource_name,
            f.item or "",
            f.message,
            f.resource_id,
            f.resource_type,
            " ".join(meta.recommendations) if meta else "",
            " ".join(meta.mcsb) if meta else "",
            f.suppressed_by or "",
            f.baseline.value if f.baseline is not None else "",
        )
        lines.append(_line((*row, *frameworks.csv_cells(report.frameworks, f.code, controls))))
    return "".join(lines)
