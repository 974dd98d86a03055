"""Hostile tenant text in every output: logging-command injection (Azure Pipelines), terminal
escape sequences, bidi overrides, HTML and Markdown structure, spreadsheet formulas, characters
XML forbids, and secret values quoted by the SDK's error text.

Each attack is planted in a copy of the sample tenant's recorded answers and audited through the
real replay path and the real CLI; the assertions are about what reaches stdout, stderr and the
report files.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from azure.core.exceptions import DeserializationError, ServiceRequestError, ServiceResponseError
from markdown_it import MarkdownIt
from typer.testing import CliRunner, Result

from azaudit.cli import app
from azaudit.collect.tasks import describe_failure
from azaudit.render.escape import Output, json_text, neutralise
from tests.conftest import CANARY_MARK, SAMPLE_TENANT

HERE = Path(__file__).parent
FORMATS = ("table", "markdown", "html", "json", "sarif", "junit", "csv", "ocsf")
runner = CliRunner()

# What an attacker with write access to one resource (or an Azure error it provokes) can say.
SUB_NAME = "contoso-dev ##vso[task.setvariable variable=SUB_PWNED]1 \x1b[2J\x1b[H"
GROUP_NAME = "aci-dev-debug<img src=x onerror=alert(1)>\u202egpj.exe"
ENV_NAME = "GITHUB_TOKEN##[group]\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07|`q`[l](https://evil.example)"
ROLE_NAME = '=HYPERLINK("https://evil.example");Contoso Ops ##VSO[task.setsecret]x \x9b31m'
ERROR_MESSAGE = "denied \x07\u2066 =cmd|' /C calc'!A0; ##vso[task.complete result=Succeeded;]done\n##[error]forged"
HIDDEN = ("\x1b", "\x07", "\x9b", "\u202e", "\u2066")


def _edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")


def _bodies(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for interaction in document["interactions"]:
        yield from interaction["response"].get("body", {}).get("value", [])


def _plant_names(document: dict[str, Any]) -> None:
    for group in _bodies(document):
        if group["name"] == "aci-dev-debug":
            group["name"] = GROUP_NAME
            for variable in group["properties"]["containers"][0]["properties"]["environmentVariables"]:
                if variable["name"] == "GITHUB_TOKEN":
                    variable["name"] = ENV_NAME


def _plant_subscription(document: dict[str, Any]) -> None:
    for sub in _bodies(document):
        if sub["displayName"] == "contoso-dev":
            sub["displayName"] = SUB_NAME


def _plant_role(document: dict[str, Any]) -> None:
    for role in _bodies(document):
        if role["properties"]["roleName"] == "Contoso Ops Full Access":
            role["properties"]["roleName"] = ROLE_NAME


def _plant_error(document: dict[str, Any]) -> None:
    document["interactions"][0]["response"] = {
        "status": 403,
        "body": {"error": {"code": "AuthorizationFailed", "message": ERROR_MESSAGE}},
    }


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tenant = tmp_path_factory.mktemp("hostile") / "tenant"
    shutil.copytree(SAMPLE_TENANT, tenant)
    _edit(tenant / "subscriptions.json", _plant_subscription)
    _edit(tenant / "contoso-dev" / "containerinstance.json", _plant_names)
    _edit(tenant / "contoso-prod" / "roledefinitions.json", _plant_role)
    _edit(tenant / "contoso-prod" / "defender.json", _plant_error)
    return tenant


@pytest.fixture(scope="module")
def reports(hostile: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One audit of the hostile tenant inside a pipeline: every format written to a file, and
    each format printed on stdout again by ``azaudit report``."""
    out = tmp_path_factory.mktemp("reports")
    args = ["subscription", "--replay", str(hostile), "-f", "json", "-o", str(out / "r.json")]
    for fmt in ("table", "markdown", "html", "sarif", "junit", "csv", "ocsf"):
        args += ["--report", f"{fmt}={out / ('r.' + fmt)}"]
    audit = runner.invoke(app, args, env={"TF_BUILD": "True"})
    assert audit.exit_code == 1, audit.output
    printed = {
        fmt: runner.invoke(app, ["report", str(out / "r.json"), "-f", fmt], env={"TF_BUILD": "True"}) for fmt in FORMATS
    }
    return {
        "audit": audit,
        "files": {fmt: (out / f"r.{fmt}").read_text(encoding="utf-8") for fmt in FORMATS},
        "printed": printed,
    }


# ---------------------------------------------------------------------------- the agent's parser


def _unescape(value: str) -> str:
    for token, replacement in ((";", "%3B"), ("\r", "%0D"), ("\n", "%0A"), ("]", "%5D")):
        value = value.replace(replacement, token)
    return value.replace("%AZP25", "%")


def agent_commands(text: str) -> list[tuple[int, str, dict[str, str], str]]:
    """The logging commands the Azure Pipelines agent would act on in ``text``, read as its
    ``Command.TryParse`` does: lines end at CR, LF or CRLF; the first ``##vso[`` of a line, up to
    the first ``]``, is ``area.event property=value;...``, and the rest is the message."""
    found = []
    for line in re.split(r"\r\n|\r|\n", text):
        start = line.find("##vso[")
        end = line.find("]", start) if start >= 0 else -1
        if end < 0:
            continue
        name, _, properties = line[start + len("##vso[") : end].partition(" ")
        if len([part for part in name.split(".") if part]) != 2:
            continue
        props = {}
        for pair in properties.split(";"):
            key, sep, value = pair.partition("=")
            if sep and key and value:
                props[key.lower()] = _unescape(value)
        found.append((start, name, props, _unescape(line[end + 1 :])))
    return found


def assert_only_our_commands(text: str) -> None:
    """Every command in ``text`` is one azaudit meant: at the start of its line, an issue (type and
    code only) or the run summary; and no ``##[`` formatting command anywhere."""
    for start, name, props, _ in agent_commands(text):
        assert start == 0 and name in ("task.logissue", "task.uploadsummary"), (name, props)
        if name == "task.logissue":
            assert set(props) <= {"type", "code"} and props["type"] in ("error", "warning"), props
            assert re.fullmatch(r"[A-Z]+[0-9]+", props.get("code", "ACR001")), props
    assert "##[" not in text


# ---------------------------------------------------------------------------- item 2 and 16


def test_the_planted_attacks_reach_the_reports(reports: dict[str, Any]) -> None:
    """The attack text is in the audit's findings (so the other tests test something)."""
    texts = "\n".join(_strings(json.loads(reports["files"]["json"])))
    for planted in (SUB_NAME, GROUP_NAME, ENV_NAME, ROLE_NAME, ERROR_MESSAGE.split("\n")[0]):
        assert planted in texts, planted


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_tenant_text_drives_the_pipeline_agent(reports: dict[str, Any], fmt: str) -> None:
    printed: Result = reports["printed"][fmt]
    assert printed.exit_code == 0, printed.output
    assert "##vso[" not in printed.stdout  # the report alone on stdout
    assert_only_our_commands(printed.stdout + "\n" + printed.stderr)
    assert_only_our_commands(reports["files"][fmt])


def test_the_audit_run_prints_only_its_own_commands(reports: dict[str, Any]) -> None:
    audit: Result = reports["audit"]
    assert_only_our_commands(audit.stdout + "\n" + audit.stderr)
    issues = [c for c in agent_commands(audit.stdout) if c[1] == "task.logissue"]
    assert issues, "the failing findings are pipeline issues"
    messages = "\n".join(message for *_, message in issues)
    # the hostile names are in the issues, shown, not acted on
    assert "**vso[task.setvariable variable=SUB_PWNED]" in messages or "aci-dev-debug" in messages
    assert not any(h in messages for h in HIDDEN)


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_raw_hidden_character_in_any_output(reports: dict[str, Any], fmt: str) -> None:
    for text in (reports["files"][fmt], reports["printed"][fmt].stdout, reports["audit"].stderr):
        assert not any(h in text for h in HIDDEN), fmt


def test_json_keeps_the_tenant_values_intact(reports: dict[str, Any]) -> None:
    text = reports["files"]["json"]
    assert "##" not in text and "\\u0023" in text
    document = json.loads(text)
    names = {f["resource_name"] for f in document["findings"]} | {
        s["display_name"] for s in document["run"]["subscriptions"]
    }
    assert GROUP_NAME in names and SUB_NAME in names
    sarif = json.loads(reports["files"]["sarif"])
    assert any(GROUP_NAME in r["message"]["text"] for r in sarif["runs"][0]["results"])
    ocsf = reports["files"]["ocsf"]
    assert "##" not in ocsf
    events = [json.loads(line) for line in ocsf.splitlines()]
    assert GROUP_NAME in {e["resources"][0]["name"] for e in events}
    assert SUB_NAME in {e["cloud"]["account"]["name"] for e in events if "account" in e["cloud"]}


def test_hidden_characters_are_shown_not_dropped(reports: dict[str, Any]) -> None:
    table = reports["files"]["table"]
    assert "\\x1b[2J" in table and "<U+202E>gpj.exe" in table and "\\x9b31m" in table
    assert "**vso[task.setvariable variable=SUB_PWNED]1" in table


def test_stderr_messages_are_neutralised() -> None:
    from azaudit.cli.console import err as _err

    lines: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("typer.echo", lambda message, err=False: lines.append(message))
        _err("azaudit: no subscription named 'x##vso[task.complete result=Succeeded]\x1b[2J'\nsecond line")
    assert lines == ["azaudit: no subscription named 'x**vso[task.complete result=Succeeded]\\x1b[2J'\nsecond line"]


def test_an_error_quoting_tenant_text_is_neutralised_on_stderr(tmp_path: Path) -> None:
    """Two subscriptions share a hostile display name: the ambiguity error quotes it on stderr."""
    tenant = tmp_path / "tenant"
    shutil.copytree(SAMPLE_TENANT, tenant)
    name = "dup ##vso[task.complete result=Succeeded]\x1b[2J\u202e"

    def rename(document: dict[str, Any]) -> None:
        for sub in _bodies(document):
            sub["displayName"] = name

    _edit(tenant / "subscriptions.json", rename)
    result = runner.invoke(app, ["subscription", "--replay", str(tenant), name], env={"TF_BUILD": "True"})
    assert result.exit_code == 2 and "ambiguous" in result.stderr
    assert "##vso[" not in result.stderr and not any(h in result.stderr for h in HIDDEN)
    assert "dup **vso[task.complete result=Succeeded]" in result.stderr


def test_library_warnings_are_silent_or_neutralised(capsys: pytest.CaptureFixture[str]) -> None:
    """The SDK logs values of answers it could not read (an unknown enum value, say): never raw on
    stderr; only with --verbose, and neutralised."""
    log = logging.getLogger("azure.mgmt.test")
    attack = "##vso[task.complete result=Succeeded]\x1b[2J"
    runner.invoke(app, ["checks"])
    log.warning("cannot read %s", attack)
    assert capsys.readouterr().err == ""
    verbose = runner.invoke(app, ["subscription", "--replay", str(SAMPLE_TENANT), "--select", "ACR001", "--verbose"])
    assert verbose.exit_code == 1
    log.warning("cannot read %s", attack)
    err = capsys.readouterr().err
    assert "##vso[" not in err and "\x1b" not in err
    assert "azaudit: warning from azure.mgmt.test: cannot read **vso[task.complete result=Succeeded]\\x1b[2J" in err


def test_pipeline_commands_go_to_stderr_when_the_report_is_on_stdout(hostile: Path) -> None:
    result = runner.invoke(app, ["subscription", "--replay", str(hostile), "-f", "json"], env={"TF_BUILD": "True"})
    assert result.exit_code == 1
    json.loads(result.stdout)  # the whole of stdout is the report
    assert "##vso[" not in result.stdout
    assert any(c[1] == "task.logissue" for c in agent_commands(result.stderr))
    assert_only_our_commands(result.stderr)


def test_pipeline_commands_go_to_stdout_when_the_report_is_a_file(hostile: Path, tmp_path: Path) -> None:
    markdown = tmp_path / "r.md"
    result = runner.invoke(
        app, ["subscription", "--replay", str(hostile), "-f", "markdown", "-o", str(markdown)], env={"TF_BUILD": "True"}
    )
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines and all(line.startswith(("##vso[task.logissue ", "##vso[task.uploadsummary]")) for line in lines)
    assert lines[-1] == f"##vso[task.uploadsummary]{markdown.resolve()}"
    assert "##vso[" not in markdown.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------- item 15


def test_junit_is_well_formed_and_valid_with_control_characters(reports: dict[str, Any]) -> None:
    text = reports["files"]["junit"]
    root = ET.fromstring(text.encode("utf-8"))  # noqa: S314 - our own output, parsed to prove it well-formed
    xmlschema.XMLSchema(str(HERE / "schemas" / "JUnit.xsd")).validate(text)
    names = [case.get("name", "") for case in root.iter("testcase")]
    assert any("<U+202E>gpj.exe" in name for name in names)


def test_markdown_renders_tenant_text_as_text(reports: dict[str, Any]) -> None:
    source = reports["files"]["markdown"]
    html = MarkdownIt("commonmark").enable("table").render(source)
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'href="https://evil.example' not in html
    assert "[l](https://evil.example)" in html  # the link syntax is shown as typed
    for table in re.findall(r"<table>.*?</table>", html, re.S):
        for row in re.findall(r"<tr>.*?</tr>", table, re.S):
            assert row.count("<td") in (0, len(re.findall(r"<th[ >]", table.split("</tr>")[0])))


def test_html_renders_tenant_text_as_text(reports: dict[str, Any]) -> None:
    text = reports["files"]["html"]
    assert "<img" not in text and "aci-dev-debug&lt;img src=x onerror=alert(1)&gt;&lt;U+202E&gt;gpj.exe" in text
    assert 'href="https://evil.example' not in text and text.count("<script") == 1


def test_csv_defuses_formulas_and_quotes_semicolons(reports: dict[str, Any]) -> None:
    text = reports["files"]["csv"]
    rows = list(csv.reader(io.StringIO(text)))
    assert len({len(row) for row in rows}) == 1
    cells = [cell for row in rows for cell in row]
    assert not any(cell[:1] in ("=", "+", "-", "@") for cell in cells)
    assert any(cell.startswith("'=HYPERLINK(") for cell in cells)
    for line in text.splitlines():
        for cell in next(csv.reader([line])):
            if ";" in cell:
                assert f'"{cell}"' in line or f'"{cell.replace(chr(34), chr(34) * 2)}"' in line


@pytest.mark.parametrize(
    ("text", "output", "expected"),
    [
        ("a\x1b[31mb", Output.TEXT, "a\\x1b[31mb"),
        ("x\u202ey\u2066z\u200b", Output.TEXT, "x<U+202E>y<U+2066>z<U+200B>"),
        ("l1\r\nl2\t\x85", Output.TEXT, "l1\\r\\nl2\\t\\x85"),
        ("##vso[task.setvariable]x ##[group]y ##VSO[z", Output.TEXT, "**vso[task.setvariable]x **[group]y **VSO[z"),
        ("###vso[x", Output.XML, "#**vso[x"),
        ("caf\u00e9 \u00a0ok", Output.TEXT, "caf\u00e9 \u00a0ok"),
        ("\ufffe\ud800", Output.XML, "<U+FFFE><U+D800>"),
        ("<b>*a*</b> [l](u) `c` | #h ~s~ &#8238; $m$ \\", Output.MARKDOWN,
         "\\<b\\>\\*a\\*\\</b\\> \\[l\\](u) \\`c\\` \\| \\#h \\~s\\~ \\&\\#8238; \\$m\\$ \\\\"),
        ("- item", Output.MARKDOWN, "\\- item"),
        ("1. item", Output.MARKDOWN, "1\\. item"),
        ("a-b", Output.MARKDOWN, "a-b"),
        ("=1+1", Output.CSV, "'=1+1"),
        ("\uff1dcmd", Output.CSV, "'\uff1dcmd"),
        ("-2", Output.CSV, "'-2"),
        ("\tx", Output.CSV, "\\tx"),
    ],
)  # fmt: skip
def test_neutralise(text: str, output: Output, expected: str) -> None:
    assert neutralise(text, output) == expected


def test_json_text_keeps_values() -> None:
    value = {"a": "##vso[x] \u202e \x7f \U000e0041 caf\u00e9 ###"}
    encoded = json_text(json.dumps(value, ensure_ascii=False))
    assert "##" not in encoded and "\u202e" not in encoded and "\x7f" not in encoded and "caf\u00e9" in encoded
    assert json.loads(encoded) == value


def test_a_lone_surrogate_in_a_name_renders_in_every_format(tmp_path: Path) -> None:
    """``"\\ud800"`` is valid JSON escaping but has no UTF-8 form: no format may crash on it."""
    tenant = tmp_path / "tenant"
    shutil.copytree(SAMPLE_TENANT, tenant)

    def plant(document: dict[str, Any]) -> None:
        for interaction in document["interactions"]:
            body = interaction["response"]["body"]
            if any(group["name"] == "aci-dev-debug" for group in body.get("value", [])):
                text = json.dumps(body).replace('"aci-dev-debug"', '"aci-dev-debug\\ud800"')
                interaction["response"] = {"status": 200, "raw_body": text}

    _edit(tenant / "contoso-dev" / "containerinstance.json", plant)
    args = ["subscription", "--replay", str(tenant), "-f", "json", "-o", str(tmp_path / "r.json")]
    for fmt in ("table", "markdown", "html", "sarif", "junit", "csv", "ocsf"):
        args += ["--report", f"{fmt}={tmp_path / ('r.' + fmt)}"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "aci-dev-debug<U+D800>" in (tmp_path / "r.table").read_text(encoding="utf-8")
    names = {f["resource_name"] for f in json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["findings"]}
    assert "aci-dev-debug\ufffd" in names
    again = runner.invoke(app, ["report", str(tmp_path / "r.json"), "-f", "table"])
    assert again.exit_code == 0 and "aci-dev-debug\ufffd" in again.stdout


# ---------------------------------------------------------------------------- item 4


def _plant_env_object(document: dict[str, Any]) -> None:
    group = next(iter(_bodies(document)))
    group["properties"]["containers"][0]["properties"]["environmentVariables"] = {
        "name": "DB_PASSWORD",
        "value": f"{CANARY_MARK}-object-not-list",
    }


def test_a_malformed_answer_never_quotes_an_env_value(tmp_path: Path) -> None:
    tenant = tmp_path / "tenant"
    shutil.copytree(SAMPLE_TENANT, tenant)
    _edit(tenant / "contoso-prod" / "containerinstance.json", _plant_env_object)
    args = ["subscription", "--replay", str(tenant), "--verbose", "-f", "json", "-o", str(tmp_path / "r.json")]
    for fmt in ("table", "markdown", "html", "sarif", "junit", "csv", "ocsf"):
        args += ["--report", f"{fmt}={tmp_path / ('r.' + fmt)}"]
    result = runner.invoke(app, args, env={"TF_BUILD": "True"})
    assert result.exit_code == 1
    document = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    reasons = [e["reason"] for e in document["errors"] if e["dataset"] == "container-groups"]
    # honest: not assessed, and the reason names the field, never its value
    assert reasons and all("its environmentVariables is an object, not a list of objects" in r for r in reasons), (
        reasons
    )
    for fmt in FORMATS:
        assert CANARY_MARK not in (tmp_path / f"r.{fmt}").read_text(encoding="utf-8"), fmt
    assert CANARY_MARK not in result.stdout and CANARY_MARK not in result.stderr
    for fmt in FORMATS:  # and on stdout, where a pipeline log would keep it
        printed = runner.invoke(app, ["report", str(tmp_path / "r.json"), "-f", fmt])
        assert CANARY_MARK not in printed.stdout + printed.stderr


@pytest.mark.parametrize(
    "exc",
    [
        DeserializationError(f"Unable to deserialize response data. Data: {{'value': '{CANARY_MARK}'}}"),
        ServiceRequestError(f"Max retries exceeded with url: /x?$skiptoken={CANARY_MARK}"),
        ServiceResponseError(f"Read timed out: /x?$skiptoken={CANARY_MARK}"),
        ValueError(f"invalid literal for int() with base 10: '{CANARY_MARK}'"),
        KeyError(CANARY_MARK),
    ],
)
def test_failure_reasons_never_quote_the_exception_text(exc: BaseException) -> None:
    status, reason = describe_failure(exc)
    assert status is None and reason and CANARY_MARK not in reason and type(exc).__name__ in reason
