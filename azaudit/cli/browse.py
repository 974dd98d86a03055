"""Browse what azaudit knows, offline: the check catalogue (``azaudit checks``) and the compliance
frameworks (``azaudit frameworks``)."""

from __future__ import annotations

from typing import Annotated

import typer

from azaudit import frameworks
from azaudit.cli.console import err
from azaudit.cli.runner import guarded
from azaudit.render.catalogue import CatalogueFormat, as_json, as_markdown
from azaudit.render.terminal import terminal_width
from azaudit.reports.gate import ExitCode


def frameworks_list() -> None:
    """List the compliance frameworks `--framework` accepts: how many of their controls azaudit
    checks, and the Azure Policy initiative the mapping comes from."""
    from azaudit.render.fitted import fitted_table  # tabulate: only the commands that print a table

    rows = []
    for framework_id in frameworks.available():
        known = frameworks.load(framework_id)
        covered = sum(1 for control in known.controls.values() if control.checks)
        rows.append((known.id, known.label, f"{covered} of {len(known.controls)}", known.source.initiative))
    headers = ("id", "framework", "controls checked", "mapped through the Azure Policy initiative")
    typer.echo(fitted_table(rows, headers, terminal_width(), {1: 16, 3: 16}))


def checks_list(
    ctx: typer.Context,
    fmt: Annotated[
        CatalogueFormat,
        typer.Option(
            "--format",
            "-f",
            help="table for people; json (every field: code, name, title, severity, service, resource_type, "
            "applies_to, requires, mcsb, policies, origin, docs) or markdown for tools and pages.",
            case_sensitive=False,
        ),
    ] = CatalogueFormat.TABLE,
) -> None:
    """List the checks: code, name, severity, service, title."""
    if ctx.invoked_subcommand is not None:
        return

    def work() -> ExitCode:
        # The catalogue (every check, the installed plugins' entry points) and tabulate are
        # imported by the command that lists checks, not by every start (--help, completion).
        from azaudit import catalogue
        from azaudit.render.fitted import fitted_table

        # The catalogue with installed plugins: a broken plugin is one clear line and exit 2.
        checks = catalogue.load()
        if fmt is not CatalogueFormat.TABLE:
            metas = [c.meta for c in checks.values()]
            typer.echo(as_json(metas) if fmt is CatalogueFormat.JSON else as_markdown(metas), nl=False)
            return ExitCode.OK
        custom = any(not c.meta.builtin for c in checks.values())
        headers = ("code", "name", "severity", "service", "title", *(("source",) if custom else ()))
        rows = [
            (c.meta.code, c.meta.name, c.meta.severity.label, c.meta.service, c.meta.title)
            + ((c.meta.origin,) if custom else ())
            for c in checks.values()
        ]
        # the title wraps first, then the name and the service (code, severity and source never do)
        typer.echo(fitted_table(rows, headers, terminal_width(), {1: 16, 3: 10, 4: 20}))
        return ExitCode.OK

    guarded(work)


def checks_show(code: Annotated[str, typer.Argument(metavar="CODE", help="A check code, e.g. ACR001.")]) -> None:
    """Print a check's documentation."""
    from azaudit import catalogue
    from azaudit.render.checkdoc import check_markdown

    def work() -> ExitCode:
        chk = catalogue.load().get(code.upper())
        if chk is None:
            err(f"azaudit: no check {code!r}; `azaudit checks` lists them")
            return ExitCode.ERROR
        typer.echo(check_markdown(chk.meta))
        return ExitCode.OK

    guarded(work)
