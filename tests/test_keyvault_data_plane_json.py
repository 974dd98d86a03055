"""The Key Vault data plane's secret list read as JSON through the SecretClient's lean pipeline: the
records are the ones the SDK's models gave, every page is followed (same host only, bounded), a
value of the wrong type is ERROR for that vault's secret checks alone, and the run's guards still
apply to every page."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from azure.keyvault.secrets import SecretProperties
from azure.keyvault.secrets._generated.models import SecretItem
from azure.keyvault.secrets._shared import http_challenge_cache

from azaudit.audit import Audit
from azaudit.backend import open_backend
from azaudit.collect import arm, vault_pipeline
from azaudit.collect.keyvault import ENABLED_WHEN_ABSENT, MANAGED_WHEN_ABSENT, data_plane_secret_record
from azaudit.collect.tasks import UnusableShape
from azaudit.collect.vault_challenge import seed_vault_challenge
from azaudit.errors import SecretReadRefusedError
from azaudit.inventory.keyvault import KeyVault
from azaudit.model import Status
from azaudit.replay.credential import REPLAY_TENANT_ID
from tests.conftest import CANARY_MARK, SAMPLE_TENANT, audit_replay, replay_config
from tests.test_arm_mappers import PROD, about_vault, planted, statuses

DATA_PLANE = f"{PROD}/keyvault-dataplane.json"
APPS = "kv-prod-apps"  # its data plane answers in two pages (the first with a nextLink)
FIRST_PAGE = f"https://{APPS}.vault.azure.net/secrets"
SECRET_CODES = ("KV007", "KV008", "KV009")


def _vault() -> KeyVault:
    return KeyVault(
        id="/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/v",
        name="v",
        subscription_id="s",
        resource_group="rg",
        location="westeurope",
        tags=(),
        vault_uri="https://v.vault.azure.net/",
        tenant_id="",
        sku="standard",
        enable_soft_delete=None,
        enable_purge_protection=None,
        enable_rbac_authorization=None,
        public_network_access=None,
        network_default_action=None,
        ip_rule_count=0,
        virtual_network_rule_count=0,
        private_endpoints=(),
        access_policies=(),
    )


def _apps_secrets(audit: Audit) -> list[Any]:
    return sorted((s for s in audit.inventory.secrets if s.vault_id.endswith(f"/{APPS}")), key=lambda s: s.name)


def test_both_pages_of_a_paged_vault_are_read_once_each(sample_audit: Audit) -> None:
    listing = {s.vault_id.rsplit("/", 1)[-1]: s.source for s in sample_audit.inventory.secret_listings}
    assert listing[APPS] == "data-plane"
    assert len(_apps_secrets(sample_audit)) == 6  # three per page
    pages = [
        key for key in sample_audit.stats.by_url if urlsplit(key.split(" ", 1)[1]).hostname == f"{APPS}.vault.azure.net"
    ]
    assert len(pages) == 2 and all(sample_audit.stats.by_url[key] == 1 for key in pages)
    # the SDK's API version on both pages (the nextLink's own is replaced, as the SDK's pager does)
    assert all("api-version=2026-04-01" in key for key in pages)


def test_the_sample_tenants_records_are_the_ones_the_sdks_models_gave(sample_audit: Audit) -> None:
    # Every recorded data-plane secret item, read by the SDK's own models (what the collector used
    # before), gives the record the JSON mapper gives.
    vaults = {v.vault_uri.rstrip("/"): v for v in sample_audit.inventory.vaults}
    compared = 0
    for path in sorted(SAMPLE_TENANT.glob("*/keyvault-dataplane.json")):
        for interaction in json.loads(path.read_text(encoding="utf-8"))["interactions"]:
            body = interaction["response"].get("body")
            if interaction["response"]["status"] != 200 or not isinstance(body, dict):
                continue
            for item in body["value"]:
                vault = vaults[item["id"].split("/secrets/")[0]]
                sdk = SecretProperties._from_secret_item(SecretItem(item))
                mine = data_plane_secret_record(vault, item)
                assert (mine.name, mine.enabled, mine.content_type, mine.managed) == (
                    sdk.name,
                    sdk.enabled is not False,
                    sdk.content_type,
                    bool(sdk.managed),
                )
                assert (mine.expires, mine.not_before, mine.created, mine.updated) == (
                    sdk.expires_on,
                    sdk.not_before,
                    sdk.created_on,
                    sdk.updated_on,
                )
                assert mine in sample_audit.inventory.secrets
                compared += 1
    assert compared >= 8


def test_absent_fields_read_as_key_vaults_defaults() -> None:
    secret = data_plane_secret_record(_vault(), {"id": "https://v.vault.azure.net:443/secrets/app/0123abcd"})
    assert secret.name == "app"
    assert secret.enabled is ENABLED_WHEN_ABSENT is True
    assert secret.managed is MANAGED_WHEN_ABSENT is False
    assert (secret.expires, secret.not_before, secret.created, secret.updated) == (None,) * 4
    assert secret.content_type is None and secret.unreadable == ()
    full = data_plane_secret_record(
        _vault(),
        {
            "id": "https://v.vault.azure.net/secrets/tls",
            "attributes": {"enabled": False, "exp": 1821441600, "nbf": 1790337600.5, "recoveryLevel": "Purgeable"},
            "contentType": "application/x-pkcs12",
            "tags": {"owner": "team"},
            "managed": True,
        },
    )
    assert (full.enabled, full.managed, full.content_type) == (False, True, "application/x-pkcs12")
    assert full.expires == dt.datetime(2027, 9, 20, 12, 0, tzinfo=dt.UTC)
    assert full.not_before == dt.datetime.fromtimestamp(1790337600.5, tz=dt.UTC)


@pytest.mark.parametrize(
    "item",
    [
        {"attributes": {}},  # no id: no name to report
        {"id": 7},
        {"id": "not-a-url"},
        {"id": "https://v.vault.azure.net/"},
        {"id": "https://v.vault.azure.net/secrets/a/b/c"},
        {"id": "https://v.vault.azure.net/secrets/a", "attributes": ["enabled"]},
        {"id": "https://v.vault.azure.net/secrets/a", "attributes": {"enabled": "no"}},
        {"id": "https://v.vault.azure.net/secrets/a", "contentType": ["text/plain"]},
        {"id": "https://v.vault.azure.net/secrets/a", "managed": "yes"},
    ],
)
def test_an_item_of_the_wrong_shape_is_unusable(item: dict[str, Any]) -> None:
    with pytest.raises(UnusableShape):
        data_plane_secret_record(_vault(), item)


def _first_apps_page(change: Callable[[dict[str, Any]], Any]) -> Callable[[Any], Any]:
    def edit(body: Any) -> Any:
        changed = change(body)
        return body if changed is None else changed

    return edit


def _assert_apps_secret_checks_error(audit: Audit, sample_audit: Audit) -> None:
    assert about_vault(sample_audit, APPS, SECRET_CODES), "the vault's secrets are judged in the sample"
    assert set(about_vault(audit, APPS, SECRET_CODES).values()) == {Status.ERROR}
    rest = {k: v for k, v in statuses(audit.report.findings, "KV").items() if APPS not in k[1]}
    before = {k: v for k, v in statuses(sample_audit.report.findings, "KV").items() if k[0] in SECRET_CODES}
    assert rest == {k: v for k, v in before.items() if APPS not in k[1]}
    assert not any(s.vault_id.endswith(f"/{APPS}") for s in audit.inventory.secret_listings)  # no ARM fallback


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda b: b["value"][0].update(attributes={"enabled": "no"}), "its enabled is a string, not a boolean"),
        (lambda b: b["value"][1].update(contentType=["text/plain"]), "its contentType is a list, not a string"),
        (lambda b: b["value"][2].update(managed=1), "its managed is a number, not a boolean"),
        (lambda b: b["value"][0].__delitem__("id"), "its id is not a secret identifier"),
        (lambda b: b["value"].append("secret"), "an item of the secrets.list answer is a string"),
        (lambda b: b.update(value={"id": "x"}), "the value of the secrets.list answer is an object, not a list"),
        (lambda b: ["not", "an", "object"], "the secrets.list answer is a list, not an object"),
        (lambda b: b.update(nextLink=3), "the nextLink of the secrets.list answer is a number, not a string"),
    ],
    ids=["enabled", "content-type", "managed", "no-id", "item", "value", "body", "next-link"],
)
def test_a_page_of_the_wrong_shape_is_error_for_that_vaults_secret_checks_only(
    tmp_path: Any, sample_audit: Audit, change: Callable[[dict[str, Any]], Any], words: str
) -> None:
    tenant = planted(tmp_path, DATA_PLANE, _first_apps_page(change), f"{FIRST_PAGE}")
    http_challenge_cache.clear()
    audit = audit_replay(tenant, select=SECRET_CODES)
    _assert_apps_secret_checks_error(audit, sample_audit)
    messages = {f.message for f in audit.report.findings if f.resource_name.startswith(APPS)}
    assert any(words in m for m in messages), messages


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example/secrets?$skiptoken=abc",
        "https://kv-dev-shared.vault.azure.net/secrets?$skiptoken=abc",  # another audited vault
        f"https://{APPS}.vault.azure.net:8443/secrets?$skiptoken=abc",
        f"http://{APPS}.vault.azure.net/secrets?$skiptoken=abc",
        f"https://user@{APPS}.vault.azure.net/secrets?$skiptoken=abc",
    ],
)
def test_a_next_link_off_the_vaults_host_is_never_followed(tmp_path: Any, sample_audit: Audit, link: str) -> None:
    tenant = planted(tmp_path, DATA_PLANE, _first_apps_page(lambda b: b.update(nextLink=link)), FIRST_PAGE)
    http_challenge_cache.clear()
    audit = audit_replay(tenant, select=SECRET_CODES)
    _assert_apps_secret_checks_error(audit, sample_audit)
    assert not [key for key in audit.stats.by_url if "skiptoken=abc" in key]
    assert any(
        f"leads to {link.split('/secrets')[0].replace('user@', '')}, not the vault's own host" in f.message
        for f in audit.report.findings
        if f.resource_name == APPS
    )


@pytest.mark.parametrize(
    "path",
    [
        "/secrets/storage-connection",
        "/secrets/storage-connection/versions",
        "/certificates",
        "/keys",
        "/secrets/x/../../keys",
        "/",
    ],
)
def test_a_next_link_to_another_route_of_the_vault_is_never_followed(
    tmp_path: Any, sample_audit: Audit, path: str
) -> None:
    link = f"https://{APPS}.vault.azure.net:443{path}?$skiptoken=abc"
    tenant = planted(tmp_path, DATA_PLANE, _first_apps_page(lambda b: b.update(nextLink=link)), FIRST_PAGE)
    http_challenge_cache.clear()
    audit = audit_replay(tenant, select=SECRET_CODES)
    _assert_apps_secret_checks_error(audit, sample_audit)
    assert not [key for key in audit.stats.by_url if "skiptoken=abc" in key]
    message = next(f.message for f in audit.report.findings if f.resource_name == APPS and f.code == "KV007")
    assert "leads to another route than the secret list" in message


@pytest.mark.parametrize("path", ["/secrets/storage-connection", "/secrets/storage-connection/0123abcd"])
def test_the_lean_pipeline_sends_through_the_runs_secret_guard(path: str) -> None:
    # A secret's value is out of the list's reach (its nextLink must name /secrets), and the
    # transport below the lean pipeline refuses it anyway, before it is sent.
    backend = open_backend(replay_config())
    try:
        client = backend.clients().secrets(f"https://{APPS}.vault.azure.net/")
        seed_vault_challenge(client.vault_url, REPLAY_TENANT_ID, backend.cloud)
        assert vault_pipeline._get(client, f"{client.vault_url}/secrets", {})["value"]  # the list is read
        with pytest.raises(SecretReadRefusedError, match="reading a Key Vault secret value is never allowed") as no:
            vault_pipeline._get(client, f"{client.vault_url}{path}", {})
        assert CANARY_MARK not in str(no.value)
        assert not [key for key in backend.transport.stats.by_url if "storage-connection" in key]
    finally:
        backend.close()


def test_paging_is_bounded(tmp_path: Any, sample_audit: Audit, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(arm, "MAX_PAGES", 1)  # one nextLink: the second page is read, a third never
    http_challenge_cache.clear()
    audit = audit_replay(select=SECRET_CODES)
    _assert_apps_secret_checks_error(audit, sample_audit)
    assert any(
        "pages in the secrets.list answer" in f.message for f in audit.report.findings if f.resource_name == APPS
    )
