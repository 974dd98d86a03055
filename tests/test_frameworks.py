"""Compliance frameworks: the mapping data (its source, its ids, its agreement with the catalogue)
and the per-control view derived from a report's findings."""

from __future__ import annotations

import json
import subprocess
import sys

import jsonschema
import msgspec
import pytest
from markdown_it import MarkdownIt

from azaudit import catalogue, frameworks
from azaudit.audit import Audit
from azaudit.errors import UsageError
from azaudit.frameworks import CONTROL_ID, Framework, FrameworkError, validate
from azaudit.frameworks.view import (
    CheckCounts,
    ControlStatus,
    FrameworkView,
    control_status,
    framework_view,
    with_views,
)
from azaudit.model import CheckDocs, CheckMeta, Finding, Severity, Status
from azaudit.render import FORMATS
from azaudit.render import frameworks as present
from tests.conftest import ROOT

BUILTIN = {code: chk.meta for code, chk in catalogue.load().items() if chk.meta.builtin}
EXPECTED = {"mcsb-v1", "cis-azure-3.0.0", "nist-800-53-r5", "iso-27001-2022", "pci-dss-4.0.1", "soc-2"}


@pytest.fixture(params=sorted(EXPECTED))
def framework(request: pytest.FixtureRequest) -> Framework:
    return frameworks.load(request.param)


def test_the_frameworks_shipped() -> None:
    assert set(frameworks.available()) == EXPECTED


def test_every_mapped_check_exists_and_every_builtin_check_is_mapped_or_explained(framework: Framework) -> None:
    mapped = {code for control in framework.controls.values() for code in control.checks}
    assert mapped <= set(BUILTIN), mapped - set(BUILTIN)
    assert set(framework.unmapped) <= set(BUILTIN)
    assert mapped | set(framework.unmapped) == set(BUILTIN)
    assert all(reason.strip() for reason in framework.unmapped.values())


def test_every_builtin_check_maps_to_an_mcsb_control_with_a_name_and_domain() -> None:
    mcsb = frameworks.load("mcsb-v1")
    assert not mcsb.unmapped
    for code, meta in BUILTIN.items():
        mapped = {cid for cid, control in mcsb.controls.items() if code in control.checks}
        assert mapped, code
        # the check's own mcsb= metadata is part of the mapping
        assert set(meta.mcsb) <= mapped, code
    for control in mcsb.controls.values():
        assert control.title and control.domain
    ns2 = mcsb.controls["NS-2"]
    assert ns2.title == "Secure cloud native services with network controls"
    assert ns2.domain == "Network Security"
    assert "ACR003" in ns2.checks


def test_control_ids_are_well_formed_and_sources_pinned(framework: Framework) -> None:
    assert all(CONTROL_ID.match(cid) for cid in framework.controls)
    assert len(framework.source.commit) == 40
    assert framework.source.commit in framework.source.url
    assert framework.source.url.startswith("https://github.com/Azure/azure-policy/blob/")
    assert framework.derivation


def test_cis_says_it_has_no_registry_or_container_instance_control() -> None:
    cis = frameworks.load("cis-azure-3.0.0")
    assert cis.version == "3.0.0"
    for code in BUILTIN:
        if code.startswith(("ACR", "ACI")):
            assert "no Container" in cis.unmapped[code]
    assert cis.controls["3.3.5"].checks == ("KV001", "KV002")
    assert cis.controls["3.1.4.1"].checks == ("DEF001",)


def test_regulatory_mappings_follow_azure_policy() -> None:
    # KV007's definition 98728c90 is in IA-5 of Azure Policy's NIST SP 800-53 Rev. 5 initiative
    assert "KV007" in frameworks.load("nist-800-53-r5").controls["IA-5"].checks
    assert "RBAC001" in frameworks.load("soc-2").controls["CC6.1"].checks
    assert "ACI013" in frameworks.load("pci-dss-4.0.1").controls["3.5.1.1"].checks
    assert "LOG003" in frameworks.load("iso-27001-2022").controls["9.1"].checks


def test_data_files_are_what_the_generator_derives_from_the_sources() -> None:
    result = subprocess.run(
        [sys.executable, "tools/build_frameworks.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_loader_validates() -> None:
    good = frameworks.load("mcsb-v1")
    bad_id = msgspec.structs.replace(good, controls={"not an id": frameworks.Control(checks=("ACR001",))})
    with pytest.raises(FrameworkError, match="malformed control id"):
        validate(bad_id, "mcsb-v1")
    twice = msgspec.structs.replace(good, controls={"NS-2": frameworks.Control(checks=("ACR003", "ACR003"))})
    with pytest.raises(FrameworkError, match="twice"):
        validate(twice, "mcsb-v1")
    both = msgspec.structs.replace(
        good, controls={"NS-2": frameworks.Control(checks=("ACR003",))}, unmapped={"ACR003": "none"}
    )
    with pytest.raises(FrameworkError, match="both mapped and unmapped"):
        validate(both, "mcsb-v1")
    with pytest.raises(FrameworkError, match="does not match"):
        validate(good, "cis-azure-3.0.0")
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b'{"id": "x", "title": "t"}', type=Framework)


def test_unknown_framework_is_a_usage_error_listing_the_known_ones() -> None:
    with pytest.raises(UsageError, match=r"unknown framework 'cis-9'; choose from .*mcsb-v1"):
        frameworks.parse_ids(["cis-9"])
    assert frameworks.parse_ids(["MCSB-v1", "mcsb-v1", "soc-2"]) == ("mcsb-v1", "soc-2")


def _counts(**kw: int) -> CheckCounts:
    return CheckCounts(code="ACR001", title="t", ran=True, **kw)


def test_control_status_rules() -> None:
    assert control_status([]) is ControlStatus.NOT_COVERED
    assert control_status([CheckCounts(code="ACR001", title="", ran=False)]) is ControlStatus.NOT_RUN
    assert control_status([_counts(passed=3), _counts(failed=1, not_assessed=1)]) is ControlStatus.FAIL
    assert control_status([_counts(passed=3), _counts(not_assessed=1)]) is ControlStatus.NOT_ASSESSED
    assert control_status([_counts(passed=3), _counts(skipped=2)]) is ControlStatus.PASS


class _Report(msgspec.Struct, frozen=True):
    findings: tuple[Finding, ...]
    checks: dict[str, CheckMeta]


def _finding(code: str, status: Status, resource: str) -> Finding:
    return Finding(
        code=code,
        status=status,
        severity=Severity.HIGH,
        resource_id=f"/subscriptions/s/resourceGroups/rg/providers/X/y/{resource}",
        resource_name=resource,
        resource_type="X/y",
        subscription_id="s",
        message="m",
    )


def test_a_controls_status_is_derived_from_its_checks_findings() -> None:
    docs = CheckDocs(what="w", why="y", fix="f", references=())
    checks = {
        code: msgspec.structs.replace(BUILTIN[code], docs=docs) for code in ("ACR003", "ACR004", "KV005", "KV006")
    }
    report = _Report(
        findings=(
            _finding("ACR003", Status.PASS, "a"),
            _finding("ACR003", Status.PASS, "b"),
            _finding("ACR004", Status.FAIL, "a"),
            _finding("KV005", Status.ERROR, "v"),
            _finding("KV006", Status.SKIPPED, "v"),
            _finding("KV001", Status.FAIL, "v"),  # not mapped to NS-2: must not count there
        ),
        checks=checks,
    )
    view = framework_view(report, "mcsb-v1")
    by_id = {c.id: c for c in view.controls}
    ns2 = by_id["NS-2"]
    assert ns2.status is ControlStatus.FAIL
    counts = {c.code: (c.passed, c.failed, c.not_assessed, c.skipped, c.ran) for c in ns2.checks}
    assert counts["ACR003"] == (2, 0, 0, 0, True)
    assert counts["ACR004"] == (0, 1, 0, 0, True)
    assert counts["KV005"] == (0, 0, 1, 0, True)
    assert counts["KV006"] == (0, 0, 0, 1, True)
    assert counts["ACR008"] == (0, 0, 0, 0, False)  # mapped, not selected in this run
    assert "NS-5" in view.not_covered and "NS-5" not in by_id
    assert by_id["IM-1"].status is ControlStatus.NOT_RUN
    # without the failing registry, the error leaves NS-2 not assessed, never passed
    report = _Report(findings=tuple(f for f in report.findings if f.code != "ACR004"), checks=checks)
    assert {c.id: c for c in framework_view(report, "mcsb-v1").controls}["NS-2"].status is ControlStatus.NOT_ASSESSED
    assert sum(view.summary.values()) == len(view.controls) + len(view.not_covered) == 85
    assert view.summary["not covered by azaudit"] == len(view.not_covered) == 66


def _sample_view() -> tuple[_Report, FrameworkView]:
    docs = CheckDocs(what="w", why="y", fix="f", references=())
    checks = {code: msgspec.structs.replace(BUILTIN[code], docs=docs) for code in ("ACR003", "ACR004", "KV001")}
    report = _Report(
        findings=(
            _finding("ACR003", Status.PASS, "a"),
            _finding("ACR004", Status.FAIL, "a"),
            _finding("KV001", Status.ERROR, "v"),
        ),
        checks=checks,
    )
    return report, framework_view(report, "mcsb-v1")


def test_markdown_section_lists_covered_controls_and_the_rest() -> None:
    _, view = _sample_view()
    text = "\n".join(present.markdown([view]))
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    rows = [t for t in tokens if t.type == "tr_open"]
    assert len(rows) == 1 + len(view.controls)
    assert "| `NS-2` | Network Security | Secure cloud native services with network controls | **fail** |" in text
    assert "ACR003: 1 pass; ACR004: 1 fail" in text
    assert "DP-8" in text and "KV001: 1 not assessed" in text
    assert "ACR008: not run" in text
    assert "Controls not covered by azaudit (66)" in text
    assert present.markdown([]) == []


def test_summary_csv_and_junit_pieces() -> None:
    _, view = _sample_view()
    assert present.summary(view) == (
        "19 control(s) with azaudit checks: 1 fail, 1 not assessed, 0 pass, 17 not run; 66 not covered by azaudit"
    )
    assert present.csv_header([view]) == ("controls:mcsb-v1",)
    assert present.csv_cells([view], "KV005", {}) == ("DP-8 NS-2",)
    assert present.junit_properties([view], "ACR004") == [("framework:mcsb-v1", "NS-2 fail")]
    assert present.junit_properties([view], "KV001") == [("framework:mcsb-v1", "DP-8 not assessed")]


def test_sarif_taxonomies_and_relationships_validate() -> None:
    _, view = _sample_view()
    cis = framework_view(_sample_view()[0], "cis-azure-3.0.0")
    views = [view, cis]
    taxonomies = present.sarif_taxonomies(views)
    document = {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "azaudit",
                        "rules": [
                            {"id": code, "relationships": present.sarif_relationships(views, code)}
                            for code in ("ACR004", "KV001")
                        ],
                    }
                },
                "taxonomies": taxonomies,
                "results": [],
            }
        ],
    }
    jsonschema.validate(document, json.loads((ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json").read_text()))
    kv001 = document["runs"][0]["tool"]["driver"]["rules"][1]["relationships"]  # type: ignore[index]
    for relationship in kv001:
        target = relationship["target"]
        taxonomy = taxonomies[target["toolComponent"]["index"]]
        assert taxonomy["name"] == target["toolComponent"]["name"]
        assert taxonomy["taxa"][target["index"]]["id"] == target["id"]  # type: ignore[index]
    assert {(r["target"]["toolComponent"]["name"], r["target"]["id"]) for r in kv001} == {
        ("mcsb-v1", "DP-8"),
        ("cis-azure-3.0.0", "3.3.5"),
    }


def test_every_format_shows_the_views_a_report_carries(sample_audit: Audit) -> None:
    report = with_views(sample_audit.report, ["mcsb-v1", "cis-azure-3.0.0"])
    assert [v.id for v in report.frameworks] == ["mcsb-v1", "cis-azure-3.0.0"]
    schemas = ROOT / "azaudit" / "schemas"
    document = json.loads(FORMATS["json"](report))
    jsonschema.validate(document, json.loads((schemas / "report-v1.schema.json").read_text()))
    assert document["schema_version"] == 1
    ns2 = next(c for c in document["frameworks"][0]["controls"] if c["id"] == "NS-2")
    assert ns2["status"] == "fail" and ns2["domain"] == "Network Security"
    acr003 = next(c for c in ns2["checks"] if c["code"] == "ACR003")
    failing = [f for f in document["findings"] if f["code"] == "ACR003" and f["status"] == "FAIL"]
    assert acr003["failed"] == len(failing) > 0
    assert "frameworks" not in json.loads(FORMATS["json"](sample_audit.report))  # absent, not empty
    markdown = FORMATS["markdown"](report)
    assert "### Microsoft cloud security benchmark v1 (`mcsb-v1`)" in markdown
    assert "### CIS Microsoft Azure Foundations Benchmark 3.0.0 (`cis-azure-3.0.0`)" in markdown
    assert "MCSB-V1 (Microsoft cloud security benchmark v1)" in FORMATS["table"](report)
    assert FORMATS["csv"](report).splitlines()[0].endswith(",controls:mcsb-v1,controls:cis-azure-3.0.0")
    sarif = json.loads(FORMATS["sarif"](report))
    jsonschema.validate(sarif, json.loads((ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json").read_text()))
    run = sarif["runs"][0]
    assert [t["name"] for t in run["taxonomies"]] == ["mcsb-v1", "cis-azure-3.0.0"]
    rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "KV001")
    assert {(r["target"]["toolComponent"]["name"], r["target"]["id"]) for r in rule["relationships"]} == {
        ("mcsb-v1", "DP-8"),
        ("cis-azure-3.0.0", "3.3.5"),
    }
    assert "taxonomies" not in json.loads(FORMATS["sarif"](sample_audit.report))["runs"][0]
    assert '<property name="framework:cis-azure-3.0.0" value="3.3.5 fail" />' in FORMATS["junit"](report)
