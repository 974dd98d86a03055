"""A run at 10,000 resources holds 170,000 findings while it renders its report: the findings share
each repeated message and evidence, and the checks' per-subscription and per-image questions are
answered from tables made once (bench/RESULTS.md has the figures; these tests pin the mechanisms,
never a time or a size)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import msgspec
import pytest

from azaudit import catalogue
from azaudit import finish as finish_module
from azaudit.audit import Audit
from azaudit.catalogue import CheckContext
from azaudit.detect.image_ref import (
    ApprovedRegistries,
    image_reference_or_none,
    parse_image_reference,
    registry_matches,
)
from azaudit.engine import run_checks
from azaudit.finish import Destinations, Gate
from azaudit.inventory import Inventory
from azaudit.inventory.defender import DefenderPlan
from azaudit.inventory.rbac import RoleAssignment
from azaudit.model import Finding, Status
from azaudit.render import Format, escape, html, json_document, markdown, ocsf, sarif, table, templating, view
from azaudit.render.escape import Output, neutralise
from azaudit.render.terminal import TableView
from azaudit.reports.gate import with_fail_on
from azaudit.reports.io import write_reports
from azaudit.reports.model import Report
from azaudit.settings import Settings
from tests.conftest import NOW, registry_record
from tests.test_checks_aci import container, group, run_aci001


def test_findings_share_equal_messages_and_evidence(sample_audit: Audit) -> None:
    findings = sample_audit.report.findings
    message, count = Counter(f.message for f in findings).most_common(1)[0]
    assert count > 1
    assert len({id(f.message) for f in findings if f.message == message}) == 1
    by_evidence: dict[tuple[tuple[str, str], ...], set[int]] = {}
    for finding in findings:
        if isinstance(finding.evidence, dict):
            by_evidence.setdefault(tuple(finding.evidence.items()), set()).add(id(finding.evidence))
    repeated = [ids for key, ids in by_evidence.items() if sum(1 for f in findings if _same(f, key)) > 1]
    assert repeated and all(len(ids) == 1 for ids in repeated)


def _same(finding: object, key: tuple[tuple[str, str], ...]) -> bool:
    evidence = getattr(finding, "evidence", None)
    return isinstance(evidence, dict) and tuple(evidence.items()) == key


def test_run_checks_shares_texts_across_checks() -> None:
    registries = (registry_record("one"), registry_record("two"))
    context = CheckContext(inventory=Inventory(registries=registries), settings=Settings(), now=NOW)
    findings = run_checks(catalogue.select(catalogue.load(), ["ACR"]), context)
    passed = [f for f in findings if f.status is Status.PASS]
    for message in {f.message for f in passed}:
        same = [f for f in passed if f.message == message]
        assert all(f.message is same[0].message for f in same)
    assert any(len([f for f in passed if f.message == m]) > 1 for m in {f.message for f in passed})


def test_aci001_says_the_approved_list_once_for_every_group_that_passes() -> None:
    groups = [group(container(image="mcr.microsoft.com/azure-cli:2.67.0"), name=f"cg{n}") for n in range(3)]
    findings = run_aci001(*groups)
    assert [f.status for f in findings] == [Status.PASS] * 3
    assert "contoso.azurecr.io, mcr.microsoft.com" in findings[0].message
    assert findings[1].message is findings[0].message and findings[2].message is findings[0].message


def test_an_approved_list_made_once_answers_as_the_list_does() -> None:
    approved = ("*.azurecr.io", "*.AZURECR.io", "MCR.microsoft.com", "index.docker.io", "reg.example:5000", "*.", "")
    matcher = ApprovedRegistries(approved)
    for host in ("a.azurecr.io", "azurecr.io", "mcr.microsoft.com", "docker.io", "reg.example", "reg.example:5000", ""):
        assert matcher.matches(host) is registry_matches(host, approved) is _by_scan(host, approved)


def _by_scan(host: str, approved: tuple[str, ...]) -> bool:
    """The rule as registry_matches' docstring states it, one entry at a time."""
    aliases = {"index.docker.io": "docker.io"}
    host = aliases.get(host.lower(), host.lower())
    if not host:
        return False
    for entry in approved:
        wanted = aliases.get(entry.lower(), entry.lower())
        if wanted.startswith("*.") and len(wanted) > 2 and host.endswith(wanted[1:]):
            return True
        if not wanted.startswith("*.") and wanted == host:
            return True
    return False


def _assignment(number: int, subscription: str) -> RoleAssignment:
    return RoleAssignment(
        id=f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleAssignments/{number}",
        name=str(number),
        subscription_id=subscription,
        scope=f"/subscriptions/{subscription}",
        role_definition_id="/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443e-a75c-2fe8c4bcb635",
        principal_id=f"p{number}",
        principal_type="User",
    )


def test_role_assignments_and_plans_of_a_subscription_are_its_own_in_order() -> None:
    assignments = (_assignment(1, "SUB-A"), _assignment(2, "sub-b"), _assignment(3, "sub-a"))
    plans = tuple(
        DefenderPlan(id=f"/subscriptions/{s}/p/{n}", name=n, subscription_id=s, pricing_tier="Free")
        for s, n in (("sub-a", "Containers"), ("SUB-B", "KeyVaults"), ("Sub-A", "CloudPosture"))
    )
    inventory = Inventory(role_assignments=assignments, defender_plans=plans)
    assert inventory.role_assignments_of("sub-A") == (assignments[0], assignments[2])
    assert inventory.role_assignments_of("sub-b") == (assignments[1],)
    assert inventory.role_assignments_of("sub-c") == ()
    assert [p.name for p in inventory.defender_plans_of("SUB-A")] == ["Containers", "CloudPosture"]
    assert inventory.defender_plans_of("other") == ()


@pytest.mark.parametrize("space", [" ", "\t", "\u00a0", "\u2003", "\u3000", "\x1c", "\u2028"])
def test_any_whitespace_inside_a_reference_is_refused(space: str) -> None:
    assert space.isspace()
    with pytest.raises(ValueError, match="whitespace"):
        parse_image_reference(f"nginx:1{space}27")
    assert image_reference_or_none(f"contoso.azurecr.io/app{space}x:1") is None


def test_each_image_is_parsed_once_for_every_container_that_runs_it() -> None:
    first = image_reference_or_none("contoso.azurecr.io/app:1.0")
    assert first is not None and first.registry == "contoso.azurecr.io"
    assert image_reference_or_none("contoso.azurecr.io/app:1.0") is first


def test_aci001_names_at_most_ten_approved_registries_in_a_pass() -> None:
    registries = tuple(registry_record(f"acr{n:02d}", login_server=f"acr{n:02d}.azurecr.io") for n in range(12))
    (finding,) = run_aci001(group(container(image="acr03.azurecr.io/app:1.0")), registries=registries)
    assert finding.status is Status.PASS
    named = ", ".join(f"acr{n:02d}.azurecr.io" for n in range(10))
    assert finding.message == f"every image comes from an approved registry ({named} and 3 more)"
    assert finding.evidence == {"properties.containers[].properties.image": "from acr03.azurecr.io"}
    (finding,) = run_aci001(group(container(image="acr03.azurecr.io/app:1.0")), registries=registries[:9])
    assert finding.message.endswith("acr08.azurecr.io, mcr.microsoft.com)")


@pytest.mark.parametrize("output", list(Output))
@pytest.mark.parametrize(
    "text",
    ["plain", "##vso[task.setvariable]x", "a\nb\u202ec", "=SUM(A1)", "- item", "x" * 5000, "```bash\naz acr\n```"],
)
def test_a_remembered_text_is_neutralised_as_the_first_time(text: str, output: Output) -> None:
    for multiline in (False, True):
        first = neutralise(text, output, multiline=multiline)
        assert neutralise(text, output, multiline=multiline) == first
        assert first == escape._neutralised(text, output, multiline)


def test_only_short_texts_are_remembered_and_only_so_many(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(escape, "_REMEMBERED", {})
    monkeypatch.setattr(escape, "REMEMBERED_TEXTS", 3)
    neutralise("x" * (escape.REMEMBERED_LENGTH + 1), Output.TEXT)
    assert escape._REMEMBERED == {}
    first = neutralise("short ##vso[x]", Output.TEXT)
    assert first == "short **vso[x]" and neutralise("short ##vso[x]", Output.TEXT) is first
    for n in range(5):
        neutralise(f"text {n}", Output.CSV)
    assert all(len(texts) <= 3 for texts in escape._REMEMBERED.values())
    assert escape._REMEMBERED[("text", False)] == {"short ##vso[x]": "short **vso[x]"}


def _with_findings(report: Report, findings: tuple[Finding, ...]) -> Report:
    return msgspec.structs.replace(report, findings=findings)


def test_the_json_report_in_pieces_is_the_whole_text(sample_audit: Audit, monkeypatch: pytest.MonkeyPatch) -> None:
    report = sample_audit.report
    monkeypatch.setattr(json_document, "FINDINGS_PER_CHUNK", 7)
    pieces = list(json_document.chunks(report))
    assert len(pieces) > 3 and "".join(pieces) == json_document.render(report)
    for findings in ((), report.findings[:1], report.findings[:7], report.findings[:8]):
        assert "".join(json_document.chunks(_with_findings(report, findings))) == json_document.render(
            _with_findings(report, findings)
        )


def test_the_json_report_in_pieces_replaces_lone_surrogates_as_the_whole_does(sample_audit: Audit) -> None:
    report = sample_audit.report
    first = msgspec.structs.replace(report.findings[0], message="bad \ud800 text ##vso[x]", evidence={"k\udfff": "v"})
    hostile = _with_findings(report, (first, *report.findings[1:]))
    hostile = msgspec.structs.replace(hostile, run=msgspec.structs.replace(hostile.run, config_file="c\ud801.toml"))
    whole = json_document.render(hostile)
    assert "\ufffd" in whole and "##" not in whole
    assert "".join(json_document.chunks(hostile)) == whole


def test_a_json_report_file_is_written_from_its_pieces(sample_audit: Audit, tmp_path: Path) -> None:
    made: list[str] = []

    def pieces() -> Iterator[str]:
        for piece in json_document.chunks(sample_audit.report):
            made.append(piece)
            yield piece

    target = tmp_path / "report.json"
    write_reports([(target, pieces())])
    assert len(made) > 1
    assert target.read_text(encoding="utf-8") == json_document.render(sample_audit.report)


def test_finish_writes_the_json_file_in_pieces_and_the_same_text(
    sample_audit: Audit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[object] = []
    original = finish_module.write_reports

    def spy(outputs: Sequence[tuple[Path, object]]) -> None:
        seen.extend(text for _, text in outputs)
        original(outputs)  # type: ignore[arg-type]

    monkeypatch.setattr(finish_module, "write_reports", spy)
    target, extra = tmp_path / "r.json", tmp_path / "r.csv"
    extras = ((Format.JSON, tmp_path / "copy.json"), (Format.CSV, extra), (Format.OCSF, tmp_path / "r.ocsf"))
    finished = finish_module.finish(
        sample_audit.report, Destinations(Format.JSON, target, extra=extras), Gate(None), {}
    )
    assert finished.stdout == ""
    assert [isinstance(text, str) for text in seen] == [False, False, True, False]
    report = with_fail_on(sample_audit.report, None)
    expected = json_document.render(report)
    assert target.read_text(encoding="utf-8") == expected == (tmp_path / "copy.json").read_text(encoding="utf-8")
    assert (tmp_path / "r.ocsf").read_text(encoding="utf-8") == ocsf.render(report)


def test_the_ocsf_lines_in_pieces_are_the_whole_text(sample_audit: Audit, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocsf, "EVENTS_PER_CHUNK", 5)
    pieces = list(ocsf.chunks(sample_audit.report))
    assert len(pieces) > 2 and all(piece.endswith("\n") for piece in pieces)
    assert "".join(pieces).count("\n") == len(sample_audit.report.findings)


def test_the_json_sha256_is_of_the_whole_text(sample_audit: Audit) -> None:
    whole = json_document.render(sample_audit.report).encode("utf-8")
    assert view.json_sha256(sample_audit.report) == hashlib.sha256(whole).hexdigest()


def _rich_lines(report: Report, findings: list[Finding], width: int) -> str:
    console = table._console(TableView(width=width))
    with console.capture() as captured:
        console.print(table._findings_table(report, findings))
    return captured.get()


def _odd(report: Report) -> list[Finding]:
    base = report.findings[0]
    texts = [
        ("", "", ""),
        ("名前のとても長いリソース" * 3, "メッセージ" * 20, "項目"),
        ("x" * 150, "y" * 300, "z" * 90),
        ("a b c", " leading and trailing spaces  ", "  "),
        ("combining e\u0301\u0301 and emoji \U0001f600" * 4, "tab\there and\nnewline", "\u202eright-to-left"),
        ("short", "word " * 60, "/subscriptions/0000/resourceGroups/rg/providers/X/y/" + "n" * 40),
    ]
    odd = [
        msgspec.structs.replace(base, resource_name=name, message=message, item=item or None, code=code)
        for (name, message, item), code in zip(
            texts, ["ACI001", "CONTOSO-ACI101", "X" * 30, "KV1", "A", "B"], strict=True
        )
    ]
    return [*odd, *report.findings[:40]]


@pytest.mark.parametrize("width", [20, 40, 60, 80, 100, 120, 200])
def test_the_plain_findings_table_is_rich_s_table_line_for_line(sample_audit: Audit, width: int) -> None:
    report = sample_audit.report
    for findings in (_odd(report), list(report.findings[:3]), _odd(report)[:1], _odd(report)[1:2]):
        console = table._console(TableView(width=width))
        assert table.PlainTable(report, findings).render(console) == _rich_lines(report, findings, width)


_TIDY_CASES = [
    "",
    "  \n\n ",
    "\n\n# title\n\n\n\ntext  \n\n\n\n\n",
    "a\n\n\nb\n \n\n\nc\t\n",
    " lead\n\n\n\n\n\nend \u3000\n",
    "x" * 50 + "\n" * 7 + "y",
]


@pytest.mark.parametrize("text", _TIDY_CASES)
@pytest.mark.parametrize("size", [1, 2, 3, 5, 1000])
def test_text_stripped_in_pieces_is_the_whole_text_stripped(text: str, size: int) -> None:
    pieces = [text[i : i + size] for i in range(0, len(text), size)]
    assert "".join(templating.stripped(pieces, markdown=True)) == templating.tidy_markdown(text)
    assert "".join(templating.stripped(pieces)) == text.rstrip() + "\n"


def test_markdown_and_html_in_pieces_are_their_templates_whole_text(
    sample_audit: Audit, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(templating, "PIECES_PER_CHUNK", 50)
    report = with_fail_on(sample_audit.report, None)
    page = templating.markdown_environment().get_template("report.md.j2").render(view=view.build(report))
    assert len(list(markdown.chunks(report))) > 3
    assert markdown.render(report) == templating.tidy_markdown(page)
    (style, style_hash), (script, script_hash) = templating.asset("html/report.css"), templating.asset("html/report.js")
    page = (
        templating.html_environment()
        .get_template("report.html.j2")
        .render(
            view=view.build(report),
            style=templating.trusted(style),
            script=templating.trusted(script),
            style_hash=templating.trusted(style_hash),
            script_hash=templating.trusted(script_hash),
        )
    )
    assert len(list(html.chunks(report))) > 3
    assert html.render(report) == page.rstrip() + "\n"


def test_markdown_and_html_files_are_written_from_their_pieces(sample_audit: Audit, tmp_path: Path) -> None:
    report = with_fail_on(sample_audit.report, None)
    extras = ((Format.MARKDOWN, tmp_path / "r.md"), (Format.HTML, tmp_path / "r.html"))
    finish_module.finish(
        sample_audit.report, Destinations(Format.JSON, tmp_path / "r.json", extra=extras), Gate(None), {}
    )
    assert (tmp_path / "r.md").read_text(encoding="utf-8") == markdown.render(report)
    assert (tmp_path / "r.html").read_text(encoding="utf-8") == html.render(report)


_WEIRD = 'x\u00e9\u2028\x00\x7f\\"\t\n/<>&##vso['


@pytest.mark.parametrize(
    "document",
    [
        {"a": [], "b": {}, "c": [1, 2.5, None, True, _WEIRD, {"d": []}], "e": "", "f": [[]], "g": [{}], _WEIRD: 1e16},
        {"lone": "\ud800", "pair": "\U0001f600"},
        {"nan": float("nan"), "big": 10**30, "neg": -0.0},
        [],
        "text",
    ],
)
def test_sarif_lays_out_json_as_json_dumps_with_an_indent(document: object) -> None:
    assert sarif.indented(document) == json.dumps(document, indent=2)
