"""The terminal table: findings grouped by severity, then a coverage list and a summary.

Laid out by rich for a given width (the terminal's, or
:data:`~azaudit.render.terminal.FILE_WIDTH` for files and pipes), with colours only when
:class:`~azaudit.render.terminal.TableView` asks for them. Tenant text is neutralised and handed to
rich as :class:`~rich.text.Text`, never as markup, so ``[bold]`` in a resource name is shown as
written. A long subscription id or item id is shortened in the middle (the full id stays in JSON
and CSV); names and messages wrap.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable

from rich import box
from rich.cells import cell_len
from rich.console import Console, RenderableType
from rich.table import Column, Table
from rich.text import Text

from azaudit.model import Finding, Severity, Status
from azaudit.render import frameworks
from azaudit.render.escape import Output, neutralise
from azaudit.render.summary import summary_line
from azaudit.render.terminal import DEFAULT_SHOWN, TableView
from azaudit.reports.model import Report

ID_WIDTH = 20  # a subscription or item id longer than this loses its middle
_ID = re.compile(r"/\S+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "dim",
    Severity.INFO: "dim",
}
_TRAILING_SPACE = re.compile(r"\s+((?:\x1b\[[0-9;]*m)*)$")  # padding, also before a closing colour code
CONTROL_STYLE = {"fail": "red", "not assessed": "magenta", "pass": "green", "not run": "dim"}
STATUS_STYLE = {Status.FAIL: "red", Status.ERROR: "magenta", Status.PASS: "green", Status.SKIPPED: "dim"}


def _text(value: str) -> str:
    """Tenant text for the terminal: no escape sequence, bidi override or logging command."""
    return neutralise(value, Output.TEXT)


def middle_ellipsis(value: str, width: int) -> str:
    """``value`` in at most ``width`` characters, its middle replaced by an ellipsis: the start and
    the end of an id are what tell two ids apart."""
    if len(value) <= width:
        return value
    keep = width - 1
    head = (keep + 1) // 2
    return f"{value[:head]}…{value[len(value) - (keep - head) :]}"


def _short_id(value: str) -> str:
    """A subscription shown by its id (it has no name) or an item that is an ARM id or a GUID gets
    shortened in the middle; anything else (a name, a container/variable path) is left to wrap."""
    return middle_ellipsis(value, ID_WIDTH) if _ID.fullmatch(value) else value


def _where(finding: Finding) -> str:
    name = _text(finding.resource_name)
    return f"{name} ({_short_id(_text(finding.item))})" if finding.item else name


def _listed(report: Report, view: TableView) -> list[Finding]:
    found = [f for f in report.findings if f.status in view.shown and f.severity >= view.severity]
    return sorted(
        found,
        key=lambda f: (
            -f.severity.rank,
            f.status is not Status.FAIL,
            f.code,
            report.subscription_name(f.subscription_id),
            _where(f),
        ),
    )


def _status(finding: Finding) -> Text:
    return Text(finding.status_text, style=STATUS_STYLE[finding.status])


def _findings_columns() -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False, header_style="bold")
    table.add_column("check", no_wrap=True)
    table.add_column("status", overflow="fold")
    table.add_column("subscription", overflow="fold", max_width=ID_WIDTH)
    table.add_column("resource", overflow="fold", ratio=2)
    table.add_column("finding", overflow="fold", ratio=3)
    return table


def _findings_table(report: Report, findings: list[Finding]) -> Table:
    table = _findings_columns()
    for f in findings:
        table.add_row(
            f.code,
            _status(f),
            Text(_short_id(_text(report.subscription_name(f.subscription_id)))),
            Text(_where(f)),
            Text(_text(f.message)),
        )
    return table


class PlainTable:
    """The findings table without colour, laid out as rich lays out :func:`_findings_table`, line
    for line, but without rich's per-cell machinery, which took 0.7 ms a row (50 s for the 60,000
    failing findings of 10,000 resources). rich still decides the column widths, from the cells
    that decide them (each column's widest line and widest word), and still wraps a cell that
    does not fit; a cell that fits is only padded."""

    def __init__(self, report: Report, findings: list[Finding]) -> None:
        self.report, self.findings = report, findings
        self.rows = [
            (
                f.code,
                f.status_text,
                _short_id(_text(report.subscription_name(f.subscription_id))),
                _where(f),
                _text(f.message),
            )
            for f in findings
        ]

    def render(self, console: Console) -> str:
        probe = _findings_columns()
        for row in self._deciding_rows():
            probe.add_row(*(Text(value) for value in row))
        options = console.options
        widths = probe._calculate_column_widths(console, options.update_width(options.max_width - probe._extra_width))
        last = len(widths) - 1
        pads = [(0 if i == 0 else 1, 0 if i == last else 1) for i in range(len(widths))]
        spans = [width - left - right for width, (left, right) in zip(widths, pads, strict=True)]
        if min(spans) < 1:  # too narrow for every column: rich's own ways, however slow
            with console.capture() as captured:
                console.print(_findings_table(self.report, self.findings))
            return captured.get()
        columns = probe.columns
        table_box = probe.box.substitute(options, safe=console.safe_box) if probe.box else None
        assert table_box is not None  # the findings table has a box

        def lines(row: tuple[str, ...], header: bool = False) -> list[str]:
            cells = [
                self._cell(console, value, span, column)
                for value, span, column in zip(row, spans, columns, strict=True)
            ]
            height = max(len(cell) for cell in cells)
            out = []
            for number in range(height):
                parts = []
                for cell, span, (left, right) in zip(cells, spans, pads, strict=True):
                    missing = height - len(cell)
                    index = number - missing if header else number  # a header sits at the bottom
                    text = cell[index] if 0 <= index < len(cell) else " " * span
                    parts.append(" " * left + text + " " * right)
                out.append(" ".join(parts))
            return out

        result = lines(tuple(str(column.header) for column in columns), header=True)
        result.append(table_box.get_row(widths, "head", edge=False))
        for row in self.rows:
            result.extend(lines(row))
        return "".join(f"{line}\n" for line in result)

    def _deciding_rows(self) -> list[tuple[str, ...]]:
        """Rows holding, in each column, the cell with the widest line and the one with the widest
        word: rich measures a column by those two (the other cells are left empty)."""
        deciding: list[tuple[str, ...]] = []
        for index in range(5):
            if not self.rows:
                break
            widest = max(self.rows, key=lambda row: _widest_line(row[index]))[index]
            longest = max(self.rows, key=lambda row: _widest_word(row[index]))[index]
            for value in (widest, longest):
                deciding.append(tuple(value if i == index else "" for i in range(5)))
        return deciding

    @staticmethod
    def _cell(console: Console, value: str, span: int, column: Column) -> list[str]:
        width = cell_len(value)
        if width <= span and value.isprintable():
            return [value + " " * (span - width)]
        wrapped = Text(value).wrap(
            console, span, justify=column.justify, overflow=column.overflow, no_wrap=column.no_wrap, tab_size=8
        )
        return [line.plain + " " * (span - cell_len(line.plain)) for line in wrapped]


def _widest_line(value: str) -> int:
    return max((cell_len(line) for line in value.splitlines()), default=0)


def _widest_word(value: str) -> int:
    """The narrowest a cell can be, as rich measures it: its widest word (its widest line if it
    has no word)."""
    words = value.split()
    return max(cell_len(word) for word in words) if words else _widest_line(value)


def _compact_line(report: Report, finding: Finding, width: int) -> Text:
    subscription = _short_id(_text(report.subscription_name(finding.subscription_id)))
    line = Text.assemble(
        (f"{finding.severity.label.upper():<8}", SEVERITY_STYLE[finding.severity]),
        " ",
        _status(finding),
        f" {finding.code} {subscription}/{_where(finding)}: {_text(finding.message)}",
        no_wrap=True,
        overflow="ellipsis",
    )
    line.truncate(width, overflow="ellipsis")
    return line


def _counted(report: Report) -> Table | None:
    passed = [f for f in report.findings if f.status in (Status.PASS, Status.SKIPPED)]
    if not passed:
        return None
    per_check: dict[str, list[int]] = {}
    for f in passed:
        counts = per_check.setdefault(f.code, [0, 0])
        counts[0 if f.status is Status.PASS else 1] += 1
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    table.add_column("check", no_wrap=True)
    table.add_column("title", overflow="fold")
    table.add_column("passed", justify="right", no_wrap=True)
    table.add_column("skipped", justify="right", no_wrap=True)
    for code, (p, s) in sorted(per_check.items()):
        table.add_row(code, Text(_text(report.checks[code].title)), str(p), str(s))
    return table


def _framework_blocks(report: Report) -> Iterable[RenderableType]:
    """Per framework: its summary line, then its covered controls (failing first) and their checks."""
    for framework in report.frameworks:
        label = _text(framework.label)
        yield Text(f"{framework.id.upper()} ({label}): {frameworks.summary(framework)}", style="bold")
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
        table.add_column("control", no_wrap=True)
        table.add_column("status", no_wrap=True)
        table.add_column("checks", overflow="fold")
        order = frameworks.ORDER
        controls = sorted(framework.controls, key=lambda c: order.index(c.status) if c.status in order else len(order))
        for control in controls:
            checks = "; ".join(frameworks.check_counts(c) for c in control.checks)
            status = Text(control.status.value, style=CONTROL_STYLE.get(control.status.value, ""))
            table.add_row(Text(_text(control.id)), status, Text(_text(checks)))
        yield table


def _blocks(report: Report, view: TableView) -> Iterable[RenderableType | PlainTable]:
    listed = _listed(report, view)
    if view.compact:
        yield from (_compact_line(report, f, view.width) for f in listed)
    else:
        for severity in sorted(Severity, reverse=True):
            rows = [f for f in listed if f.severity is severity]
            if rows:
                yield Text(f"{severity.label.upper()} ({len(rows)})", style=f"bold {SEVERITY_STYLE[severity]}")
                yield _findings_table(report, rows) if view.color else PlainTable(report, rows)
        if view.statuses is None and (counted := _counted(report)) is not None:
            yield Text("PASSED AND SKIPPED", style="bold")
            yield counted
    if view.filtered():
        # not listed and not counted per check either: below --severity, or of a status --status left out
        listable = DEFAULT_SHOWN if view.statuses is None else frozenset(Status)
        hidden = sum(1 for f in report.findings if f.status in listable) - len(listed)
        if hidden:
            shown = ", ".join(s.value for s in Status if s in view.shown)
            yield Text(
                f"{hidden} finding(s) not listed (showing {shown} at {view.severity.label} or higher); "
                "the summary counts them all",
                style="dim",
            )
    if report.errors or report.notes:
        yield Text("NOT ASSESSED", style="bold magenta")
        lines = [
            f"- {_text(report.subscription_name(e.subscription_id))}: {_text(e.describe())}" for e in report.errors
        ]
        # a note about the whole scope (Resource Graph, Defender's findings) names no resource
        lines += [
            f"- note: {_text(n.resource_name) + ': ' if n.resource_name else ''}{_text(n.message)}"
            for n in report.notes
        ]
        yield Text("\n".join(lines))
    yield from _framework_blocks(report)
    yield Text(summary_line(report), style="bold")


def _console(view: TableView) -> Console:
    """A console that writes nothing itself, laid out and coloured as ``view`` says."""
    return Console(
        file=io.StringIO(),
        width=view.width,
        color_system="standard" if view.color else None,
        force_terminal=view.color,
        no_color=not view.color,
        highlight=False,
        markup=False,
        emoji=False,
        legacy_windows=False,
        _environ={},  # the caller decided colour and width; NO_COLOR, COLUMNS... are read there
    )


def render_view(report: Report, view: TableView) -> str:
    """The table for ``view``: ANSI colours only when ``view.color``; no line wider than
    ``view.width`` (a compact line is cut with an ellipsis, table cells wrap)."""
    console = _console(view)
    pieces: list[str] = []
    separate = not view.compact
    for index, block in enumerate(_blocks(report, view)):
        if index and (separate or not isinstance(block, Text) or block.no_wrap is not True):
            pieces.append("\n")
        if isinstance(block, PlainTable):
            pieces.append(block.render(console))
            continue
        with console.capture() as captured:
            console.print(block)
        pieces.append(captured.get())
    return "\n".join(_TRAILING_SPACE.sub(r"\1", line) for line in "".join(pieces).splitlines()) + "\n"


def render(report: Report) -> str:
    """The plain table, as written to a file: no colour, :data:`~azaudit.render.terminal.FILE_WIDTH` columns."""
    return render_view(report, TableView())
