"""Report formats: golden files, schema validation, rendering, re-rendering, Azure DevOps."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import jsonschema
import msgspec
import pytest
import xmlschema
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from azaudit.audit import Audit
from azaudit.azure_devops import escape, issue_lines
from azaudit.cli import app
from azaudit.inventory.common import Subscription
from azaudit.inventory.coverage import CollectionError, CollectionNote, Dataset
from azaudit.model import CheckDocs, CheckMeta, Finding, Severity, Status
from azaudit.render import FORMATS
from azaudit.render.csv_rows import safe
from azaudit.render.json_document import json_schema
from azaudit.reports.io import load
from azaudit.reports.model import Report, RunInfo
from tests.conftest import CANARY_MARK, ROOT, SAMPLE_TENANT

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"
SCHEMAS = HERE / "schemas"
SUFFIX = {
    "table": "txt",
    "markdown": "md",
    "json": "json",
    "sarif": "sarif",
    "junit": "xml",
    "csv": "csv",
    "ocsf": "ocsf.jsonl",
    "html": "html",
}
SUB = "3f8a6c1e-5b7d-4e2a-9c11-7d2e0f4a8b51"
REG = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acr-legacy"


def _meta(code: str, name: str, severity: Severity) -> CheckMeta:
    return CheckMeta(
        code=code,
        name=name,
        title=f"Title of {code}",
        severity=severity,
        service="Container Registry",
        resource_type="Microsoft.ContainerRegistry/registries",
        requires=(Dataset.REGISTRIES,),
        recommendations=("protect-credentials",),
        mcsb=("IM-1",),
        docs=CheckDocs(
            what="What the check looks at.",
            why="Why it matters | with a pipe.",
            fix="Do this:\n\n```bash\naz acr update --name <registry> --admin-enabled false\n```",
            references=("https://learn.microsoft.com/azure/container-registry/",),
        ),
    )


def fixed_report() -> Report:
    """One fixed report, independent of the catalogue and the clock: the golden files' input."""
    at = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)

    def finding(code: str, status: Status, severity: Severity, message: str, item: str | None = None) -> Finding:
        return Finding(
            code=code, status=status, severity=severity, resource_id=REG, resource_name="acr-legacy",
            resource_type="Microsoft.ContainerRegistry/registries", subscription_id=SUB, message=message, item=item,
        )  # fmt: skip

    return Report(
        run=RunInfo(
            tool_version="0.0.0-golden",
            started_at=at,
            finished_at=at,
            cloud="public",
            tenant_id="t-1",
            subscriptions=(Subscription(subscription_id=SUB, display_name="prod", state="Enabled"),),
            source="replay:golden",
            requests=12,
        ),
        checks={
            "ACR001": _meta("ACR001", "admin-user-enabled", Severity.HIGH),
            "ACR009": _meta("ACR009", "tokens", Severity.LOW),
        },
        findings=(
            finding("ACR001", Status.FAIL, Severity.HIGH, "the admin user is enabled; =cmd|' /C calc'!A0"),
            finding("ACR009", Status.PASS, Severity.LOW, "no token"),
            finding("ACR009", Status.ERROR, Severity.LOW, "not assessed: registry-tokens not collected", item="tokens"),
        ),
        errors=(
            CollectionError(
                dataset=Dataset.REGISTRY_TOKENS,
                subscription_id=SUB,
                resource_id=REG,
                resource_name="acr-legacy",
                operation="tokens.list",
                status_code=403,
                reason="AuthorizationFailed: denied",
            ),
        ),
        notes=(
            CollectionNote(
                dataset=Dataset.SECRETS, subscription_id=SUB, resource_id=REG, resource_name="kv", message="a note"
            ),
        ),
    )


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_golden(fmt: str) -> None:
    rendered = FORMATS[fmt](fixed_report())
    path = GOLDEN / f"report.{SUFFIX[fmt]}"
    if os.environ.get("AZAUDIT_REGENERATE_GOLDEN"):
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8"), (
        f"regenerate with AZAUDIT_REGENERATE_GOLDEN=1 if intended ({path})"
    )


def test_every_format_is_covered_by_a_golden_file() -> None:
    assert set(SUFFIX) == set(FORMATS)


# ---------------------------------------------------------------------------- schemas


def test_json_report_matches_its_published_schema(sample_audit: Audit) -> None:
    published = json.loads((ROOT / "azaudit" / "schemas" / "report-v1.schema.json").read_text())
    assert published == json.loads(json.dumps(json_schema(), sort_keys=True)), "python -m azaudit.render.json_document"
    jsonschema.Draft202012Validator(published).validate(json.loads(FORMATS["json"](sample_audit.report)))


def test_sarif_validates_against_the_official_schema(sample_audit: Audit) -> None:
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    for report in (sample_audit.report, fixed_report()):
        document = json.loads(FORMATS["sarif"](report))
        validator.validate(document)
    run = json.loads(FORMATS["sarif"](sample_audit.report))["runs"][0]
    assert run["invocations"][0]["executionSuccessful"] is False  # the sample audit is incomplete
    assert all(  # ARM ids: of a resource, or of a role assignment at management group scope
        r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].startswith(
            ("/subscriptions/", "/providers/Microsoft.Management/managementGroups/")
        )
        for r in run["results"]
    )
    assert all("security-severity" in rule["properties"] for rule in run["tool"]["driver"]["rules"])


def test_junit_validates_against_the_ant_schema(sample_audit: Audit) -> None:
    schema = xmlschema.XMLSchema(str(SCHEMAS / "JUnit.xsd"))
    for report in (sample_audit.report, fixed_report()):
        schema.validate(FORMATS["junit"](report))


# ---------------------------------------------------------------------------- rendering


def test_markdown_renders_as_commonmark_with_tables(sample_audit: Audit) -> None:
    html = MarkdownIt("commonmark").enable("table").render(FORMATS["markdown"](sample_audit.report))
    for heading in (
        "Executive summary",
        "Summary",
        "Not assessed",
        "Findings",
        "Exceptions register",
        "Container security guidance",
        "Configuration and selection",
        "Checks that ran",
        "Integrity",
    ):
        assert f"<h2>{heading}</h2>" in html
    assert html.count("<table>") >= 6
    assert '<pre><code class="language-bash">' in html  # how-to-fix commands survive


def test_markdown_table_cells_escape_pipes() -> None:
    html = MarkdownIt("commonmark").enable("table").render(FORMATS["markdown"](fixed_report()))
    assert "=cmd|' /C calc'!A0" in html.replace("&#x27;", "'")  # the pipe stayed inside its cell


def test_json_round_trips(sample_audit: Audit) -> None:
    assert load(FORMATS["json"](sample_audit.report), "x") == sample_audit.report


def test_csv_neutralises_formulas() -> None:
    assert safe("=1+1") == "'=1+1" and safe("@SUM(A1)") == "'@SUM(A1)" and safe("plain") == "plain"
    assert "'=cmd" not in FORMATS["csv"](fixed_report())  # the message does not start with '='


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_no_format_contains_a_planted_secret(fmt: str, sample_audit: Audit) -> None:
    assert CANARY_MARK not in FORMATS[fmt](sample_audit.report)


# ---------------------------------------------------------------------------- CLI

runner = CliRunner()


def test_all_six_formats_from_one_run_and_offline_re_rendering(tmp_path: Path) -> None:
    args = ["subscription", "--replay", str(SAMPLE_TENANT), "-f", "json", "-o", str(tmp_path / "r.json")]
    for fmt in ("table", "markdown", "sarif", "junit", "csv"):
        args += ["--report", f"{fmt}={tmp_path / ('r.' + fmt)}"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    for fmt in ("json", "table", "markdown", "sarif", "junit", "csv"):
        text = (tmp_path / f"r.{fmt}").read_text()
        assert text and CANARY_MARK not in text
    again = runner.invoke(app, ["report", str(tmp_path / "r.json"), "-f", "markdown"])
    assert again.exit_code == 0
    assert again.stdout == (tmp_path / "r.markdown").read_text()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{", "not a JSON document"),
        ('{"schema_version": 9}', "schema_version 9"),
        ('{"version": "2.1.0", "runs": []}', "not an azaudit JSON report (no schema_version)"),
        # not UTF-8: a traceback from read_text before
        ('{"schema_version": 1}'.encode("utf-16"), "UTF-16 text, not a UTF-8 JSON report"),
        (b'{"schema_version": 1, "x\xff": 1}', "not a JSON document (Invalid UTF-8"),
    ],
)
def test_report_command_refuses_bad_files_in_one_line(tmp_path: Path, content: str | bytes, expected: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = runner.invoke(app, ["report", str(path)])
    assert result.exit_code == 2
    assert expected in result.stderr and result.stderr.strip().count("\n") == 0


def test_report_option_rejects_an_unknown_format() -> None:
    result = runner.invoke(app, ["subscription", "--replay", str(SAMPLE_TENANT), "--report", "pdf=x.pdf"])
    assert result.exit_code == 2


# ---------------------------------------------------------------------------- Azure DevOps


def test_logging_commands_escape_values() -> None:
    assert escape("a;b]c\nd%") == "a%3Bb%5Dc%0Ad%AZP25"


def test_issue_lines_for_failures_and_incomplete_audits() -> None:
    lines = issue_lines(fixed_report(), Severity.HIGH)
    # the incomplete warning comes first, where the agent's cap on issues cannot drop it
    assert lines[0].startswith("##vso[task.logissue type=warning]the audit is incomplete")
    assert lines[1].startswith("##vso[task.logissue type=error;code=ACR001]ACR001 [high%5D acr-legacy:")
    assert len(lines) == 2
    assert issue_lines(fixed_report(), Severity.CRITICAL)[1].startswith("##vso[task.logissue type=warning;code=ACR001]")


def _many_failures(gating: int, below: int, complete: bool) -> Report:
    report = fixed_report()
    template = report.findings[0]
    failures = [
        msgspec.structs.replace(template, resource_name=f"acr-{severity.label}-{i:02d}", severity=severity)
        for severity, count in ((Severity.HIGH, gating), (Severity.LOW, below))
        for i in range(count)
    ]
    return msgspec.structs.replace(report, findings=tuple(failures), errors=report.errors if not complete else ())


@pytest.mark.parametrize(
    ("gating", "below", "complete", "errors", "warnings", "summary"),
    [
        (3, 4, True, 3, 4, None),
        (10, 10, True, 10, 10, None),
        (10, 10, False, 10, 10, "2 more failing finding(s) not listed here (0 that fail the run, 2 that do not)"),
        (25, 0, True, 10, 1, "15 more failing finding(s) not listed here (15 that fail the run, 0 that do not)"),
        (12, 30, False, 10, 10, "24 more failing finding(s) not listed here (2 that fail the run, 22 that do not)"),
    ],
)
def test_issue_lines_keep_at_most_ten_per_type_and_summarise_the_rest(
    gating: int, below: int, complete: bool, errors: int, warnings: int, summary: str | None
) -> None:
    lines = issue_lines(_many_failures(gating, below, complete), Severity.HIGH)
    assert sum(line.startswith("##vso[task.logissue type=error") for line in lines) == errors
    assert sum(line.startswith("##vso[task.logissue type=warning") for line in lines) == warnings
    assert lines[0].startswith("##vso[task.logissue type=warning]the audit is incomplete") is not complete
    if summary is None:
        assert not any("more failing finding" in line for line in lines)
    else:
        assert lines[-1] == f"##vso[task.logissue type=warning]{summary}: see the reports"


def test_issue_lines_cap_is_a_parameter() -> None:
    report = _many_failures(25, 30, complete=True)
    assert len(issue_lines(report, Severity.HIGH, per_type=1000)) == 55
    assert len(issue_lines(report, Severity.HIGH, per_type=3)) == 3 + 3


def test_pipeline_run_prints_logging_commands(tmp_path: Path) -> None:
    markdown = tmp_path / "r.md"
    result = runner.invoke(
        app,
        ["subscription", "--replay", str(SAMPLE_TENANT), "--select", "ACR001", "--report", f"markdown={markdown}"],
        env={"TF_BUILD": "True"},
    )
    # the table is on stdout, so the commands go to stderr (the agent reads both)
    assert "##vso[" not in result.stdout
    assert "##vso[task.logissue type=error;code=ACR001]" in result.stderr
    assert f"##vso[task.uploadsummary]{markdown.resolve()}" in result.stderr
