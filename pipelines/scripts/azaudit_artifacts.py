"""Pipeline helper for the azaudit templates: which run's report is the baseline, which attempt of
each slice is merged. Standard library only (it runs before and beside azaudit on the agent).

  mark      after an audit: decide whether it completed, write ``completed.json`` beside the
            reports and, when it did, tag the run ``azaudit-audit-complete`` (Azure Pipelines
            logging command on stdout).
  baseline  after downloading the reports of the newest run tagged complete: pick the newest
            attempt whose marker says complete and copy its JSON report to ``--output``.
  shards    in the merge job: pick the newest attempt of every slice, refuse a missing one.

"Complete" means every check could see its data: azaudit exited 0 or 1 (2 is an error or an
incomplete audit without gating findings) *and* the JSON report has no collection error and no
not-assessed (ERROR) finding; exit 1 alone is not enough, since a gating finding takes precedence
over an incomplete audit in the exit code. The gate's result does not matter: a run that failed
on findings, and a first clean run, are both eligible baselines.

Artifact names carry the job attempt (``azaudit-reports-attempt-2``,
``azaudit-shard-3-attempt-2``) so that "Rerun failed jobs" publishes beside the first attempt's
artifacts instead of colliding with them.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path

TAG = "azaudit-audit-complete"
MARKER = "completed.json"
REPORT = "azaudit.json"
RUN_ARTIFACT = re.compile(r"^azaudit-reports-attempt-(\d+)$")
SHARD_ARTIFACT = re.compile(r"^azaudit-shard-(\d+)-attempt-(\d+)$")


def _say(line: str) -> None:
    print(f"azaudit-artifacts: {line}", file=sys.stderr)


def report_is_complete(path: Path) -> bool:
    """Whether the JSON report at ``path`` says every check could see its data."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(document, dict) or document.get("tool") != "azaudit":
        return False
    errors, findings = document.get("errors"), document.get("findings")
    if not isinstance(errors, list) or not isinstance(findings, list):
        return False
    return not errors and all(isinstance(f, dict) and f.get("status") != "ERROR" for f in findings)


def mark(reports: Path, exit_code: int, build_id: str, attempt: int) -> bool:
    complete = exit_code in (0, 1) and report_is_complete(reports / REPORT)
    marker = {"complete": complete, "exit_code": exit_code, "build_id": build_id, "attempt": attempt}
    reports.mkdir(parents=True, exist_ok=True)
    (reports / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    if complete:
        print(f"##vso[build.addbuildtag]{TAG}")
    _say(f"attempt {attempt} {'completed' if complete else 'did not complete'} the audit (exit {exit_code})")
    return complete


def _marker(directory: Path) -> dict[str, object] | None:
    try:
        marker = json.loads((directory / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) else None


def choose_baseline(downloaded: Path, current_build: str) -> Path | None:
    """The JSON report of the newest attempt that completed the audit, never one of this run's."""
    candidates: list[tuple[int, Path]] = []
    if downloaded.is_dir():
        for directory in downloaded.iterdir():
            match = RUN_ARTIFACT.match(directory.name)
            marker = _marker(directory) if match else None
            if match is None or marker is None or marker.get("complete") is not True:
                continue
            if str(marker.get("build_id")) == current_build:
                continue  # a rerun of this very run: comparing it with itself would hide what is new
            if not report_is_complete(directory / REPORT):
                continue  # the marker and the report disagree: trust neither
            candidates.append((int(match.group(1)), directory / REPORT))
    return max(candidates)[1] if candidates else None


def choose_shards(downloaded: Path, total: int) -> dict[int, Path]:
    """The newest attempt's report of every slice 1..total; raises LookupError naming a missing one."""
    newest: dict[int, tuple[int, Path]] = {}
    if downloaded.is_dir():
        for directory in downloaded.iterdir():
            match = SHARD_ARTIFACT.match(directory.name)
            if match is None:
                continue
            shard, attempt = int(match.group(1)), int(match.group(2))
            report = directory / f"shard-{shard}.json"
            if report.is_file() and (shard not in newest or attempt > newest[shard][0]):
                newest[shard] = (attempt, report)
    missing = [k for k in range(1, total + 1) if k not in newest]
    if missing:
        raise LookupError(f"no report for slice(s) {', '.join(map(str, missing))} of {total}: not audited")
    return {k: newest[k][1] for k in range(1, total + 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="azaudit_artifacts.py")
    commands = parser.add_subparsers(dest="command", required=True)
    p_mark = commands.add_parser("mark")
    p_mark.add_argument("--reports", type=Path, required=True)
    p_mark.add_argument("--exit-code", type=int, required=True)
    p_mark.add_argument("--build-id", required=True)
    p_mark.add_argument("--attempt", type=int, required=True)
    p_base = commands.add_parser("baseline")
    p_base.add_argument("--downloaded", type=Path, required=True)
    p_base.add_argument("--current-build", required=True)
    p_base.add_argument("--output", type=Path, required=True)
    p_shards = commands.add_parser("shards")
    p_shards.add_argument("--downloaded", type=Path, required=True)
    p_shards.add_argument("--total", type=int, required=True)
    p_shards.add_argument("--output", type=Path, required=True)
    args = parser.parse_args(argv)

    if args.command == "mark":
        mark(args.reports, args.exit_code, args.build_id, args.attempt)
        return 0
    if args.command == "baseline":
        chosen = choose_baseline(args.downloaded, args.current_build)
        if chosen is None:
            _say("no earlier run completed the audit: no baseline, every failure can gate")
            return 0
        args.output.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(chosen, args.output)
        _say(f"baseline: {chosen.parent.name}")
        return 0
    try:
        chosen_shards = choose_shards(args.downloaded, args.total)
    except LookupError as exc:
        _say(str(exc))
        return 2
    args.output.mkdir(parents=True, exist_ok=True)
    for shard, report in chosen_shards.items():
        shutil.copyfile(report, args.output / f"shard-{shard}.json")
        _say(f"slice {shard}: {report.parent.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
