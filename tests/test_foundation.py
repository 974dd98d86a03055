"""The foundation end to end through the real SDK over replay: paging, the Key Vault fallback,
coverage accounting, exit codes, clear errors, request economy and canary secrets."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from azure.core.credentials import AccessToken
from typer.testing import CliRunner

from azaudit import catalogue
from azaudit.audit import Audit
from azaudit.auth import SharedTokenCredential
from azaudit.catalogue import Check, CheckContext
from azaudit.cli import app
from azaudit.engine import evaluate
from azaudit.errors import UnmatchedRequestError
from azaudit.inventory import Inventory, from_json, to_json
from azaudit.inventory.coverage import Dataset
from azaudit.model import Severity, Status
from azaudit.reports.gate import ExitCode, exit_code_for
from azaudit.settings import Settings
from azaudit.transport import request_kind
from tests.conftest import CANARY_MARK, NOW, SAMPLE_TENANT, audit_replay

PROD = "3f8a6c1e-5b7d-4e2a-9c11-7d2e0f4a8b51"
DEV = "9b2d4e6f-1a3c-4d5e-8f70-2a4b6c8d0e13"
SANDBOX = "e7a9c1e3-5f7b-4c9e-8a1c-5f7b9d1e3a57"
runner = CliRunner()


def run_cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


# ---------------------------------------------------------------------------- collection


def test_only_enabled_subscriptions_are_audited_by_default(sample_audit: Audit) -> None:
    audited = {s.display_name for s in sample_audit.report.run.subscriptions}
    assert audited == {"contoso-prod", "contoso-dev", "contoso-sandbox"}


def test_lists_that_page_with_next_link_are_followed() -> None:
    inventory = _collect({Dataset.REGISTRIES, Dataset.CONTAINER_GROUPS, Dataset.ROLE_ASSIGNMENTS})
    prod_registries = {r.name for r in inventory.registries if r.subscription_id == PROD}
    assert {"contosoprodacr", "contosolegacyacr"} <= prod_registries  # second page holds the legacy one
    dev_groups = {g.name for g in inventory.container_groups if g.subscription_id == DEV}
    assert "aci-dev-debug" in dev_groups  # on the second page
    prod_assignment_scopes = [a.scope for a in inventory.role_assignments if a.subscription_id == PROD]
    assert any("/resourceGroups/" in scope for scope in prod_assignment_scopes)  # second page


def test_secret_metadata_pages_on_the_data_plane_and_falls_back_to_arm() -> None:
    audit = audit_replay(select=("KV001",))
    assert not audit.inventory.secrets  # KV001 does not need secrets: they are not collected
    from azaudit.audit import resolve_settings  # noqa: F401  (import check only)
    from azaudit.collect import collect, needed_datasets

    assert Dataset.VAULTS in needed_datasets({Dataset.SECRETS})
    inventory = _collect({Dataset.SECRETS})
    listings = {lst.vault_id.rsplit("/", 1)[-1]: lst for lst in inventory.secret_listings}
    assert listings["kv-prod-apps"].source == "data-plane"
    assert listings["kv-prod-legacy"].source == "arm"
    assert "403" in (listings["kv-prod-legacy"].fallback_reason or "")
    apps = [s.name for s in inventory.secrets if s.vault_id.endswith("kv-prod-apps")]
    assert len(apps) >= 4, "both data-plane pages were read"
    assert any(n.resource_name == "kv-prod-legacy" and "ARM" in n.message for n in inventory.notes)
    del collect


def _collect(datasets: set[Dataset]) -> Inventory:
    from azaudit.backend import open_backend
    from azaudit.collect import collect
    from azaudit.scope.selection import scope_for
    from tests.conftest import replay_config

    config = replay_config()
    clients = open_backend(config, print).clients()
    return collect(clients, scope_for(config).select(clients).subscriptions, datasets, concurrency=4)


def test_no_request_is_sent_twice(sample_audit: Audit) -> None:
    repeated = {url: n for url, n in sample_audit.stats.by_url.items() if n > 1}
    assert not repeated


def test_one_token_per_audience(sample_audit: Audit) -> None:
    assert sample_audit.tokens_acquired
    assert all(count == 1 for count in sample_audit.tokens_acquired.values())


def test_inventory_round_trips_through_json(sample_audit: Audit) -> None:
    data = to_json(sample_audit.inventory)
    assert from_json(data) == sample_audit.inventory


# ---------------------------------------------------------------------------- coverage and exit codes


def test_a_forbidden_collection_becomes_error_findings_not_passes(sample_audit: Audit) -> None:
    report = sample_audit.report
    errors = [e for e in report.errors if e.dataset is Dataset.DEFENDER_PLANS]
    assert errors and errors[0].subscription_id == SANDBOX and errors[0].status_code == 403
    dev_def001 = [f for f in report.findings if f.code == "DEF001" and f.subscription_id == SANDBOX]
    assert [f.status for f in dev_def001] == [Status.ERROR]
    assert "not assessed" in dev_def001[0].message
    assert not report.complete


def test_exit_1_when_a_failure_meets_the_threshold(sample_audit: Audit) -> None:
    assert exit_code_for(sample_audit.report, Severity.LOW) is ExitCode.FINDINGS


def test_exit_2_when_incomplete_without_failures() -> None:
    audit = audit_replay(select=("DEF001",), subscriptions=("contoso-sandbox",))
    assert not audit.report.failures()
    assert exit_code_for(audit.report, Severity.LOW) is ExitCode.ERROR
    assert exit_code_for(audit.report, Severity.LOW, exit_zero=True) is ExitCode.OK


def test_exit_0_when_clean_and_complete() -> None:
    audit = audit_replay(select=("ACR001",), subscriptions=("contoso-dev",))
    assert audit.report.complete
    assert exit_code_for(audit.report, Severity.LOW) is ExitCode.OK


def test_fail_on_raises_the_gate() -> None:
    audit = audit_replay(select=("KV001",), subscriptions=("contoso-dev",))
    assert audit.report.failures()
    assert exit_code_for(audit.report, Severity.MEDIUM) is ExitCode.FINDINGS
    assert exit_code_for(audit.report, Severity.CRITICAL) is ExitCode.OK


def test_a_crashing_check_is_an_error_finding() -> None:
    def broken(ctx: CheckContext) -> list[object]:
        raise RuntimeError("boom")

    meta = catalogue.load()["ACR001"].meta
    findings = evaluate(
        Check(meta=meta, run=broken),  # type: ignore[arg-type]
        CheckContext(inventory=Inventory(), settings=Settings(), now=NOW),
    )
    assert [f.status for f in findings] == [Status.ERROR]
    assert "boom" in findings[0].message


# ---------------------------------------------------------------------------- CLI


def test_demo_command_prints_the_table_and_exits_1() -> None:
    code, out, err = run_cli("subscription", "--replay", str(SAMPLE_TENANT))
    assert code == 1
    for check_code in ("ACR001", "ACI005", "KV001", "LOG003", "RBAC004", "DEF001"):
        assert check_code in out
    assert "contosolegacyacr" in out and "NOT ASSESSED" in out
    assert CANARY_MARK not in out + err


def test_unknown_subscription_is_one_clear_line() -> None:
    code, out, err = run_cli("subscription", "00000000-dead-beef-0000-000000000000", "--replay", str(SAMPLE_TENANT))
    assert code == 2
    assert err.strip().count("\n") == 0
    assert "00000000-dead-beef-0000-000000000000" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not valid JSON"),
        ('{"interactions": [{"request": {"method": "GET"}}]}', "interactions"),
        ('{"interactions": [], "extra": 1}', "extra"),
    ],
)
def test_malformed_fixture_is_one_clear_line(tmp_path: Path, content: str, expected: str) -> None:
    (tmp_path / "broken.json").write_text(content)
    code, out, err = run_cli("subscription", "--replay", str(tmp_path))
    assert code == 2
    assert "broken.json" in err and expected in err
    assert err.strip().count("\n") == 0 and "Traceback" not in err


def test_missing_fixture_directory_is_one_clear_line(tmp_path: Path) -> None:
    code, out, err = run_cli("subscription", "--replay", str(tmp_path / "nope"))
    assert code == 2 and "no such fixture directory" in err


def test_unmatched_request_is_loud(tmp_path: Path) -> None:
    subscriptions = json.loads((SAMPLE_TENANT / "subscriptions.json").read_text())
    (tmp_path / "subscriptions.json").write_text(json.dumps(subscriptions))
    code, out, err = run_cli("subscription", "--replay", str(tmp_path), "--select", "ACR001")
    assert code == 2
    assert "no recorded response for GET" in err and "registries" in err
    with pytest.raises(UnmatchedRequestError):
        audit_replay(tmp_path, select=("ACR001",))


def test_no_credentials_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "AZURE_CLIENT_ID",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_CLIENT_CERTIFICATE_PATH",
        "AZURE_USERNAME",
        "AZURE_PASSWORD",
    ):
        monkeypatch.delenv(name, raising=False)
    code, out, err = run_cli("subscription", "--auth", "env")
    assert code == 2
    assert "could not authenticate (env)" in err and "AZURE_CLIENT_ID" in err
    assert err.strip().count("\n") == 0 and "Traceback" not in err


def test_pipelines_auth_without_variables_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SYSTEM_ACCESSTOKEN", raising=False)
    code, out, err = run_cli("subscription", "--auth", "pipelines")
    assert code == 2 and "SYSTEM_ACCESSTOKEN" in err and "Traceback" not in err


def test_checks_list_and_show() -> None:
    code, out, _ = run_cli("checks")
    assert code == 0 and "ACR001" in out and "admin-user-enabled" in out
    code, out, _ = run_cli("checks", "show", "acr001")
    assert code == 0 and "## How to fix" in out and "az acr update" in out
    code, _, err = run_cli("checks", "show", "NOPE1")
    assert code == 2 and "no check" in err


def test_version_and_help() -> None:
    code, out, _ = run_cli("--version")
    assert code == 0 and out.startswith("azaudit ")
    for args in (["--help"], ["subscription", "--help"], ["checks", "--help"], ["checks", "show", "--help"]):
        code, out, _ = run_cli(*args)
        assert code == 0 and "Usage" in out


def test_no_output_contains_a_planted_secret(sample_audit: Audit) -> None:
    assert CANARY_MARK not in to_json(sample_audit.inventory).decode()
    from azaudit.render import FORMATS

    for name, render in FORMATS.items():
        assert CANARY_MARK not in render(sample_audit.report), name


# ---------------------------------------------------------------------------- building blocks


def test_shared_token_credential_requests_one_token_per_audience_across_threads() -> None:
    calls: list[tuple[str, ...]] = []

    class Inner:
        def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
            calls.append(scopes)
            return AccessToken("t", 10_000)

    clock = [1_000.0]
    shared = SharedTokenCredential(Inner(), clock=lambda: clock[0])
    threads = [
        threading.Thread(target=shared.get_token, args=("https://management.azure.com/.default",)) for _ in range(20)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    shared.get_token("https://vault.azure.net/.default", tenant_id="x", enable_cae=True)
    assert len(calls) == 2
    clock[0] = 10_000 - 200  # within the refresh margin: renewed
    shared.get_token("https://management.azure.com/.default")
    assert len(calls) == 3


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://management.azure.com/subscriptions?api-version=1", "GET /subscriptions"),
        (
            f"https://management.azure.com/subscriptions/{PROD}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/keys/k1",
            "GET /subscriptions/{}/resourceGroups/{}/providers/Microsoft.KeyVault/vaults/{}/keys/{}",
        ),
        ("https://kv-prod-apps.vault.azure.net/secrets?maxresults=3", "GET {data-plane}/secrets"),
    ],
)
def test_request_kind(url: str, kind: str) -> None:
    assert request_kind("GET", url) == kind


@pytest.mark.parametrize(
    ("cloud", "host"),
    [("china", "management.chinacloudapi.cn"), ("usgovernment", "management.usgovcloudapi.net")],
)
def test_sovereign_clouds_send_requests_to_their_own_endpoints(cloud: str, host: str) -> None:
    code, out, err = run_cli("subscription", "--replay", str(SAMPLE_TENANT), "--cloud", cloud)
    assert code == 2
    assert f"no recorded response for GET https://{host}/subscriptions" in err
