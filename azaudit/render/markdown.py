"""The Markdown report for compliance readers: what was checked, what failed, why it matters, how
to fix it, what could not be assessed, and which recommendation and MCSB control each check serves.

Plain CommonMark plus GitHub-style tables: it renders in Azure DevOps (wiki and run summary) and
GitHub alike. Every value placed in a table cell or a list item is escaped (:func:`md`): tenant
text can hold HTML, links, pipes or logging commands, and must render as the text it is.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from azaudit.frameworks import present
from azaudit.model import CheckMeta, Finding, Severity, Status
from azaudit.recommendations import MANUAL_ITEMS, RECOMMENDATIONS
from azaudit.render.escape import Output, neutralise
from azaudit.reports.model import Report

STATUSES = (Status.FAIL, Status.ERROR, Status.PASS, Status.SKIPPED)
_PLAIN_ID = re.compile(r"^[A-Za-z0-9._:/-]+$")


class Raw(str):
    """Markdown azaudit wrote itself (a code span around a known id): placed in a cell as it is."""


NONE = Raw("-")


def md(text: object) -> str:
    """Text that renders as itself inline: in a table cell (no pipe, no line break) or a list item."""
    return neutralise(text, Output.MARKDOWN)


def code(text: str) -> str:
    """An id as a code span when it is a plain id; anything else as escaped text (a backtick
    would end the span, and escapes do not work inside one)."""
    return f"`{text}`" if _PLAIN_ID.match(text) else md(text)


def cell(value: object) -> str:
    return value if isinstance(value, Raw) else md(value)


def table(headers: tuple[str, ...], rows: list[tuple[object, ...]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _where(report: Report, finding: Finding) -> str:
    return report.subscription_name(finding.subscription_id) if finding.subscription_id else NONE


def _counts(findings: list[Finding]) -> tuple[int, ...]:
    counter = Counter(f.status for f in findings)
    return tuple(counter.get(s, 0) for s in STATUSES)


def _header(report: Report) -> list[str]:
    run = report.run
    subs = ", ".join(f"{md(s.name)} ({code(s.subscription_id)})" for s in run.subscriptions) or "none"
    failures = report.failures()
    by_severity = Counter(f.severity for f in failures)
    verdict = (
        f"**{len(failures)} failing finding(s)**: "
        + ", ".join(f"{by_severity[s]} {s.label}" for s in sorted(by_severity, reverse=True))
        + "."
        if failures
        else "**No failing finding.**"
    )
    coverage = (
        "Every check could see all of its data."
        if report.complete
        else f"**The audit is incomplete**: {len(report.errors)} collection(s) failed; see *Not assessed*."
    )
    parts = []
    if run.management_groups:
        parts.append(f"- Management group(s): {', '.join(code(g) for g in run.management_groups)}")
    if run.shard:
        parts.append(
            f"- Shard {run.shard}: this report covers one slice of the audited subscriptions; "
            "`azaudit report` merges every shard's JSON report into the whole"
        )
    if run.merged_from:
        parts.append(f"- Merged from {run.merged_from} job reports")
    if report.baseline is not None:
        taken = report.baseline.taken_at.isoformat(timespec="seconds")
        parts.append(
            f"- Baseline: {code(report.baseline.source)} (audit of {taken}): {md(report.baseline_counts())}; "
            "only new failures gate"
        )
    return [
        "# azaudit report",
        "",
        f"- Scope: {len(run.subscriptions)} subscription(s): {subs}",
        *parts,
        f"- Tenant: {md(run.tenant_id or 'unknown')}; cloud: {md(run.cloud)}; source: {md(run.source)}",
        f"- Time: {run.started_at.isoformat(timespec='seconds')} to {run.finished_at.isoformat(timespec='seconds')}",
        f"- Tool: azaudit {run.tool_version}, {len(report.checks)} check(s), {run.requests} request(s)",
        "",
        "## Summary",
        "",
        f"{verdict} {coverage}",
        "",
    ]


def _summary_tables(report: Report) -> list[str]:
    severity_rows: list[tuple[object, ...]] = []
    for severity in sorted(Severity, reverse=True):
        findings = [f for f in report.findings if f.severity is severity]
        if findings:
            severity_rows.append((severity.label, *_counts(findings)))
    by_service: dict[str, list[Finding]] = defaultdict(list)
    for f in report.findings:
        meta = report.checks.get(f.code)
        by_service[meta.service if meta else "?"].append(f)
    by_subscription: dict[str, list[Finding]] = defaultdict(list)
    for f in report.findings:
        by_subscription[_where(report, f)].append(f)
    headers = ("fail", "error", "pass", "skipped")
    return [
        "### By severity",
        "",
        table(("severity", *headers), severity_rows),
        "",
        "### By service",
        "",
        table(("service", *headers), [(name, *_counts(items)) for name, items in sorted(by_service.items())]),
        "",
        "### By subscription",
        "",
        table(("subscription", *headers), [(name, *_counts(items)) for name, items in sorted(by_subscription.items())]),
        "",
    ]


def _coverage(report: Report) -> list[str]:
    lines = ["## Not assessed", ""]
    if not report.errors and not report.notes:
        return [*lines, "Nothing: every collection succeeded.", ""]
    if report.errors:
        rows: list[tuple[object, ...]] = [
            (
                report.subscription_name(e.subscription_id) if e.subscription_id else "every subscription",
                e.dataset.value,
                e.resource_name or e.resource_id or "(whole subscription)",
                f"HTTP {e.status_code}" if e.status_code else NONE,
                e.reason,
            )
            for e in report.errors
        ]
        affected = sorted({f.code for f in report.findings if f.status is Status.ERROR})
        lines += [
            "These collections failed; the checks that needed them report ERROR for exactly that scope "
            f"({', '.join(affected) or 'none'}), never PASS.",
            "",
            table(("subscription", "data", "resource", "status", "reason"), rows),
            "",
        ]
    if report.notes:
        lines += ["Notes on how data was collected:", ""]
        lines += [f"- {md(n.resource_name)}: {md(n.message)}" for n in report.notes]
        lines.append("")
    return lines


def _fixed(report: Report) -> list[str]:
    if report.baseline is None or not report.baseline.fixed:
        return []
    rows: list[tuple[object, ...]] = [
        (f.code, f.severity.label, f.resource_name, f.item or "", f.message) for f in report.baseline.fixed
    ]
    return [
        "## Fixed since the baseline",
        "",
        "Failing in the baseline; the check now passes on the resource.",
        "",
        table(("check", "severity", "resource", "detail", "finding then"), rows),
        "",
    ]


def _check_section(report: Report, meta: CheckMeta, findings: list[Finding]) -> list[str]:
    shown = [f for f in findings if f.status in (Status.FAIL, Status.ERROR)]
    fails, errors, passes, skips = _counts(findings)
    rows: list[tuple[object, ...]] = [
        (f.status_text, _where(report, f), f.resource_name, f.item or "", f.message) for f in shown
    ]
    lines = [
        f"### {meta.code} {meta.name}: {meta.title}",
        "",
        f"Severity **{meta.severity.label}** · service {meta.service} · recommendations "
        f"{', '.join(f'`{r}`' for r in meta.recommendations)} · MCSB {', '.join(meta.mcsb) or '-'} · "
        f"{fails} fail, {errors} error, {passes} pass, {skips} skipped",
        "",
        table(("status", "subscription", "resource", "detail", "finding"), rows),
        "",
        f"**Why it matters.** {meta.docs.why}",
        "",
        "**How to fix.**",
        "",
        meta.docs.fix,
        "",
    ]
    suppressed = [f for f in findings if f.suppressed_by]
    if suppressed:
        lines += ["Suppressed:", ""]
        lines += [f"- {md(f.resource_name)}: {md(f.suppressed_by)}" for f in suppressed]
        lines.append("")
    return lines


def _findings(report: Report) -> list[str]:
    by_code: dict[str, list[Finding]] = defaultdict(list)
    for f in report.findings:
        by_code[f.code].append(f)
    lines = ["## Findings", ""]
    failing = [
        code for code in report.checks if any(f.status in (Status.FAIL, Status.ERROR) for f in by_code.get(code, []))
    ]
    failing.sort(key=lambda code: (-report.checks[code].severity.rank, code))
    if not failing:
        return [*lines, "No check failed or lacked data.", ""]
    for code in failing:
        lines += _check_section(report, report.checks[code], by_code[code])
    return lines


def _recommendations(report: Report) -> list[str]:
    rows: list[tuple[object, ...]] = []
    for rec_id, title in RECOMMENDATIONS.items():
        codes = [code for code, meta in report.checks.items() if rec_id in meta.recommendations]
        findings = [f for f in report.findings if f.code in codes]
        fails, errors, passes, _ = _counts(findings)
        result = "not checked" if not codes else ("failing" if fails else ("incomplete" if errors else "met"))
        rows.append((Raw(f"`{rec_id}`"), title, ", ".join(codes) or NONE, result))
    lines = [
        "## Recommendations coverage",
        "",
        table(("id", "recommendation", "checks", "result"), rows),
        "",
        "### Manual items",
        "",
        "These parts of the recommendations cannot be verified from the Azure control plane; review them by hand.",
        "",
    ]
    for rec_id, items in MANUAL_ITEMS.items():
        lines += [f"- [ ] `{rec_id}`: {item}" for item in items]
    return [*lines, ""]


def _checks_run(report: Report) -> list[str]:
    by_code: dict[str, list[Finding]] = defaultdict(list)
    for f in report.findings:
        by_code[f.code].append(f)
    rows: list[tuple[object, ...]] = [
        (meta.code, meta.name, meta.severity.label, meta.title, *_counts(by_code.get(code, [])))
        for code, meta in report.checks.items()
    ]
    custom = [f"- `{code}` from {meta.origin}" for code, meta in report.checks.items() if not meta.builtin]
    if custom:
        custom = ["Custom checks (installed plugins, not part of azaudit):", "", *custom, ""]
    return [
        "## Checks that ran",
        "",
        table(("code", "name", "severity", "passes when", "fail", "error", "pass", "skipped"), rows),
        "",
        *custom,
    ]


def render(report: Report) -> str:
    parts = [
        *_header(report),
        *_summary_tables(report),
        *_coverage(report),
        *_findings(report),
        *_fixed(report),
        *present.markdown(report.frameworks),
        *_recommendations(report),
        *_checks_run(report),
    ]
    return "\n".join(parts).rstrip() + "\n"
