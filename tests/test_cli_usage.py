"""Bad input on the command line: one clear line on stderr, exit 2, no traceback, no usage block
or boxed panel, and whatever the user typed neutralised like tenant text."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from azaudit.cli import app
from tests.conftest import SAMPLE_TENANT

runner = CliRunner()
TENANT = str(SAMPLE_TENANT)
BOX_DRAWING = re.compile("[\u2500-\u257f]")

BAD_INPUTS = {
    "bad choice": ["subscription", "--replay", TENANT, "-f", "xml"],
    "bad --report spec": ["subscription", "--replay", TENANT, "--report", "foo=x"],
    "empty --approved-registry": ["subscription", "--replay", TENANT, "--approved-registry", ""],
    "bad --shard": ["subscription", "--replay", TENANT, "--shard", "3/2"],
    "unknown option": ["subscription", "--bogus"],
    "option without its value": ["subscription", "-f"],
    "out of range": ["subscription", "--concurrency", "0"],
    "not a number": ["subscription", "--timeout", "soon"],
    "missing argument": ["checks", "show"],
    "missing report": ["report"],
    "unknown command": ["nosuch"],
    "bad catalogue format": ["checks", "-f", "pdf"],
    "contradiction": ["subscription", "--quiet", "--verbose"],
    "escape sequences in a value": ["subscription", "-f", "x\x1b]8;;http://e\x07\n##vso[task.complete]\u202e"],
    "escape sequences in an option": ["subscription", "--x\x1b[2J\n##vso[x]"],
}


def _invoke(args: list[str], columns: str = "200") -> tuple[int, str, str]:
    result = runner.invoke(app, args, prog_name="azaudit", env={"COLUMNS": columns})
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("args", list(BAD_INPUTS.values()), ids=list(BAD_INPUTS))
def test_bad_input_is_one_line_on_stderr_and_exit_2(args: list[str]) -> None:
    code, stdout, stderr = _invoke(args)
    assert code == 2, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("azaudit: error: "), stderr
    assert stdout == ""
    assert "Traceback" not in stderr and "Usage:" not in stderr and "Try '" not in stderr
    assert not BOX_DRAWING.search(stderr), stderr
    assert "\x1b" not in stderr and "\x07" not in stderr and "\u202e" not in stderr and "##vso" not in stderr


def test_a_bad_choice_names_the_option_and_the_choices_plainly() -> None:
    _, _, stderr = _invoke(BAD_INPUTS["bad choice"])
    assert stderr == (
        "azaudit: error: --format: 'xml' is not one of table, markdown, json, sarif, junit, csv, html, ocsf "
        "(see azaudit subscription --help)\n"
    )


def test_a_bad_report_spec_and_a_missing_argument_name_what_is_wrong() -> None:
    assert _invoke(BAD_INPUTS["bad --report spec"])[2].startswith(
        "azaudit: error: --report: 'foo=x': expected FORMAT=PATH"
    )
    assert (
        _invoke(BAD_INPUTS["missing argument"])[2]
        == "azaudit: error: missing argument CODE (see azaudit checks show --help)\n"
    )
    assert _invoke(BAD_INPUTS["bad --shard"])[2].startswith("azaudit: error: --shard: '3/2': expected K/N")


def test_an_approved_registry_from_the_command_line_is_refused_in_command_line_terms() -> None:
    _, _, stderr = _invoke(BAD_INPUTS["empty --approved-registry"])
    assert stderr.startswith("azaudit: error: --approved-registry: '' is not a registry host")
    assert "e.g. --approved-registry contosoacr.azurecr.io" in stderr
    assert "registries.approved" not in stderr and "approved = [" not in stderr


def test_a_typed_value_is_shown_escaped_on_the_one_line() -> None:
    _, _, stderr = _invoke(BAD_INPUTS["escape sequences in a value"])
    assert "\\x1b" in stderr and "**vso" in stderr


def test_a_usage_error_is_one_line_at_80_columns() -> None:
    code, _, stderr = _invoke(BAD_INPUTS["bad choice"], columns="80")
    assert code == 2 and len(stderr.splitlines()) == 1 and not BOX_DRAWING.search(stderr)


def test_good_input_and_help_still_work() -> None:
    assert _invoke(["subscription", "--help"])[0] == 0
    code, stdout, _ = _invoke(["checks", "show", "ACR001"])
    assert code == 0 and "ACR001" in stdout


def test_report_quiet_promises_no_progress_bar_only_where_there_is_one() -> None:
    def quiet_help(command: str) -> str:
        text = " ".join(_invoke([command, "--help"])[1].split())
        return text[text.index("-q, --quiet") :][:80]

    assert "no progress bar" not in quiet_help("report")
    assert "no summary line" in quiet_help("report")
    assert "no progress bar" in quiet_help("subscription")
