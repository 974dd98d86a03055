"""``azaudit checks`` and ``azaudit frameworks`` fit the terminal: on 80 columns their long
columns wrap inside their cells instead of every line overflowing (COLUMNS wins, as for the
findings table)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from azaudit import catalogue, frameworks
from azaudit.cli import app
from azaudit.render.fitted import fitted_table

runner = CliRunner()


@pytest.mark.parametrize("width", [80, 100])
@pytest.mark.parametrize("command", [["checks"], ["frameworks"]])
def test_the_catalogue_and_frameworks_fit_the_terminal(command: list[str], width: int) -> None:
    result = runner.invoke(app, command, env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= width, "\n".join(line for line in lines if len(line) > width)
    body = lines[next(i for i, line in enumerate(lines) if line.startswith("---")) + 1 :]
    first_column = {line.split()[0] for line in body if line and not line.startswith(" ")}
    expected = set(catalogue.load()) if command == ["checks"] else set(frameworks.available())
    assert first_column == expected


def test_a_wide_terminal_keeps_one_line_per_check() -> None:
    result = runner.invoke(app, ["checks"], env={"COLUMNS": "400"})
    assert len(result.stdout.splitlines()) == len(catalogue.load()) + 2


def test_only_wrappable_columns_shrink_and_never_below_their_floor() -> None:
    rows = [("ACR001", "a-rather-long-check-name", "x" * 60)]
    text = fitted_table(rows, ("code", "name", "title"), 40, {1: 10, 2: 10})
    assert max(len(line) for line in text.splitlines()) <= 40
    assert "ACR001" in text  # the code column never wraps
    narrow = fitted_table(rows, ("code", "name", "title"), 5, {1: 10, 2: 10})
    # too narrow for anything: the wrappable columns stop at their floor, the code stays whole
    assert [len(dashes) for dashes in narrow.splitlines()[1].split()] == [6, 10, 10]


def test_the_format_help_names_every_field_the_json_catalogue_has() -> None:
    from azaudit.render.catalogue import FIELDS

    text = " ".join(runner.invoke(app, ["checks", "--help"], env={"COLUMNS": "200"}).stdout.split())
    listed = text.split("every field:", 1)[1].split(")", 1)[0]
    assert [field.strip() for field in listed.split(",")] == list(FIELDS)
