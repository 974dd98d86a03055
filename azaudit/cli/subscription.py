"""``azaudit subscription``: audit subscriptions and print the findings."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from azaudit.cli.console import err, print_finished, print_statistics, print_summary, show_library_warnings
from azaudit.cli.options import (
    Compact,
    FrameworkIds,
    NoColor,
    Quiet,
    ShownSeverity,
    ShownStatus,
    parse_registries,
    parse_reports,
    parse_shard,
    table_view,
)
from azaudit.cli.progress import progress_display
from azaudit.cli.runner import guarded
from azaudit.clouds import CloudName
from azaudit.finish import Destinations, Gate, finish, prepare
from azaudit.model import Severity
from azaudit.render import Format
from azaudit.reports.gate import ExitCode
from azaudit.runconfig import (
    DEFAULT_CONCURRENCY,
    DEFAULT_TIMEOUT_SECONDS,
    AuthMode,
    ExpiredSuppressions,
    RunConfig,
    Source,
)


def subscription(
    subscription_ids: Annotated[
        Optional[list[str]],
        typer.Argument(
            metavar="SUBSCRIPTION",
            help="Subscription ids (or exact names) to audit. Default: every enabled one you can see.",
        ),
    ] = None,
    management_group: Annotated[
        Optional[list[str]],
        typer.Option(
            "--management-group",
            "-m",
            metavar="GROUP",
            help="Audit the enabled subscriptions this management group holds, at any depth (its id; repeatable).",
        ),
    ] = None,
    auth: Annotated[AuthMode, typer.Option(help="How to sign in.", case_sensitive=False)] = AuthMode.DEFAULT,
    tenant: Annotated[
        Optional[str], typer.Option(metavar="TENANT_ID", help="Microsoft Entra tenant id to sign in to.")
    ] = None,
    cloud: Annotated[CloudName, typer.Option(help="Azure cloud.", case_sensitive=False)] = CloudName.PUBLIC,
    select: Annotated[
        Optional[list[str]],
        typer.Option(metavar="CODE", help="Run only checks whose code starts with this (repeatable)."),
    ] = None,
    ignore: Annotated[
        Optional[list[str]], typer.Option(metavar="CODE", help="Skip checks whose code starts with this (repeatable).")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Report format.", case_sensitive=False)] = Format.TABLE,
    output: Annotated[
        Optional[Path], typer.Option("--output", "-o", metavar="FILE", help="Write the report here, not stdout.")
    ] = None,
    report: Annotated[
        Optional[list[str]],
        typer.Option(metavar="FORMAT=PATH", help="Also write FORMAT=PATH (repeatable), from the same collection."),
    ] = None,
    fail_on: Annotated[
        Severity, typer.Option(help="Exit 1 when a FAIL has this severity or higher.", case_sensitive=False)
    ] = Severity.LOW,
    exit_zero: Annotated[bool, typer.Option(help="Always exit 0 (reports without gating).")] = False,
    baseline: Annotated[
        Optional[Path],
        typer.Option(
            metavar="FILE",
            help="An earlier JSON report: mark failures new or unchanged, list what was fixed, "
            "and gate on new failures only.",
        ),
    ] = None,
    replay: Annotated[
        Optional[Path], typer.Option(metavar="DIR", help="Audit a recorded tenant (a fixture folder) instead of Azure.")
    ] = None,
    record: Annotated[
        Optional[Path],
        typer.Option(
            metavar="DIR",
            help="Also write the run's answers, scrubbed of every secret and env value, as replay fixtures here.",
        ),
    ] = None,
    processes: Annotated[
        int,
        typer.Option(
            min=0,
            max=32,
            metavar="N",
            help="Collection processes: 0 picks one per core for large audits; 1 never forks.",
        ),
    ] = 0,
    source: Annotated[
        Source,
        typer.Option(
            help="Where resources are listed: arm (one list per subscription and service), graph (Azure "
            "Resource Graph, minutes behind Azure; ARM when it refuses or fails) or auto (graph from 10 "
            "subscriptions).",
            case_sensitive=False,
        ),
    ] = Source.AUTO,
    concurrency: Annotated[
        int, typer.Option(min=1, max=256, metavar="N", help="Requests in flight at most.")
    ] = DEFAULT_CONCURRENCY,
    timeout: Annotated[
        float,
        typer.Option(
            min=1.0, max=3600.0, metavar="SECONDS", help="Seconds to wait for one response (at most an hour)."
        ),
    ] = DEFAULT_TIMEOUT_SECONDS,
    config: Annotated[
        Optional[Path],
        typer.Option(
            metavar="FILE", help="Config file (default: ./azaudit.toml or [tool.azaudit] in ./pyproject.toml)."
        ),
    ] = None,
    approved_registry: Annotated[
        Optional[list[str]],
        typer.Option(
            metavar="REGISTRY",
            help="A registry images may come from (repeatable; `*.suffix` wildcards); overrides the config "
            "and the default (the audited registries and mcr.microsoft.com).",
        ),
    ] = None,
    expired_suppressions: Annotated[
        ExpiredSuppressions,
        typer.Option(
            help="A [[suppress]] entry past its expires date: fail (a configuration error, exit 2) or warn "
            "(not applied; listed as expired in the report).",
            case_sensitive=False,
        ),
    ] = ExpiredSuppressions.FAIL,
    shard: Annotated[
        Optional[str],
        typer.Option(
            metavar="K/N",
            help="Audit only slice K of N of the subscriptions (parallel pipeline jobs); "
            "merge the JSON reports with `azaudit report`.",
        ),
    ] = None,
    framework: FrameworkIds = None,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            "-v",
            help="Explain what was collected and how, with each stage's time; show the SDK's warnings.",
        ),
    ] = False,
    quiet: Quiet = False,
    compact: Compact = False,
    no_color: NoColor = False,
    severity: ShownSeverity = Severity.INFO,
    status: ShownStatus = None,
) -> None:
    """Audit subscriptions and print the findings."""
    if verbose and quiet:
        raise typer.BadParameter("--quiet and --verbose contradict each other", param_hint="--quiet")
    if verbose:
        show_library_warnings()
    extra_reports = parse_reports(report or [])
    approved_registries = parse_registries(approved_registry or [])
    shard_slice = parse_shard(shard)
    if subscription_ids and management_group:
        raise typer.BadParameter("name subscriptions or management groups, not both", param_hint="--management-group")
    destinations = Destinations(
        fmt=fmt, output=output, extra=extra_reports, table=table_view(compact, no_color, severity, status)
    )

    def work() -> ExitCode:
        # The audit brings the Azure SDK and the collectors: imported only when one runs, not for
        # --help, a usage error or shell completion.
        from azaudit.audit import run_audit

        run_config = RunConfig(
            subscriptions=tuple(subscription_ids or ()),
            management_groups=tuple(management_group or ()),
            auth=auth,
            tenant_id=tenant,
            cloud=cloud,
            select=tuple(select or ()),
            ignore=tuple(ignore or ()),
            replay=replay,
            record=record,
            concurrency=concurrency,
            processes=processes,
            source=source,
            timeout=timeout,
            config_file=config,
            working_directory=Path.cwd(),
            approved_registries=approved_registries,
            shard=shard_slice,
            baseline=baseline,
            expired_suppressions=expired_suppressions,
        )
        # A report file that can never be written is refused before the audit, not after it.
        framework_ids = prepare(destinations, framework or ())
        with progress_display(sys.stderr.isatty() and not quiet) as progress:
            audit = run_audit(run_config, progress=progress, notify=err)
        rendering = time.perf_counter()
        finished = finish(audit.report, destinations, Gate(fail_on, exit_zero), os.environ, framework_ids)
        audit.timings["render"] = time.perf_counter() - rendering
        print_finished(finished)
        if verbose:
            print_statistics(audit)
        print_summary(audit.report, destinations, quiet)
        return finished.exit_code

    guarded(work)
