"""What the table looks like on the stream it goes to: colour, width and layout (:class:`TableView`).

Colour only on a terminal, never when ``NO_COLOR`` is set to anything (https://no-color.org) or
``--no-color`` is given; ``FORCE_COLOR`` (any value but ``0``) asks for it on a pipe too. Width is
the terminal's (``COLUMNS`` wins, as everywhere); a pipe or a file gets
:data:`FILE_WIDTH`. A terminal narrower than :data:`NARROW` columns gets one line per finding.

The view is apart from the table (:mod:`azaudit.render.table`), which imports rich: the command
line builds a view for every command, and prints a table only for some.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from azaudit.model import Severity, Status

FILE_WIDTH = 120  # files, pipes, and the golden file: wide enough for most messages on one line
NARROW = 80  # a terminal narrower than this gets the compact layout
DEFAULT_SHOWN = frozenset({Status.FAIL, Status.ERROR})


@dataclass(frozen=True)
class TableView:
    """How the table is laid out and what it shows. The filters change only what is listed: the
    summary line counts every finding, and the exit code and other formats never see them."""

    width: int = FILE_WIDTH
    color: bool = False
    compact: bool = False
    severity: Severity = Severity.INFO  # the lowest severity listed
    statuses: frozenset[Status] | None = None  # None: FAIL and ERROR listed, the rest counted per check

    @property
    def shown(self) -> frozenset[Status]:
        return DEFAULT_SHOWN if self.statuses is None else self.statuses

    def filtered(self) -> bool:
        return self.statuses is not None or self.severity is not Severity.INFO


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
