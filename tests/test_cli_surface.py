"""What a person meets around the report: help text shown as written with its choices, shell
completion, the catalogue as data, and one line per failed sign-in."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from azaudit import catalogue
from azaudit.cli import app

runner = CliRunner()


@pytest.mark.parametrize("command", ["subscription", "report", "checks", "frameworks"])
def test_help_has_no_type_placeholders_among_the_options(command: str) -> None:
    text = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"}).stdout
    options = text[text.index("Options") :]
    for placeholder in ("<list[", "<str>", "<path>", "<int", "<float", "<bool>"):
        assert placeholder not in options, (placeholder, options)


def test_checks_show_names_its_argument_as_the_readme_does() -> None:
    text = runner.invoke(app, ["checks", "show", "--help"], env={"COLUMNS": "200"}).stdout
    assert "checks show [OPTIONS] {CODE}" in " ".join(text.split())


def test_help_shows_square_brackets_as_written() -> None:
    """Rich markup would read [tool.azaudit] as a style tag and drop it."""
    text = runner.invoke(app, ["subscription", "--help"], env={"COLUMNS": "200"}).stdout
    assert "[tool.azaudit] in ./pyproject.toml" in text
    assert "--status FAIL|ERROR|PASS|SKIPPED" in text
    assert "--severity <info|low|medium|high|critical>" in text


def test_completion_is_offered_and_completes_choices() -> None:
    text = runner.invoke(app, ["--help"]).stdout
    assert "--install-completion" in text and "--show-completion" in text
    env = {
        **os.environ,
        "_AZAUDIT_COMPLETE": "complete_bash",
        "COMP_WORDS": "azaudit subscription --format ",
        "COMP_CWORD": "3",
    }
    done = subprocess.run([sys.executable, "-m", "azaudit"], env=env, capture_output=True, text=True, timeout=60)
    assert {"table", "markdown", "json", "sarif", "junit", "csv"} <= set(done.stdout.split())
    # Typer names the shell it finds among the process's ancestors, as a person's terminal has one;
    # "; true" keeps bash from replacing itself with the command (a test run may have no shell
    # ancestor at all, e.g. when started in the background by a process that has exited).
    script = subprocess.run(
        ["bash", "-c", f"{shlex.quote(sys.executable)} -m azaudit --show-completion; true"],
        env={**os.environ, "SHELL": "/bin/bash"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert script.returncode == 0 and "complete " in script.stdout and "_AZAUDIT_COMPLETE" in script.stdout


def test_checks_as_json_carries_every_field_of_every_check() -> None:
    result = runner.invoke(app, ["checks", "-f", "json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)["checks"]
    known = catalogue.load()
    assert [c["code"] for c in listed] == list(known)
    acr001 = next(c for c in listed if c["code"] == "ACR001")
    for field in ("name", "title", "severity", "service", "applies_to", "requires", "mcsb", "policies", "docs"):
        assert field in acr001
    assert acr001["severity"] == "high" and acr001["requires"] == ["registries"]
    assert acr001["policies"] == list(known["ACR001"].meta.policies) and acr001["docs"]["fix"]
    premium = next(c for c in listed if c["applies_to"])
    assert premium["applies_to"] == list(known[premium["code"]].meta.applies_to)


def test_checks_as_markdown_is_one_table_row_per_check() -> None:
    result = runner.invoke(app, ["checks", "--format", "markdown"])
    assert result.exit_code == 0
    rows = [line for line in result.stdout.splitlines() if line.startswith("| [")]
    assert len(rows) == len(catalogue.load())
    assert rows[0].startswith("| [ACR001](docs/checks/ACR001.md) | admin-user-enabled | high |")


def test_an_unknown_catalogue_format_is_refused() -> None:
    result = runner.invoke(app, ["checks", "-f", "pdf"])
    assert result.exit_code == 2 and "pdf" in result.output


UNSET = {"AZURE_CLIENT_ID": None, "AZURE_TENANT_ID": None, "AZURE_CLIENT_SECRET": None,
         "AZURE_CLIENT_CERTIFICATE_PATH": None, "AZURE_USERNAME": None}  # fmt: skip


def test_a_failed_sign_in_is_one_line_and_identity_speaks_only_with_verbose() -> None:
    quiet = runner.invoke(app, ["subscription", "--auth", "env"], env=UNSET)
    assert quiet.exit_code == 2
    assert quiet.stderr.splitlines() == [quiet.stderr.strip()]
    assert quiet.stderr.startswith("azaudit: could not authenticate (env): EnvironmentCredential")
    assert "azure.identity" not in quiet.stderr and quiet.stdout == ""
    loud = runner.invoke(app, ["subscription", "--auth", "env", "--verbose"], env=UNSET)
    assert loud.exit_code == 2
    assert "azaudit: warning from azure.identity" in loud.stderr


@pytest.mark.parametrize(
    ("command", "shown"),
    [(["subscription"], "SUBSCRIPTION..."), (["report"], "REPORT..."), (["checks", "show"], "CODE")],
)
def test_help_names_arguments_by_their_metavar_within_80_columns(command: list[str], shown: str) -> None:
    """Typer would write ``SUBSCRIPTION <list[str]>``: the help names an argument as the usage line does."""
    text = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "80"}).stdout
    arguments = text[text.index("Arguments:") : text.index("Options:")]
    assert arguments.split()[1] == shown, arguments
    assert "<" not in arguments, arguments
    assert max(len(line) for line in text.splitlines()) <= 80, text
