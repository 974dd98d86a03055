"""The one guarded runner of every command: the errors a command can meet become one line on
stderr and their exit code, here and nowhere else (a partial run writes no report). Usage errors
(an unknown option, a bad choice, a missing argument, a malformed value) are one line and exit 2
too, not Click's usage block."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from typing import Any

import typer
from typer._click import exceptions as click
from typer.core import TyperArgument, TyperGroup

from azaudit.cli.console import err
from azaudit.cli.help import argument_name
from azaudit.errors import AzauditError
from azaudit.lifecycle import Terminated
from azaudit.render.escape import Output, neutralise
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


# Typer words a bad choice "Value error, 'xml' is not one of 'table', 'markdown', ...".
_VALUE_ERROR = re.compile(r"^Value error, ")
_CHOICES = re.compile(r" is not one of ('[^']*'(?:, '[^']*')*)\.?$")


def _param_name(param: Any) -> str:
    """An option by its long name (``--format``), an argument by its metavar (``CODE``)."""
    if isinstance(param, TyperArgument):
        return argument_name(param)
    opts: Sequence[str] = getattr(param, "opts", ()) or ()
    long = [o for o in opts if o.startswith("--")]
    return max(long or opts or [str(getattr(param, "name", "") or "?")], key=len)


def _detail(message: str) -> str:
    message = _VALUE_ERROR.sub("", message.strip()).rstrip(".")
    message = _CHOICES.sub(lambda m: " is not one of " + ", ".join(c.strip("'") for c in m[1].split(", ")), message)
    return message[:1].lower() + message[1:]


def usage_line(exc: click.ClickException) -> str:
    """A usage error as one line that names the option and how to get help. Parts of it were
    typed by the user (a value, an option name): the caller neutralises the whole line."""
    if isinstance(exc, click.MissingParameter):
        kind = exc.param_type or (exc.param.param_type_name if exc.param is not None else "parameter")
        name = _param_name(exc.param) if exc.param is not None else str(exc.param_hint or "")
        text = f"missing {kind} {name}".rstrip()
    elif isinstance(exc, click.BadParameter):
        hint = exc.param_hint
        if hint is None and exc.param is not None:
            name = _param_name(exc.param)
        elif isinstance(hint, str) or hint is None:
            name = hint or ""
        else:
            name = max(hint, key=len)
        detail = _detail(exc.message)
        text = f"{name}: {detail}" if name and not detail.startswith(name) else detail
    elif isinstance(exc, click.NoSuchOption):
        text = f"{exc.option_name}: no such option"
        if exc.possibilities:
            text += f"; did you mean {' or '.join(sorted(exc.possibilities))}?"
    else:
        text = _detail(exc.format_message())
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        text += f" (see {ctx.command_path} --help)"
    return f"azaudit: error: {text}"


class Group(TyperGroup):
    """The application: a usage error anywhere below it is one line on stderr and exit 2."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        try:
            result = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except click.NoArgsIsHelpError as exc:  # bare ``azaudit``: the help, as before
            exc.show()
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            typer.echo(neutralise(usage_line(exc), Output.TEXT), err=True)
            sys.exit(exc.exit_code)
        except typer.Abort:
            typer.echo("Aborted!", err=True)
            sys.exit(1)
        # Not standalone, Click returns the code of an Exit (--help, typer.Exit) or the command's None.
        sys.exit(result if isinstance(result, int) else 0)
