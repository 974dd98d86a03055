"""The saved JSON report as a document: the versioned shape that ``-f json`` writes
(:mod:`azaudit.render.json_document`) and :mod:`azaudit.reports.io` reads back.

Schema: ``azaudit/schemas/report-v1.schema.json``. ``schema_version`` changes only when a field is
removed or changes meaning; new optional fields keep the version.
"""

from __future__ import annotations

import msgspec

from azaudit.frameworks.view import FrameworkView
from azaudit.inventory.coverage import CollectionError, CollectionNote
from azaudit.model import CheckMeta, Finding
from azaudit.reports.model import BaselineSummary, Report, RunInfo
from azaudit.reports.runtime import RunningContainer

SCHEMA_VERSION = 1


class ReportDocument(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    schema_version: int
    tool: str
    run: RunInfo
    checks: dict[str, CheckMeta]
    findings: tuple[Finding, ...]
    errors: tuple[CollectionError, ...] = ()
    notes: tuple[CollectionNote, ...] = ()
    baseline: BaselineSummary | None = None
    # --framework: the per-control views; absent (not empty) without the option
    frameworks: tuple[FrameworkView, ...] | msgspec.UnsetType = msgspec.UNSET
    # what runs where: each container, its image's digest, signature, drift and age; absent when
    # the run did not read the running images (no image check selected)
    runtime: tuple[RunningContainer, ...] | msgspec.UnsetType = msgspec.UNSET


def as_document(report: Report) -> ReportDocument:
    return ReportDocument(
        schema_version=SCHEMA_VERSION,
        tool="azaudit",
        run=report.run,
        checks=report.checks,
        findings=report.findings,
        errors=report.errors,
        notes=report.notes,
        baseline=report.baseline,
        frameworks=report.frameworks or msgspec.UNSET,
        runtime=msgspec.UNSET if report.runtime is None else report.runtime,
    )
