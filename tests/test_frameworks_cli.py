"""--framework on both commands: the per-control view in every format; `azaudit frameworks`."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner, Result

from azaudit.cli import app
from tests.conftest import ROOT, SAMPLE_TENANT

EXPECTED = ("cis-azure-3.0.0", "iso-27001-2022", "mcsb-v1", "nist-800-53-r5", "pci-dss-4.0.1", "soc-2")


def _cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_framework_option_adds_the_view_to_the_reports(tmp_path: Path) -> None:
    paths = {fmt: tmp_path / f"r.{fmt}" for fmt in ("json", "markdown", "csv")}
    result = _cli(
        "subscription", "--replay", str(SAMPLE_TENANT), "--framework", "mcsb-v1", "--framework", "CIS-azure-3.0.0",
        "-f", "table", *(arg for fmt, path in paths.items() for arg in ("--report", f"{fmt}={path}")),
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "MCSB-V1 (Microsoft cloud security benchmark v1)" in result.stdout
    document = json.loads(paths["json"].read_text())
    jsonschema.validate(document, json.loads((ROOT / "azaudit" / "schemas" / "report-v1.schema.json").read_text()))
    assert [view["id"] for view in document["frameworks"]] == ["mcsb-v1", "cis-azure-3.0.0"]
    assert "### CIS Microsoft Azure Foundations Benchmark 3.0.0 (`cis-azure-3.0.0`)" in paths["markdown"].read_text()
    assert paths["csv"].read_text().splitlines()[0].endswith(",controls:mcsb-v1,controls:cis-azure-3.0.0")


def test_report_command_computes_the_view_offline(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    _cli("subscription", "--replay", str(SAMPLE_TENANT), "-f", "json", "-o", str(path))
    result = _cli("report", str(path), "--framework", "nist-800-53-r5", "-f", "markdown")
    assert result.exit_code == 0, result.output
    assert "### NIST SP 800-53 Rev. 5 (`nist-800-53-r5`)" in result.stdout
    assert "| `IA-5` | Identification and Authentication | Authenticator Management | **fail** |" in result.stdout


@pytest.mark.parametrize("command", ["subscription", "report"])
def test_unknown_framework_is_one_line_and_exit_2(command: str, tmp_path: Path) -> None:
    target = ["--replay", str(SAMPLE_TENANT)] if command == "subscription" else [str(tmp_path / "none.json")]
    result = _cli(command, *target, "--framework", "cis-6.0")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"azaudit: unknown framework 'cis-6.0'; choose from {', '.join(EXPECTED)}"
    ]


def test_frameworks_command_lists_the_ids() -> None:
    result = _cli("frameworks")
    assert result.exit_code == 0
    for framework_id in EXPECTED:
        assert framework_id in result.stdout
    assert "19 of 85" in result.stdout  # the MCSB controls azaudit checks
