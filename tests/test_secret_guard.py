"""azaudit never reads a secret value: the guard in the one transport refuses it, in every mode."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from azure.keyvault.secrets import SecretClient
from azure.mgmt.containerregistry import ContainerRegistryManagementClient
from azure.mgmt.keyvault import KeyVaultManagementClient

from azaudit.backend import open_backend
from azaudit.errors import SecretReadRefusedError
from azaudit.replay import ReplayCredential
from azaudit.secret_guard import refusal
from tests.conftest import ROOT, replay_config

ARM = "https://management.azure.com/subscriptions/s/resourceGroups/rg/providers"
VAULT = "https://kv1.vault.azure.net"


@pytest.mark.parametrize(
    ("method", "url", "refused"),
    [
        ("GET", f"{VAULT}/secrets?api-version=2026-04-01", False),
        ("GET", f"{VAULT}/secrets?api-version=2026-04-01&$skiptoken=x&maxresults=25", False),
        ("GET", f"{VAULT}/secrets/db-password/versions?api-version=2026-04-01", False),
        ("GET", f"{VAULT}/secrets/db-password?api-version=2026-04-01", True),
        ("GET", f"{VAULT}/secrets/db-password/", True),
        ("GET", f"{VAULT}/secrets/db-password/4387e9f3d6e14c459867679a90fd0f79", True),
        ("GET", "https://kv1.vault.azure.cn/secrets/x", True),
        ("GET", "https://kv1.vault.usgovcloudapi.net/secrets/x/v1", True),
        ("GET", f"{VAULT}/deletedsecrets/x", True),
        ("GET", f"{ARM}/Microsoft.KeyVault/vaults/kv1/secrets?api-version=2026-05-15", False),
        ("GET", f"{ARM}/Microsoft.KeyVault/vaults/kv1/secrets/db-password?api-version=2026-05-15", True),
        ("GET", f"{ARM}/Microsoft.KeyVault/vaults/kv1/keys/k1?api-version=2026-05-15", False),
        ("POST", f"{ARM}/Microsoft.ContainerRegistry/registries/acr1/listCredentials?api-version=2025-11-01", True),
        ("POST", f"{ARM}/Microsoft.Storage/storageAccounts/sa1/listKeys?api-version=2023-01-01", True),
        ("PUT", f"{ARM}/Microsoft.ContainerRegistry/registries/acr1?api-version=2025-11-01", True),
        ("DELETE", f"{ARM}/Microsoft.KeyVault/vaults/kv1?api-version=2026-05-15", True),
        ("GET", f"{ARM}/Microsoft.ContainerInstance/containerGroups/g/containers/c/logs?api-version=2023-05-01", True),
        (
            "POST",
            "https://management.azure.com/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01",
            False,
        ),
        ("GET", f"{ARM}/Microsoft.ContainerInstance/containerGroups?api-version=2023-05-01", False),
        # registry data plane: metadata and referrers, never a blob; POST only for the token exchange
        ("GET", "https://acr1.azurecr.io/acr/v1/shop/web/_tags/1.4", False),
        ("GET", "https://acr1.azurecr.io/v2/shop/web/referrers/sha256:" + "a" * 64, False),
        ("GET", "https://acr1.azurecr.io/v2/shop/web/blobs/sha256:" + "a" * 64, True),
        ("HEAD", "https://acr1.azurecr.io/v2/web/Blobs/sha256:" + "a" * 64, True),
        ("GET", "https://acr1.azurecr.io/v2/shop/web/x/..%2Fblobs/sha256:" + "a" * 64, True),
        ("POST", "https://acr1.azurecr.io/oauth2/exchange", False),
        ("POST", "https://acr1.azurecr.cn/oauth2/token", False),
        ("POST", "https://management.azure.com/oauth2/token", True),
        ("POST", "https://acr1.azurecr.io/acr/v1/shop/web/_tags/1.4", True),
        ("DELETE", "https://acr1.azurecr.io/acr/v1/shop/web/_tags/1.4", True),
    ],
)
def test_guard_rules(method: str, url: str, refused: bool) -> None:
    assert (refusal(method, url) is not None) is refused


@pytest.mark.parametrize(
    "url",
    [
        # the same secret read, spelled so that a naive match on the raw URL misses it
        f"{VAULT}/Secrets/db-password",
        f"{VAULT}/SECRETS/db-password/V1",
        f"{VAULT}/secrets%2Fdb-password",
        f"{VAULT}/secrets%252Fdb-password",
        f"{VAULT}/%73ecrets/db-password",
        f"{VAULT}//secrets//db-password",
        f"{VAULT}/./secrets/./db-password",
        f"{VAULT}/certificates/../secrets/db-password",
        f"{VAULT}/secrets/db-password/versions/..",
        f"{VAULT}/secrets\\db-password",
        "https://kv1.vault.azure.net./secrets/db-password",
        "https://KV1.VAULT.AZURE.NET/secrets/db-password",
        "https://kv1.privatelink.vaultcore.azure.net/secrets/db-password",
        "https://kv1.privatelink.vaultcore.usgovcloudapi.net/secrets/db-password/v1",
        "https://10.0.0.4/secrets/db-password",
        f"{ARM}/Microsoft.KeyVault/vaults/kv1/SECRETS/db-password",
        f"{ARM}/Microsoft.KeyVault/vaults/kv1/secrets/x/../db-password",
        f"{ARM}/Microsoft.KeyVault//vaults/kv1/secrets/%64b-password",
        f"{ARM}/Microsoft.KeyVault/vaults/kv1/keys/../secrets/db-password",
        f"{ARM}/Microsoft.ContainerInstance/containerGroups/g/containers/c/LOGS",
        f"{ARM}/Microsoft.ContainerInstance/containerGroups/g/containers/c/logs/",
    ],
)
def test_the_guard_judges_the_url_as_it_will_be_sent(url: str) -> None:
    assert refusal("GET", url) is not None, url


@pytest.mark.parametrize(
    "url",
    [
        f"{ARM}/Microsoft.ContainerRegistry/registries/acr1/listCredentials",
        f"{ARM}/Microsoft.ContainerRegistry/registries/acr1/regenerateCredential",
        f"{ARM}/Microsoft.ContainerRegistry/registries/acr1/tokens/t1/generateCredentials",
        f"{ARM}/Microsoft.Storage/storageAccounts/sa1/listKeys",
        f"{ARM}/Microsoft.Storage/storageAccounts/sa1/ListKeys/",
        f"{ARM}/Microsoft.Storage/storageAccounts/sa1/listAccountSas",
        f"{ARM}/Microsoft.Web/sites/app1/config/appsettings/list",
        f"{ARM}/Microsoft.Web/sites/app1/listPublishingCredentials",
        f"{ARM}/Microsoft.Search/searchServices/s1/listAdminKeys",
        f"{ARM}/Microsoft.Search/searchServices/s1/listQueryKeys",
        f"{ARM}/Microsoft.DocumentDB/databaseAccounts/db1/listConnectionStrings",
        f"{ARM}/Microsoft.KeyVault/vaults/kv1/listSecrets",
        f"{ARM}/Microsoft.ContainerRegistry/registries/acr1/%6CistCredentials",
        f"{ARM}/Microsoft.ContainerRegistry/registries/acr1/x/../listCredentials",
        f"{ARM}/Microsoft.ContainerRegistry/registries/acr1/providers/Microsoft.Foo/bars/b1/listKeys",
        "https://management.azure.com/subscriptions/s/providers/Microsoft.Foo/listKeys",
    ],
)
def test_get_on_an_action_path_is_refused(url: str) -> None:
    reason = refusal("GET", url + "?api-version=2025-11-01")
    assert reason is not None and "action" in reason, url


@pytest.mark.parametrize(
    "url",
    [
        # resources *named* like actions are ordinary reads (anyone can name a registry so)
        f"{ARM}/Microsoft.ContainerRegistry/registries/listCredentials",
        f"{ARM}/Microsoft.ContainerRegistry/registries/listkeys/tokens",
        f"{ARM}/Microsoft.KeyVault/vaults/regenerate/keys/listKeys",
        f"{VAULT}/secrets/listKeys/versions",
        "https://management.azure.com/subscriptions/s/resourceGroups/listkeys/providers/Microsoft.ContainerRegistry/registries",
        f"{ARM}/Microsoft.ContainerRegistry/registries/acr1/providers/Microsoft.Insights/diagnosticSettings",
    ],
)
def test_names_that_look_like_actions_are_not_actions(url: str) -> None:
    assert refusal("GET", url) is None, url


def test_every_request_of_the_sample_tenant_passes_the_guard() -> None:
    from azaudit.replay.fixtures import load_fixture_file

    urls = [
        (i.request.method, i.request.url)
        for path in sorted((ROOT / "fixtures" / "tenants").rglob("*.json"))
        for i in load_fixture_file(path).interactions
    ]
    assert len(urls) > 50
    assert [(m, u) for m, u in urls if refusal(m, u)] == []


def _replay_transport():  # type: ignore[no-untyped-def]
    return open_backend(replay_config()).transport


def test_reading_a_secret_value_through_the_data_plane_sdk_is_refused_before_sending() -> None:
    transport = _replay_transport()
    client = SecretClient("https://kv-prod-apps.vault.azure.net/", ReplayCredential(), transport=transport)
    with pytest.raises(SecretReadRefusedError, match="never allowed"):
        client.get_secret("sql-admin-password")
    assert transport.stats.total == 0, "nothing reached the wire"


def test_reading_a_secret_through_arm_is_refused_before_sending() -> None:
    transport = _replay_transport()
    client = KeyVaultManagementClient(ReplayCredential(), "3f8a6c1e-5b7d-4e2a-9c11-7d2e0f4a8b51", transport=transport)
    with pytest.raises(SecretReadRefusedError):
        client.secrets.get("rg-prod-security", "kv-prod-apps", "sql-admin-password")
    assert transport.stats.total == 0


def test_listing_registry_credentials_is_refused_before_sending() -> None:
    transport = _replay_transport()
    client = ContainerRegistryManagementClient(
        ReplayCredential(), "3f8a6c1e-5b7d-4e2a-9c11-7d2e0f4a8b51", transport=transport
    )
    with pytest.raises(SecretReadRefusedError, match="only reads"):
        client.registries.list_credentials("rg-prod-legacy", "contosolegacyacr")
    assert transport.stats.total == 0


FORBIDDEN_CALLS = re.compile(
    r"\.(get_secret|list_credentials|list_keys|regenerate_credential|get_deleted_secret)\(|listCredentials|listKeys"
)


def test_no_code_path_calls_a_secret_reading_operation() -> None:
    offenders = []
    for folder in ("azaudit", "checks"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if path.name == "secret_guard.py":
                continue
            for number, line in enumerate(text.splitlines(), 1):
                if FORBIDDEN_CALLS.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders


def test_no_fixture_holds_a_secret_value_field() -> None:
    for path in Path(ROOT / "fixtures").rglob("*.json"):
        text = path.read_text(encoding="utf-8")
        assert '"secureValue"' not in text, path
        assert '"password":' not in text, path


DIGEST = "sha256:" + "b" * 64


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        # the metadata reads of repositories whose names hold "blobs" (and "uploads"): allowed
        # (the referrers read of orders/blobs/uploads was refused as an upload route)
        (f"https://acr1.azurecr.io/v2/orders/blobs/uploads/referrers/{DIGEST}?artifactType=x", False),
        ("https://acr1.azurecr.io/v2/orders/blobs/uploads/manifests/2.4.1", False),
        (f"https://acr1.azurecr.io/v2/orders/blobs/uploads/manifests/{DIGEST}", False),
        ("https://acr1.azurecr.io/v2/orders/blobs/uploads/tags/list", False),
        (f"https://acr1.azurecr.io/v2/a/blobs/b/referrers/{DIGEST}", False),
        ("https://acr1.azurecr.io/v2/a/blobs/b/manifests/latest", False),
        ("https://acr1.azurecr.io/v2/a/blobs/b/tags/list", False),
        (f"https://acr1.azurecr.io/v2/my-org__x/blobs/uploads/referrers/{DIGEST}", False),
        ("https://acr1.azurecr.io/acr/v1/orders%2Fblobs%2Fuploads/_tags/2.4.1?api-version=2021-07-01", False),
        (f"https://acr1.azurecr.io/acr/v1/orders%2Fblobs%2Fuploads/_manifests/{DIGEST}", False),
        ("https://acr1.azurecr.io/acr/v1/a%2Fblobs%2Fb/_tags", False),
        (f"https://acr1.azurecr.io/v2/orders/blobs/uploads;p=1/referrers/{DIGEST}", False),
        # every blob download and upload route, of those repositories too: refused
        (f"https://acr1.azurecr.io/v2/orders/blobs/uploads/blobs/{DIGEST}", True),
        ("https://acr1.azurecr.io/v2/orders/blobs/uploads/blobs/uploads/", True),
        ("https://acr1.azurecr.io/v2/orders/blobs/uploads/blobs/uploads/0b7a1c2e-uuid", True),
        ("https://acr1.azurecr.io/v2/orders/blobs/uploads", True),  # the upload route of orders
        ("https://acr1.azurecr.io/v2/orders/blobs/uploads/0b7a1c2e-uuid", True),
        (f"https://acr1.azurecr.io/v2/a/blobs/{DIGEST}", True),
        (f"https://acr1.azurecr.io/v2/a/blobs/b/blobs/{DIGEST}", True),
        ("https://acr1.azurecr.io/v2/a/blobs/b", True),  # a blob of a, whose digest is "b"
        # ... whatever the spelling: case, percent-encoding, parameters, dot segments
        (f"https://acr1.azurecr.io/v2/orders/blobs/uploads/BLOBS/{DIGEST}", True),
        (f"https://acr1.azurecr.io/v2/Orders/Blobs/Uploads/referrers/../blobs/{DIGEST}", True),
        (f"https://acr1.azurecr.io/v2/orders/blobs/uploads/%62lobs/{DIGEST}", True),
        (f"https://acr1.azurecr.io/v2/orders/blobs/uploads/blobs%252F{DIGEST}", True),
        (f"https://acr1.azurecr.io/v2/orders/blobs/uploads/blobs;x=1/{DIGEST}", True),
        (f"https://acr1.azurecr.io/v2/orders/blobs/uploads/referrers/..;/blobs/{DIGEST}", True),
        (f"https://acr1.azurecr.io/v2/a/blobs/b/referrers/..%2F..%2Fblobs/{DIGEST}", True),
        (f"https://acr1.azurecr.io/v2/a/blobs/b/tags/list/../../blobs/{DIGEST}", True),
        # a metadata route only for a name the distribution spec allows: otherwise judged as before
        (f"https://acr1.azurecr.io/v2/Orders/blobs/uploads/referrers/{DIGEST}", True),
        (f"https://acr1.azurecr.io/v2/orders/blobs/uploads/x/y/referrers/{DIGEST}/z", True),
    ],
)
def test_registry_metadata_of_any_repository_name_is_read_and_blobs_never(url: str, refused: bool) -> None:
    assert (refusal("GET", url) is not None) is refused
