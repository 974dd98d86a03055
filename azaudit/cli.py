"""The command line: parse options into a RunConfig, run, print. Nothing else lives here."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer

from azaudit import __version__, catalogue, frameworks
from azaudit.audit import run_audit
from azaudit.auth import AuthMode
from azaudit.clouds import CloudName
from azaudit.collect.scheduler import Progress
from azaudit.errors import AzauditError
from azaudit.frameworks.view import with_views
from azaudit.lifecycle import Terminated
from azaudit.model import Severity, Status
from azaudit.render import Format
from azaudit.render.catalogue import CatalogueFormat, as_json, as_markdown
from azaudit.render.escape import Output, neutralise
from azaudit.render.table import TableView, summary_line
from azaudit.render.terminal import stdout_view, terminal_width
from azaudit.reports.baseline import compare, load_baseline
from azaudit.reports.finish import Destinations, Finished, Gate, finish
from azaudit.reports.gate import ExitCode
from azaudit.reports.io import check_targets
from azaudit.reports.io import read as read_report
from azaudit.reports.merge import merge_reports
from azaudit.reports.model import Report
from azaudit.runconfig import DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT_SECONDS, ExpiredSuppressions, RunConfig, Source
from azaudit.scope.shard import Shard

app = typer.Typer(
    help="Audit the security of container workloads on Azure: registries, container instances and "
    "the images they run, key vaults, logging, RBAC and Defender.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Help text is shown as written: Rich markup would eat "[tool.azaudit]" and "[[suppress]]".
    rich_markup_mode=None,
)
checks_app = typer.Typer(help="Browse the check catalogue.", invoke_without_command=True, rich_markup_mode=None)
app.add_typer(checks_app, name="checks")


def _err(message: str) -> None:
    """A message on stderr. Messages can quote tenant text (a subscription or group name, an
    error), and the pipeline agent reads stderr for logging commands too: neutralise it."""
    typer.echo(neutralise(message, Output.TEXT, multiline=True), err=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"azaudit {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """azaudit: security audit of container workloads on Azure."""
    root = logging.getLogger()
    if _LIBRARY_LOG not in root.handlers:
        root.addHandler(_LIBRARY_LOG)
    _LIBRARY_LOG.setLevel(_SILENT)


class _LibraryLog(logging.Handler):
    """Where the log records of the libraries underneath go. Without a handler Python's
    last-resort one prints their warnings raw on stderr: identity's second line under azaudit's
    one clear line, or values of answers the SDK could not read. azaudit reports failures itself,
    so they are shown only with ``--verbose``, and then neutralised like azaudit's own messages."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            _err(f"azaudit: {record.levelname.lower()} from {record.name}: {record.getMessage()}")
        except Exception:  # a logging failure must not end the audit
            self.handleError(record)


_SILENT = logging.CRITICAL + 1
_LIBRARY_LOG = _LibraryLog(_SILENT)


@contextmanager
def _progress_display(enabled: bool) -> Iterator[Progress | None]:
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as RichProgress

    with RichProgress(
        TextColumn("collecting"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
        # No refresh thread: collection processes are forked while this display runs, and a fork
        # must find no other thread. The display redraws when collection reports (at least twice
        # a second while processes collect), at most ten times a second.
        auto_refresh=False,
    ) as bar:
        task = bar.add_task("collect", total=None)
        drawn = 0.0

        def update(done: int, total: int) -> None:
            nonlocal drawn
            bar.update(task, completed=done, total=total)
            if time.monotonic() - drawn >= 0.1 or done == total:
                bar.refresh()
                drawn = time.monotonic()

        yield update


def _parse_reports(values: list[str]) -> list[tuple[Format, Path]]:
    parsed = []
    choices = [f.value for f in Format]
    for value in values:
        fmt, sep, path = value.partition("=")
        if not sep or not path or fmt not in choices:
            raise typer.BadParameter(
                f"{value!r}: expected FORMAT=PATH with FORMAT one of {', '.join(choices)}", param_hint="--report"
            )
        parsed.append((Format(fmt), Path(path)))
    return parsed


_SHOWN_ONLY = "only what the table lists: the exit code, the summary line and every other format see all findings"
Compact = Annotated[
    bool,
    typer.Option(
        "--compact",
        help="One line per finding in the table (automatic on a terminal narrower than 80 columns).",
    ),
]
NoColor = Annotated[
    bool, typer.Option("--no-color", help="No colours in the table (also: the NO_COLOR environment variable).")
]
Quiet = Annotated[
    bool,
    typer.Option(
        "--quiet", "-q", help="Print only the report: no progress bar, no summary line; errors still go to stderr."
    ),
]
FrameworkIds = Annotated[
    Optional[list[str]],
    typer.Option(
        metavar="ID",
        help="Add the per-control view of this compliance framework to every format (repeatable); "
        "`azaudit frameworks` lists the ids.",
    ),
]
ShownSeverity = Annotated[
    Severity,
    typer.Option("--severity", help=f"List findings of this severity or higher; {_SHOWN_ONLY}.", case_sensitive=False),
]
ShownStatus = Annotated[
    Optional[list[Status]],
    typer.Option(
        "--status",
        metavar="FAIL|ERROR|PASS|SKIPPED",
        help=f"List findings with this status (repeatable; default FAIL and ERROR, the rest counted per check); "
        f"{_SHOWN_ONLY}.",
        case_sensitive=False,
    ),
]


def _table_view(compact: bool, no_color: bool, severity: Severity, statuses: list[Status] | None) -> TableView:
    """The table as stdout shows it: width, colour and layout from the terminal and the environment."""
    return stdout_view(
        os.environ,
        sys.stdout.isatty(),
        width=terminal_width(),
        compact=compact,
        no_color=no_color,
        severity=severity,
        statuses=statuses or (),
    )


def _timings(timings: dict[str, float]) -> str:
    return "timings: " + ", ".join(f"{stage} {seconds:.2f}s" for stage, seconds in timings.items())


def _guarded(work: Callable[[], ExitCode]) -> None:
    """Run a command's work and exit with its code; every error it can meet becomes one line on
    stderr and its exit code, here and nowhere else (a partial run writes no report)."""
    try:
        code = work()
    except AzauditError as exc:
        _err(f"azaudit: {exc}")
        raise typer.Exit(ExitCode.ERROR) from None
    except OSError as exc:
        _err(f"azaudit: cannot write the report: {exc.strerror or exc}")
        raise typer.Exit(ExitCode.ERROR) from None
    except KeyboardInterrupt:
        _err("azaudit: interrupted; the audit did not finish and no report was written")
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    except Terminated:
        _err("azaudit: terminated (SIGTERM); the audit did not finish and no report was written")
        raise typer.Exit(ExitCode.TERMINATED) from None
    raise typer.Exit(code)


def _print(finished: Finished) -> None:
    """What :func:`~azaudit.reports.finish.finish` returned: the report (when it goes to stdout),
    then Azure DevOps' logging commands on the stream docs/reporting.md names."""
    if finished.stdout:
        # color=True: click would strip ANSI off a pipe, but the report already decided (FORCE_COLOR)
        typer.echo(finished.stdout, nl=False, color=True)
    for line in finished.pipeline:
        typer.echo(line, err=finished.pipeline_to_stderr)


def _prepare(destinations: Destinations, framework: list[str] | None) -> tuple[str, ...]:
    """Refuse report files that can never be written, before any work; return the framework ids."""
    check_targets(destinations.paths())
    return frameworks.parse_ids(framework or [])


def _summarise(report: Report, destinations: Destinations, quiet: bool) -> None:
    """The one summary line on stderr, unless the report itself is the table on stdout."""
    if not quiet and (destinations.output is not None or destinations.fmt is not Format.TABLE):
        _err(summary_line(report))


@app.command()
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
        _LIBRARY_LOG.setLevel(logging.WARNING)
    extra_reports = _parse_reports(report or [])
    if subscription_ids and management_group:
        raise typer.BadParameter("name subscriptions or management groups, not both", param_hint="--management-group")
    try:
        slice_of_run = Shard.parse(shard) if shard is not None else None
    except AzauditError as exc:
        _err(f"azaudit: {exc}")
        raise typer.Exit(ExitCode.ERROR) from None
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
        approved_registries=tuple(approved_registry or ()),
        shard=slice_of_run,
        baseline=baseline,
        expired_suppressions=expired_suppressions,
    )
    destinations = Destinations(
        fmt=fmt, output=output, extra=extra_reports, table=_table_view(compact, no_color, severity, status)
    )

    def work() -> ExitCode:
        # A report file that can never be written is refused before the audit, not after it.
        framework_ids = _prepare(destinations, framework)
        with _progress_display(sys.stderr.isatty() and not quiet) as progress:
            audit = run_audit(run_config, progress=progress, notify=_err)
        rendering = time.perf_counter()
        finished = finish(with_views(audit.report, framework_ids), destinations, Gate(fail_on, exit_zero), os.environ)
        audit.timings["render"] = time.perf_counter() - rendering
        _print(finished)
        if verbose:
            _err(_timings(audit.timings))
            _err(f"requests: {audit.stats.total} (peak {audit.stats.peak_in_flight} in flight)")
            for kind, count in sorted(audit.stats.by_kind.items()):
                _err(f"  {count:6d}  {kind}")
            tokens = audit.tokens_acquired
            per_audience = ", ".join(f"{audience}: {count}" for audience, count in sorted(tokens.items()))
            _err(f"token requests to the credential: {sum(tokens.values())} ({per_audience})")
        _summarise(audit.report, destinations, quiet)
        return finished.exit_code

    _guarded(work)


@app.command("report")
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
    quiet: Quiet = False,
    compact: Compact = False,
    no_color: NoColor = False,
    severity: ShownSeverity = Severity.INFO,
    status: ShownStatus = None,
) -> None:
    """Re-render saved JSON reports in another format, offline; several (the shards of one audit,
    or audits of separate subscriptions) are merged into one."""
    destinations = Destinations(fmt=fmt, output=output, table=_table_view(compact, no_color, severity, status))

    def work() -> ExitCode:
        framework_ids = _prepare(destinations, framework)
        merged = merge_reports([(str(file), read_report(file, str(file))) for file in files])
        if baseline is not None:
            merged = compare(merged, load_baseline(baseline), str(baseline))
        finished = finish(with_views(merged, framework_ids), destinations, Gate(fail_on), os.environ)
        _print(finished)
        _summarise(merged, destinations, quiet)
        return finished.exit_code

    _guarded(work)


@app.command("frameworks")
def frameworks_list() -> None:
    """List the compliance frameworks `--framework` accepts: how many of their controls azaudit
    checks, and the Azure Policy initiative the mapping comes from."""
    from tabulate import tabulate

    rows = []
    for framework_id in frameworks.available():
        known = frameworks.load(framework_id)
        covered = sum(1 for control in known.controls.values() if control.checks)
        rows.append((known.id, known.label, f"{covered} of {len(known.controls)}", known.source.initiative))
    headers = ("id", "framework", "controls checked", "mapped through the Azure Policy initiative")
    typer.echo(tabulate(rows, headers=headers))


def _catalogue() -> dict[str, catalogue.Check]:
    """The catalogue with installed plugins; a broken plugin is one clear line and exit 2."""
    try:
        return catalogue.load()
    except AzauditError as exc:
        _err(f"azaudit: {exc}")
        raise typer.Exit(ExitCode.ERROR) from None


@checks_app.callback()
def checks_list(
    ctx: typer.Context,
    fmt: Annotated[
        CatalogueFormat,
        typer.Option(
            "--format",
            "-f",
            help="table for people; json (every field: code, name, title, severity, service, applies_to, "
            "requires, mcsb, policies, docs) or markdown for tools and pages.",
            case_sensitive=False,
        ),
    ] = CatalogueFormat.TABLE,
) -> None:
    """List the checks: code, name, severity, service, title."""
    if ctx.invoked_subcommand is not None:
        return
    from tabulate import tabulate

    checks = _catalogue()
    if fmt is not CatalogueFormat.TABLE:
        metas = [c.meta for c in checks.values()]
        typer.echo(as_json(metas) if fmt is CatalogueFormat.JSON else as_markdown(metas), nl=False)
        return
    custom = any(not c.meta.builtin for c in checks.values())
    headers = ("code", "name", "severity", "service", "title", *(("source",) if custom else ()))
    rows = [
        (c.meta.code, c.meta.name, c.meta.severity.label, c.meta.service, c.meta.title)
        + ((c.meta.origin,) if custom else ())
        for c in checks.values()
    ]
    typer.echo(tabulate(rows, headers=headers))


@checks_app.command("show")
def checks_show(code: Annotated[str, typer.Argument(metavar="CODE", help="A check code, e.g. ACR001.")]) -> None:
    """Print a check's documentation."""
    from azaudit.render.checkdoc import check_markdown

    checks = _catalogue()
    chk = checks.get(code.upper())
    if chk is None:
        _err(f"azaudit: no check {code!r}; `azaudit checks` lists them")
        raise typer.Exit(ExitCode.ERROR)
    typer.echo(check_markdown(chk.meta))


def main() -> None:
    app(prog_name="azaudit")
