"""Key Vault's bearer challenge is seeded from ARM: no unauthenticated round trip per vault, and a
wrong seed corrects itself through the SDK's own challenge protocol."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from azure.keyvault.secrets._shared import http_challenge_cache

from azaudit.audit import Audit
from azaudit.clouds import CLOUDS, CloudName
from azaudit.collect.vault_challenge import seed_vault_challenge, seeding_available
from azaudit.replay.credential import REPLAY_TENANT_ID
from tests.conftest import audit_replay

PUBLIC = CLOUDS[CloudName.PUBLIC]
OTHER_TENANT = "0f0e0d0c-0b0a-4909-8807-060504030201"
VAULT = "https://kv-prod-apps.vault.azure.net/"


def test_the_installed_sdk_still_offers_the_challenge_cache() -> None:
    # If a release of azure-keyvault-secrets moves its private cache, seeding turns itself off and
    # every vault costs one more request: this test is how we hear of it.
    assert seeding_available()


def test_an_audit_sends_no_unauthenticated_key_vault_request(sample_audit: Audit) -> None:
    assert sample_audit.stats.challenges == 0
    assert sum(1 for kind in sample_audit.stats.by_kind if "challenge" in kind) == 0
    assert any(listing.source == "data-plane" for listing in sample_audit.inventory.secret_listings)


def test_the_seed_names_the_vault_tenant_and_the_cloud_audience() -> None:
    assert seed_vault_challenge(VAULT, REPLAY_TENANT_ID, PUBLIC)
    challenge = http_challenge_cache.get_challenge_for_url(VAULT + "secrets?maxresults=25")
    assert challenge is not None
    assert challenge.tenant_id == REPLAY_TENANT_ID
    assert challenge.get_resource() == "https://vault.azure.net"
    # Key Vault's next links carry the default port: the same entry serves them.
    assert http_challenge_cache.get_challenge_for_url("https://kv-prod-apps.vault.azure.net:443/secrets") is challenge


@pytest.mark.parametrize(
    ("uri", "tenant", "cloud"),
    [
        ("http://kv-prod-apps.vault.azure.net/", REPLAY_TENANT_ID, CloudName.PUBLIC),  # no TLS
        ("https://kv-prod-apps.vault.azure.net.evil.example/", REPLAY_TENANT_ID, CloudName.PUBLIC),
        ("https://vault.azure.net/", REPLAY_TENANT_ID, CloudName.PUBLIC),  # not a vault host
        ("https://kv-prod-apps.vault.azure.net/", REPLAY_TENANT_ID, CloudName.CHINA),  # another cloud's suffix
        ("https://kv-prod-apps.vault.azure.net/", "", CloudName.PUBLIC),
        ("https://kv-prod-apps.vault.azure.net/", "contoso.onmicrosoft.com", CloudName.PUBLIC),
    ],
)
def test_nothing_is_seeded_unless_a_plain_vault_host_and_tenant_id(uri: str, tenant: str, cloud: CloudName) -> None:
    assert not seed_vault_challenge(uri, tenant, CLOUDS[cloud])
    assert http_challenge_cache.get_challenge_for_url(uri) is None


def test_a_challenge_the_sdk_learned_is_never_overwritten() -> None:
    assert seed_vault_challenge(VAULT, OTHER_TENANT, PUBLIC)
    learned = http_challenge_cache.get_challenge_for_url(VAULT)
    assert not seed_vault_challenge(VAULT, REPLAY_TENANT_ID, PUBLIC)
    assert http_challenge_cache.get_challenge_for_url(VAULT) is learned


def test_a_wrong_seed_is_corrected_by_the_vaults_own_challenge() -> None:
    # As if each vault had moved to another tenant since ARM was read: the first token is of the
    # wrong tenant, the vault answers 401 with its real challenge, and the SDK follows it.
    first = audit_replay()
    data_plane_vaults = [
        v.vault_uri
        for v in first.inventory.vaults
        if any(s.vault_id == v.id and s.source == "data-plane" for s in first.inventory.secret_listings)
    ]
    assert data_plane_vaults
    http_challenge_cache.clear()
    for uri in data_plane_vaults:
        assert seed_vault_challenge(uri, OTHER_TENANT, PUBLIC)

    audit = audit_replay()

    assert audit.report.errors == first.report.errors  # the sample tenant's own 403s, nothing more
    assert audit.inventory.secrets == first.inventory.secrets
    assert audit.inventory.secret_listings == first.inventory.secret_listings
    for uri in data_plane_vaults:
        assert http_challenge_cache.get_challenge_for_url(uri).tenant_id == REPLAY_TENANT_ID  # type: ignore[union-attr]
        host = urlsplit(uri).hostname
        first_pages = [key for key in audit.stats.by_url if urlsplit(key.split(" ", 1)[1]).hostname == host]
        # the refused request and its retry: one extra request per vault, no more
        assert first_pages
        assert sum(audit.stats.by_url[key] for key in first_pages) == len(first_pages) + 1
