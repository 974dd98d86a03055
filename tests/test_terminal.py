"""The terminal: a table that fits the width, colours only where they belong (never with NO_COLOR,
never in a file), a compact layout, filters that change what is listed and nothing else, --quiet,
--verbose stage timings, and the demo as a person sees it in an 80-column tmux."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import msgspec
import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from azaudit.cli import app
from azaudit.model import Finding, Severity, Status
from azaudit.render.table import middle_ellipsis, render, render_view
from azaudit.render.terminal import FILE_WIDTH, TableView, file_view, stdout_view, wants_colour
from azaudit.reports.model import Report
from tests.conftest import SAMPLE_TENANT
from tests.test_reports import fixed_report

runner = CliRunner()
ANSI = re.compile(r"\x1b\[[0-9;]*m")
ROOT = Path(__file__).resolve().parent.parent


def long_report() -> Report:
    """The golden report plus a finding with a long name, an id as its item, an unnamed
    subscription and Rich markup in tenant text."""
    report = fixed_report()
    long = Finding(
        code="KV004",
        status=Status.FAIL,
        severity=Severity.CRITICAL,
        resource_id="/subscriptions/x/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv",
        resource_name="kv-" + "very-long-vault-name-" * 4 + "[bold red]not markup[/]",
        resource_type="Microsoft.KeyVault/vaults",
        subscription_id="0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9",
        message="an access policy grants everything " * 6,
        item="3b5d7f9b-1d3f-4b5d-9f7b-1d3f5b7d9f84",
    )
    return msgspec.structs.replace(report, findings=(*report.findings, long))


def widest(text: str) -> int:
    return max(cell_len(ANSI.sub("", line)) for line in text.splitlines())


@pytest.mark.parametrize("width", [80, 100, 120])
def test_no_line_is_wider_than_the_view(width: int) -> None:
    text = render_view(long_report(), TableView(width=width))
    assert widest(text) <= width
    assert "not" in text and "markup" in text  # the long name wrapped, not cut


def test_ids_lose_their_middle_names_do_not() -> None:
    text = render_view(long_report(), TableView(width=120))
    assert "(3b5d7f9b-1…f5b7d9f84)" in text  # the item, an object id
    assert "0b1c2d3e-4…a4b5c6d7e8f9" not in text and "0b1c2d3e-4…" in text  # the unnamed subscription
    assert "very-long-vault-name-very-long" in text.replace("\n", "").replace(" ", "")


def test_markup_in_tenant_text_is_shown_as_written() -> None:
    report = fixed_report()
    named = msgspec.structs.replace(report.findings[0], resource_name="[bold]acr[/bold]")
    text = render_view(msgspec.structs.replace(report, findings=(named,)), TableView(width=200, color=True))
    assert "[bold]acr[/bold]" in ANSI.sub("", text)


def test_colours_follow_severity_and_status_only_when_asked() -> None:
    report = long_report()
    coloured = render_view(report, TableView(width=120, color=True))
    assert "\x1b[1;31mCRITICAL (1)" in coloured  # critical: bold red heading
    assert "\x1b[31mFAIL" in coloured  # FAIL red
    assert "\x1b[35mERROR" in coloured  # ERROR magenta
    plain = render_view(report, TableView(width=120, color=False))
    assert "\x1b" not in plain
    assert not any(ANSI.sub("", line).endswith(" ") for line in coloured.splitlines())
    assert ANSI.sub("", coloured).split() == plain.split()


def test_pass_is_green_when_listed() -> None:
    text = render_view(fixed_report(), TableView(width=120, color=True, statuses=frozenset({Status.PASS})))
    assert "\x1b[32mPASS" in text


@pytest.mark.parametrize(
    ("environ", "tty", "flag", "expected"),
    [
        ({}, True, False, True),
        ({}, False, False, False),  # a pipe: plain text
        ({"NO_COLOR": "1"}, True, False, False),
        ({"NO_COLOR": "anything"}, True, False, False),
        ({"NO_COLOR": ""}, True, False, True),  # only a non-empty NO_COLOR counts
        ({}, True, True, False),  # --no-color
        ({"FORCE_COLOR": "1"}, False, False, True),
        ({"FORCE_COLOR": "0"}, True, False, False),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, True, False, False),  # NO_COLOR wins
        ({"TERM": "dumb"}, True, False, False),
    ],
)
def test_when_the_table_has_colours(environ: dict[str, str], tty: bool, flag: bool, expected: bool) -> None:
    assert wants_colour(environ, tty, flag) is expected


def test_narrow_terminals_get_the_compact_layout_and_pipes_keep_the_table() -> None:
    assert stdout_view({}, True, width=79).compact
    assert not stdout_view({}, True, width=80).compact
    assert not stdout_view({}, False, width=60).compact
    assert stdout_view({}, False, width=120, compact=True).compact


def test_compact_is_one_line_per_listed_finding_cut_to_the_width() -> None:
    report = long_report()
    text = render_view(report, TableView(width=60, compact=True))
    lines = text.splitlines()
    listed = [f for f in report.findings if f.status in (Status.FAIL, Status.ERROR)]
    finding_lines = [line for line in lines if line.split(" ")[0] in {s.label.upper() for s in Severity}]
    assert len(finding_lines) == len(listed)
    assert finding_lines[0].startswith("CRITICAL FAIL KV004 0b1c2d3e-4…")
    assert finding_lines[0].endswith("…") and cell_len(finding_lines[0]) == 60
    assert widest(text) <= 60


def test_filters_change_what_is_listed_and_say_so() -> None:
    report = long_report()
    high = render_view(report, TableView(severity=Severity.HIGH))
    assert "ACR001" in high and "KV004" in high and "ACR009   ERROR" not in high
    assert "1 finding(s) not listed (showing FAIL, ERROR at high or higher)" in high
    passing = render_view(report, TableView(statuses=frozenset({Status.PASS})))
    assert "ACR009   PASS" in passing and "ACR001   FAIL" not in passing
    assert "3 finding(s) not listed (showing PASS at info or higher)" in passing
    assert "PASSED AND SKIPPED" not in passing  # listed, not counted
    # the summary line counts every finding either way
    summary = render(report).splitlines()[-2:]
    assert " ".join(high.splitlines()[-2:]) == " ".join(summary)


def test_a_file_gets_the_filters_but_never_colour() -> None:
    view = TableView(width=70, color=True, compact=True, severity=Severity.HIGH)
    assert file_view(view) == TableView(width=FILE_WIDTH, compact=True, severity=Severity.HIGH)


def test_middle_ellipsis() -> None:
    assert middle_ellipsis("abcdefghij", 10) == "abcdefghij"
    assert middle_ellipsis("abcdefghijk", 5) == "ab…jk"
    assert len(middle_ellipsis("x" * 50, 20)) == 20


def demo(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["subscription", "--replay", str(SAMPLE_TENANT), *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_filters_never_change_the_exit_code_or_other_formats(tmp_path: Path) -> None:
    code, _, _ = demo("--select", "ACR", "-f", "json", "-o", str(tmp_path / "all.json"))
    filtered, table, _ = demo(
        "--select", "ACR", "--severity", "high", "--status", "PASS", "--report", f"json={tmp_path / 'f.json'}"
    )
    assert code == filtered == 1
    assert re.search(r"^ACR\d+\s+PASS", table, re.MULTILINE)
    assert not re.search(r"^ACR\d+\s+FAIL", table, re.MULTILINE)
    every = json.loads((tmp_path / "all.json").read_text(encoding="utf-8"))["findings"]
    kept = json.loads((tmp_path / "f.json").read_text(encoding="utf-8"))["findings"]
    assert len(kept) == len(every)


def test_a_report_file_has_no_colour_even_when_forced(tmp_path: Path) -> None:
    target = tmp_path / "table.txt"
    code, stdout, _ = demo("--select", "ACR", "-o", str(target), env={"FORCE_COLOR": "1"})
    assert code == 1 and stdout == ""
    assert "\x1b" not in target.read_text(encoding="utf-8")
    # while stdout, with FORCE_COLOR, is coloured
    _, coloured, _ = demo("--select", "ACR", env={"FORCE_COLOR": "1"})
    assert "\x1b[" in coloured
    _, plain, _ = demo("--select", "ACR", env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert "\x1b" not in plain


def test_quiet_prints_only_the_report() -> None:
    code, stdout, stderr = demo("--select", "ACR", "-f", "json", "--quiet")
    assert code == 1 and json.loads(stdout)["findings"]
    assert stderr == ""
    _, _, loud = demo("--select", "ACR", "-f", "json")
    assert "check(s)" in loud  # the summary line, without --quiet


def test_quiet_and_verbose_contradict() -> None:
    code, _, stderr = demo("--quiet", "--verbose")
    assert code == 2 and "contradict" in stderr


def test_verbose_shows_each_stage_time() -> None:
    _, _, stderr = demo("--select", "ACR001", "-f", "csv", "--verbose")
    line = next(line for line in stderr.splitlines() if line.startswith("timings: "))
    stages = re.findall(r"(\w+) (\d+\.\d\d)s", line)
    assert [stage for stage, _ in stages] == ["auth", "enumerate", "collect", "checks", "render"]


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_the_demo_fits_an_80_column_terminal(tmp_path: Path) -> None:
    """As a person runs it: in an 80-column terminal, every line fits and the summary is there."""
    session = f"azaudit-{uuid.uuid4().hex[:8]}"
    captured = tmp_path / "pane.txt"
    done = tmp_path / "done"
    command = (
        f"cd {ROOT} && {sys.executable} -m azaudit subscription --replay {SAMPLE_TENANT}; "
        f"echo EXIT=$? > {done}; sleep 120"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES", "TMUX")}
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "50", command], check=True, env=env)
    try:
        deadline = time.monotonic() + 90
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert done.exists(), "the demo did not finish"
        pane = subprocess.run(
            ["tmux", "capture-pane", "-p", "-J", "-S", "-", "-E", "-", "-t", session],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
    captured.write_text(pane, encoding="utf-8")
    lines = pane.rstrip("\n").splitlines()
    assert max(cell_len(line) for line in lines) <= 80, captured
    text = " ".join(line.strip() for line in lines)
    assert re.search(r"\d+ pass, \d+ fail, \d+ error, \d+ skipped", text)
    assert "coverage INCOMPLETE" in text
    assert "CRITICAL (" in text and "\x1b" not in pane
    assert done.read_text(encoding="utf-8").strip() == "EXIT=1"


def test_columns_sets_the_width_and_framework_views_fit_it() -> None:
    code, table, _ = demo("--select", "ACR", "--framework", "mcsb-v1", env={"COLUMNS": "80"})
    assert code == 1
    assert widest(table) <= 80
    assert "MCSB-V1 (Microsoft cloud security benchmark v1)" in table
    assert re.search(r"^IM-1\s+fail\s+ACR001: 1 fail", table, re.MULTILINE)
    assert max(cell_len(line) for line in table.splitlines() if "─" in line) > 60  # laid out for 80
