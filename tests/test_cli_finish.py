"""Both commands finish the same way (azaudit.reports.finish): render, write, publish to Azure
DevOps, gate. The CLI only parses and prints."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from azaudit.cli import app
from tests.conftest import SAMPLE_TENANT

runner = CliRunner()


@pytest.fixture(scope="module")
def saved_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("saved") / "audit.json"
    result = runner.invoke(
        app, ["subscription", "--replay", str(SAMPLE_TENANT), "--select", "ACR001", "-f", "json", "-o", str(path)]
    )
    assert result.exit_code == 1, result.output
    return path


def test_report_publishes_issues_to_azure_devops_like_subscription(saved_report: Path, tmp_path: Path) -> None:
    markdown = tmp_path / "r.md"
    written = runner.invoke(
        app, ["report", str(saved_report), "-o", str(markdown), "--fail-on", "low"], env={"TF_BUILD": "True"}
    )
    assert written.exit_code == 1, written.output
    # with -o the commands go to stdout, as subscription's do
    assert "##vso[task.logissue type=error;code=ACR001]" in written.stdout
    assert f"##vso[task.uploadsummary]{markdown.resolve()}" in written.stdout
    assert "##vso[" not in markdown.read_text(encoding="utf-8")


def test_report_on_stdout_keeps_the_commands_on_stderr_and_warns_without_a_gate(saved_report: Path) -> None:
    shown = runner.invoke(app, ["report", str(saved_report), "-f", "table"], env={"TF_BUILD": "True"})
    assert shown.exit_code == 0, shown.output
    assert "##vso[" not in shown.stdout
    # without --fail-on nothing fails the run, so no finding is a pipeline error
    assert "##vso[task.logissue type=warning;code=ACR001]" in shown.stderr
    assert "type=error" not in shown.stderr


def test_report_outside_a_pipeline_prints_no_commands(saved_report: Path) -> None:
    shown = runner.invoke(app, ["report", str(saved_report), "-f", "csv"], env={"TF_BUILD": ""})
    assert "##vso[" not in shown.stdout + shown.stderr


@pytest.mark.parametrize("command", ["subscription", "report"])
def test_help_lists_the_choices_of_format_and_fail_on(command: str) -> None:
    text = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"}).stdout
    assert "table|markdown|json|sarif|junit|csv" in text
    assert "info|low|medium|high|critical" in text
    options = text[text.index("Options") :]
    assert "<list[" not in options and "<str>" not in options and "<path>" not in options


@pytest.mark.parametrize("command", ["subscription", "report"])
def test_an_unknown_format_or_threshold_is_refused_with_exit_2(command: str, saved_report: Path) -> None:
    target = ["--replay", str(SAMPLE_TENANT)] if command == "subscription" else [str(saved_report)]
    for option, value in (("--format", "pdf"), ("--fail-on", "severe")):
        result = runner.invoke(app, [command, *target, option, value])
        assert result.exit_code == 2 and value in result.output
