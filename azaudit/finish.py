"""The one way a command ends once it holds a report: render every format asked for, write the
files (all or none), publish to Azure DevOps when inside a pipeline, and compute the exit code.
``azaudit subscription`` and ``azaudit report`` both finish here; the CLI prints what it returns.

Azure DevOps' logging commands never mix with a report: stdout carries the report or nothing
else, so with the report on stdout they go to stderr, which the agent reads as well
(docs/reporting.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from azaudit import frameworks
from azaudit.azure_devops import in_pipeline, issue_lines, summary_line
from azaudit.frameworks.view import with_views
from azaudit.model import Severity
from azaudit.render import Format, renderer
from azaudit.render.terminal import TableView, file_view
from azaudit.reports.gate import ExitCode, exit_code_for, with_fail_on
from azaudit.reports.io import Text, check_targets, write_reports
from azaudit.reports.model import Report


@dataclass(frozen=True)
class Destinations:
    """Where a report goes: ``fmt`` to ``output`` (stdout when None), plus ``extra`` files."""

    fmt: Format
    output: Path | None = None
    extra: Sequence[tuple[Format, Path]] = ()
    table: TableView = field(default_factory=TableView)  # the table on stdout (files: plain, FILE_WIDTH)

    def paths(self) -> list[Path]:
        return [*([self.output] if self.output is not None else []), *(path for _, path in self.extra)]

    @property
    def table_on_stdout(self) -> bool:
        """Whether the report is the table on stdout (then no summary line is printed under it)."""
        return self.output is None and self.fmt is Format.TABLE


@dataclass(frozen=True)
class Gate:
    """How a report decides the exit code: ``fail_on`` None never gates on findings (exit 0)."""

    fail_on: Severity | None
    exit_zero: bool = False


@dataclass(frozen=True)
class Finished:
    stdout: str  # the report when it goes to stdout, else ''
    pipeline: tuple[str, ...]  # Azure DevOps logging commands, one per line
    pipeline_to_stderr: bool  # True when stdout carries the report
    exit_code: ExitCode


def prepare(destinations: Destinations, framework_ids: Sequence[str]) -> tuple[str, ...]:
    """What a command checks before any work: report files that can never be written are refused,
    and the ``--framework`` ids are known; returns those ids, each once."""
    check_targets(destinations.paths())
    return frameworks.parse_ids(tuple(framework_ids))


def pipeline_lines(report: Report, destinations: Destinations, fail_on: Severity | None) -> tuple[str, ...]:
    """The issues (failing findings, an incomplete audit) and the run summary (the first Markdown
    report written to a file), the same for every command."""
    markdown = [path for fmt, path in destinations.extra if fmt is Format.MARKDOWN]
    if destinations.fmt is Format.MARKDOWN and destinations.output is not None:
        markdown.insert(0, destinations.output)
    return (*issue_lines(report, fail_on), *(summary_line(path) for path in markdown[:1]))


def _render(report: Report, fmt: Format, view: TableView) -> str:
    if fmt is Format.TABLE:
        from azaudit.render.table import render_view  # rich: only when the table is asked for

        return render_view(report, view)
    return renderer(fmt)(report)


def _in_pieces(fmt: Format) -> Callable[[Report], Iterable[str]] | None:
    """How a file of ``fmt`` is written from pieces made while it is written, or None: at 10,000
    resources the JSON report is 130 MB (making it whole held two copies), the OCSF lines 570 MB,
    the HTML page 136 MB (its template's pieces and their joined text were held at once). Each
    renderer is imported here, when its format is asked for (HTML and Markdown bring jinja2)."""
    if fmt is Format.JSON:
        from azaudit.render import json_document

        return json_document.chunks
    if fmt is Format.OCSF:
        from azaudit.render import ocsf

        return ocsf.chunks
    if fmt is Format.HTML:
        from azaudit.render import html

        return html.chunks
    if fmt is Format.MARKDOWN:
        from azaudit.render import markdown

        return markdown.chunks
    return None


def _to_file(report: Report, fmt: Format, view: TableView) -> Text:
    """A report file's text: in pieces for the formats :func:`_in_pieces` names, any other whole."""
    pieces = _in_pieces(fmt)
    return pieces(report) if pieces is not None else _render(report, fmt, view)


def finish(
    report: Report,
    destinations: Destinations,
    gate: Gate,
    environ: Mapping[str, str],
    framework_ids: Sequence[str] = (),
) -> Finished:
    """Render, write (all or none: an :class:`~azaudit.reports.io.OutputError` writes nothing),
    publish and gate ``report`` with the per-control view of each framework in ``framework_ids``.
    Every format records the severity this command gates on."""
    report = with_fail_on(with_views(report, framework_ids), gate.fail_on)
    text = _render(report, destinations.fmt, destinations.table) if destinations.output is None else ""
    files = [(path, _to_file(report, fmt, file_view(destinations.table))) for fmt, path in destinations.extra]
    if destinations.output is not None:
        files.insert(0, (destinations.output, _to_file(report, destinations.fmt, file_view(destinations.table))))
    write_reports(files)
    published = pipeline_lines(report, destinations, gate.fail_on) if in_pipeline(environ) else ()
    code = ExitCode.OK if gate.fail_on is None else exit_code_for(report, gate.fail_on, gate.exit_zero)
    return Finished(
        stdout=text,
        pipeline=published,
        pipeline_to_stderr=destinations.output is None,
        exit_code=code,
    )
