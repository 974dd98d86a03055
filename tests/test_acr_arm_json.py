"""Registries, their tokens and cache rules read as ARM JSON (no SDK model built), replayed through
the real SDK pipeline: an absent field means Azure's default, a field of the wrong type is ERROR for
that registry's checks alone (REST body and Resource Graph row alike), and the rest of the audit
goes on as before."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from azaudit.audit import Audit
from azaudit.inventory.acr import Registry
from azaudit.inventory.common import Identity
from azaudit.model import Finding, Status
from azaudit.runconfig import Source
from tests.conftest import SAMPLE_TENANT, audit_replay

PROD, DEV = "contoso-prod", "contoso-dev"
REGISTRY = "contosoprodacr"  # Premium: every ACR check applies to it, and all pass in the sample
CACHING = "contosodevacr"  # the registry with pull-through cache rules
PULLER = "aci-dev-jobs"  # its container 'proxy' runs contosodevacr.azurecr.io/hub/nginx (a cached image)
ACR_CHECKS = tuple(f"ACR{n:03d}" for n in range(1, 12))

Verdicts = dict[tuple[str, str, str | None], Status]


def planted(tmp_path: Path, file: str, change: Callable[[dict[str, Any]], None], where: str, name: str) -> Path:
    """A copy of the sample tenant where ``change`` is applied to the item ``name`` of every list
    answer in ``file`` whose URL holds ``where`` (for Resource Graph: every row named ``name``)."""
    tenant = tmp_path / "tenant"
    shutil.copytree(SAMPLE_TENANT, tenant)
    path = tenant / file
    document = json.loads(path.read_text(encoding="utf-8"))
    hits = 0
    for interaction in document["interactions"]:
        body = interaction["response"].get("body")
        if where not in interaction["request"]["url"] or not isinstance(body, dict):
            continue
        for item in body.get("value") or body.get("data") or ():
            if item.get("name") == name:
                change(item)
                hits += 1
    assert hits, f"nothing named {name} in {file}"
    path.write_text(json.dumps(document), encoding="utf-8")
    return tenant


def verdicts(findings: tuple[Finding, ...], *codes: str) -> Verdicts:
    return {(f.code, f.resource_id.lower(), f.item): f.status for f in findings if f.code in codes}


def about(findings: tuple[Finding, ...], name: str, codes: tuple[str, ...]) -> list[Finding]:
    return [f for f in findings if f.code in codes and f.resource_name == name]


def apart(found: Verdicts, name: str) -> Verdicts:
    return {key: status for key, status in found.items() if not key[1].endswith(f"/{name}")}


# prod's registry list (two pages: the second page's URL holds the first's, plus a skip token)
LISTING = (f"{PROD}/containerregistry.json", "/providers/Microsoft.ContainerRegistry/registries?")


def _props(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda registry: change(registry["properties"])


WRONG_SHAPES = [
    pytest.param(
        _props(lambda p: p.update(policies="enabled")),
        "its policies is a string, not an object",
        id="policies-a-string",
    ),
    pytest.param(
        _props(lambda p: p["policies"].update(quarantinePolicy=["enabled"])),
        "its quarantinePolicy is a list, not an object",
        id="quarantine-policy-a-list",
    ),
    pytest.param(
        _props(lambda p: p["policies"]["retentionPolicy"].update(days="30")),
        "its days is a string, not an integer",
        id="retention-days-a-string",
    ),
    pytest.param(
        _props(lambda p: p.update(adminUserEnabled="false")),
        "its adminUserEnabled is a string, not a boolean",
        id="admin-user-a-string",
    ),
    pytest.param(
        _props(lambda p: p.update(publicNetworkAccess=False)),
        "its publicNetworkAccess is a boolean, not a string",
        id="public-access-a-boolean",
    ),
    pytest.param(
        _props(lambda p: p["networkRuleSet"].update(ipRules="10.0.0.0/8")),
        "its ipRules is a string, not a list of objects",
        id="ip-rules-a-string",
    ),
    pytest.param(lambda r: r.update(sku="Premium"), "its sku is a string, not an object", id="sku-a-string"),
    pytest.param(lambda r: r.update(tags=["env=prod"]), "its tags is a list, not an object", id="tags-a-list"),
]


@pytest.mark.parametrize(("change", "reason"), WRONG_SHAPES)
def test_a_registry_field_of_the_wrong_type_is_error_for_that_registry_only(
    tmp_path: Path, sample_audit: Audit, change: Callable[[dict[str, Any]], None], reason: str
) -> None:
    file, where = LISTING
    audit = audit_replay(planted(tmp_path, file, change, where, REGISTRY), select=ACR_CHECKS)
    mine = about(audit.report.findings, REGISTRY, ACR_CHECKS)
    assert {f.code for f in mine} == set(ACR_CHECKS)
    assert {f.status for f in mine} == {Status.ERROR}
    assert all(f"unusable answer: {reason}" in f.message for f in mine), mine[0].message
    assert REGISTRY not in {r.name for r in audit.inventory.registries}
    # every other registry is judged as in the sample, and the audit says it is partial
    after = apart(verdicts(audit.report.findings, *ACR_CHECKS), REGISTRY)
    assert after and after == apart(verdicts(sample_audit.report.findings, *ACR_CHECKS), REGISTRY)
    assert not audit.report.complete


def test_a_resource_graph_row_of_the_wrong_shape_is_error_for_that_registry_only(
    tmp_path: Path, sample_audit: Audit
) -> None:
    change = _props(lambda p: p.update(policies="enabled"))
    audit = audit_replay(
        planted(tmp_path, "resourcegraph.json", change, "Microsoft.ResourceGraph", REGISTRY),
        select=ACR_CHECKS,
        source=Source.GRAPH,
    )
    mine = about(audit.report.findings, REGISTRY, ACR_CHECKS)
    assert {f.code for f in mine} == set(ACR_CHECKS) and {f.status for f in mine} == {Status.ERROR}
    assert all("unusable answer: its policies is a string, not an object" in f.message for f in mine)
    after = apart(verdicts(audit.report.findings, *ACR_CHECKS), REGISTRY)
    assert after and after == apart(verdicts(sample_audit.report.findings, *ACR_CHECKS), REGISTRY)


def _bare(registry: dict[str, Any]) -> None:
    """Only what every registry has: no setting, no policy, no identity (Azure's defaults apply)."""
    registry.pop("identity", None)
    registry.pop("tags", None)
    registry["properties"] = {"loginServer": registry["properties"]["loginServer"]}


@pytest.mark.parametrize("source", [Source.ARM, Source.GRAPH])
def test_absent_settings_read_as_azures_defaults(tmp_path: Path, source: Source) -> None:
    file, where = LISTING
    if source is Source.GRAPH:
        file, where = "resourcegraph.json", "Microsoft.ResourceGraph"
    audit = audit_replay(planted(tmp_path, file, _bare, where, REGISTRY), select=ACR_CHECKS, source=source)
    record = next(r for r in audit.inventory.registries if r.name == REGISTRY)
    # the REST spec's defaults: admin user and anonymous pull off, public network access Enabled
    assert (record.admin_user_enabled, record.anonymous_pull_enabled, record.public_network_access) == (
        False,
        False,
        "Enabled",
    )
    # no rule set, endpoint, identity or tag; the policies and encryption "not set" (the checks
    # name Azure's default for each)
    assert (record.network_default_action, record.ip_rule_count, record.ip_rules, record.private_endpoints) == (
        None,
        0,
        (),
        (),
    )
    assert record.identity == Identity() and record.tags == ()
    unset = (
        record.trust_policy_status,
        record.quarantine_policy_status,
        record.retention_policy_status,
        record.retention_days,
        record.export_policy_status,
        record.arm_audience_policy_status,
        record.encryption_status,
        record.role_assignment_mode,
    )
    assert unset == (None,) * 8
    assert isinstance(record, Registry) and record.is_premium and record.login_server == f"{REGISTRY}.azurecr.io"
    # judged by Azure's defaults: trust off and admin/anonymous off pass; public access with no
    # firewall, no private endpoint, quarantine off, no retention, export and ARM-audience tokens
    # allowed, no customer-managed key fail
    found = {f.code: f.status for f in about(audit.report.findings, REGISTRY, ACR_CHECKS)}
    assert found == {
        "ACR001": Status.PASS,
        "ACR002": Status.PASS,
        "ACR003": Status.FAIL,
        "ACR004": Status.FAIL,
        "ACR005": Status.PASS,
        "ACR006": Status.FAIL,
        "ACR007": Status.FAIL,
        "ACR008": Status.FAIL,
        "ACR009": Status.PASS,
        "ACR010": Status.FAIL,
        "ACR011": Status.FAIL,
    }
    assert audit.report.complete


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t["properties"].update(credentials="password1"),
        lambda t: t["properties"]["credentials"].update(passwords={"name": "password1"}),
        lambda t: t["properties"].update(status=True),
    ],
    ids=["credentials-a-string", "passwords-an-object", "status-a-boolean"],
)
def test_an_unreadable_token_leaves_its_registrys_token_check_unknown(
    tmp_path: Path, sample_audit: Audit, change: Callable[[dict[str, Any]], None]
) -> None:
    registry = "contosoplatformacr"  # four tokens; ACR009 fails it in the sample (release-bot)
    tenant = planted(tmp_path, f"{PROD}/containerregistry.json", change, f"/registries/{registry}/tokens?", "scanner")
    audit = audit_replay(tenant, select=("ACR009",))
    mine = about(audit.report.findings, registry, ("ACR009",))
    assert [f.status for f in mine] == [Status.ERROR]
    assert "unusable answer: token scanner: its " in mine[0].message
    assert apart(verdicts(audit.report.findings, "ACR009"), registry) == apart(
        verdicts(sample_audit.report.findings, "ACR009"), registry
    )


def test_a_token_password_expiry_that_is_not_a_date_counts_as_live(tmp_path: Path, sample_audit: Audit) -> None:
    def change(token: dict[str, Any]) -> None:
        for password in token["properties"]["credentials"]["passwords"]:
            password["expiry"] = "when rotated"

    registry = "contosoplatformacr"
    tenant = planted(
        tmp_path, f"{PROD}/containerregistry.json", change, f"/registries/{registry}/tokens?", "release-bot"
    )
    audit = audit_replay(tenant, select=("ACR009",))
    token = next(t for t in audit.inventory.registry_tokens if t.name == "release-bot")
    assert [p.expiry for p in token.passwords] == [None, None]
    # its passwords expired in the sample (PASS: it cannot authenticate); unreadable, they count as live
    before = verdicts(sample_audit.report.findings, "ACR009")
    after = verdicts(audit.report.findings, "ACR009")
    key = next(k for k in after if k[2] == "release-bot")
    assert (before[key], after[key]) == (Status.PASS, Status.FAIL)


def test_an_unreadable_cache_rule_leaves_the_images_pulled_through_it_unknown(
    tmp_path: Path, sample_audit: Audit
) -> None:
    def change(rule: dict[str, Any]) -> None:
        rule["properties"]["sourceRepository"] = {"registry": "docker.io"}

    tenant = planted(
        tmp_path, f"{DEV}/containerregistry.json", change, f"/registries/{CACHING}/cacheRules?", "hub-nginx"
    )
    audit = audit_replay(tenant, select=("ACI001",))
    assert not [r for r in audit.inventory.registry_cache_rules if r.registry_id.endswith(f"/{CACHING}")]
    (error,) = [e for e in audit.report.errors if e.operation == "cacheRules.list"]
    assert error.resource_name == CACHING and "unusable answer" not in error.reason
    pulls = [f for f in audit.report.findings if f.code == "ACI001" and f.resource_name == PULLER and f.item == "proxy"]
    assert [f.status for f in pulls] == [Status.ERROR]
    assert f"cache rules of registry {CACHING} could not be read" in pulls[0].message
