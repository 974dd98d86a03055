"""Hostile shapes in a tenant's answers: what cannot be read is ERROR for that resource only.

Each case is planted in a copy of the sample tenant's recorded answers under ``tmp_path`` and
audited through the real replay path (SDK clients, pipelines, transport).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from azaudit.audit import Audit
from azaudit.exitcodes import ExitCode, exit_code_for
from azaudit.model import Finding, Severity, Status
from tests.conftest import SAMPLE_TENANT, audit_replay

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
    # every other resource is judged exactly as before
    assert others(findings, VAULT, REGISTRY) == others(sample_audit.report.findings, VAULT, REGISTRY)
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
