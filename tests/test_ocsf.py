"""`-f ocsf`: OCSF 1.8.0 Compliance Finding events, one per line, validated against the JSON
Schema generated from the OCSF sources (tests/schemas/ocsf/), and the generator itself."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import msgspec
import pytest
from typer.testing import CliRunner

from azaudit.audit import Audit
from azaudit.cli import app
from azaudit.frameworks.view import with_views
from azaudit.model import BaselineState, Status
from azaudit.render import FORMATS
from azaudit.render.ocsf import OCSF_VERSION
from tests.conftest import SAMPLE_TENANT
from tests.test_ci_formats import _suppressed, _with
from tests.test_reports import fixed_report
from tools.ocsf_json_schema import generate

SCHEMA_PATH = Path(__file__).parent / "schemas" / "ocsf" / f"compliance_finding-{OCSF_VERSION}.schema.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def _events(text: str) -> list[dict[str, Any]]:
    assert text == "" or text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def test_every_event_of_the_sample_tenant_validates(sample_audit: Audit) -> None:
    events = _events(FORMATS["ocsf"](sample_audit.report))
    assert len(events) == len(sample_audit.report.findings) > 0
    for event in events:
        VALIDATOR.validate(event)
    statuses = Counter(e["compliance"]["status"] for e in events)
    assert set(statuses) == {"Pass", "Fail", "Warning", "Not applicable"}, statuses  # every outcome is exercised
    assert {e["class_uid"] for e in events} == {2003} and {e["type_uid"] for e in events} == {200301}
    assert len({e["metadata"]["uid"] for e in events}) == len(events)


def test_the_schema_is_not_a_rubber_stamp() -> None:
    event = _events(FORMATS["ocsf"](fixed_report()))[0]
    VALIDATOR.validate(event)
    broken = [
        {**event, "severity_idd": 4},  # a misspelt attribute
        {**event, "class_uid": 2004},
        {**event, "compliance": {**event["compliance"], "status_id": 7}},
        {k: v for k, v in event.items() if k != "finding_info"},
        {**event, "cloud": {"account": event["cloud"]["account"]}},  # the cloud profile needs a provider
        {**event, "time": "2026-11-24T12:00:00Z"},
    ]
    for document in broken:
        assert not VALIDATOR.is_valid(document), document


def test_statuses_and_severities_map_to_ocsf() -> None:
    report = _with(_suppressed())
    rows = [
        (
            e["compliance"]["status_code"],
            e["compliance"]["status_id"],
            e["status"],
            e["severity_id"],
            e["compliance"]["checks"][0]["severity_id"],
        )
        for e in _events(FORMATS["ocsf"](report))
    ]
    assert rows == [
        ("FAIL", 3, "New", 4, 4),  # a high failure
        ("PASS", 1, "New", 1, 2),  # a pass is informational; the check's own severity stays
        ("ERROR", 2, "New", 2, 2),  # could not assess: Warning, at the check's severity
        ("SKIPPED", 3, "Suppressed", 4, 4),  # a suppressed failure is still a failure
    ]
    suppressed = _events(FORMATS["ocsf"](report))[3]
    assert suppressed["status_detail"] == "vendor appliance needs it, CHG-1234 (until 2027-03-31)"
    assert suppressed["compliance"]["status_details"] == [report.findings[0].message]
    errored = _events(FORMATS["ocsf"](report))[2]
    assert errored["unmapped"] == {"item": "tokens"} and errored["message"].startswith("acr-legacy (tokens): ")


def test_not_applicable_is_other(sample_audit: Audit) -> None:
    events = _events(FORMATS["ocsf"](sample_audit.report))
    skipped = [f for f in sample_audit.report.findings if f.status is Status.SKIPPED and f.suppressed_by is None]
    not_applicable = [e for e in events if e["compliance"]["status_code"] == "SKIPPED"]
    assert len(not_applicable) == len(skipped) > 0
    assert {(e["compliance"]["status_id"], e["compliance"]["status"], e["severity_id"]) for e in not_applicable} == {
        (99, "Not applicable", 1)
    }


def test_controls_policies_and_resources(sample_audit: Audit) -> None:
    report = with_views(sample_audit.report, ["mcsb-v1", "nist-800-53-r5"])
    events = _events(FORMATS["ocsf"](report))
    acr001 = next(e for e in events if e["compliance"]["control"] == "ACR001" and e["compliance"]["status_id"] == 3)
    meta = report.checks["ACR001"]
    assert acr001["finding_info"]["analytic"]["uid"] == "ACR001"
    assert [a["uid"] for a in acr001["finding_info"]["analytic"]["related_analytics"]] == [
        f"/providers/Microsoft.Authorization/policyDefinitions/{guid}" for guid in meta.policies
    ]
    acr003 = next(e for e in events if e["compliance"]["control"] == "ACR003")
    compliance = acr003["compliance"]  # a check mapped to MCSB in its metadata and to NIST through Azure Policy
    # each standard named once, whether from the check's metadata or a --framework view
    assert compliance["standards"] == ["Microsoft cloud security benchmark v1", "NIST SP 800-53 Rev. 5"]
    assert [f"Microsoft cloud security benchmark v1: {m}" for m in report.checks["ACR003"].mcsb] == [
        r for r in compliance["requirements"] if r.startswith("Microsoft")
    ]
    assert any(r.startswith("NIST SP 800-53 Rev. 5: ") for r in compliance["requirements"])
    assert compliance["checks"][0]["standards"] == compliance["standards"]
    resource = acr001["resources"][0]
    assert (
        resource["uid"].startswith("/subscriptions/") and resource["type"] == "Microsoft.ContainerRegistry/registries"
    )
    assert acr001["cloud"]["account"]["uid"] == resource["uid"].split("/")[2]
    assert acr001["cloud"]["account"]["type"] == "Azure Subscription" and acr001["cloud"]["provider"] == "Azure"
    assert acr001["remediation"]["desc"] == meta.docs.fix
    for event in events:
        VALIDATOR.validate(event)


def test_the_same_problem_keeps_its_uid_across_runs() -> None:
    first = _events(FORMATS["ocsf"](fixed_report()))
    later = fixed_report()
    later = msgspec.structs.replace(
        later, run=msgspec.structs.replace(later.run, started_at=later.run.finished_at.replace(year=2027))
    )
    second = _events(FORMATS["ocsf"](later))
    assert [e["finding_info"]["uid"] for e in first] == [e["finding_info"]["uid"] for e in second]
    assert not {e["metadata"]["uid"] for e in first} & {e["metadata"]["uid"] for e in second}


def test_baseline_state_is_carried() -> None:
    report = fixed_report()
    failing = msgspec.structs.replace(report.findings[0], baseline=BaselineState.NEW)
    event = _events(FORMATS["ocsf"](msgspec.structs.replace(report, findings=(failing,))))[0]
    assert event["unmapped"] == {"baseline": "new"}
    VALIDATOR.validate(event)


def test_tenant_text_cannot_issue_pipeline_commands() -> None:
    report = fixed_report()
    hostile = msgspec.structs.replace(
        report.findings[0], resource_name="acr ##vso[task.setvariable variable=x]1\n##[error]x \x1b[2J\u202e"
    )
    text = FORMATS["ocsf"](msgspec.structs.replace(report, findings=(hostile,)))
    assert "##" not in text and "\x1b" not in text and "\u202e" not in text
    assert len(text.splitlines()) == 1  # one event, one line, whatever the names hold
    assert _events(text)[0]["resources"][0]["name"] == hostile.resource_name  # the value is intact


def test_report_command_renders_ocsf_from_a_saved_report(tmp_path: Path) -> None:
    runner = CliRunner()
    saved = tmp_path / "r.json"
    audit = runner.invoke(
        app,
        [
            "subscription",
            "--replay",
            str(SAMPLE_TENANT),
            "-f",
            "json",
            "-o",
            str(saved),
            "--report",
            f"ocsf={tmp_path / 'r.ocsf'}",
        ],
    )
    assert audit.exit_code == 1, audit.output
    again = runner.invoke(app, ["report", str(saved), "-f", "ocsf"])
    assert again.exit_code == 0, again.output
    assert again.stdout == (tmp_path / "r.ocsf").read_text(encoding="utf-8")
    assert all(VALIDATOR.is_valid(e) for e in _events(again.stdout))


# ---------------------------------------------------------------------------- the generator


def _write(root: Path, relative: str, document: dict[str, Any]) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")


@pytest.fixture
def mini_ocsf(tmp_path: Path) -> Path:
    """A tiny OCSF source tree with each rule the generator follows."""
    _write(tmp_path, "version.json", {"version": "9.9.9"})
    _write(tmp_path, "categories.json", {"attributes": {"findings": {"uid": 2}}})
    _write(
        tmp_path,
        "dictionary.json",
        {
            "attributes": {
                "activity_id": {"type": "integer_t", "enum": {"0": {}, "99": {}}},
                "category_uid": {"type": "integer_t"},
                "class_uid": {"type": "integer_t"},
                "type_uid": {"type": "long_t"},
                "time": {"type": "timestamp_t"},
                "thing": {"type": "thing", "caption": "Thing"},
                "things": {"type": "thing", "is_array": True},
                "name": {"type": "string_t"},
                "uid": {"type": "uuid_t"},
                "port": {"type": "port_t"},
                "cloud": {"type": "string_t"},
            },
            "types": {
                "attributes": {
                    "string_t": {},
                    "integer_t": {},
                    "long_t": {},
                    "timestamp_t": {"type": "long_t"},
                    "uuid_t": {"type": "string_t", "regex": "^[0-9a-f-]{36}$"},
                    "port_t": {"type": "integer_t", "range": [0, 65535]},
                }
            },
        },
    )
    _write(
        tmp_path,
        "objects/_entity.json",
        {"name": "_entity", "attributes": {"name": {}, "uid": {}}, "constraints": {"at_least_one": ["name", "uid"]}},
    )
    _write(
        tmp_path,
        "objects/thing.json",
        {"name": "thing", "extends": "_entity", "attributes": {"port": {"requirement": "required"}, "thing": {}}},
    )
    _write(
        tmp_path,
        "profiles/cloud.json",
        {"meta": "profile", "name": "cloud", "attributes": {"cloud": {"requirement": "required"}}},
    )
    _write(
        tmp_path,
        "events/base_event.json",
        {
            "name": "base_event",
            "category": "other",
            "attributes": {
                "$include": ["profiles/cloud.json"],
                "activity_id": {"requirement": "required"},
                "category_uid": {"requirement": "required"},
                "class_uid": {"requirement": "required"},
                "type_uid": {"requirement": "required"},
                "time": {"requirement": "required"},
            },
        },
    )
    _write(
        tmp_path,
        "events/findings/finding.json",
        {
            "name": "finding",
            "extends": "base_event",
            "category": "findings",
            "attributes": {"activity_id": {"enum": {"1": {}, "2": {}}}},
        },
    )
    _write(
        tmp_path,
        "events/findings/widget.json",
        {
            "name": "widget",
            "uid": 7,
            "extends": "finding",
            "attributes": {"thing": {"requirement": "required"}, "things": {}},
        },
    )
    return tmp_path


def test_generator_follows_the_ocsf_rules(mini_ocsf: Path) -> None:
    version, schema = generate(mini_ocsf, "widget", frozenset({"cloud"}))
    assert version == "9.9.9"
    validator = jsonschema.Draft202012Validator(schema)
    good = {
        "activity_id": 2,
        "category_uid": 2,
        "class_uid": 2007,
        "type_uid": 200702,
        "time": 1,
        "cloud": "x",
        "thing": {"name": "a", "port": 443, "thing": {"uid": "0" * 36, "port": 1}},
        "things": [{"name": "b", "port": 2}],
    }
    validator.validate(good)
    assert set(schema["required"]) == {"activity_id", "category_uid", "class_uid", "type_uid", "time", "thing", "cloud"}
    bad = [
        {**good, "activity_id": 3},  # enum: the dictionary's 0 and 99 merged with the class's 1 and 2
        {**good, "class_uid": 2},
        {**good, "type_uid": 200703},
        {**good, "thing": {"port": 443}},  # at_least_one name or uid, inherited from _entity
        {**good, "thing": {"name": "a"}},  # port required
        {**good, "thing": {"name": "a", "port": 70000}},  # port_t's range
        {**good, "thing": {"uid": "nope", "port": 1}},  # uuid_t's regex
        {**good, "things": {"name": "b", "port": 2}},  # is_array
        {**good, "extra": 1},
        {k: v for k, v in good.items() if k != "cloud"},  # the applied profile's required attribute
    ]
    for document in bad:
        assert not validator.is_valid(document), document
    assert schema["properties"]["activity_id"]["enum"] == [0, 1, 2, 99]
    _, without_profile = generate(mini_ocsf, "widget", frozenset())
    assert "cloud" not in without_profile["properties"]


def test_vendored_schema_names_its_source() -> None:
    assert SCHEMA["title"] == "OCSF 1.8.0 Compliance Finding (2003)"
    assert "ocsf/ocsf-schema 1.8.0 with profiles: cloud" in SCHEMA["$comment"]
    readme = (SCHEMA_PATH.parent / "README.md").read_text(encoding="utf-8")
    assert "Apache-2.0" in readme and "1.8.0" in readme and SCHEMA_PATH.name in readme
