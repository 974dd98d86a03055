"""Options that ``azaudit subscription`` and ``azaudit report`` share, and the parsing of their values."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from azaudit.errors import UsageError
from azaudit.model import Severity, Status
from azaudit.render import Format
from azaudit.render.terminal import TableView, stdout_view, terminal_width
from azaudit.settings import REGISTRY_HOST
from azaudit.shard import Shard

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
# `azaudit report` draws no progress bar: its --quiet only drops the summary line.
ReportQuiet = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="Print only the report: no summary line; errors still go to stderr."),
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


def parse_reports(values: list[str]) -> list[tuple[Format, Path]]:
    """``--report FORMAT=PATH`` values."""
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


def parse_registries(values: list[str]) -> tuple[str, ...]:
    """``--approved-registry`` values, refused in command-line terms (the config file's key and
    TOML example would not tell the user which argument was wrong)."""
    for value in values:
        if not REGISTRY_HOST.match(value):
            raise typer.BadParameter(
                f"{value!r} is not a registry host; expected a host name with an optional port or a "
                "`*.` wildcard, e.g. --approved-registry contosoacr.azurecr.io",
                param_hint="--approved-registry",
            )
    return tuple(values)


def parse_shard(text: str | None) -> Shard | None:
    """``--shard K/N``, refused before the audit starts."""
    if text is None:
        return None
    try:
        return Shard.parse(text)
    except UsageError as exc:
        # Shard.parse names the option itself ("--shard '3/2': expected ..."); the usage line does.
        raise typer.BadParameter(str(exc).removeprefix("--shard "), param_hint="--shard") from None


def table_view(compact: bool, no_color: bool, severity: Severity, statuses: list[Status] | None) -> TableView:
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
