"""The registry data plane is reached only for audited registries, and never for a blob."""

from __future__ import annotations

import pytest
from azure.containerregistry import ContainerRegistryClient
from azure.core.pipeline.transport import RequestsTransport

from azaudit.clouds import CLOUDS, CloudName
from azaudit.errors import ForeignHostError, SecretReadRefusedError
from azaudit.replay import ReplayCredential
from azaudit.replay.adapter import ReplayAdapter, replay_session
from azaudit.transport import GuardedTransport, destination_refusal, registry_host, request_kind

PUBLIC = CLOUDS[CloudName.PUBLIC]
CHINA = CLOUDS[CloudName.CHINA]


def test_only_the_audited_registries_login_servers_are_reached() -> None:
    audited = frozenset({"contosoprodacr.azurecr.io"})
    assert destination_refusal("https://contosoprodacr.azurecr.io/acr/v1/web/_tags/1", PUBLIC, audited) is None
    assert destination_refusal("https://contosoprodacr.azurecr.io/acr/v1/web/_tags/1", PUBLIC) is not None
    assert destination_refusal("https://otheracr1.azurecr.io/acr/v1/web/_tags/1", PUBLIC, audited) is not None
    assert destination_refusal("http://contosoprodacr.azurecr.io/v2/", PUBLIC, audited) is not None
    assert destination_refusal("https://contosoprodacr.azurecr.io:8443/v2/", PUBLIC, audited) is not None


@pytest.mark.parametrize(
    ("login_server", "cloud", "host"),
    [
        ("contosoprodacr.azurecr.io", PUBLIC, "contosoprodacr.azurecr.io"),
        ("ContosoProdAcr.azurecr.io.", PUBLIC, "contosoprodacr.azurecr.io"),
        ("contosoacr1.azurecr.cn", CHINA, "contosoacr1.azurecr.cn"),
        ("contosoacr1.azurecr.cn", PUBLIC, None),  # another cloud's registry
        ("evil.example", PUBLIC, None),
        ("a.b.azurecr.io", PUBLIC, None),
        ("acr.azurecr.io", PUBLIC, None),  # shorter than a registry name can be
        ("management.azure.com", PUBLIC, None),
    ],
)
def test_a_login_server_is_a_registry_host_of_the_audited_cloud(
    login_server: str, cloud: object, host: str | None
) -> None:
    assert registry_host(login_server, cloud) == host  # type: ignore[arg-type]


def _transport() -> GuardedTransport:
    adapter = ReplayAdapter({}, "no fixtures")
    inner = RequestsTransport(session=replay_session(adapter), session_owner=False)
    return GuardedTransport(inner, cloud=PUBLIC, connection_timeout=5, read_timeout=5)


def test_a_registry_not_allowed_is_refused_before_sending() -> None:
    client = ContainerRegistryClient("https://otheracr1.azurecr.io", ReplayCredential(), transport=_transport())
    with pytest.raises(ForeignHostError):
        client.get_tag_properties("web", "1.0")


def test_downloading_a_blob_through_the_sdk_is_refused_before_sending() -> None:
    transport = _transport()
    assert transport.allow_registries(["contosoprodacr.azurecr.io", "evil.example"]) == {"contosoprodacr.azurecr.io"}
    client = ContainerRegistryClient("https://contosoprodacr.azurecr.io", ReplayCredential(), transport=transport)
    with pytest.raises(SecretReadRefusedError, match="blobs"):
        client.download_blob("web", "sha256:" + "a" * 64)


def test_registry_reads_are_counted_by_operation_not_by_repository() -> None:
    tag = request_kind(
        "GET", "https://contosoprodacr.azurecr.io/acr/v1/web%2Ffrontend/_tags/1.8.0?api-version=2021-07-01"
    )
    other = request_kind("GET", "https://contosoprodacr.azurecr.io/acr/v1/jobs%2Frunner/_tags/latest")
    assert tag == other == "GET {data-plane}/acr/v1/{}/_tags/{}"
    referrers = request_kind("GET", "https://contosoprodacr.azurecr.io/v2/web/frontend/referrers/sha256:" + "a" * 64)
    assert referrers == "GET {data-plane}/v2/{}/referrers/{}"
