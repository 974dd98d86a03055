"""azure-identity's sign-in requests go over the run's TLS context, to sign-in hosts only
(azaudit/sign_in.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.core.rest import HttpRequest

from azaudit import tls
from azaudit.backend import open_backend
from azaudit.clouds import CLOUDS, CloudName
from azaudit.errors import ForeignHostError
from azaudit.runconfig import AuthMode, RunConfig
from azaudit.sign_in import INSTANCE_METADATA, SignInTransport, allowed_origins
from bench.synthetic import SyntheticTenant
from bench.tls_server import Certificates, FakeAzure, resolve_to_loopback

PUBLIC = CLOUDS[CloudName.PUBLIC]


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAzure]:
    """A fake Azure (and sign-in host) whose test CA only the machine's trust store names:
    requests' own default, certifi's bundle, does not trust it."""
    certificates = Certificates.issue(tmp_path)
    for name in (*tls.BUNDLE_VARIABLES, *tls.OPENSSL_VARIABLES):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates.ca_pem))
    with (
        FakeAzure(SyntheticTenant(1, 10).responses, certificates, latency=0.0, max_seconds=60) as fake,
        resolve_to_loopback(fake.port),
    ):
        yield fake


def test_the_service_principal_signs_in_over_the_run_tls_context(
    server: FakeAzure, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_TENANT_ID", "00000000-0000-0000-0000-000000000001")
    monkeypatch.setenv("AZURE_CLIENT_ID", "00000000-0000-0000-0000-000000000002")
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "not-a-real-secret")
    backend = open_backend(RunConfig(auth=AuthMode.ENV, processes=1, working_directory=tmp_path))
    try:
        with pytest.raises(ClientAuthenticationError):  # the fake server knows no token endpoint (404)
            backend.credential.get_token(PUBLIC.arm_scope)
    finally:
        backend.close()
    seen = server.counts.as_dict()
    assert server.counts.handshakes["login.microsoftonline.com"] >= 1
    assert seen["failed_handshakes"] == 0, "the sign-in did not trust the machine's CA"
    assert server.counts.requests >= 1, "no sign-in request reached the sign-in host"


def test_a_sign_in_request_to_another_host_is_refused_before_it_is_sent() -> None:
    transport = SignInTransport(PUBLIC, frozenset({("https", "login.microsoftonline.com", 443)}))
    for url in (
        "https://login.example.com/tenant/oauth2/v2.0/token",
        "http://login.microsoftonline.com/tenant/oauth2/v2.0/token",
        "https://login.microsoftonline.com:8443/tenant/oauth2/v2.0/token",
        "ftp://login.microsoftonline.com/",
        # parser differentials: urlsplit reads login.microsoftonline.com, requests connects elsewhere
        "https://evil.example\\@login.microsoftonline.com/tenant/oauth2/v2.0/token",
        "https://user@login.microsoftonline.com/tenant/oauth2/v2.0/token",
        "https://login.microsoftonline.com\t/tenant/oauth2/v2.0/token",
    ):
        with pytest.raises(ForeignHostError, match="refused to send a sign-in request"):
            transport.send(HttpRequest("POST", url))
    assert transport._inner is None, "nothing was sent, no session was opened"


def test_the_sign_in_hosts_are_the_cloud_authority_and_the_endpoints_the_machine_names() -> None:
    china = CLOUDS[CloudName.CHINA]
    origins = allowed_origins(
        china,
        {
            "IDENTITY_ENDPOINT": "http://localhost:42356/msi/token",
            "AZURE_AUTHORITY_HOST": "login.partner.example",
            "SYSTEM_OIDCREQUESTURI": "https://dev.azure.com/org/project/_apis/distributedtask/hubs/build/plans/x",
            "MSI_ENDPOINT": "",
        },
    )
    assert origins == {
        ("https", "login.chinacloudapi.cn", 443),
        ("https", "login.microsoftonline.com", 443),
        INSTANCE_METADATA,
        ("http", "localhost", 42356),
        ("https", "login.partner.example", 443),
        ("https", "dev.azure.com", 443),
    }
