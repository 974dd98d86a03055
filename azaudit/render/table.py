"""The terminal table: findings grouped by severity, then a coverage list and a summary."""

from __future__ import annotations

from tabulate import tabulate

from azaudit.frameworks import present
from azaudit.model import Finding, Severity, Status
from azaudit.render.escape import Output, neutralise
from azaudit.reports.model import Report

SHOWN = (Status.FAIL, Status.ERROR)


def _text(value: str) -> str:
    """Tenant text for the terminal: no escape sequence, bidi override or logging command."""
    return neutralise(value, Output.TEXT)


def _where(finding: Finding) -> str:
    name = _text(finding.resource_name)
    return f"{name} ({_text(finding.item)})" if finding.item else name


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


def render(report: Report) -> str:
    blocks: list[str] = []
    for severity in sorted(Severity, reverse=True):
        rows = [
            (f.code, f.status_text, _text(report.subscription_name(f.subscription_id)), _where(f), _text(f.message))
            for f in report.findings
            if f.severity is severity and f.status in SHOWN
        ]
        if rows:
            rows.sort(key=lambda r: (not r[1].startswith(Status.FAIL.value), r[0], r[2], r[3]))
            blocks.append(f"{severity.label.upper()} ({len(rows)})")
            blocks.append(
                tabulate(
                    rows,
                    headers=("check", "status", "subscription", "resource", "finding"),
                    maxcolwidths=[None, None, 24, 40, 80],
                )
            )
    passed = [f for f in report.findings if f.status in (Status.PASS, Status.SKIPPED)]
    if passed:
        per_check: dict[str, list[int]] = {}
        for f in passed:
            counts = per_check.setdefault(f.code, [0, 0])
            counts[0 if f.status is Status.PASS else 1] += 1
        rows2 = [(code, report.checks[code].title, p, s) for code, (p, s) in sorted(per_check.items())]
        blocks.append("PASSED AND SKIPPED")
        blocks.append(tabulate(rows2, headers=("check", "title", "passed", "skipped")))
    if report.errors or report.notes:
        blocks.append("NOT ASSESSED")
        lines = [
            f"- {_text(report.subscription_name(e.subscription_id))}: {_text(e.describe())}" for e in report.errors
        ]
        lines += [f"- note: {_text(n.resource_name)}: {_text(n.message)}" for n in report.notes]
        blocks.append("\n".join(lines))
    blocks += present.table(report.frameworks)
    blocks.append(summary_line(report))
    return "\n\n".join(blocks) + "\n"
