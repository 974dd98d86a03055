"""What the table looks like on the stream it goes to: colour, width and layout.

Colour only on a terminal, never when ``NO_COLOR`` is set to anything (https://no-color.org) or
``--no-color`` is given; ``FORCE_COLOR`` (any value but ``0``) asks for it on a pipe too. Width is
the terminal's (``COLUMNS`` wins, as everywhere); a pipe or a file gets
:data:`~azaudit.render.table.FILE_WIDTH`. A terminal narrower than
:data:`~azaudit.render.table.NARROW` columns gets one line per finding.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence

from azaudit.model import Severity, Status
from azaudit.render.table import FILE_WIDTH, NARROW, TableView


def wants_colour(environ: Mapping[str, str], is_terminal: bool, no_color: bool = False) -> bool:
    if no_color or environ.get("NO_COLOR"):
        return False
    force = environ.get("FORCE_COLOR")
    if force:
        return force != "0"
    return is_terminal and environ.get("TERM") != "dumb"


def terminal_width() -> int:
    """The terminal's columns (``COLUMNS`` first), or :data:`FILE_WIDTH` when stdout is no terminal."""
    return max(shutil.get_terminal_size((FILE_WIDTH, 24)).columns, 20)


def stdout_view(
    environ: Mapping[str, str],
    is_terminal: bool,
    *,
    width: int,
    compact: bool = False,
    no_color: bool = False,
    severity: Severity = Severity.INFO,
    statuses: Sequence[Status] = (),
) -> TableView:
    """The view of the table printed on stdout."""
    return TableView(
        width=width,
        color=wants_colour(environ, is_terminal, no_color),
        compact=compact or (is_terminal and width < NARROW),
        severity=severity,
        statuses=frozenset(statuses) if statuses else None,
    )


def file_view(view: TableView) -> TableView:
    """The same filters and layout for a file: plain text, :data:`FILE_WIDTH` columns."""
    return TableView(
        width=FILE_WIDTH, color=False, compact=view.compact, severity=view.severity, statuses=view.statuses
    )
