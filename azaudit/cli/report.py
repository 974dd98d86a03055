"""``azaudit report``: re-render saved JSON reports, offline."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from azaudit.cli.console import print_finished, print_summary
from azaudit.cli.options import Compact, FrameworkIds, NoColor, ReportQuiet, ShownSeverity, ShownStatus, table_view
from azaudit.cli.runner import guarded
from azaudit.finish import Destinations, Gate, finish, prepare
from azaudit.model import Severity
from azaudit.render import Format
from azaudit.reports.gate import ExitCode
from azaudit.reports.saved import load_saved


def report_command(
    files: Annotated[
        list[Path],
        typer.Argument(
            metavar="REPORT",
            help="JSON reports written by `azaudit subscription -f json`; several are merged into one.",
        ),
    ],
    fmt: Annotated[
        Format, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
    ] = Format.MARKDOWN,
    output: Annotated[
        Optional[Path], typer.Option("--output", "-o", metavar="FILE", help="Write here instead of stdout.")
    ] = None,
    fail_on: Annotated[
        Optional[Severity],
        typer.Option(
            help="Also gate: exit as `azaudit subscription` does with this --fail-on (default: exit 0).",
            case_sensitive=False,
        ),
    ] = None,
    baseline: Annotated[
        Optional[Path],
        typer.Option(
            metavar="FILE", help="An earlier JSON report to compare with (new, unchanged and fixed failures)."
        ),
    ] = None,
    framework: FrameworkIds = None,
    quiet: ReportQuiet = False,
    compact: Compact = False,
    no_color: NoColor = False,
    severity: ShownSeverity = Severity.INFO,
    status: ShownStatus = None,
) -> None:
    """Re-render saved JSON reports in another format, offline; several (the shards of one audit,
    or audits of separate subscriptions) are merged into one."""
    destinations = Destinations(fmt=fmt, output=output, table=table_view(compact, no_color, severity, status))

    def work() -> ExitCode:
        framework_ids = prepare(destinations, framework or ())
        report = load_saved(files, baseline)
        finished = finish(report, destinations, Gate(fail_on), os.environ, framework_ids)
        print_finished(finished)
        print_summary(report, destinations, quiet)
        return finished.exit_code

    guarded(work)
