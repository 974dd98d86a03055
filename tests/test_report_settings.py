"""The report records every threshold setting of the run, numbers and words alike (IMG001's
``[images] vulnerability_min_severity``), in JSON, Markdown and HTML; a report written when only
the numeric settings were recorded is still read back, and shard reports carrying them merge."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from typer.testing import CliRunner

from azaudit.cli import app
from azaudit.render import FORMATS
from azaudit.reports.gate import with_fail_on
from tests.conftest import SAMPLE_TENANT, audit_replay

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()
CONFIG = '[images]\nvulnerability_min_severity = "critical"\nmax_age_days = 120\n'
EXPECTED = {
    "keyvault.stale_secret_days": 365,
    "keyvault.expiring_soon_days": 30,
    "rbac.max_subscription_owners": 3,
    "rbac.min_subscription_owners": 2,
    "images.max_age_days": 120,
    "images.vulnerability_min_severity": "critical",
}


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "azaudit.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def test_every_threshold_is_recorded_also_the_vulnerability_severity(tmp_path: Path) -> None:
    report = with_fail_on(audit_replay(config_file=_config(tmp_path), select=("IMG",)).report, None)
    assert report.run.settings is not None and report.run.settings.thresholds == EXPECTED

    document = json.loads(FORMATS["json"](report))
    assert document["run"]["settings"]["thresholds"] == EXPECTED
    schema = json.loads((ROOT / "azaudit" / "schemas" / "report-v1.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(document)

    markdown = FORMATS["markdown"](report)
    configuration = markdown.split("## Configuration and selection", 1)[1].split("\n## ", 1)[0]
    assert "| `images.vulnerability_min_severity` | critical |" in configuration
    assert "| `images.max_age_days` | 120 |" in configuration

    html = FORMATS["html"](report)
    configuration = html.split('<section id="configuration">', 1)[1].split("</section>", 1)[0]
    assert "<dt>images.vulnerability_min_severity</dt><dd>critical</dd>" in configuration
    assert "<dt>keyvault.stale_secret_days</dt><dd>365</dd>" in configuration


def test_a_report_with_numeric_thresholds_only_is_still_read(tmp_path: Path) -> None:
    written = runner.invoke(
        app,
        [
            "subscription",
            "--replay",
            str(SAMPLE_TENANT),
            "--select",
            "IMG",
            "-f",
            "json",
            "-o",
            str(tmp_path / "r.json"),
        ],
    )
    assert written.exit_code in (0, 1), written.output
    document = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    # as azaudit wrote it before it recorded the settings that are words
    del document["run"]["settings"]["thresholds"]["images.vulnerability_min_severity"]
    older = tmp_path / "older.json"
    older.write_text(json.dumps(document), encoding="utf-8")
    result = runner.invoke(app, ["report", str(older), "-f", "markdown"])
    assert result.exit_code in (0, 1) and not result.output.startswith("azaudit: "), result.output
    assert "| `keyvault.stale_secret_days` | 365 |" in result.stdout
    assert "images.vulnerability_min_severity" not in result.stdout


def test_shard_reports_with_word_settings_merge(tmp_path: Path) -> None:
    config = _config(tmp_path)
    shards = []
    for k in (1, 2):
        path = tmp_path / f"shard-{k}.json"
        args = ["subscription", "--replay", str(SAMPLE_TENANT), "--shard", f"{k}/2", "--select", "IMG"]
        written = runner.invoke(app, [*args, "--config", str(config), "-f", "json", "-o", str(path)])
        assert written.exit_code in (0, 1), written.output
        shards.append(str(path))
    merged = runner.invoke(app, ["report", *shards, "-f", "json"])
    assert merged.exit_code in (0, 1) and not merged.output.startswith("azaudit: "), merged.output
    document = json.loads(merged.stdout)
    assert document["run"]["merged_from"] == 2
    assert document["run"]["settings"]["thresholds"] == EXPECTED
