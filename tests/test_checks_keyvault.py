"""Key Vault checks: expectations over the sample tenant (through replay), secret metadata sources,
thresholds and the pinned clock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from azaudit.audit import Audit
from azaudit.inventory.coverage import Dataset
from azaudit.model import Status
from azaudit.render import FORMATS
from tests.conftest import CANARY_MARK, NOW, audit_replay, names

EXPECT: dict[str, dict[Status, set[str]]] = {
    "KV001": {
        Status.FAIL: {"kv-dev-shared", "kv-prod-legacy"},
        Status.PASS: {"kv-dev-rbac", "kv-prod-apps", "kv-prod-locked"},
    },
    "KV002": {
        Status.FAIL: {"kv-dev-shared"},
        Status.PASS: {"kv-dev-rbac", "kv-prod-apps", "kv-prod-legacy", "kv-prod-locked"},
    },
    "KV003": {
        Status.FAIL: {"kv-dev-shared", "kv-prod-legacy"},
        Status.PASS: {"kv-dev-rbac", "kv-prod-apps", "kv-prod-locked"},
    },
    "KV004": {
        Status.FAIL: {
            "kv-dev-shared/3b5d7f9b-1d3f-4b5d-9f7b-1d3f5b7d9f84",
            "kv-prod-legacy/8f1b3d5f-7a9c-4e1b-8d3f-5a7c9e1b3d56",
        },
        Status.PASS: {
            "kv-dev-shared/4a6c8e0a-2c4e-4a6c-9e0a-2c4e6a8c0e95",
            "kv-prod-legacy/1d3f5b7d-9f1b-4d3f-8b5d-7f9b1d3f5b73",
        },
        Status.SKIPPED: {"kv-dev-rbac", "kv-prod-apps", "kv-prod-locked"},
    },
    "KV005": {
        Status.FAIL: {"kv-dev-rbac", "kv-dev-shared"},
        Status.PASS: {"kv-prod-apps", "kv-prod-legacy", "kv-prod-locked"},
    },
    "KV006": {
        Status.FAIL: {"kv-dev-rbac", "kv-dev-shared", "kv-prod-legacy", "kv-prod-locked"},
        Status.PASS: {"kv-prod-apps"},
    },
    "KV007": {
        Status.FAIL: {"kv-dev-shared/app-password", "kv-prod-apps/storage-connection", "kv-prod-legacy/ftp-password"},
        Status.PASS: {"kv-dev-rbac"},
        Status.ERROR: {"kv-prod-locked"},
    },
    "KV008": {
        Status.FAIL: {"kv-prod-apps/old-api-key", "kv-prod-legacy/ftp-password"},
        Status.PASS: {"kv-dev-rbac", "kv-dev-shared"},
        Status.ERROR: {"kv-prod-locked"},
    },
    "KV009": {
        Status.FAIL: {"kv-prod-apps/partner-token", "kv-prod-legacy/partner-api-key"},
        Status.PASS: {"kv-dev-rbac", "kv-dev-shared"},
        Status.ERROR: {"kv-prod-locked"},
    },
    "KV010": {
        Status.FAIL: {"kv-prod-legacy/signing-key"},
        Status.PASS: {"kv-dev-rbac", "kv-dev-shared", "kv-prod-apps", "kv-prod-locked"},
    },
    "KV011": {
        Status.FAIL: {"kv-prod-legacy/signing-key", "kv-prod-legacy/token-key"},
        Status.PASS: {"kv-dev-rbac", "kv-dev-shared", "kv-prod-apps", "kv-prod-locked"},
    },
}


@pytest.mark.parametrize("code", sorted(EXPECT))
@pytest.mark.parametrize("status", [Status.FAIL, Status.PASS, Status.SKIPPED, Status.ERROR])
def test_sample_tenant_outcomes(code: str, status: Status, sample_audit: Audit) -> None:
    assert names(sample_audit.report.findings, code, status) == EXPECT[code].get(status, set())


def test_kv005_a_deny_firewall_that_allows_every_address_is_open(sample_audit: Audit) -> None:
    by_vault = {f.resource_name: f.message for f in sample_audit.report.findings if f.code == "KV005"}
    assert "denies by default but allows 0.0.0.0/0" in by_vault["kv-dev-rbac"]
    assert "denies by default (1 allow rule(s))" in by_vault["kv-prod-legacy"]  # 198.51.100.0/24


def test_certificate_backed_and_disabled_secrets_are_not_judged(sample_audit: Audit) -> None:
    judged = {f.item for f in sample_audit.report.findings if f.code in ("KV007", "KV008", "KV009") and f.item}
    assert "tls-frontend" not in judged  # managed: backs a certificate
    assert "retired-password" not in judged  # disabled


def test_the_arm_fallback_is_named_in_the_findings(sample_audit: Audit) -> None:
    legacy = [f for f in sample_audit.report.findings if f.code == "KV007" and f.resource_name == "kv-prod-legacy"]
    assert legacy and all("read through ARM" in f.message and "403" in f.message for f in legacy)
    apps = [f for f in sample_audit.report.findings if f.code == "KV007" and f.resource_name == "kv-prod-apps"]
    assert apps and not any("ARM" in f.message for f in apps)


def test_both_sources_failing_is_not_assessed_with_both_reasons(sample_audit: Audit) -> None:
    errors = [e for e in sample_audit.report.errors if e.dataset is Dataset.SECRETS]
    assert [e.resource_name for e in errors] == ["kv-prod-locked"]
    assert "data plane answered 403" in errors[0].reason and "ARM secret list answered 403" in errors[0].reason


def test_data_plane_paging_reads_every_page(sample_audit: Audit) -> None:
    apps = {s.name for s in sample_audit.inventory.secrets if s.vault_id.endswith("/kv-prod-apps")}
    assert apps == {
        "sql-admin-password", "storage-connection", "tls-frontend", "old-api-key", "partner-token", "retired-password",
    }  # fmt: skip


def test_keys_without_rotation_policy_in_the_list_are_read_one_by_one(sample_audit: Audit) -> None:
    key_gets = [k for k in sample_audit.stats.by_kind if k.endswith("/vaults/{}/keys/{}")]
    assert key_gets and sample_audit.stats.by_kind[key_gets[0]] == 4


def test_thresholds_come_from_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "azaudit.toml").write_text("[keyvault]\nstale_secret_days = 30\nexpiring_soon_days = 200\n")
    audit = audit_replay(select=("KV008", "KV009"), working_directory=tmp_path)
    stale = names(audit.report.findings, "KV008", Status.FAIL)
    assert "kv-prod-apps/sql-admin-password" in stale  # 40 days old
    expiring = names(audit.report.findings, "KV009", Status.FAIL)
    assert "kv-prod-apps/sql-admin-password" in expiring  # expires in 140 days


def test_the_clock_is_pinned() -> None:
    later = audit_replay(select=("KV009",), now=NOW + dt.timedelta(days=400))
    expired = [f for f in later.report.findings if f.code == "KV009" and f.status is Status.FAIL]
    assert any("expired" in f.message for f in expired)


def test_no_key_vault_output_holds_a_planted_value(sample_audit: Audit) -> None:
    for render in FORMATS.values():
        assert CANARY_MARK not in render(sample_audit.report)
