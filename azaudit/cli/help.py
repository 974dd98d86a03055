"""How a command's help names its arguments. Typer 0.29 writes an argument as its metavar followed
by its Python type (``SUBSCRIPTION <list[str]>``); azaudit's help names it as the usage line and
the README do: the metavar, with ``...`` when it takes several values."""

from __future__ import annotations

from typer import _click
from typer._click.exceptions import UsageError
from typer.core import TyperArgument, TyperCommand


def argument_name(argument: TyperArgument) -> str:
    name = argument.metavar or (argument.name or "").upper()
    return f"{name}..." if argument.nargs != 1 else name


class Command(TyperCommand):
    """A command whose help lists each argument by its name alone (options are unchanged)."""

    def parse_args(self, ctx: _click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except UsageError as exc:
            # The parser raises some (an option without its value) without the command: attach
            # it, so the one-line error can say which command's --help to read.
            if exc.ctx is None:
                exc.ctx = ctx
            raise

    def format_options(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        arguments: list[tuple[str, str]] = []
        options: list[tuple[str, str]] = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if isinstance(param, TyperArgument):
                arguments.append((argument_name(param), record[1]))
            elif param.param_type_name == "option":
                options.append(record)
        if arguments:
            with formatter.section("Arguments"):
                formatter.write_dl(arguments)
        if options:
            with formatter.section("Options"):
                formatter.write_dl(options)
