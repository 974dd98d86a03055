"""Report files are whole or absent; an interrupted audit says so and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from azaudit import cli
from azaudit.output_files import write_atomically
from tests.conftest import SAMPLE_TENANT

runner = CliRunner()


def test_a_report_replaces_the_previous_one_whole(tmp_path: Path) -> None:
    target = tmp_path / "azaudit.md"
    target.write_text("yesterday's report\n", encoding="utf-8")
    write_atomically(target, "today's report\n")
    assert target.read_text(encoding="utf-8") == "today's report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["azaudit.md"], "no temporary file left behind"


def test_a_failed_write_leaves_the_previous_report_and_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "azaudit.md"
    target.write_text("yesterday's report\n", encoding="utf-8")

    def disk_full(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("azaudit.output_files.os.replace", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_atomically(target, "today's report\n")
    assert target.read_text(encoding="utf-8") == "yesterday's report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["azaudit.md"]


def test_ctrl_c_during_the_audit_is_one_line_and_exit_130(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_run_audit = cli.run_audit

    def interrupted(*args: object, **kwargs: object) -> object:
        real_run_audit(*args, **kwargs)  # type: ignore[arg-type]
        raise KeyboardInterrupt  # as if Ctrl-C arrived at the end of collection

    monkeypatch.setattr(cli, "run_audit", interrupted)
    report = tmp_path / "azaudit.json"
    result = runner.invoke(cli.app, ["subscription", "--replay", str(SAMPLE_TENANT), "-f", "json", "-o", str(report)])
    assert result.exit_code == 130
    assert result.output.strip() == "azaudit: interrupted; the audit did not finish and no report was written"
    assert not report.exists()
