"""What the command line prints besides the report itself: one-line messages on stderr, the
libraries' log records under ``--verbose``, the summary line and the run's statistics."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import typer

from azaudit.render.escape import Output, neutralise
from azaudit.render.summary import summary_line

if TYPE_CHECKING:
    from azaudit.audit import Audit
    from azaudit.finish import Destinations, Finished
    from azaudit.reports.model import Report


def err(message: str) -> None:
    """A message on stderr. Messages can quote tenant text (a subscription or group name, an
    error), and the pipeline agent reads stderr for logging commands too: neutralise it."""
    typer.echo(neutralise(message, Output.TEXT, multiline=True), err=True)


class _LibraryLog(logging.Handler):
    """Where the log records of the libraries underneath go. Without a handler Python's
    last-resort one prints their warnings raw on stderr: identity's second line under azaudit's
    one clear line, or values of answers the SDK could not read. azaudit reports failures itself,
    so they are shown only with ``--verbose``, and then neutralised like azaudit's own messages."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            err(f"azaudit: {record.levelname.lower()} from {record.name}: {record.getMessage()}")
        except Exception:  # a logging failure must not end the audit
            self.handleError(record)


_SILENT = logging.CRITICAL + 1
_LIBRARY_LOG = _LibraryLog(_SILENT)


def silence_libraries() -> None:
    """Install the one handler of the libraries' log records, silent until :func:`show_library_warnings`."""
    root = logging.getLogger()
    if _LIBRARY_LOG not in root.handlers:
        root.addHandler(_LIBRARY_LOG)
    _LIBRARY_LOG.setLevel(_SILENT)


def show_library_warnings() -> None:
    _LIBRARY_LOG.setLevel(logging.WARNING)


def print_finished(finished: Finished) -> None:
    """What :func:`~azaudit.finish.finish` returned: the report (when it goes to stdout),
    then Azure DevOps' logging commands on the stream docs/reporting.md names."""
    if finished.stdout:
        # color=True: click would strip ANSI off a pipe, but the report already decided (FORCE_COLOR)
        typer.echo(finished.stdout, nl=False, color=True)
    for line in finished.pipeline:
        typer.echo(line, err=finished.pipeline_to_stderr)


def print_summary(report: Report, destinations: Destinations, quiet: bool) -> None:
    """The one summary line on stderr, unless the report itself is the table on stdout."""
    if not quiet and not destinations.table_on_stdout:
        err(summary_line(report))


def print_statistics(audit: Audit) -> None:
    """``--verbose``: each stage's time, the requests made and the tokens asked of the credential."""
    err("timings: " + ", ".join(f"{stage} {seconds:.2f}s" for stage, seconds in audit.timings.items()))
    err(f"requests: {audit.stats.total} (peak {audit.stats.peak_in_flight} in flight)")
    for kind, count in sorted(audit.stats.by_kind.items()):
        err(f"  {count:6d}  {kind}")
    tokens = audit.tokens_acquired
    per_audience = ", ".join(f"{audience}: {count}" for audience, count in sorted(tokens.items()))
    err(f"token requests to the credential: {sum(tokens.values())} ({per_audience})")
