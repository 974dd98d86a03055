"""Compare a run with an earlier report (``--baseline FILE``), so that a pipeline can adopt
azaudit on an estate with known findings and fail only on what is new.

A finding is the same problem from run to run when its check, resource and item (container,
variable, principal, secret name) are the same. Against a baseline, each failing finding is
``new`` or ``unchanged``, or ``newly-assessed`` when the baseline's report does not describe its
check (a check added by a newer azaudit, or one the baseline did not select): such a failure
is shown but never gates, so upgrading azaudit cannot fail a gated pipeline. The baseline's
failures whose check now passes on that resource are listed as fixed. A failure that merely
went unassessed (ERROR, or its resource not seen) is not called fixed. Gating counts new failures
only; an incomplete audit still never exits 0.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from azaudit.model import BaselineState, Finding, Status
from azaudit.reports.io import read
from azaudit.reports.model import BaselineSummary, Report


def load_baseline(path: Path) -> Report:
    return read(path, f"--baseline {path}")


def _state(finding: Finding, known: set[tuple[str, str, str]], baseline: Report) -> BaselineState:
    if finding.identity in known:
        return BaselineState.UNCHANGED
    if finding.code not in baseline.checks:
        return BaselineState.NEWLY_ASSESSED
    return BaselineState.NEW


def compare(report: Report, baseline: Report, source: str) -> Report:
    """``report`` with its failures marked new or unchanged and the baseline's fixed failures."""
    known = {f.identity for f in baseline.failures()}
    failing_now = {f.identity for f in report.failures()}
    passing_now = {(f.code, f.resource_id.lower()) for f in report.findings if f.status is Status.PASS}
    findings = tuple(
        msgspec.structs.replace(f, baseline=_state(f, known, baseline)) if f.status is Status.FAIL else f
        for f in report.findings
    )
    fixed = tuple(
        f
        for f in baseline.failures()
        if f.identity not in failing_now and (f.code, f.resource_id.lower()) in passing_now
    )
    summary = BaselineSummary(source=source, taken_at=baseline.run.started_at, fixed=fixed)
    return msgspec.structs.replace(report, findings=findings, baseline=summary)
