"""The Markdown report's reader view: executive summary, exceptions register, configuration and
selection, links to the checks' documentation, and the SHA-256 of the JSON report of the run."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import msgspec
import pytest
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from azaudit.cli import app
from azaudit.errors import ConfigError
from azaudit.model import Status
from azaudit.render import FORMATS
from azaudit.reports.gate import with_fail_on
from azaudit.runconfig import ExpiredSuppressions
from azaudit.settings import parse_settings
from tests.conftest import SAMPLE_TENANT, audit_replay
from tests.test_reports import fixed_report

CONFIG = """
[[suppress]]
check = "ACR001"
resource = "contosolegacyacr"
reason = "decommissioned in Q1"
expires = 2099-01-01
owner = "platform-security@contoso.example"
ticket = "SEC-1234"

[[suppress]]
check = "KV001"
resource = "kv-dev-shared"
reason = "nobody renewed this"
expires = 2020-01-01
"""


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "azaudit.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def _status(report_findings: tuple[object, ...], code: str, name: str) -> set[Status]:
    return {f.status for f in report_findings if f.code == code and f.resource_name == name}  # type: ignore[attr-defined]


def test_expired_suppression_fails_by_default(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"expired on 2020-01-01.*--expired-suppressions warn"):
        audit_replay(config_file=_config(tmp_path))


def test_expired_suppression_warn_lists_it_and_does_not_apply_it(tmp_path: Path) -> None:
    audit = audit_replay(config_file=_config(tmp_path), expired_suppressions=ExpiredSuppressions.WARN, ignore=("LOG",))
    findings = audit.report.findings
    assert _status(findings, "ACR001", "contosolegacyacr") == {Status.SKIPPED}  # the live exception applies
    assert _status(findings, "KV001", "kv-dev-shared") == {Status.FAIL}  # the expired one does not
    text = FORMATS["markdown"](with_fail_on(audit.report, None))
    register = text.split("## Exceptions register", 1)[1].split("\n## ", 1)[0]
    assert (
        "| `ACR001` | contosolegacyacr | decommissioned in Q1 | 2099-01-01 | platform-security@contoso.example "
        "| SEC-1234 | active | 1 |" in register
    )
    assert "| `KV001` | kv-dev-shared | nobody renewed this | 2020-01-01 | \\- | \\- | expired: not applied | 0 |" in (
        register
    )
    configuration = text.split("## Configuration and selection", 1)[1].split("\n## ", 1)[0]
    assert "- `--ignore`: `LOG`" in configuration
    assert "- Checks excluded by `--ignore`: `LOG001`, `LOG002`" in configuration
    assert "| `keyvault.stale_secret_days` | 365 |" in configuration


def test_owner_and_ticket_must_not_be_empty() -> None:
    table = {"suppress": [{"check": "ACR001", "resource": "x", "reason": "r", "expires": "2099-01-01", "owner": " "}]}
    with pytest.raises(ConfigError, match=r"`suppress\[0\]\.owner` is empty"):
        parse_settings(table, "azaudit.toml")
    table["suppress"][0]["owner"] = 5
    with pytest.raises(ConfigError, match=r"`suppress\[0\]\.owner` must be str"):
        parse_settings(table, "azaudit.toml")


def test_executive_summary_links_and_hash(sample_audit_markdown: tuple[str, str]) -> None:
    text, json_report = sample_audit_markdown
    summary = text.split("## Executive summary", 1)[1].split("\n## ", 1)[0]
    assert "- Scope: 3 subscription(s): contoso-prod (`3f8a6c1e-5b7d-4e2a-9c11-7d2e0f4a8b51`)" in summary
    assert "### Top risks" in summary and "| `ACI003` |" in summary
    digest = hashlib.sha256(json_report.encode("utf-8")).hexdigest()
    assert f"UTF-8 bytes of the file): `{digest}`" in text
    html = MarkdownIt("commonmark").enable("table").render(text)
    assert '<a href="https://github.com/azaudit/azaudit/blob/main/docs/checks/ACR001.md">documentation</a>' in html
    assert 'href="https://learn.microsoft.com/azure/container-registry/container-registry-authentication' in html
    # the full ARM id of each failing resource, the observed value, and the passing ones collapsed
    row = next(line for line in text.splitlines() if line.startswith("| FAIL | contoso-prod | contosolegacyacr |"))
    assert "| properties.adminUserEnabled = true |" in row
    assert "`/subscriptions/3f8a6c1e-5b7d-4e2a-9c11-7d2e0f4a8b51/resourceGroups/" in row
    assert "<details><summary>Passing: " in text
    for jargon in ("seed", "Recommendations coverage", "recommendations coverage"):
        assert jargon not in text


@pytest.fixture(scope="module")
def sample_audit_markdown() -> tuple[str, str]:
    report = with_fail_on(audit_replay().report, None)
    return FORMATS["markdown"](report), FORMATS["json"](report)


def test_evidence_is_recorded_and_absent_when_a_check_records_none(sample_audit_markdown: tuple[str, str]) -> None:
    document = json.loads(sample_audit_markdown[1])
    acr001 = [f for f in document["findings"] if f["code"] == "ACR001"]
    assert {f["evidence"]["properties.adminUserEnabled"] for f in acr001} == {"true", "false"}
    kv001 = [f for f in document["findings"] if f["code"] == "KV001"]
    shown = {f["evidence"]["properties.enablePurgeProtection"] for f in kv001 if f["status"] in ("PASS", "FAIL")}
    assert shown == {"true", "absent (Azure default: off)"}
    assert all("evidence" not in f for f in document["findings"] if f["status"] in ("SKIPPED", "ERROR"))


def test_cli_expired_suppressions_fail_is_one_line_and_warn_writes_the_register(tmp_path: Path) -> None:
    config = _config(tmp_path)
    base = [
        "subscription",
        "--replay",
        str(SAMPLE_TENANT),
        "--config",
        str(config),
        "--select",
        "ACR",
        "--select",
        "KV",
    ]
    refused = CliRunner().invoke(app, [*base, "-f", "json"])
    assert refused.exit_code == 2 and refused.stdout == ""
    assert "expired on 2020-01-01" in refused.stderr and "Traceback" not in refused.stderr
    target = tmp_path / "r.html"
    warned = CliRunner().invoke(app, [*base, "--expired-suppressions", "warn", "-f", "html", "-o", str(target)])
    assert warned.exit_code == 1, warned.stderr
    assert "warning: the suppression of KV001 for 'kv-dev-shared' expired on 2020-01-01" in warned.stderr
    html = target.read_text(encoding="utf-8")
    assert "<td>KV001</td><td>kv-dev-shared</td><td>nobody renewed this</td><td>2020-01-01</td>" in html
    assert "<td>expired: not applied</td>" in html and "<td>SEC-1234</td>" in html


def test_checks_that_passed_everywhere_are_collapsed_with_no_tenant_or_check_text_in_raw_html() -> None:
    report = fixed_report()
    meta = msgspec.structs.replace(report.checks["ACR009"], title="<img src=x onerror=alert(1)>")
    report = msgspec.structs.replace(
        report,
        checks={**report.checks, "ACR009": meta},
        findings=tuple(f for f in report.findings if f.status is not Status.ERROR),
        errors=(),
    )
    text = FORMATS["markdown"](report)
    section = text.split("## Checks that passed everywhere", 1)[1].split("\n## ", 1)[0]
    assert "<details><summary>ACR009: 1 passing finding(s)</summary>" in section
    assert "**\\<img src=x onerror=alert(1)\\>**" in section  # in Markdown, where escapes work
    html = MarkdownIt("commonmark").enable("table").render(text)
    assert "<img" not in html and "| prod | acr-legacy |  | `/subscriptions/" in section
