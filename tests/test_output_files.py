"""Report files are whole or absent; an interrupted audit says so and writes nothing."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from azaudit import audit, cli
from azaudit.reports.io import OutputError, write_atomically, write_reports
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

    monkeypatch.setattr("azaudit.reports.io.os.replace", disk_full)
    with pytest.raises(OutputError, match=r"cannot write .*azaudit\.md: No space left on device; no report file"):
        write_atomically(target, "today's report\n")
    assert target.read_text(encoding="utf-8") == "yesterday's report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["azaudit.md"]


def test_ctrl_c_during_the_audit_is_one_line_and_exit_130(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_run_audit = audit.run_audit

    def interrupted(*args: object, **kwargs: object) -> object:
        real_run_audit(*args, **kwargs)  # type: ignore[arg-type]
        raise KeyboardInterrupt  # as if Ctrl-C arrived at the end of collection

    monkeypatch.setattr(audit, "run_audit", interrupted)
    report = tmp_path / "azaudit.json"
    result = runner.invoke(cli.app, ["subscription", "--replay", str(SAMPLE_TENANT), "-f", "json", "-o", str(report)])
    assert result.exit_code == 130
    assert result.output.strip() == "azaudit: interrupted; the audit did not finish and no report was written"
    assert not report.exists()


def audit_to(*outputs: str) -> tuple[int, str]:
    args = ["subscription", "--replay", str(SAMPLE_TENANT), "--select", "ACR001", "-f", "json", *outputs]
    result = runner.invoke(cli.app, args)
    return result.exit_code, result.stderr


def one_clear_line(code: int, err: str) -> str:
    assert code == 2, err
    line = err.strip()
    assert line.startswith("azaudit: ") and "\n" not in line and "Traceback" not in err, err
    return line


# --- special files: written through, never replaced ----------------------------------------------


def test_a_fifo_is_written_through_and_stays_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "report.pipe"
    os.mkfifo(fifo)
    # Hold both ends open ourselves: the writer never blocks, and the reader sees the end of the
    # report when the last writer (us) closes, whatever the code under test did to the path.
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    keeper = os.open(fifo, os.O_WRONLY)
    os.set_blocking(reader, True)
    received = bytearray()

    def drain() -> None:
        while chunk := os.read(reader, 65536):
            received.extend(chunk)

    thread = threading.Thread(target=drain)
    thread.start()
    try:
        code, err = audit_to("-o", str(fifo))
    finally:
        os.close(keeper)
        thread.join(timeout=30)
        os.close(reader)
    assert code == 1, err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode), "the FIFO was replaced by a regular file"
    assert json.loads(received.decode("utf-8"))["checks"].keys() == {"ACR001"}
    assert [p.name for p in tmp_path.iterdir()] == ["report.pipe"]


def test_a_symlink_stays_a_link_and_its_target_is_replaced_keeping_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "azaudit.json"
    target.parent.mkdir()
    target.write_text("yesterday\n", encoding="utf-8")
    target.chmod(0o640)
    link = tmp_path / "latest.json"
    link.symlink_to(target)
    code, err = audit_to("-o", str(link))
    assert code == 1, err
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert json.loads(target.read_text(encoding="utf-8"))["checks"].keys() == {"ACR001"}
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in target.parent.iterdir()) == ["azaudit.json"], "no temporary left"


def test_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "latest.json"
    link.symlink_to(tmp_path / "made.json")
    write_atomically(link, "report\n")
    assert link.is_symlink() and (tmp_path / "made.json").read_text(encoding="utf-8") == "report\n"


def test_dev_null_stays_the_character_device(tmp_path: Path) -> None:
    before = os.stat("/dev/null")
    code, err = audit_to("-o", "/dev/null", "--report", f"markdown={tmp_path / 'r.md'}")
    after = os.stat("/dev/null")
    assert code == 1, err
    assert stat.S_ISCHR(after.st_mode) and (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)
    assert stat.S_IMODE(after.st_mode) == stat.S_IMODE(before.st_mode)
    assert (tmp_path / "r.md").is_file()


def test_a_directory_target_is_refused_before_the_audit(tmp_path: Path) -> None:
    line = one_clear_line(*audit_to("-o", str(tmp_path)))
    assert f"cannot write {tmp_path}: it is a directory" in line


def test_a_new_report_honours_the_umask_and_a_replaced_one_keeps_its_mode(tmp_path: Path) -> None:
    previous = os.umask(0o027)
    try:
        write_atomically(tmp_path / "new.json", "{}\n")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o640, "not the 0600 of a temporary file"
    shared = tmp_path / "shared.json"
    shared.write_text("old\n", encoding="utf-8")
    shared.chmod(0o664)
    write_atomically(shared, "new\n")
    assert stat.S_IMODE(shared.stat().st_mode) == 0o664


# --- several files: all or none --------------------------------------------------------------------


def test_one_unwritable_report_leaves_no_other_written(tmp_path: Path) -> None:
    first = tmp_path / "azaudit.json"
    line = one_clear_line(*audit_to("-o", str(first), "--report", f"markdown={tmp_path / 'missing' / 'r.md'}"))
    assert "missing" in line and "does not exist" in line
    assert not first.exists()


def test_a_failed_rename_puts_back_the_reports_already_renamed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    existing, new, third = tmp_path / "a.json", tmp_path / "b.md", tmp_path / "c.csv"
    existing.write_text("yesterday\n", encoding="utf-8")
    real_replace = os.replace
    calls: list[str] = []

    def fails_third(src: str, dst: str) -> None:
        calls.append(str(dst))
        if str(dst) == str(third):
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr("azaudit.reports.io.os.replace", fails_third)
    with pytest.raises(OutputError, match=r"cannot write .*c\.csv: No space left on device; no report file was"):
        write_reports([(existing, "today\n"), (new, "today\n"), (third, "today\n")])
    assert str(existing) in calls and str(new) in calls, "the failure came after two renames"
    assert existing.read_text(encoding="utf-8") == "yesterday\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"], "no new file, no temporary, no backup"


def test_a_failed_write_of_one_temporary_writes_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    real_mkstemp = tempfile.mkstemp

    def full_disk_on_second(*args: object, **kwargs: object) -> tuple[int, str]:
        if str(kwargs.get("prefix", "")).startswith(".b."):
            raise OSError(28, "No space left on device")
        return real_mkstemp(*args, **kwargs)  # type: ignore[call-overload,no-any-return]

    monkeypatch.setattr("azaudit.reports.io.tempfile.mkstemp", full_disk_on_second)
    with pytest.raises(OutputError, match=r"b\.md: No space left"):
        write_reports([(tmp_path / "a.json", "x\n"), (tmp_path / "b.md", "y\n")])
    assert list(tmp_path.iterdir()) == []


def test_two_reports_into_the_same_file_are_refused(tmp_path: Path) -> None:
    same = tmp_path / "r.json"
    line = one_clear_line(*audit_to("-o", str(same), "--report", f"json={tmp_path / '.' / 'r.json'}"))
    assert "are the same file" in line
    assert not same.exists()


def test_a_report_that_fails_mid_way_through_the_cli_is_one_line_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "azaudit.json", tmp_path / "azaudit.sarif"
    real_replace = os.replace

    def full_on_sarif(src: str, dst: str) -> None:
        if str(dst).endswith(".sarif"):
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr("azaudit.reports.io.os.replace", full_on_sarif)
    line = one_clear_line(*audit_to("-o", str(first), "--report", f"sarif={second}"))
    assert line == f"azaudit: cannot write {second}: No space left on device; no report file was written"
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_target_is_refused_before_any_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*args: object, **kwargs: object) -> object:
        raise AssertionError("the audit ran")

    monkeypatch.setattr(audit, "run_audit", never)
    one_clear_line(*audit_to("--report", f"csv={tmp_path}"))


def test_a_kernel_link_to_a_pipe_is_written_through(tmp_path: Path) -> None:
    """``-o /dev/stdout`` in a pipeline: /dev/stdout → /proc/self/fd/1 → a pipe, whose "target
    path" (``pipe:[1234]``) does not exist."""
    read_end, write_end = os.pipe()
    try:
        write_reports([(Path(f"/proc/self/fd/{write_end}"), "report\n"), (tmp_path / "r.md", "# r\n")])
        os.close(write_end)
        assert os.read(read_end, 100) == b"report\n"
    finally:
        os.close(read_end)
    assert (tmp_path / "r.md").read_text(encoding="utf-8") == "# r\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_root_replacing_another_users_report_keeps_its_owner(tmp_path: Path) -> None:
    report = tmp_path / "azaudit.json"
    report.write_text("old\n", encoding="utf-8")
    os.chown(report, 4321, 4322)
    write_atomically(report, "new\n")
    assert (report.stat().st_uid, report.stat().st_gid) == (4321, 4322)
