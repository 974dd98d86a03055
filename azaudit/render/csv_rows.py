"""CSV for spreadsheets: one row per finding, with check metadata inline."""

from __future__ import annotations

import csv
import io

from azaudit.report import Report

COLUMNS = (
    "code", "name", "severity", "status", "service", "subscription", "subscription_id", "resource",
    "detail", "message", "resource_id", "resource_type", "recommendations", "mcsb", "suppressed_by",
    "baseline",
)  # fmt: skip


def safe(value: str) -> str:
    """Neutralise spreadsheet formulas: a cell starting with = + - @ (or a tab/CR) is prefixed
    with a quote so that opening the file never runs it."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def render(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
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
        writer.writerow([safe(str(v)) for v in row])
    return out.getvalue()
