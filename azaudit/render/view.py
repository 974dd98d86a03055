"""What a reader of the Markdown and HTML reports sees, as data: a pure function of a
:class:`~azaudit.reports.model.Report`. Both templates (``templates/markdown``, ``templates/html``)
render this one view, so the two formats cannot drift apart.

Values here are plain, unescaped text: the template environments (:mod:`azaudit.render.templating`)
neutralise every value they place, whatever its origin. A report section is one template per
format, named in :data:`SECTIONS`; adding a section is adding its data here and its two templates.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import importlib.metadata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from azaudit.frameworks.view import FrameworkView
from azaudit.model import BaselineState, CheckMeta, Finding, Severity, Status
from azaudit.recommendations import MANUAL_ITEMS, RECOMMENDATIONS
from azaudit.render import json_document
from azaudit.reports.model import ExceptionEntry, Report, RunSettings
from azaudit.reports.runtime import NO_VULNERABILITY_DATA, RunningContainer, vulnerability_summary

# The sections of both reports, in order; each is templates/<format>/<name>.<suffix>.j2.
SECTIONS = (
    "summary",
    "counts",
    "not_assessed",
    "findings",
    "passing",
    "runtime",
    "fixed",
    "frameworks",
    "exceptions",
    "guidance",
    "configuration",
    "checks",
    "integrity",
)
STATUSES = (Status.FAIL, Status.ERROR, Status.PASS, Status.SKIPPED)
TOP_RISKS = 5
FALLBACK_SOURCE = "https://github.com/azaudit/azaudit"


def project_url() -> str:
    """The project's source URL, from the installed package's metadata (pyproject ``[project.urls] Source``)."""
    try:
        urls = importlib.metadata.metadata("azaudit").get_all("Project-URL") or []
    except importlib.metadata.PackageNotFoundError:
        urls = []
    for entry in urls:
        label, _, url = str(entry).partition(",")
        if label.strip().lower() == "source" and url.strip():
            return url.strip().rstrip("/")
    return FALLBACK_SOURCE


@dataclass(frozen=True)
class Counts:
    fail: int = 0
    error: int = 0
    passed: int = 0
    skipped: int = 0

    @classmethod
    def of(cls, findings: Iterable[Finding]) -> Counts:
        counter = Counter(f.status for f in findings)
        return cls(counter[Status.FAIL], counter[Status.ERROR], counter[Status.PASS], counter[Status.SKIPPED])


@dataclass(frozen=True)
class CountRow:
    label: str
    counts: Counts


@dataclass(frozen=True)
class Row:
    """One finding as the reader sees it."""

    code: str
    severity: str
    severity_rank: int
    status: str  # FAIL, ERROR, PASS, SKIPPED
    status_text: str  # "FAIL new" against a baseline
    subscription: str
    subscription_id: str
    resource_name: str
    resource_id: str  # the full ARM id
    item: str
    message: str
    suppressed_by: str
    observed: str  # the evidence, "key = value; ..." ('' when the check records none)


@dataclass(frozen=True)
class CheckView:
    code: str
    name: str
    title: str
    severity: str
    service: str
    doc_url: str | None  # the check's documentation page; None for a plugin's check
    references: tuple[str, ...]
    mcsb: tuple[str, ...]
    why: str  # Markdown written by the check's author
    fix: str  # Markdown written by the check's author
    origin: str
    counts: Counts
    problems: tuple[Row, ...]  # FAIL and ERROR
    passing: tuple[Row, ...]
    suppressed: tuple[Row, ...]


@dataclass(frozen=True)
class Risk:
    code: str
    title: str
    severity: str
    failing: int
    subscriptions: int


@dataclass(frozen=True)
class Trend:
    source: str
    taken_at: str
    new: int
    unchanged: int
    fixed: int
    newly_assessed: int
    fixed_rows: tuple[Row, ...]


@dataclass(frozen=True)
class ExceptionRow:
    entry: ExceptionEntry
    state: str  # "active" or "expired: not applied"
    hidden: tuple[Row, ...]  # the findings it suppressed in this run


@dataclass(frozen=True)
class GuidanceRow:
    id: str
    title: str
    checks: tuple[str, ...]
    result: str


@dataclass(frozen=True)
class NotAssessedRow:
    subscription: str
    dataset: str
    resource: str
    status: str
    reason: str


@dataclass(frozen=True)
class RuntimeRow:
    """One running container: what it runs, and each aspect's state or "not assessed"."""

    subscription: str
    group: str
    container: str  # "name (init)" for an init container
    image: str
    digest: str
    registry: str
    signature: str
    drift: str
    age: str
    vulnerabilities: str
    # "signature, age: not resolvable: registry ghcr.io not audited; ..." ('-': everything assessed),
    # joined here so that the templates neutralise it as one value
    reasons: str


@dataclass(frozen=True)
class ReportView:
    tool_version: str
    tenant: str
    cloud: str
    source: str
    started: str
    finished: str
    requests: int
    subscriptions: tuple[tuple[str, str], ...]  # (name, id)
    management_groups: tuple[str, ...]
    shard: str | None
    merged_from: int
    identity: str  # how the run signed in, when known
    services: tuple[str, ...]
    resources: int
    complete: bool
    failing: int
    failing_by_severity: tuple[tuple[str, int], ...]
    errors_count: int
    top_risks: tuple[Risk, ...]
    trend: Trend | None
    by_severity: tuple[CountRow, ...]
    by_service: tuple[CountRow, ...]
    by_subscription: tuple[CountRow, ...]
    not_assessed: tuple[NotAssessedRow, ...]
    not_assessed_checks: tuple[str, ...]
    notes: tuple[tuple[str, str], ...]
    runtime: tuple[RuntimeRow, ...] | None  # None: the run did not read the running images
    failing_checks: tuple[CheckView, ...]
    passing_checks: tuple[CheckView, ...]
    all_checks: tuple[CheckView, ...]
    rows: tuple[Row, ...]  # every finding, worst first
    frameworks: tuple[FrameworkView, ...]
    exceptions: tuple[ExceptionRow, ...]
    settings_recorded: bool
    settings: RunSettings
    config_file: str | None
    guidance: tuple[GuidanceRow, ...]
    manual_items: tuple[tuple[str, str], ...]
    custom_checks: tuple[tuple[str, str], ...]
    json_sha256: str
    project_url: str
    sections: tuple[str, ...] = SECTIONS
    severities: tuple[str, ...] = field(default=tuple(s.label for s in sorted(Severity, reverse=True)))


def _row(report: Report, finding: Finding) -> Row:
    sub = finding.subscription_id
    return Row(
        code=finding.code,
        severity=finding.severity.label,
        severity_rank=finding.severity.rank,
        status=finding.status.value,
        status_text=finding.status_text,
        subscription=report.subscription_name(sub) if sub else "-",
        subscription_id=sub,
        resource_name=finding.resource_name,
        resource_id=finding.resource_id,
        item=finding.item or "",
        message=finding.message,
        suppressed_by=finding.suppressed_by or "",
        observed="; ".join(f"{k} = {v}" for k, v in sorted(finding.evidence.items()))
        if isinstance(finding.evidence, dict)
        else "",
    )


def _check_view(report: Report, meta: CheckMeta, findings: Sequence[Finding], base_url: str) -> CheckView:
    rows = [_row(report, f) for f in findings]
    return CheckView(
        code=meta.code,
        name=meta.name,
        title=meta.title,
        severity=meta.severity.label,
        service=meta.service,
        doc_url=f"{base_url}/blob/main/docs/checks/{meta.code}.md" if meta.builtin else None,
        references=meta.docs.references,
        mcsb=meta.mcsb,
        why=meta.docs.why,
        fix=meta.docs.fix,
        origin=meta.origin,
        counts=Counts.of(findings),
        problems=tuple(r for r in rows if r.status in (Status.FAIL.value, Status.ERROR.value)),
        passing=tuple(r for r in rows if r.status == Status.PASS.value),
        suppressed=tuple(r for r in rows if r.suppressed_by),
    )


def _count_rows(groups: dict[str, list[Finding]]) -> tuple[CountRow, ...]:
    return tuple(CountRow(name, Counts.of(items)) for name, items in sorted(groups.items()))


def _top_risks(report: Report) -> tuple[Risk, ...]:
    by_code: dict[str, list[Finding]] = defaultdict(list)
    for f in report.failures():
        by_code[f.code].append(f)
    risks = [
        Risk(
            code=code,
            title=report.checks[code].title if code in report.checks else "",
            severity=items[0].severity.label,
            failing=len(items),
            subscriptions=len({f.subscription_id.lower() for f in items}),
        )
        for code, items in by_code.items()
    ]
    ranks = {s.label: s.rank for s in Severity}
    risks.sort(key=lambda r: (-ranks[r.severity], -r.failing, r.code))
    return tuple(risks[:TOP_RISKS])


def _trend(report: Report) -> Trend | None:
    if report.baseline is None:
        return None
    states = Counter(f.baseline for f in report.failures())
    return Trend(
        source=report.baseline.source,
        taken_at=report.baseline.taken_at.isoformat(timespec="seconds"),
        new=states[BaselineState.NEW],
        unchanged=states[BaselineState.UNCHANGED],
        fixed=len(report.baseline.fixed),
        newly_assessed=states[BaselineState.NEWLY_ASSESSED],
        fixed_rows=tuple(_row(report, f) for f in report.baseline.fixed),
    )


def _exceptions(report: Report, settings: RunSettings, rows: Sequence[Row]) -> tuple[ExceptionRow, ...]:
    def hides(entry: ExceptionEntry, row: Row) -> bool:
        wanted = entry.resource.lower()
        return (
            bool(row.suppressed_by)
            and row.code.upper() == entry.check.upper()
            and (row.resource_id.lower() == wanted or fnmatch.fnmatchcase(row.resource_name.lower(), wanted))
        )

    return tuple(
        ExceptionRow(
            entry=entry,
            state="expired: not applied" if entry.expired else "active",
            hidden=() if entry.expired else tuple(r for r in rows if hides(entry, r)),
        )
        for entry in settings.suppressions
    )


def _guidance(report: Report) -> tuple[GuidanceRow, ...]:
    result = []
    for rec_id, title in RECOMMENDATIONS.items():
        codes = tuple(code for code, meta in report.checks.items() if rec_id in meta.recommendations)
        counts = Counts.of(f for f in report.findings if f.code in codes)
        state = (
            "not checked" if not codes else ("failing" if counts.fail else ("incomplete" if counts.error else "met"))
        )
        result.append(GuidanceRow(rec_id, title, codes, state))
    return tuple(result)


def _day(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value is not None else "an unknown day"


def _runtime_row(report: Report, entry: RunningContainer) -> RuntimeRow:
    missing = entry.not_assessed
    reasons: dict[str, list[str]] = {}
    for aspect, reason in missing.items():
        if aspect != "vulnerabilities":
            reasons.setdefault(reason, []).append(aspect)
    drift = {"current": "no", "moved": f"tag moved {_day(entry.tag_updated)}"}.get(entry.drift, "not assessed")
    return RuntimeRow(
        subscription=report.subscription_name(entry.subscription_id),
        group=entry.container_group,
        container=f"{entry.container} (init)" if entry.init else entry.container,
        image=entry.image,
        digest=entry.digest or "not assessed",
        registry=f"{entry.registry} ({'audited' if entry.registry_audited else 'not audited'})"
        if entry.registry is not None
        else "not resolvable",
        signature="not assessed"
        if "signature" in missing
        else (f"signed ({entry.signatures})" if entry.signature == "signed" else entry.signature),
        drift="not assessed" if "drift" in missing else drift,
        age="not assessed"
        if "age" in missing or entry.age_days is None
        else f"{entry.age_days} days (pushed {_day(entry.created)})",
        vulnerabilities=missing.get("vulnerabilities")
        or vulnerability_summary(entry)
        or f"not assessed: {NO_VULNERABILITY_DATA}",
        reasons="; ".join(f"{', '.join(aspects)}: {reason}" for reason, aspects in reasons.items()) or "-",
    )


def json_sha256(report: Report) -> str:
    """The SHA-256 of the JSON report of ``report`` exactly as ``-f json`` writes it (UTF-8),
    taken piece by piece: the whole text is never held."""
    digest = hashlib.sha256()
    for chunk in json_document.chunks(report):
        digest.update(chunk.encode("utf-8"))
    return digest.hexdigest()


def build(report: Report) -> ReportView:
    """The reader's view of ``report``."""
    run = report.run
    base_url = project_url()
    by_code: dict[str, list[Finding]] = defaultdict(list)
    for f in report.findings:
        by_code[f.code].append(f)
    checks = [_check_view(report, meta, by_code.get(code, []), base_url) for code, meta in report.checks.items()]
    ranks = {s.label: s.rank for s in Severity}
    failing_checks = sorted(
        (c for c in checks if c.problems), key=lambda c: (-ranks[c.severity], -c.counts.fail, c.code)
    )
    passing_checks = [c for c in checks if not c.problems and c.passing]
    rows = sorted(
        (_row(report, f) for f in report.findings),
        key=lambda r: (STATUSES.index(Status(r.status)), -r.severity_rank, r.code, r.subscription, r.resource_name),
    )
    by_service: dict[str, list[Finding]] = defaultdict(list)
    by_subscription: dict[str, list[Finding]] = defaultdict(list)
    for f in report.findings:
        meta = report.checks.get(f.code)
        by_service[meta.service if meta else "?"].append(f)
        by_subscription[report.subscription_name(f.subscription_id) if f.subscription_id else "-"].append(f)
    failures_by_severity = report.count_failures_by_severity()
    settings = run.settings or RunSettings()
    return ReportView(
        tool_version=run.tool_version,
        tenant=run.tenant_id or "unknown",
        cloud=run.cloud,
        source=run.source,
        started=run.started_at.isoformat(timespec="seconds"),
        finished=run.finished_at.isoformat(timespec="seconds"),
        requests=run.requests,
        subscriptions=tuple((s.name, s.subscription_id) for s in run.subscriptions),
        management_groups=run.management_groups,
        shard=run.shard,
        merged_from=run.merged_from,
        identity=f"signed in with --auth {settings.auth}" if settings.auth else "not recorded (recorded tenant)",
        services=tuple(sorted({m.service for m in report.checks.values()})),
        resources=len({f.resource_id.lower() for f in report.findings if f.resource_id}),
        complete=report.complete,
        failing=len(report.failures()),
        failing_by_severity=tuple(
            (s.label, failures_by_severity[s]) for s in sorted(failures_by_severity, reverse=True)
        ),
        errors_count=len(report.errors),
        top_risks=_top_risks(report),
        trend=_trend(report),
        by_severity=tuple(
            CountRow(s.label, Counts.of(f for f in report.findings if f.severity is s))
            for s in sorted(Severity, reverse=True)
            if any(f.severity is s for f in report.findings)
        ),
        by_service=_count_rows(by_service),
        by_subscription=_count_rows(by_subscription),
        not_assessed=tuple(
            NotAssessedRow(
                subscription=report.subscription_name(e.subscription_id) if e.subscription_id else "every subscription",
                dataset=e.dataset.value,
                resource=e.resource_name or e.resource_id or "(whole subscription)",
                status=f"HTTP {e.status_code}" if e.status_code else "-",
                reason=e.reason,
            )
            for e in report.errors
        ),
        not_assessed_checks=tuple(sorted({f.code for f in report.findings if f.status is Status.ERROR})),
        notes=tuple((n.resource_name, n.message) for n in report.notes),
        runtime=None if report.runtime is None else tuple(_runtime_row(report, e) for e in report.runtime),
        failing_checks=tuple(failing_checks),
        passing_checks=tuple(passing_checks),
        all_checks=tuple(checks),
        rows=tuple(rows),
        frameworks=report.frameworks,
        exceptions=_exceptions(report, settings, rows),
        settings_recorded=run.settings is not None,
        settings=settings,
        config_file=run.config_file,
        guidance=_guidance(report),
        manual_items=tuple((rec_id, item) for rec_id, items in MANUAL_ITEMS.items() for item in items),
        custom_checks=tuple((c.code, c.origin) for c in checks if c.doc_url is None),
        json_sha256=json_sha256(report),
        project_url=base_url,
    )
