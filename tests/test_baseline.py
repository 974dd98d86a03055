"""--baseline: failures are new or unchanged against an earlier report; only new ones gate."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import msgspec
import pytest
from typer.testing import CliRunner

from azaudit.audit import Audit
from azaudit.azure_devops import issue_lines
from azaudit.cli import app
from azaudit.model import BaselineState, Finding, Severity, Status
from azaudit.render import FORMATS
from azaudit.render.json_document import render
from azaudit.reports.baseline import compare
from azaudit.reports.gate import ExitCode, exit_code_for, gating_failures
from azaudit.reports.io import load
from azaudit.reports.model import Report
from tests.conftest import SAMPLE_TENANT

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def earlier(report: Report, drop: tuple[str, ...], add: tuple[Finding, ...] = ()) -> Report:
    """The report as an earlier run might have left it: without the failures of ``drop``
    (checks that did not fail yet) and with ``add`` (failures since fixed)."""
    kept = tuple(f for f in report.findings if not (f.status is Status.FAIL and f.code in drop))
    return load(render(msgspec.structs.replace(report, findings=kept + add)), "baseline.json")


def failing(report: Report, code: str) -> list[Finding]:
    return [f for f in report.findings if f.code == code and f.status is Status.FAIL]


def passing(report: Report, code: str) -> list[Finding]:
    return [f for f in report.findings if f.code == code and f.status is Status.PASS]


def test_against_itself_nothing_is_new_or_fixed(sample_audit: Audit) -> None:
    report = sample_audit.report
    compared = compare(report, load(render(report), "b"), "baseline.json")
    assert {f.baseline for f in compared.failures()} == {BaselineState.UNCHANGED}
    assert compared.baseline is not None and compared.baseline.fixed == ()
    assert gating_failures(compared) == ()
    # the sample tenant's 403s remain: nothing new, but still not a clean exit
    assert exit_code_for(compared, Severity.LOW) is ExitCode.ERROR


def test_new_failures_gate_and_fixed_ones_are_listed(sample_audit: Audit) -> None:
    report = sample_audit.report
    was_failing = msgspec.structs.replace(passing(report, "ACR001")[0], status=Status.FAIL, message="admin user on")
    gone = msgspec.structs.replace(
        was_failing, resource_id=was_failing.resource_id + "-deleted", resource_name="deleted-acr"
    )
    compared = compare(report, earlier(report, drop=("ACI003",), add=(was_failing, gone)), "baseline.json")

    new = [f for f in compared.failures() if f.baseline is BaselineState.NEW]
    assert {f.identity for f in new} == {f.identity for f in failing(report, "ACI003")}
    assert all(f.baseline is BaselineState.UNCHANGED for f in compared.failures() if f.code != "ACI003")
    assert compared.baseline is not None
    assert [f.resource_name for f in compared.baseline.fixed] == [was_failing.resource_name]  # not the unseen one
    assert (
        compared.baseline_counts()
        == f"{len(new)} new, {len(compared.failures()) - len(new)} unchanged, 1 fixed since baseline.json"
    )
    assert exit_code_for(compared, Severity.CRITICAL) is ExitCode.FINDINGS  # ACI003 is critical and new
    lines = issue_lines(compared, Severity.LOW)
    # the agent's escaping turns "]" into %5D
    assert [line for line in lines if "ACI003 [critical new%5D" in line]
    assert all("type=error" in line for line in lines if "ACI003 [critical new%5D" in line)
    assert all("type=warning" in line for line in lines if "ACI005 [high%5D" in line), "known failures only warn"


def test_every_format_carries_the_comparison(sample_audit: Audit) -> None:
    report = sample_audit.report
    compared = compare(report, earlier(report, drop=("ACI003",)), "baseline.json")
    text = {name: render_to(compared) for name, render_to in FORMATS.items()}
    assert "FAIL new" in text["table"] and "; baseline: " in text["table"]
    assert "- Baseline: `baseline.json`" in text["markdown"] and "| FAIL new |" in text["markdown"]
    assert load(text["json"], "again").baseline == compared.baseline
    sarif = json.loads(text["sarif"])
    states = {r["ruleId"]: r["baselineState"] for r in sarif["runs"][0]["results"]}
    assert states["ACI003"] == "new" and states["ACI005"] == "unchanged"
    schema = json.loads((ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(sarif)
    assert ",new\n" in text["csv"] and ",unchanged\n" in text["csv"]


def older_azaudit(report: Report, code: str) -> Report:
    """The report as an azaudit without check ``code`` wrote it (its catalogue did not have it)."""
    checks = {c: meta for c, meta in report.checks.items() if c != code}
    findings = tuple(f for f in report.findings if f.code != code)
    return load(render(msgspec.structs.replace(report, checks=checks, findings=findings)), "baseline.json")


def test_a_check_the_baseline_did_not_run_is_newly_assessed_and_never_gates(sample_audit: Audit) -> None:
    """Upgrading azaudit adds checks: their failures are not new failures of a gated pipeline."""
    report = sample_audit.report
    compared = compare(report, older_azaudit(report, "ACI003"), "baseline.json")
    added = failing(compared, "ACI003")
    assert added and all(f.baseline is BaselineState.NEWLY_ASSESSED for f in added)
    assert all(f.baseline is BaselineState.UNCHANGED for f in compared.failures() if f.code != "ACI003")
    assert gating_failures(compared) == ()
    assert exit_code_for(compared, Severity.LOW) is ExitCode.ERROR, "not FINDINGS: only the 403s keep it from 0"
    unchanged = len(compared.failures()) - len(added)
    assert (
        compared.baseline_counts()
        == f"0 new, {unchanged} unchanged, {len(added)} newly assessed, 0 fixed since baseline.json"
    )
    # shown in every format that shows baseline state
    text = {name: render_to(compared) for name, render_to in FORMATS.items()}
    assert "FAIL newly assessed" in text["table"] and "newly assessed" in text["table"]
    assert "| FAIL newly assessed |" in text["markdown"]
    assert ",newly-assessed\n" in text["csv"]
    assert {f.baseline for f in failing(load(text["json"], "again"), "ACI003")} == {BaselineState.NEWLY_ASSESSED}
    sarif = json.loads(text["sarif"])
    results = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "ACI003"]
    assert results and all("baselineState" not in r for r in results), "SARIF's 'new' only where the check existed"
    assert all(r["properties"]["azauditBaseline"] == "newly-assessed" for r in results)
    schema = json.loads((ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(sarif)
    lines = [line for line in issue_lines(compared, Severity.LOW) if "ACI003 [critical newly assessed%5D" in line]
    assert lines and all("type=warning" in line for line in lines)


def test_cli_gates_on_new_failures_only(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    args = ["subscription", "--replay", str(SAMPLE_TENANT), "--select", "ACR001"]
    assert runner.invoke(app, [*args, "-f", "json", "-o", str(baseline)]).exit_code == 1
    again = runner.invoke(app, [*args, "--baseline", str(baseline)])
    assert again.exit_code == 0, again.output  # the same failure, complete coverage
    assert "0 new, 1 unchanged, 0 fixed" in again.output


@pytest.mark.parametrize(
    ("content", "expected"),
    [(None, "--baseline"), ("not json", "not a JSON document"), ('{"schema_version": 0}', "schema_version 0")],
)
def test_an_unusable_baseline_is_one_clear_line(tmp_path: Path, content: str | None, expected: str) -> None:
    baseline = tmp_path / "baseline.json"
    if content is not None:
        baseline.write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["subscription", "--replay", str(SAMPLE_TENANT), "--baseline", str(baseline)])
    assert result.exit_code == 2
    assert result.output.startswith("azaudit: ") and expected in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_merged_shards_are_compared_with_a_baseline_offline(tmp_path: Path, sample_audit: Audit) -> None:
    shards = []
    baseline = tmp_path / "baseline.json"
    baseline.write_text(render(earlier(sample_audit.report, drop=("ACI003",))), encoding="utf-8")
    for k in (1, 2):
        path = tmp_path / f"shard-{k}.json"
        args = ["subscription", "--replay", str(SAMPLE_TENANT), "--shard", f"{k}/2", "--baseline", str(baseline)]
        runner.invoke(app, [*args, "-f", "json", "-o", str(path)])
        shards.append(str(path))
    plain = runner.invoke(app, ["report", *shards, "-f", "json", "--fail-on", "critical"])
    assert all(f["baseline"] is None for f in json.loads(plain.stdout)["findings"]), "a job's comparison is dropped"
    assert plain.exit_code == 1
    compared = runner.invoke(
        app, ["report", *shards, "-f", "json", "--fail-on", "critical", "--baseline", str(baseline)]
    )
    document = json.loads(compared.stdout)
    new = {f["code"] for f in document["findings"] if f["baseline"] == "new"}
    assert new == {"ACI003"} and compared.exit_code == 1
    assert runner.invoke(app, ["report", *shards, "--fail-on", "high", "--baseline", shards[0]]).exit_code == 1
