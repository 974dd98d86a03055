"""JUnit and SARIF as CI systems read them: the Azure DevOps Tests tab (the agent's JUnit reader
counts <failure> and <error> as failed tests, <skipped> as not executed) and GitHub code scanning
(which needs a physical location and honours suppressions)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import msgspec
import pytest

from azaudit.audit import Audit
from azaudit.model import Finding, Status
from azaudit.render import FORMATS
from azaudit.render.sarif import artifact_uri
from tests.test_reports import REG, fixed_report

SARIF_SCHEMA = json.loads((Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def _with(*extra: Finding):  # type: ignore[no-untyped-def]
    report = fixed_report()
    return msgspec.structs.replace(report, findings=(*report.findings, *extra))


def _suppressed() -> Finding:
    failing = fixed_report().findings[0]
    return msgspec.structs.replace(
        failing,
        resource_name="acr-kept",
        resource_id=REG.replace("acr-legacy", "acr-kept"),
        status=Status.SKIPPED,
        message=f"suppressed: {failing.message}",
        suppressed_by="vendor appliance needs it, CHG-1234 (until 2027-03-31)",
    )


# ---------------------------------------------------------------------------- JUnit


def _cases() -> dict[str, ET.Element]:
    root = ET.fromstring(FORMATS["junit"](_with(_suppressed())))  # noqa: S314 (our own output)
    return {case.attrib["name"]: case for case in root.iter("testcase")}


def test_junit_titles_carry_the_check_code_and_the_resource() -> None:
    assert set(_cases()) == {
        "ACR001 prod / acr-legacy",
        "ACR001 prod / acr-kept",
        "ACR009 prod / acr-legacy",
        "ACR009 prod / acr-legacy / tokens",
    }


def test_not_assessed_is_not_a_failed_test() -> None:
    root = ET.fromstring(FORMATS["junit"](fixed_report()))  # noqa: S314 (our own output)
    assert not list(root.iter("error")), "the agent counts <error> as a failed test"
    case = _cases()["ACR009 prod / acr-legacy / tokens"]
    skipped = case.find("skipped")
    assert skipped is not None and case.find("failure") is None
    assert skipped.attrib["message"] == "not assessed: registry-tokens not collected"
    suite = next(s for s in root.iter("testsuite") if s.attrib["name"].startswith("ACR009"))
    assert (suite.attrib["failures"], suite.attrib["errors"], suite.attrib["skipped"]) == ("0", "0", "1")


def test_a_failure_shows_severity_in_its_message_and_the_fix_in_its_stack_trace() -> None:
    failure = _cases()["ACR001 prod / acr-legacy"].find("failure")
    assert failure is not None
    assert failure.attrib["message"].startswith("[high] the admin user is enabled")
    assert failure.text is not None
    assert failure.text.startswith("severity: high\n")
    assert f"resource: {REG}" in failure.text
    assert "How to fix:\nDo this:" in failure.text and "az acr update" in failure.text


def test_a_suppressed_failure_is_skipped_with_its_reason() -> None:
    skipped = _cases()["ACR001 prod / acr-kept"].find("skipped")
    assert skipped is not None
    assert skipped.attrib["message"].startswith("suppressed: the admin user is enabled")
    assert skipped.attrib["message"].endswith("(vendor appliance needs it, CHG-1234 (until 2027-03-31))")


# ---------------------------------------------------------------------------- SARIF


def _sarif(report=None) -> dict:  # type: ignore[no-untyped-def,type-arg]
    document = json.loads(FORMATS["sarif"](report if report is not None else _with(_suppressed())))
    jsonschema.validators.validator_for(SARIF_SCHEMA)(SARIF_SCHEMA).validate(document)
    return document  # type: ignore[no-any-return]


def test_sarif_times_are_utc_with_a_z() -> None:
    invocation = _sarif()["runs"][0]["invocations"][0]
    for key in ("startTimeUtc", "endTimeUtc"):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", invocation[key]), invocation[key]


def test_suppressed_failures_are_results_with_an_external_suppression() -> None:
    results = _sarif()["runs"][0]["results"]
    assert [r["message"]["text"] for r in results] == [
        "acr-legacy: the admin user is enabled; =cmd|' /C calc'!A0",
        "acr-kept: the admin user is enabled; =cmd|' /C calc'!A0",
    ]
    assert "suppressions" not in results[0]
    assert results[1]["suppressions"] == [
        {"kind": "external", "justification": "vendor appliance needs it, CHG-1234 (until 2027-03-31)"}
    ]


def test_not_applicable_findings_are_not_results() -> None:
    skipped = msgspec.structs.replace(fixed_report().findings[0], status=Status.SKIPPED, message="Basic SKU")
    assert len(_sarif(_with(skipped))["runs"][0]["results"]) == 1


def test_every_result_has_the_physical_location_github_requires(sample_audit: Audit) -> None:
    results = _sarif(sample_audit.report)["runs"][0]["results"]
    assert results
    for result in results:
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["region"] == {"startLine": 1}
        uri = physical["artifactLocation"]["uri"]
        assert uri.startswith("azure/") and re.fullmatch(r"[a-z0-9%A-F._~/-]+", uri), uri
        assert location["logicalLocations"][0]["fullyQualifiedName"].lower().endswith(uri.rsplit("/", 1)[1])


@pytest.mark.parametrize(
    ("resource_id", "uri"),
    [
        (REG, "azure/3f8a6c1e-5b7d-4e2a-9c11-7d2e0f4a8b51/rg/microsoft.containerregistry/registries/acr-legacy"),
        (REG.replace("resourceGroups/rg", "RESOURCEGROUPS/RG"), artifact_uri(REG)),  # ARM ids ignore case
        (
            "/subscriptions/s-1/providers/Microsoft.Security/pricings/Containers",
            "azure/s-1/microsoft.security/pricings/containers",
        ),
        (
            "/providers/Microsoft.Management/managementGroups/m 1/providers/Microsoft.Authorization/roleAssignments/r#",
            "azure/microsoft.management/managementgroups/m%201/microsoft.authorization/roleassignments/r%23",
        ),
        ("/subscriptions/s/resourceGroups/rg/providers/X.Y/z/..%2F?a=b", "azure/s/rg/x.y/z/..%252f%3Fa%3Db"),
        ("/subscriptions/s/resourceGroups/../providers/X.Y/z/.", "azure/s/%2E%2E/x.y/z/%2E"),
    ],
)
def test_artifact_uri_is_a_stable_percent_encoded_pseudo_path(resource_id: str, uri: str) -> None:
    assert artifact_uri(resource_id) == uri
