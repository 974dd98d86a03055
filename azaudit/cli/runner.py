"""The one guarded runner of every command: the errors a command can meet become one line on
stderr and their exit code, here and nowhere else (a partial run writes no report)."""

from __future__ import annotations

from collections.abc import Callable

import typer

from azaudit.cli.console import err
from azaudit.errors import AzauditError
from azaudit.lifecycle import Terminated
from azaudit.reports.gate import ExitCode


def guarded(work: Callable[[], ExitCode]) -> None:
    """Run a command's work and exit with its code."""
    try:
        code = work()
    except AzauditError as exc:
        err(f"azaudit: {exc}")
        raise typer.Exit(ExitCode.ERROR) from None
    except OSError as exc:
        err(f"azaudit: cannot write the report: {exc.strerror or exc}")
        raise typer.Exit(ExitCode.ERROR) from None
    except KeyboardInterrupt:
        err("azaudit: interrupted; the audit did not finish and no report was written")
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    except Terminated:
        err("azaudit: terminated (SIGTERM); the audit did not finish and no report was written")
        raise typer.Exit(ExitCode.TERMINATED) from None
    raise typer.Exit(code)
