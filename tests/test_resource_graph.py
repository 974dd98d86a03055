"""Enumeration through Azure Resource Graph (``--source graph``), replayed from body-aware fixtures:
the same verdicts as the ARM lists, ``$skipToken`` paging, a fallback to ARM (with a note) when
Resource Graph refuses or stays throttled, and an unreadable row costing only that resource (or,
for identities and role assignments, its subscription's list, as on the ARM path). Role
assignments: each subscription gets what ``listForSubscription`` gives it, those inherited from
its management groups and the root included."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from azaudit.audit import Audit, run_audit
from azaudit.backend import open_backend
from azaudit.cli import app
from azaudit.clients import RETRY
from azaudit.collect.graph import AUTHORIZATION_API, graph_query
from azaudit.collect.graph_rbac import ASSIGNMENTS_QUERY, SCOPE_FILTER, SUBSCRIPTIONS_QUERY, assignment_scope, holders
from azaudit.collect.graph_source import AUTO_THRESHOLD, resolve
from azaudit.collect.pool import can_fork
from azaudit.inventory.coverage import Dataset
from azaudit.model import Status
from azaudit.replay import ReplayAdapter, ReplayCredential
from azaudit.runconfig import RunConfig, Source
from azaudit.transport import bounds as transport_module
from bench.network import SimulatedNetwork, simulated_session
from bench.synthetic import GraphAdapter, SyntheticTenant
from tests.conftest import CANARY_MARK, SAMPLE_TENANT, audit_replay, replay_config
from tools.scenarios import DEV, PROD, SANDBOX, TENANT

GRAPH_FILE = "resourcegraph.json"
REASON = "unusable answer: its properties are null"
REGISTRIES = "resources | where type =~ 'microsoft.containerregistry/registries'"
MG = "/providers/Microsoft.Management/managementGroups"
ASSIGNMENT = "providers/Microsoft.Authorization/roleAssignments"
# Inherited by contoso-prod from its landing zone (an Owner group) and by the sandbox from its own
INHERITED = {
    (PROD, f"{MG}/contoso-prod-lz/{ASSIGNMENT}/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c09"),
    (SANDBOX, f"{MG}/contoso-sandbox-lz/{ASSIGNMENT}/2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e02"),
}
SOURCES = 5  # registries, container groups, vaults, identities, role assignments


def verdicts(audit: Audit) -> list[tuple[str, str, str, str, str]]:
    return sorted((f.code, f.resource_id, f.item or "", f.status.value, f.message) for f in audit.report.findings)


def graph_notes(audit: Audit) -> list[str]:
    """The enumeration's notes (Defender's image findings are always read through Resource Graph)."""
    return [
        n.message
        for n in audit.inventory.notes
        if "Resource Graph" in n.message and n.dataset is not Dataset.IMAGE_VULNERABILITIES
    ]


@pytest.fixture(scope="module")
def arm_audit() -> Audit:
    return audit_replay(source=Source.ARM)


@pytest.fixture(scope="module")
def graph_audit() -> Audit:
    return audit_replay(source=Source.GRAPH)


def tenant_copy(tmp_path: Path, edit: Any) -> Path:
    """The sample tenant with its Resource Graph answers changed by ``edit(interactions)``."""
    tenant = tmp_path / "contoso"
    shutil.copytree(SAMPLE_TENANT, tenant)
    path = tenant / GRAPH_FILE
    document = json.loads(path.read_text())
    edit(document["interactions"])
    path.write_text(json.dumps(document))
    return tenant


def test_the_graph_path_gives_the_verdicts_of_the_arm_path(arm_audit: Audit, graph_audit: Audit) -> None:
    assert verdicts(graph_audit) == verdicts(arm_audit)
    assert graph_audit.report.errors == arm_audit.report.errors
    assert graph_audit.inventory.registries == arm_audit.inventory.registries
    assert graph_audit.inventory.container_groups == arm_audit.inventory.container_groups
    assert graph_audit.inventory.vaults == arm_audit.inventory.vaults
    assert graph_audit.inventory.identities == arm_audit.inventory.identities
    # each subscription holds the set listForSubscription gives it, inherited assignments included
    assert graph_audit.inventory.role_assignments == arm_audit.inventory.role_assignments
    held = {(a.subscription_id, a.id) for a in graph_audit.inventory.role_assignments}
    assert held >= INHERITED
    # Four queries (five requests: one is paged) instead of four lists in each of three subscriptions
    # (fourteen requests with their pages); the subscriptions' chains and the role assignments (three
    # requests: one is paged) instead of the role assignment lists (four requests).
    assert graph_audit.stats.total == arm_audit.stats.total - 14 + 5 - 4 + 3


def test_a_graph_run_says_where_its_inventory_came_from_and_that_resource_graph_lags(graph_audit: Audit) -> None:
    notes = graph_notes(graph_audit)
    assert len(notes) == SOURCES
    assert any(note.startswith("roleassignments: listed through Azure Resource Graph") for note in notes)
    for note in notes:
        assert "listed through Azure Resource Graph" in note
        assert "after minutes" in note and "deleted resource may still be listed" in note
    assert not graph_notes(audit_replay(source=Source.ARM, select=("ACR001",)))


def test_paging_follows_skip_token_until_the_last_page() -> None:
    backend = open_backend(replay_config(source=Source.GRAPH))
    try:
        rows = graph_query(backend.clients().arm(), REGISTRIES, [PROD, DEV, SANDBOX], "registries")
    finally:
        backend.close()
    # the first page holds two rows and a $skipToken, the second the other three
    assert [row["name"] for row in rows] == [
        "contosoprodacr",
        "contosolegacyacr",
        "contosoplatformacr",
        "contosodevacr",
        "contosomlacr",
    ]


def test_a_refused_resource_graph_falls_back_to_the_arm_lists_and_says_so(tmp_path: Path, arm_audit: Audit) -> None:
    def refuse(interactions: list[dict[str, Any]]) -> None:
        for interaction in interactions:
            interaction["response"] = {
                "status": 403,
                "body": {
                    "error": {
                        "code": "AuthorizationFailed",
                        "message": "The client does not have authorization to perform action "
                        "'Microsoft.ResourceGraph/resources/read'.",
                    }
                },
            }

    audit = audit_replay(tenant_copy(tmp_path, refuse), source=Source.GRAPH)
    assert verdicts(audit) == verdicts(arm_audit)
    notes = graph_notes(audit)
    assert len(notes) == SOURCES
    for note in notes:
        assert "could not list them (AuthorizationFailed: " in note
        assert "listed through Azure Resource Manager, one list per subscription, instead" in note


def test_an_unreadable_row_is_error_for_that_resource_alone(tmp_path: Path, graph_audit: Audit) -> None:
    def null_properties(interactions: list[dict[str, Any]]) -> None:
        for interaction in interactions:
            for row in interaction["response"]["body"]["data"]:
                if row["name"] in ("contosodevacr", "id-aci-prod-api"):
                    row["properties"] = None

    audit = audit_replay(tenant_copy(tmp_path, null_properties), source=Source.GRAPH)
    registry_errors = [e for e in audit.report.errors if e.dataset is Dataset.REGISTRIES]
    assert [(e.resource_name, e.reason) for e in registry_errors] == [("contosodevacr", REASON)]
    assert registry_errors[0].subscription_id == "9b2d4e6f-1a3c-4d5e-8f70-2a4b6c8d0e13"
    assert {f.status for f in audit.report.findings if f.resource_name == "contosodevacr"} == {Status.ERROR}
    # the other registries keep their verdicts
    others = {f for f in verdicts(graph_audit) if "/registries/" in f[1] and "contosodevacr" not in f[1]}
    assert others <= set(verdicts(audit))
    # identities are judged as a whole (they name the principals of role assignments)
    identity_errors = [e for e in audit.report.errors if e.dataset is Dataset.IDENTITIES]
    assert [(e.subscription_id, e.resource_id) for e in identity_errors] == [
        ("3f8a6c1e-5b7d-4e2a-9c11-7d2e0f4a8b51", "")
    ]
    assert not audit.inventory.identities


def test_auto_uses_resource_graph_from_ten_subscriptions_of_a_live_run() -> None:
    assert resolve(Source.AUTO, AUTO_THRESHOLD - 1) is Source.ARM
    assert resolve(Source.AUTO, AUTO_THRESHOLD) is Source.GRAPH
    assert resolve(Source.ARM, 1000) is Source.ARM
    assert resolve(Source.GRAPH, 1) is Source.GRAPH
    # replayed, injected or recorded runs: only an explicit --source graph
    assert resolve(Source.AUTO, 1000, live=False) is Source.ARM
    assert resolve(Source.GRAPH, 1, live=False) is Source.GRAPH


def synthetic_audit(tenant: SyntheticTenant, source: Source, processes: int) -> Audit:
    adapter = GraphAdapter(tenant) if tenant.graph else ReplayAdapter(tenant.responses, "synthetic")
    config = RunConfig(processes=processes, concurrency=8, working_directory=Path("/nonexistent"), source=source)
    session = simulated_session(SimulatedNetwork(adapter))
    return run_audit(config, session=session, credential=ReplayCredential())


@pytest.mark.skipif(not can_fork(), reason="multi-process collection needs fork (Linux)")
def test_a_large_scope_is_enumerated_through_resource_graph_in_each_part_with_the_arm_verdicts() -> None:
    arm_tenant = SyntheticTenant(subscriptions=AUTO_THRESHOLD + 2, resources_per_subscription=10, seed=3)
    graph_tenant = SyntheticTenant(subscriptions=AUTO_THRESHOLD + 2, resources_per_subscription=10, seed=3, graph=True)
    by_arm = synthetic_audit(arm_tenant, Source.ARM, processes=1)
    by_graph = synthetic_audit(graph_tenant, Source.GRAPH, processes=2)
    # auto over an injected network (or a replay) stays on the ARM lists: they answer what was recorded
    # (each of its two parts asks Resource Graph for Defender's image findings: IMG001)
    assert synthetic_audit(arm_tenant, Source.AUTO, processes=2).stats.total == arm_tenant.request_count(parts=2)
    assert by_graph.report.findings == by_arm.report.findings
    assert by_graph.inventory.registries == by_arm.inventory.registries
    assert by_graph.inventory.vaults == by_arm.inventory.vaults
    # each of the two parts sends one query per type for its own subscriptions; no ARM list
    assert by_graph.inventory.role_assignments == by_arm.inventory.role_assignments
    # each of the two parts sends its subscriptions' chains and role assignments too
    graph_kind = "POST /providers/Microsoft.ResourceGraph/resources"
    # (and each part asks for Defender's image findings of its subscriptions: IMG001)
    assert by_graph.stats.by_kind[graph_kind] == 12 + 2
    assert by_graph.stats.total == graph_tenant.request_count(parts=2)
    assert not [kind for kind in by_graph.stats.by_kind if kind.endswith("/Microsoft.KeyVault/vaults")]
    assert not [kind for kind in by_graph.stats.by_kind if kind.endswith("/roleAssignments")]
    # each part notes that Resource Graph lags: the report says it once per type
    assert len(graph_notes(by_graph)) == SOURCES


def test_the_cli_audits_the_sample_tenant_through_resource_graph(tmp_path: Path) -> None:
    runner = CliRunner()
    reports = {}
    for source in ("arm", "graph"):
        out = tmp_path / f"{source}.json"
        result = runner.invoke(
            app, ["subscription", "--replay", str(SAMPLE_TENANT), "--source", source, "-f", "json", "-o", str(out)]
        )
        reports[source] = (result.exit_code, json.loads(out.read_text()))
    (arm_code, arm), (graph_code, graph) = reports["arm"], reports["graph"]
    assert graph_code == arm_code
    assert [(f["code"], f["resource_id"], f["status"]) for f in graph["findings"]] == [
        (f["code"], f["resource_id"], f["status"]) for f in arm["findings"]
    ]
    assert sum("listed through Azure Resource Graph" in n["message"] for n in graph["notes"]) == SOURCES
    # an ARM run reads only Defender's image findings through Resource Graph (IMG001), and says so
    assert not [n for n in arm["notes"] if "Resource Graph" in n["message"] and n["dataset"] != "image-vulnerabilities"]


def test_an_unknown_source_is_one_line_and_exit_2() -> None:
    result = CliRunner().invoke(app, ["subscription", "--replay", str(SAMPLE_TENANT), "--source", "ldap"])
    assert result.exit_code == 2
    assert "ldap" in result.output and "Traceback" not in result.output


def test_a_graph_run_records_resource_graph_answers_that_replay_to_the_same_verdicts(
    tmp_path: Path, graph_audit: Audit
) -> None:
    recording = tmp_path / "recording"
    audit_replay(source=Source.GRAPH, record=recording)
    text = "".join(path.read_text() for path in recording.rglob("*.json"))
    assert "Microsoft.ResourceGraph/resources" in text
    assert CANARY_MARK not in text  # environment values in container group rows are scrubbed too
    replayed = audit_replay(recording, source=Source.GRAPH)
    assert verdicts(replayed) == verdicts(graph_audit)


def graph_answers(interactions: list[dict[str, Any]], query: str) -> list[dict[str, Any]]:
    return [i for i in interactions if i["request"]["body"]["query"] == query]


def test_role_assignments_are_read_in_pages_with_the_scope_filter_that_brings_inherited_ones() -> None:
    backend = open_backend(replay_config(source=Source.GRAPH))
    try:
        client = backend.clients().arm()
        rows = graph_query(
            client, ASSIGNMENTS_QUERY, [PROD, DEV, SANDBOX], "assignments", SCOPE_FILTER, AUTHORIZATION_API
        )
        chains = graph_query(client, SUBSCRIPTIONS_QUERY, [SANDBOX, PROD, DEV], "subscriptions")
    finally:
        backend.close()
    # two pages (four rows, then the rest), each request naming AtScopeAboveAndBelow
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)) > 4
    assert {assignment for _, assignment in INHERITED} <= set(ids)
    assert {row["subscriptionId"] for row in chains} == {PROD, DEV, SANDBOX}


def test_scopes_are_given_to_the_subscriptions_that_inherit_them() -> None:
    chains = {"sub-a": frozenset({"mg-a", "root"}), "sub-b": frozenset({"mg-b", "root"})}
    assert sorted(holders("/", chains)) == ["sub-a", "sub-b"]
    assert sorted(holders(f"{MG}/root".lower(), chains)) == ["sub-a", "sub-b"]
    assert holders(f"{MG}/mg-a".lower(), chains) == ["sub-a"]
    assert holders(f"{MG}/mg-c".lower(), chains) == []
    assert holders("/subscriptions/sub-b/resourcegroups/rg", chains) == ["sub-b"]
    assert holders("/subscriptions/sub-c", chains) == []
    assert assignment_scope({"id": f"/{ASSIGNMENT}/g1"}) == "/"
    assert assignment_scope({"id": f"{MG}/Mg-A/{ASSIGNMENT}/g2"}) == f"{MG}/mg-a".lower()
    assert assignment_scope({"id": f"/subscriptions/S/resourceGroups/RG/{ASSIGNMENT}/g3"}) == (
        "/subscriptions/s/resourcegroups/rg"
    )
    for unusable in ({"id": None}, {"id": "/subscriptions/s"}, {"id": f"/subscriptions/s/{ASSIGNMENT}/"}):
        with pytest.raises(ValueError, match="a row of the resourceGraph"):
            assignment_scope(unusable)


def test_root_and_tenant_root_group_assignments_reach_every_subscription_and_a_foreign_group_none(
    tmp_path: Path, graph_audit: Audit
) -> None:
    def add_scopes(interactions: list[dict[str, Any]]) -> None:
        first = graph_answers(interactions, ASSIGNMENTS_QUERY)[0]["response"]["body"]["data"]
        template = first[0]
        for scope, guid in (
            ("", "9f000000-0000-4000-8000-000000000001"),
            (f"{MG}/{TENANT}", "9f000000-0000-4000-8000-000000000002"),
            (f"{MG}/contoso-finance", "9f000000-0000-4000-8000-000000000003"),
        ):
            row = json.loads(json.dumps(template))
            row.update({"id": f"{scope}/{ASSIGNMENT}/{guid}", "name": guid, "subscriptionId": "", "resourceGroup": ""})
            row["properties"]["scope"] = scope or "/"
            first.append(row)

    audit = audit_replay(tenant_copy(tmp_path, add_scopes), source=Source.GRAPH)
    added = {(a.subscription_id, a.name) for a in audit.inventory.role_assignments if a.name.startswith("9f000000")}
    # one record per id in the inventory (it keeps the first subscription that lists an id)
    assert {name for _, name in added} == {
        "9f000000-0000-4000-8000-000000000001",
        "9f000000-0000-4000-8000-000000000002",
    }
    before = {(a.subscription_id, a.id) for a in graph_audit.inventory.role_assignments}
    assert before <= {(a.subscription_id, a.id) for a in audit.inventory.role_assignments}


def test_a_subscription_resource_graph_gives_no_chain_for_is_listed_through_arm(
    tmp_path: Path, arm_audit: Audit
) -> None:
    def forget_sandbox(interactions: list[dict[str, Any]]) -> None:
        answer = graph_answers(interactions, SUBSCRIPTIONS_QUERY)[0]["response"]["body"]
        answer["data"] = [row for row in answer["data"] if row["subscriptionId"] != SANDBOX]

    audit = audit_replay(tenant_copy(tmp_path, forget_sandbox), source=Source.GRAPH)
    assert verdicts(audit) == verdicts(arm_audit)
    assert audit.inventory.role_assignments == arm_audit.inventory.role_assignments
    sandbox_notes = [n for n in audit.inventory.notes if n.subscription_id == SANDBOX and "Resource Graph" in n.message]
    assert [n.message for n in sandbox_notes] == [
        "roleassignments: Azure Resource Graph gives no readable management group ancestors for this subscription "
        "(it may not be indexed yet): listed through Azure Resource Manager instead"
    ]
    # the one ARM role assignment list sent is the sandbox's
    assert audit.stats.by_kind["GET /subscriptions/{}/providers/Microsoft.Authorization/roleAssignments"] == 1


REFUSED = {"error": {"code": "AuthorizationFailed", "message": "no 'Microsoft.ResourceGraph/resources/read'."}}
THROTTLED = {"error": {"code": "TooManyRequests", "message": "slow down"}}


@pytest.mark.parametrize("query", [SUBSCRIPTIONS_QUERY, ASSIGNMENTS_QUERY], ids=["chains", "assignments"])
@pytest.mark.parametrize(
    ("status", "headers", "body", "said"),
    [(403, {}, REFUSED, "AuthorizationFailed: "), (429, {"Retry-After": "999999"}, THROTTLED, "throttled")],
    ids=["refused", "throttled"],
)
def test_role_assignments_fall_back_to_arm_when_a_query_is_refused_or_stays_throttled(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    arm_audit: Audit,
    query: str,
    status: int,
    headers: dict[str, str],
    body: dict[str, Any],
    said: str,
) -> None:
    monkeypatch.setitem(RETRY, "retry_backoff_factor", 0.0)
    monkeypatch.setattr(transport_module, "RETRY_WAIT_CAP_SECONDS", 0.1)

    def fail(interactions: list[dict[str, Any]]) -> None:
        for interaction in graph_answers(interactions, query):
            interaction["response"] = {"status": status, "headers": headers, "body": body}

    audit = audit_replay(tenant_copy(tmp_path, fail), source=Source.GRAPH)
    assert verdicts(audit) == verdicts(arm_audit)
    assert audit.inventory.role_assignments == arm_audit.inventory.role_assignments
    notes = [n for n in graph_notes(audit) if n.startswith("roleassignments: ")]
    assert len(notes) == 1
    assert "could not list them (" in notes[0] and said in notes[0]
    assert "listed through Azure Resource Manager, one list per subscription, instead" in notes[0]
    # the other types are still listed through Resource Graph
    assert sum("listed through Azure Resource Graph" in n for n in graph_notes(audit)) == SOURCES - 1


def test_an_unreadable_assignment_row_fails_the_lists_of_the_subscriptions_it_is_given_to(tmp_path: Path) -> None:
    def unreadable(interactions: list[dict[str, Any]]) -> None:
        for interaction in graph_answers(interactions, ASSIGNMENTS_QUERY):
            for row in interaction["response"]["body"]["data"]:
                if "contoso-prod-lz" in row["id"]:
                    row["properties"] = None

    audit = audit_replay(tenant_copy(tmp_path, unreadable), source=Source.GRAPH)
    errors = [e for e in audit.report.errors if e.dataset is Dataset.ROLE_ASSIGNMENTS]
    assert [(e.subscription_id, e.resource_id, e.reason) for e in errors] == [
        (PROD, "", f"{REASON}, missing or name no role or principal")
    ]
    held = {a.subscription_id for a in audit.inventory.role_assignments}
    assert held == {DEV, SANDBOX}


def test_every_type_falls_back_to_arm_when_resource_graph_stays_throttled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, arm_audit: Audit
) -> None:
    monkeypatch.setitem(RETRY, "retry_backoff_factor", 0.0)
    monkeypatch.setattr(transport_module, "RETRY_WAIT_CAP_SECONDS", 0.1)

    def throttle(interactions: list[dict[str, Any]]) -> None:
        for interaction in interactions:
            interaction["response"] = {"status": 429, "headers": {"Retry-After": "999999"}, "body": THROTTLED}

    audit = audit_replay(tenant_copy(tmp_path, throttle), source=Source.GRAPH)
    assert verdicts(audit) == verdicts(arm_audit)
    notes = graph_notes(audit)
    assert len(notes) == SOURCES
    assert all("could not list them (throttled: " in note for note in notes)
