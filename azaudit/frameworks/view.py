"""The per-control view of a report: for each control of a framework, the checks that give
evidence for it, their counts of findings by status, and the control's status.

A pure function of the report's findings and checks (no I/O); every renderer shows its result.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Protocol, TypeVar

import msgspec

from azaudit.frameworks import Framework, load
from azaudit.model import CheckMeta, Finding, Status


class ControlStatus(enum.Enum):
    FAIL = "fail"  # a finding of one of its checks failed
    NOT_ASSESSED = "not assessed"  # no failure, but a finding could not be assessed (ERROR)
    PASS = "pass"  # noqa: S105 - its checks ran and neither failed nor errored
    NOT_RUN = "not run"  # azaudit has checks for it, none of which this run selected
    NOT_COVERED = "not covered by azaudit"  # no azaudit check gives evidence for it


class ReportLike(Protocol):
    @property
    def findings(self) -> Sequence[Finding]: ...

    @property
    def checks(self) -> Mapping[str, CheckMeta]: ...


ReportT = TypeVar("ReportT", bound=ReportLike)  # a report struct with a ``frameworks`` field


class CheckCounts(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    title: str
    ran: bool  # False: the check exists but this run did not select it
    passed: int = 0
    failed: int = 0
    not_assessed: int = 0  # ERROR findings
    skipped: int = 0
    note: str = ""  # why the check maps here when not through Azure Policy


class ControlView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    title: str
    domain: str
    status: ControlStatus
    checks: tuple[CheckCounts, ...] = ()


class FrameworkView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    title: str
    version: str
    source: str  # the URL of the initiative the mapping was derived from, at its commit
    summary: dict[str, int]  # control status value -> number of controls
    controls: tuple[ControlView, ...]  # the controls an azaudit check maps to
    not_covered: tuple[str, ...] = ()  # the ids of the controls no azaudit check maps to

    @property
    def label(self) -> str:
        return f"{self.title} {self.version}"


def control_status(counts: Sequence[CheckCounts]) -> ControlStatus:
    """Fail if any finding failed; not assessed if any errored and none failed; pass otherwise.
    A control no check maps to is not covered; one whose checks did not run is not run."""
    if not counts:
        return ControlStatus.NOT_COVERED
    ran = [c for c in counts if c.ran]
    if not ran:
        return ControlStatus.NOT_RUN
    if any(c.failed for c in ran):
        return ControlStatus.FAIL
    if any(c.not_assessed for c in ran):
        return ControlStatus.NOT_ASSESSED
    return ControlStatus.PASS


def framework_view(report: ReportLike, framework: Framework | str) -> FrameworkView:
    """The per-control view of ``report`` for ``framework`` (an id or a loaded framework)."""
    if isinstance(framework, str):
        framework = load(framework)
    by_check: dict[str, Counter[Status]] = {}
    for finding in report.findings:
        by_check.setdefault(finding.code, Counter())[finding.status] += 1
    controls: list[ControlView] = []
    not_covered: list[str] = []
    for control_id, control in framework.controls.items():
        if not control.checks:
            not_covered.append(control_id)
            continue
        counts = []
        for code in control.checks:
            meta = report.checks.get(code)
            tally = by_check.get(code, Counter())
            counts.append(
                CheckCounts(
                    code=code,
                    title=meta.title if meta else "",
                    ran=meta is not None,
                    passed=tally[Status.PASS],
                    failed=tally[Status.FAIL],
                    not_assessed=tally[Status.ERROR],
                    skipped=tally[Status.SKIPPED],
                    note=control.notes.get(code, ""),
                )
            )
        controls.append(
            ControlView(
                id=control_id,
                title=control.title,
                domain=control.domain,
                status=control_status(counts),
                checks=tuple(counts),
            )
        )
    summary = Counter(c.status.value for c in controls)
    summary[ControlStatus.NOT_COVERED.value] = len(not_covered)
    return FrameworkView(
        id=framework.id,
        title=framework.title,
        version=framework.version,
        source=framework.source.url,
        summary={status.value: summary[status.value] for status in ControlStatus},
        controls=tuple(controls),
        not_covered=tuple(not_covered),
    )


def framework_views(report: ReportLike, framework_ids: Sequence[str]) -> tuple[FrameworkView, ...]:
    return tuple(framework_view(report, framework_id) for framework_id in framework_ids)


def with_views(report: ReportT, framework_ids: Sequence[str]) -> ReportT:
    """``report`` carrying the per-control view of each framework in ``framework_ids`` (given
    none, the report as it is)."""
    if not framework_ids:
        return report
    if not isinstance(report, msgspec.Struct):
        raise TypeError("a report is a msgspec struct")
    return msgspec.structs.replace(report, frameworks=framework_views(report, framework_ids))
