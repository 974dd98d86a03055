"""Hostile shapes in a tenant's answers: what cannot be read is ERROR for that resource only.

Each case is planted in a copy of the sample tenant's recorded answers under ``tmp_path`` and
audited through the real replay path (SDK clients, pipelines, transport).
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from azaudit import catalogue
from azaudit.audit import Audit
from azaudit.catalogue import Check, CheckContext
from azaudit.collect.dedup import Ledger
from azaudit.collect.tasks import Collected, Task
from azaudit.engine import evaluate
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.defender import DefenderPlan
from azaudit.model import Finding, Outcome, Severity, Status
from azaudit.reports.gate import ExitCode, exit_code_for
from azaudit.settings import Settings
from tests.conftest import NOW, SAMPLE_TENANT, audit_replay

PROD = "contoso-prod"
GROUP = "aci-prod-api"
VAULT = "kv-prod-apps"
REGISTRY = "contosoprodacr"


def tenant_copy(tmp_path: Path) -> Path:
    tenant = tmp_path / "tenant"
    shutil.copytree(SAMPLE_TENANT, tenant)
    return tenant


def edit_items(path: Path, change: Callable[[list[dict[str, Any]]], None]) -> None:
    """Apply ``change`` to the ``value`` list of every recorded list answer of one fixture file."""
    document = json.loads(path.read_text(encoding="utf-8"))
    for interaction in document["interactions"]:
        body = interaction["response"].get("body")
        if isinstance(body, dict) and isinstance(body.get("value"), list):
            change(body["value"])
    path.write_text(json.dumps(document), encoding="utf-8")


def set_properties(path: Path, name: str, value: Any) -> None:
    """Give resource ``name`` these ``properties`` (``...``: remove them)."""

    def change(items: list[dict[str, Any]]) -> None:
        for item in items:
            if item.get("name") == name:
                if value is ...:
                    del item["properties"]
                else:
                    item["properties"] = value

    edit_items(path, change)


def about(findings: tuple[Finding, ...], name: str) -> list[Finding]:
    return [f for f in findings if f.resource_name == name or f.resource_name.startswith(name + "/")]


def others(findings: tuple[Finding, ...], *names: str) -> set[tuple[str, str, str, str | None]]:
    return {
        (f.code, f.resource_id.lower(), f.status.value, f.item)
        for f in findings
        if not any(f.resource_name == n or f.resource_name.startswith(n + "/") for n in names)
    }


@pytest.mark.parametrize("shape", [None, ..., "oops", [1]], ids=["null", "missing", "string", "list"])
def test_a_vault_or_registry_without_usable_properties_is_error_never_pass(
    tmp_path: Path, sample_audit: Audit, shape: Any
) -> None:
    tenant = tenant_copy(tmp_path)
    set_properties(tenant / PROD / "keyvault.json", VAULT, shape)
    set_properties(tenant / PROD / "containerregistry.json", REGISTRY, shape)
    audit = audit_replay(tenant)
    findings = audit.report.findings
    for name, prefix in ((VAULT, "KV"), (REGISTRY, "ACR")):
        mine = about(findings, name)
        assert mine, f"{name}: its checks say nothing"
        assert {f.status for f in mine} == {Status.ERROR}, [(f.code, f.status) for f in mine]
        assert {f.code for f in mine} >= {c for c in audit.report.checks if c.startswith(prefix)}
        assert all("unusable answer" in f.message for f in mine)
    # every other resource is judged exactly as before, except the group that pulls from the
    # unreadable registry: its cache rules were never read, so ACI001 cannot pass the image
    pulls = [f for f in findings if f.code == "ACI001" and f.resource_name == GROUP]
    assert [(f.status, f.item) for f in pulls] == [(Status.ERROR, "api"), (Status.ERROR, "migrate")]
    assert "cache rules of registry contosoprodacr could not be read" in pulls[0].message

    # nor can the image checks judge the image it runs from there (ERROR, never "not resolvable")
    judged = ("ACI001", "IMG001", "IMG002", "IMG003", "IMG004", "IMG005")
    assert {f.status for f in findings if f.code.startswith("IMG") and f.resource_name == GROUP} == {Status.ERROR}

    def rest(of: tuple[Finding, ...]) -> set[tuple[str, str, str, str | None]]:
        return {v for v in others(of, VAULT, REGISTRY) if not (v[0] in judged and v[1].endswith(f"/{GROUP}"))}

    assert rest(findings) == rest(sample_audit.report.findings)
    assert exit_code_for(audit.report, Severity.LOW) is not ExitCode.OK


@pytest.mark.parametrize("shape", [None, ...], ids=["null", "missing"])
def test_a_container_group_without_properties_is_error_never_pass(
    tmp_path: Path, sample_audit: Audit, shape: Any
) -> None:
    tenant = tenant_copy(tmp_path)
    set_properties(tenant / PROD / "containerinstance.json", GROUP, shape)
    set_properties(tenant / PROD / "keyvault.json", VAULT, shape)
    audit = audit_replay(tenant)
    findings = audit.report.findings
    mine = about(findings, GROUP)
    assert {f.code for f in mine} >= {c for c in audit.report.checks if c.startswith("ACI")}
    assert {f.status for f in mine} == {Status.ERROR}
    assert others(findings, GROUP, VAULT) == others(sample_audit.report.findings, GROUP, VAULT)
    # the checks that passed for this group alone now leave the audit incomplete: exit 2, not 0
    passing = sorted({f.code for f in about(sample_audit.report.findings, GROUP) if f.status is Status.PASS})
    alone = audit_replay(tenant, select=tuple(passing), subscriptions=(PROD,))
    assert {f.status for f in about(alone.report.findings, GROUP)} == {Status.ERROR}
    assert not alone.report.complete
    assert exit_code_for(alone.report, Severity.LOW) is not ExitCode.OK


def twin(item: dict[str, Any]) -> dict[str, Any]:
    """The same resource, its id in other casing (ARM ids are case-insensitive)."""
    copy: dict[str, Any] = json.loads(json.dumps(item))
    copy["id"] = copy["id"].upper()
    return copy


def test_a_resource_listed_twice_is_audited_once_with_a_note(tmp_path: Path, sample_audit: Audit) -> None:
    tenant = tenant_copy(tmp_path)
    # a registry repeated on the same page, its id in capitals
    edit_items(
        tenant / PROD / "containerregistry.json",
        lambda items: items.extend([twin(i) for i in items if i["name"] == REGISTRY]),
    )
    # a vault repeated on a second page of the list, in capitals
    vaults = tenant / PROD / "keyvault.json"
    document = json.loads(vaults.read_text(encoding="utf-8"))
    listing = document["interactions"][0]
    assert listing["request"]["url"].lower().endswith("/providers/microsoft.keyvault/vaults?api-version=2026-05-15")
    second = listing["request"]["url"] + "&$skiptoken=page2"
    listing["response"]["body"]["nextLink"] = second
    repeated = [twin(i) for i in listing["response"]["body"]["value"] if i["name"] == VAULT]
    document["interactions"].append(
        {"request": {"method": "GET", "url": second}, "response": {"status": 200, "body": {"value": repeated}}}
    )
    vaults.write_text(json.dumps(document), encoding="utf-8")
    # a secret repeated, exactly, on the next page of a vault's data-plane list
    dataplane = tenant / PROD / "keyvault-dataplane.json"
    document = json.loads(dataplane.read_text(encoding="utf-8"))
    pages = [i["response"]["body"] for i in document["interactions"] if VAULT in i["request"]["url"]]
    pages[1]["value"].append(pages[0]["value"][0])
    dataplane.write_text(json.dumps(document), encoding="utf-8")

    audit = audit_replay(tenant)

    def counted(findings: tuple[Finding, ...]) -> Counter[tuple[str, str, str, str | None]]:
        return Counter((f.code, f.resource_id.lower(), f.status.value, f.item) for f in findings)

    assert counted(audit.report.findings) == counted(sample_audit.report.findings), "nothing twice, nothing lost"
    assert [r.name for r in audit.inventory.registries].count(REGISTRY) == 1
    assert [v.name for v in audit.inventory.vaults].count(VAULT) == 1
    assert not [url for url, n in audit.stats.by_url.items() if n > 1], "its secrets and settings are read once"
    new = sorted(n.message for n in set(audit.report.notes) - set(sample_audit.report.notes))
    assert len(new) == 3, new
    assert new[0].startswith(f"key vault {VAULT} is listed twice with ids that differ only in case")
    assert new[1].startswith(f"registry {REGISTRY} is listed twice with ids that differ only in case")
    assert new[2].startswith("secret ") and "appears twice in the secrets.list answer: audited once" in new[2]
    assert all("the copies differ" not in n for n in new)
    assert exit_code_for(audit.report, Severity.LOW) == exit_code_for(sample_audit.report, Severity.LOW)


def test_copies_that_differ_say_which_was_judged_and_a_role_listed_by_two_subscriptions_is_no_news() -> None:
    def listing(operation: str) -> Task:
        return Task(Dataset.DEFENDER_PLANS, "sub", operation, Collected)

    plan = DefenderPlan(
        id="/subscriptions/sub/providers/Microsoft.Security/pricings/Containers",
        name="Containers",
        subscription_id="sub",
        pricing_tier="Standard",
    )
    weaker = DefenderPlan(id=plan.id.upper(), name="Containers", subscription_id="sub", pricing_tier="Free")
    ledger = Ledger()
    first, other = listing("pricings.list"), listing("pricings.list")
    assert ledger.admit(plan, first)
    assert not ledger.admit(plan, other) and not ledger.notes, "the same id from another listing: expected"
    assert not ledger.admit(weaker, first)
    assert [n.message.endswith("the copies differ and only the first was judged") for n in ledger.notes] == [True]


def test_role_definitions_and_assignments_without_properties_are_error_never_pass(
    tmp_path: Path, sample_audit: Audit
) -> None:
    tenant = tenant_copy(tmp_path)
    role = "f2b4d6f8-0c2e-4a4b-9d6f-8b0d2f4c6e81"  # Contoso Registry Operator, a custom role
    set_properties(tenant / PROD / "roledefinitions.json", role, None)
    set_properties(tenant / PROD / "roleassignments.json", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c01", ...)
    audit = audit_replay(tenant)
    findings = audit.report.findings
    before = [f for f in sample_audit.report.findings if f.code == "RBAC004" and role in f.resource_id]
    assert before and {f.status for f in before} != {Status.ERROR}
    after = [f for f in findings if f.code == "RBAC004" and role in f.resource_id]
    assert [f.status for f in after] == [Status.ERROR] and "no permissions" in after[0].message
    # assignment checks judge the subscription as a whole: all of prod's are unknown, none passes
    prod = next(s.subscription_id for s in audit.report.run.subscriptions if s.display_name == PROD)
    for code in ("RBAC001", "RBAC003"):
        mine = [f for f in findings if f.code == code and f.subscription_id == prod]
        assert mine and {f.status for f in mine} == {Status.ERROR}, (code, mine)
    assert exit_code_for(audit.report, Severity.LOW) is not ExitCode.OK


def test_a_check_that_trips_over_one_resource_keeps_what_it_judged_before_it(sample_audit: Audit) -> None:
    real = catalogue.load()["ACR001"]
    expected = [f for f in sample_audit.report.findings if f.code == "ACR001"]
    assert len(expected) >= 3

    def trips(ctx: CheckContext) -> Iterator[Outcome]:
        for number, outcome in enumerate(real.run(ctx)):
            if number == 2:
                raise TypeError("a field of the third registry is not a string")
            yield outcome

    context = CheckContext(inventory=sample_audit.inventory, settings=Settings(), now=NOW)
    findings = evaluate(Check(meta=real.meta, run=trips), context)
    assert findings[:2] == expected[:2], "the first two registries are judged as before"
    assert len(findings) == 3 and findings[2].status is Status.ERROR
    assert findings[2].message.startswith("check stopped after 2 result(s); the resources it had not reached")


def test_a_registry_token_without_properties_makes_its_registry_error_not_pass(
    tmp_path: Path, sample_audit: Audit
) -> None:
    tenant = tenant_copy(tmp_path)
    path = tenant / PROD / "containerregistry.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    listing = next(i for i in document["interactions"] if f"/registries/{REGISTRY}/tokens" in i["request"]["url"])
    registry_id = listing["request"]["url"].split("/tokens?")[0].removeprefix("https://management.azure.com")
    listing["response"]["body"]["value"].append(
        {
            "id": f"{registry_id}/tokens/shadow",
            "name": "shadow",
            "type": "Microsoft.ContainerRegistry/registries/tokens",
            "properties": None,
        }
    )
    path.write_text(json.dumps(document), encoding="utf-8")
    before = [f.status for f in sample_audit.report.findings if f.code == "ACR009" and f.resource_name == REGISTRY]
    assert before == [Status.PASS]
    findings = audit_replay(tenant).report.findings
    after = [f for f in findings if f.code == "ACR009" and f.resource_name == REGISTRY]
    assert [f.status for f in after] == [Status.ERROR]
    assert "token shadow: its properties are null" in after[0].message
    assert others(findings, REGISTRY) == others(sample_audit.report.findings, REGISTRY)
