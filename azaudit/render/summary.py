"""The one summary line of a report: under the table, or on stderr when the report goes elsewhere."""

from __future__ import annotations

from azaudit.model import Status
from azaudit.reports.model import Report


def summary_line(report: Report) -> str:
    by_status = report.count_by_status()
    failing = report.count_failures_by_severity()
    severities = ", ".join(f"{failing[s]} {s.label}" for s in sorted(failing, reverse=True)) or "none"
    statuses = ", ".join(f"{by_status.get(s, 0)} {s.value.lower()}" for s in Status)
    subs = f"{len(report.run.subscriptions)} subscription(s)"
    if report.run.shard:
        subs += f" (shard {report.run.shard})"
    elif report.run.merged_from:
        subs += f" (merged from {report.run.merged_from} reports)"
    coverage = "complete" if report.complete else f"INCOMPLETE: {len(report.errors)} collection(s) not assessed"
    baseline = f"; baseline: {report.baseline_counts()}" if report.baseline is not None else ""
    return (
        f"{statuses} (failures by severity: {severities}); "
        f"{subs}, {len(report.checks)} check(s), {report.run.requests} request(s); coverage {coverage}{baseline}"
    )
