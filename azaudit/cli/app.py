"""The ``azaudit`` application: its commands, the options every command shares, and the entry point."""

from __future__ import annotations

from typing import Annotated

import typer

from azaudit import __version__
from azaudit.cli.browse import checks_list, checks_show, frameworks_list
from azaudit.cli.console import silence_libraries
from azaudit.cli.help import Command
from azaudit.cli.report import report_command
from azaudit.cli.runner import Group
from azaudit.cli.subscription import subscription

app = typer.Typer(
    cls=Group,
    help="Audit the security of container workloads on Azure: registries, container instances and "
    "the images they run, key vaults, logging, RBAC and Defender.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Help text is shown as written: Rich markup would eat "[tool.azaudit]" and "[[suppress]]".
    rich_markup_mode=None,
)
checks_app = typer.Typer(help="Browse the check catalogue.", invoke_without_command=True, rich_markup_mode=None)
app.add_typer(checks_app, name="checks")


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
    silence_libraries()


app.command(cls=Command)(subscription)
app.command("report", cls=Command)(report_command)
app.command("frameworks", cls=Command)(frameworks_list)
checks_app.callback()(checks_list)
checks_app.command("show", cls=Command)(checks_show)


def main() -> None:
    app(prog_name="azaudit")
