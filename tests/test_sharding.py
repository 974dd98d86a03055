"""Parallel jobs audit slices of the subscriptions (--shard K/N); their reports merge into one."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from azaudit.audit import Audit
from azaudit.cli import app
from azaudit.errors import UsageError
from azaudit.inventory.common import Subscription
from azaudit.model import Finding, Status
from azaudit.render.json_document import render
from azaudit.reports.io import load
from azaudit.reports.merge import MergeError, merge_reports
from azaudit.reports.model import Report
from azaudit.shard import Shard
from tests.conftest import SAMPLE_TENANT, audit_replay, names

runner = CliRunner()


def finding_key(f: Finding) -> tuple[str, ...]:
    return (f.code, f.resource_id.lower(), f.item or "", f.status.value, f.message)


def saved(audit: Audit, name: str) -> tuple[str, Report]:
    """A report as a later job reads it back: through its JSON file."""
    return name, load(render(audit.report), name)


@pytest.fixture(scope="module")
def shards() -> list[Audit]:
    return [audit_replay(shard=Shard(k, 2)) for k in (1, 2)]


@pytest.mark.parametrize(("text", "index", "total"), [("1/1", 1, 1), ("2/4", 2, 4), (" 3 / 4 ", 3, 4)])
def test_shard_parses_k_of_n(text: str, index: int, total: int) -> None:
    assert Shard.parse(text) == Shard(index, total)


@pytest.mark.parametrize("text", ["0/4", "5/4", "2", "a/b", "-1/3", "1/0", "", "2/4/8"])
def test_a_malformed_shard_is_refused_with_the_expected_form(text: str) -> None:
    with pytest.raises(UsageError, match=r"expected K/N with 1 <= K <= N, e.g. 2/4"):
        Shard.parse(text)


@pytest.mark.parametrize("total", [1, 2, 3, 7, 40])
def test_the_shards_partition_the_subscriptions_whatever_their_order(total: int) -> None:
    rng = random.Random(total)  # noqa: S311 - reproducible test data, not security
    subs = [
        Subscription(subscription_id=f"{rng.getrandbits(128):032x}", display_name="", state="Enabled")
        for _ in range(23)
    ]
    slices = [Shard(k, total).take(subs) for k in range(1, total + 1)]
    shuffled = rng.sample(subs, len(subs))
    assert slices == [Shard(k, total).take(shuffled) for k in range(1, total + 1)], "every job computes the same slices"
    flat = [s.subscription_id for part in slices for s in part]
    assert sorted(flat) == sorted(s.subscription_id for s in subs) and len(set(flat)) == len(flat)
    assert max(map(len, slices)) - min(map(len, slices)) <= 1, "balanced by count"


def test_merged_shard_reports_equal_the_unsharded_audit(shards: list[Audit], sample_audit: Audit) -> None:
    assert [len(a.report.run.subscriptions) for a in shards] == [2, 1]
    assert all(a.report.run.shard == f"{k}/2" for k, a in enumerate(shards, 1))
    merged = merge_reports([saved(a, f"shard-{k}.json") for k, a in enumerate(shards, 1)])
    whole = sample_audit.report
    assert sorted(map(finding_key, merged.findings)) == sorted(map(finding_key, whole.findings))
    assert sorted(e.resource_id for e in merged.errors) == sorted(e.resource_id for e in whole.errors)
    assert {s.subscription_id for s in merged.run.subscriptions} == {s.subscription_id for s in whole.run.subscriptions}
    assert merged.checks == whole.checks
    assert merged.run.merged_from == 2 and merged.run.shard is None
    assert merged.run.requests == sum(a.report.run.requests for a in shards)
    assert not merged.complete, "the sample tenant's 403s stay visible after the merge"


def test_a_shard_recognises_identities_that_live_in_other_jobs_subscriptions(shards: list[Audit]) -> None:
    dev = shards[1]
    assert [s.name for s in dev.report.run.subscriptions] == ["contoso-dev"]
    assert (
        "Contributor at resource group rg-dev-containers/user-assigned identity id-aci-prod-api "
        "(object id 7e9a1c3e-5b7d-4f9a-8c2e-4a6c8e0a2c41)"
    ) in names(dev.report.findings, "RBAC002", Status.FAIL)
    others = {s.subscription_id for s in shards[0].report.run.subscriptions}
    lists = {
        "Microsoft.ManagedIdentity/userAssignedIdentities",
        "Microsoft.ContainerInstance/containerGroups",
        "Microsoft.ContainerRegistry/registries",
        "Microsoft.KeyVault/vaults",
    }
    read = [key.split("?")[0] for key in dev.stats.by_url if any(f"/subscriptions/{sub}/" in key for sub in others)]
    assert read, "the other subscriptions' identity holders were listed"
    # ACI001 approves every audited registry and follows their cache rules: those are listed too
    cache_rules = [key for key in read if key.endswith("/cacheRules")]
    assert cache_rules, "the other subscriptions' registries' cache rules were listed"
    assert all(key.split("/providers/", 1)[1] in lists for key in read if key not in cache_rules), (
        "lists only, nothing else per resource"
    )
    assert {r.name for r in dev.inventory.registry_directory} >= {"contosoprodacr", "contosolegacyacr"}
    assert all(e.subscription_id not in others for e in dev.report.errors), "their failures are their job's"
    assert not [key for key, n in dev.stats.by_url.items() if n > 1], "nothing read twice"
    assert all(g.subscription_id not in others for g in dev.inventory.container_groups), "and nothing of theirs judged"


def test_a_missing_shard_is_refused() -> None:
    present = [saved(audit_replay(shard=Shard(k, 3)), f"shard-{k}.json") for k in (1, 3)]
    with pytest.raises(MergeError, match=r"shard report\(s\) 2/3 missing: their subscriptions were not audited"):
        merge_reports(present)


def test_the_same_shard_twice_is_refused(shards: list[Audit]) -> None:
    with pytest.raises(MergeError, match=r"shard-1\.json and again\.json are the same report"):
        merge_reports([saved(shards[0], "shard-1.json"), saved(shards[0], "again.json"), saved(shards[1], "b")])


def test_reports_of_different_check_selections_are_refused(shards: list[Audit]) -> None:
    other = audit_replay(shard=Shard(2, 2), select=("ACR",))
    with pytest.raises(MergeError, match="ran different checks"):
        merge_reports([saved(shards[0], "shard-1.json"), saved(other, "shard-2.json")])


def test_a_shard_report_and_a_plain_one_are_refused(shards: list[Audit]) -> None:
    dev_only = audit_replay(subscriptions=("contoso-dev",))
    with pytest.raises(MergeError, match=r"plain.json: not a --shard report"):
        merge_reports([saved(shards[0], "shard-1.json"), saved(dev_only, "plain.json")])


def test_separate_audits_of_disjoint_subscriptions_merge() -> None:
    prod, dev = audit_replay(subscriptions=("contoso-prod",)), audit_replay(subscriptions=("contoso-dev",))
    merged = merge_reports([saved(prod, "prod.json"), saved(dev, "dev.json")])
    assert len(merged.findings) == len(prod.report.findings) + len(dev.report.findings)
    assert merged.run.merged_from == 2


def test_a_merge_keeps_every_run_field_the_jobs_agree_on(shards: list[Audit]) -> None:
    """A merged management-group audit still names its groups (and any field added to RunInfo
    later is kept, not silently dropped, when every job has the same value)."""
    import msgspec

    grouped = [
        (name, msgspec.structs.replace(r, run=msgspec.structs.replace(r.run, management_groups=("contoso-root",))))
        for name, r in (saved(a, f"shard-{k}.json") for k, a in enumerate(shards, 1))
    ]
    merged = merge_reports(grouped)
    assert merged.run.management_groups == ("contoso-root",)
    recomputed = {"started_at", "finished_at", "subscriptions", "requests", "shard", "merged_from"}
    for field in msgspec.structs.fields(merged.run):
        if field.name not in recomputed:
            assert getattr(merged.run, field.name) == getattr(grouped[0][1].run, field.name), field.name


def test_separate_group_audits_merge_to_the_union_of_their_groups() -> None:
    import msgspec

    prod, dev = audit_replay(subscriptions=("contoso-prod",)), audit_replay(subscriptions=("contoso-dev",))
    named = [
        (name, msgspec.structs.replace(r, run=msgspec.structs.replace(r.run, management_groups=groups)))
        for (name, r), groups in (
            (saved(prod, "prod.json"), ("mg-prod",)),
            (saved(dev, "dev.json"), ("mg-dev", "mg-prod")),
        )
    ]
    assert merge_reports(named).run.management_groups == ("mg-prod", "mg-dev")


def test_reports_of_different_versions_are_refused(shards: list[Audit]) -> None:
    name, newer = saved(shards[1], "shard-2.json")
    import msgspec

    newer = msgspec.structs.replace(newer, run=msgspec.structs.replace(newer.run, tool_version="9.9.9"))
    with pytest.raises(MergeError, match=r"differ in azaudit version \(0.1.0, 9.9.9\)"):
        merge_reports([saved(shards[0], "shard-1.json"), (name, newer)])


def _with_settings(named: tuple[str, Report], **changes: object) -> tuple[str, Report]:
    import msgspec

    name, report = named
    assert report.run.settings is not None
    settings = msgspec.structs.replace(report.run.settings, **changes)
    return name, msgspec.structs.replace(report, run=msgspec.structs.replace(report.run, settings=settings))


def test_reports_judged_with_different_thresholds_are_refused_naming_them(shards: list[Audit]) -> None:
    first, second = saved(shards[0], "shard-1.json"), saved(shards[1], "shard-2.json")
    assert second[1].run.settings is not None
    thresholds = {**second[1].run.settings.thresholds, "keyvault.stale_secret_days": 30}
    with pytest.raises(MergeError, match=r"judged with different thresholds \(keyvault\.stale_secret_days\)"):
        merge_reports([first, _with_settings(second, thresholds=thresholds)])


def test_reports_judged_with_other_approved_registries_are_refused(shards: list[Audit]) -> None:
    first, second = saved(shards[0], "shard-1.json"), saved(shards[1], "shard-2.json")
    with pytest.raises(MergeError, match="judged with different approved registries"):
        merge_reports([first, _with_settings(second, approved_registries=("other.azurecr.io",))])


def test_reports_judged_under_other_suppressions_are_refused(shards: list[Audit]) -> None:
    import datetime as dt

    from azaudit.reports.model import ExceptionEntry

    entry = ExceptionEntry(check="ACR001", resource="*", reason="accepted", expires=dt.date(2099, 1, 1))
    first, second = saved(shards[0], "shard-1.json"), saved(shards[1], "shard-2.json")
    with pytest.raises(MergeError, match="judged with different suppressions"):
        merge_reports([_with_settings(first, suppressions=(entry,)), _with_settings(second, suppressions=())])


def test_settings_that_decide_no_verdict_may_differ_and_are_then_not_recorded(shards: list[Audit]) -> None:
    first, second = saved(shards[0], "shard-1.json"), saved(shards[1], "shard-2.json")
    merged = merge_reports([_with_settings(first, auth="msi", fail_on="high"), _with_settings(second, auth="cli")])
    assert merged.run.settings is not None
    assert merged.run.settings.auth is None and merged.run.settings.fail_on is None
    assert merged.run.settings.thresholds == first[1].run.settings.thresholds  # type: ignore[union-attr]
    same = merge_reports([_with_settings(first, auth="msi"), _with_settings(second, auth="msi")])
    assert same.run.settings is not None and same.run.settings.auth == "msi"


def test_a_report_without_settings_is_not_merged_with_one_that_has_them(shards: list[Audit]) -> None:
    import msgspec

    name, report = saved(shards[1], "shard-2.json")
    bare = msgspec.structs.replace(report, run=msgspec.structs.replace(report.run, settings=None))
    with pytest.raises(MergeError, match=r"shard-2\.json: the report does not record its settings"):
        merge_reports([saved(shards[0], "shard-1.json"), (name, bare)])


# ---------------------------------------------------------------------------- through the CLI


def write_shards(tmp_path: Path) -> list[Path]:
    paths = []
    for k in (1, 2):
        path = tmp_path / f"shard-{k}.json"
        result = runner.invoke(
            app,
            ["subscription", "--replay", str(SAMPLE_TENANT), "--shard", f"{k}/2", "-f", "json", "-o", str(path)],
        )
        assert result.exit_code == 1, result.output  # each shard gates on its own findings
        paths.append(path)
    return paths


def test_cli_merges_shard_reports_and_gates_on_request(tmp_path: Path) -> None:
    paths = write_shards(tmp_path)
    merged = tmp_path / "report.md"
    rendered = runner.invoke(app, ["report", *map(str, paths), "-f", "markdown", "-o", str(merged)])
    assert rendered.exit_code == 0, rendered.output  # rendering alone does not gate
    text = merged.read_text(encoding="utf-8")
    assert "- Merged from 2 job reports" in text and "3 subscription(s)" in text
    gated = runner.invoke(app, ["report", *map(str, paths), "-f", "json", "--fail-on", "critical"])
    assert gated.exit_code == 1
    assert json.loads(gated.stdout)["run"]["merged_from"] == 2


def test_cli_merge_of_an_incomplete_set_is_one_clear_line(tmp_path: Path) -> None:
    first = write_shards(tmp_path)[0]
    result = runner.invoke(app, ["report", str(first), str(tmp_path / "shard-9.json")])
    assert result.exit_code == 2
    assert "cannot read" in result.output and "shard-9.json" in result.output
    assert result.output.strip().startswith("azaudit: ") and len(result.output.strip().splitlines()) == 1


def test_cli_refuses_a_malformed_shard(tmp_path: Path) -> None:
    result = runner.invoke(app, ["subscription", "--replay", str(SAMPLE_TENANT), "--shard", "3/2"])
    assert result.exit_code == 2
    assert "expected K/N" in result.output and "Traceback" not in result.output


def test_cli_refuses_the_same_report_given_twice(tmp_path: Path) -> None:
    """Merging a file with itself would count its findings twice; so would a copy of it."""
    first, second = write_shards(tmp_path)
    copy = tmp_path / "copy.json"
    copy.write_bytes(first.read_bytes())
    for again in (first, copy):
        result = runner.invoke(app, ["report", str(first), str(second), str(again), "-f", "json"])
        assert result.exit_code == 2, result.output
        line = result.stderr.strip()
        assert line == f"azaudit: {first} and {again} are the same report; give each report once"
        assert not result.stdout


@pytest.mark.parametrize("fmt", ["table", "markdown", "json", "sarif", "junit", "csv", "ocsf"])
def test_cli_refuses_a_report_whose_findings_name_an_undescribed_check(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "edited.json"
    document = json.loads(render(audit_replay(select=("ACR001", "ACR002")).report))
    del document["checks"]["ACR001"]
    path.write_text(json.dumps(document), encoding="utf-8")
    result = runner.invoke(app, ["report", str(path), "-f", fmt])
    assert result.exit_code == 2, result.output
    line = result.stderr.strip()
    assert line.startswith(f"azaudit: {path}: findings name check(s) 'ACR001'") and "\n" not in line
    assert "Traceback" not in result.output and not result.stdout
