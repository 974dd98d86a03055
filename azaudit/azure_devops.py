"""Azure DevOps logging commands: failing findings as pipeline issues, the Markdown report as the
run summary. Used only when the CLI runs inside Azure Pipelines (``TF_BUILD=True``).

Tenant text in a command is neutralised twice: shown safely (:mod:`azaudit.render.escape`: no
``##vso``, no hidden character) and then escaped by the agent's own rules, so that it can neither
end the command's properties nor start a second line.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from azaudit.model import BaselineState, Severity, Status
from azaudit.render.escape import Output, neutralise
from azaudit.reports.gate import can_gate
from azaudit.reports.model import Report

# The agent keeps only the first ten or so errors and warnings of a step as issues and merely counts
# the rest (`_maxIssueCount = 10` in azure-pipelines-agent's ExecutionContext.AddIssue); the reports
# hold every finding.
ISSUES_PER_TYPE = 10
_MARKERS = {BaselineState.NEW: " new", BaselineState.NEWLY_ASSESSED: " newly assessed"}


def in_pipeline(environ: Mapping[str, str]) -> bool:
    return environ.get("TF_BUILD", "").lower() == "true"


def escape(text: str) -> str:
    """Escape a value for a ``##vso`` command, property or message. The agent
    (``CommandStringConvertor.Unescape``) decodes ``%3B`` ``%0D`` ``%0A`` ``%5D`` in properties and
    message alike, then ``%AZP25``; escaping runs in the reverse order, as azure-pipelines-task-lib's."""
    return text.replace("%", "%AZP25").replace("\r", "%0D").replace("\n", "%0A").replace(";", "%3B").replace("]", "%5D")


def _tenant(text: str) -> str:
    return escape(neutralise(text, Output.TEXT))


def issue_lines(report: Report, fail_on: Severity | None, per_type: int = ISSUES_PER_TYPE) -> list[str]:
    """``task.logissue`` lines: first a warning when the audit was incomplete (so that the agent's
    cap never drops it), then one per failing finding, an error when it gates (at or above
    ``--fail-on``, and new against a baseline) else a warning, at most ``per_type`` of each type
    counting that warning and a last one summarising the findings left out. Without ``fail_on``
    (``azaudit report`` without ``--fail-on``: nothing gates) every finding is a warning."""
    gating: list[str] = []
    other: list[str] = []
    failures = sorted(report.failures(), key=lambda f: (-f.severity.rank, f.code, f.resource_name))
    for finding in failures:
        gates = fail_on is not None and finding.severity >= fail_on and can_gate(report, finding)
        kind = "error" if gates else "warning"
        where = f"{finding.resource_name} ({finding.item})" if finding.item else finding.resource_name
        new = _MARKERS.get(finding.baseline, "") if finding.baseline is not None else ""
        message = f"{finding.code} [{finding.severity.label}{new}] {where}: {finding.message}"
        line = f"##vso[task.logissue type={kind};code={_tenant(finding.code)}]{_tenant(message)}"
        (gating if kind == "error" else other).append(line)
    lines = []
    if not report.complete:
        errors = sum(f.status is Status.ERROR for f in report.findings)
        lines.append(
            f"##vso[task.logissue type=warning]the audit is incomplete: {len(report.errors)} collection(s) failed, "
            f"{errors} finding(s) not assessed"
        )
    warning_room = per_type - len(lines)
    cut = len(gating) > per_type or len(other) > warning_room
    if cut:
        warning_room -= 1  # for the summary line, itself a warning
    lines += gating[:per_type] + other[:warning_room]
    if cut:
        hidden_gating = max(0, len(gating) - per_type)
        hidden_other = len(other) - len(other[:warning_room])
        lines.append(
            f"##vso[task.logissue type=warning]{hidden_gating + hidden_other} more failing finding(s) not listed "
            f"here ({hidden_gating} that fail the run, {hidden_other} that do not): see the reports"
        )
    return lines


def summary_line(markdown_path: Path) -> str:
    return f"##vso[task.uploadsummary]{escape(str(markdown_path.resolve()))}"
