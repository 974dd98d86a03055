"""The report ``azaudit report`` works on: saved JSON reports read and merged into one (the shards
of one audit, or audits of separate subscriptions), then compared with a baseline when one is given."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from azaudit.reports.baseline import compare, load_baseline
from azaudit.reports.io import read
from azaudit.reports.merge import merge_reports
from azaudit.reports.model import Report


def load_saved(files: Sequence[Path], baseline: Path | None = None) -> Report:
    merged = merge_reports([(str(file), read(file, str(file))) for file in files])
    if baseline is None:
        return merged
    return compare(merged, load_baseline(baseline), str(baseline))
