"""Which findings can fail a run, and the exit code it earns, as documented in the README."""

from __future__ import annotations

import enum

import msgspec

from azaudit.model import BaselineState, Finding, Severity, Status
from azaudit.reports.model import Report, RunSettings


class ExitCode(enum.IntEnum):
    OK = 0  # no FAIL at or above --fail-on, and every check could see its data
    FINDINGS = 1  # at least one FAIL at or above --fail-on (with --baseline: one not in the baseline)
    ERROR = 2  # usage, config or auth error, or an incomplete audit without failing findings
    INTERRUPTED = 130  # Ctrl-C (SIGINT) before the audit finished: no report written
    TERMINATED = 143  # SIGTERM (a cancelled pipeline job) before the audit finished: no report written


def can_gate(report: Report, finding: Finding) -> bool:
    """Whether ``finding`` can fail a run: any FAIL, or only a new one against a baseline."""
    return finding.status is Status.FAIL and (report.baseline is None or finding.baseline is BaselineState.NEW)


def gating_failures(report: Report) -> tuple[Finding, ...]:
    return tuple(f for f in report.findings if can_gate(report, f))


def exit_code_for(report: Report, fail_on: Severity, exit_zero: bool = False) -> ExitCode:
    """A real finding takes precedence; a partial audit never exits 0 (unless ``exit_zero``,
    which the user asks for explicitly to get reports without gating)."""
    if exit_zero:
        return ExitCode.OK
    if any(f.severity >= fail_on for f in gating_failures(report)):
        return ExitCode.FINDINGS
    if not report.complete:
        return ExitCode.ERROR
    return ExitCode.OK


def with_fail_on(report: Report, fail_on: Severity | None) -> Report:
    """``report`` recording the severity that gates it; a command that does not gate (``azaudit
    report`` without ``--fail-on``) keeps the one the audit recorded."""
    if fail_on is None:
        return report
    settings = report.run.settings or RunSettings()
    recorded = msgspec.structs.replace(settings, fail_on=fail_on.value)
    return msgspec.structs.replace(report, run=msgspec.structs.replace(report.run, settings=recorded))
