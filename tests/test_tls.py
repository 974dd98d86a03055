"""One TLS context per run, over real HTTPS: a live run (no replay) against the fake Azure of the
benchmark (``bench/tls_server.py``) on 127.0.0.1, its host names resolved there in this process.

Only the CA (a ``trustme`` test CA) and name resolution differ from an audit of Azure.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import trustme
from typer.testing import CliRunner

from azaudit import backend, tls
from azaudit.audit import Audit, run_audit
from azaudit.cli import app
from azaudit.errors import AzauditError
from azaudit.replay import ReplayCredential
from azaudit.runconfig import RunConfig
from azaudit.tls import TrustError, build_tls_context
from azaudit.transport import network_session
from bench.synthetic import SyntheticTenant
from bench.tls_server import Certificates, FakeAzure, resolve_to_loopback

TRUST_VARIABLES = (*tls.BUNDLE_VARIABLES, *tls.OPENSSL_VARIABLES)


@pytest.fixture(scope="module")
def tenant() -> SyntheticTenant:
    return SyntheticTenant(2, 20)  # 2 subscriptions, 5 vaults each


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return Certificates.issue(tmp_path_factory.mktemp("fake-azure"))


@pytest.fixture
def server(tenant: SyntheticTenant, certificates: Certificates, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAzure]:
    for name in TRUST_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    with (
        FakeAzure(tenant.responses, certificates, latency=0.0, max_seconds=120) as fake,
        resolve_to_loopback(fake.port),
    ):
        yield fake


@pytest.fixture
def contexts_built(monkeypatch: pytest.MonkeyPatch) -> list[ssl.SSLContext]:
    """Every ``SSLContext`` created from now on (requests and urllib3 build theirs through the
    same class)."""
    built: list[ssl.SSLContext] = []
    original = ssl.SSLContext.__new__

    def counting(cls: type[ssl.SSLContext], *args: Any, **kwargs: Any) -> ssl.SSLContext:
        context = original(cls, *args, **kwargs)
        built.append(context)
        return context

    monkeypatch.setattr(ssl.SSLContext, "__new__", counting)
    return built


def live_config(tmp_path: Path) -> RunConfig:
    return RunConfig(concurrency=8, processes=1, working_directory=tmp_path)


def assert_every_request_answered_over_tls(audit: Audit, server: FakeAzure, tenant: SyntheticTenant) -> None:
    """Every request the run sent reached the server and got an answer: no failure without an
    HTTP status (what a refused certificate or a broken connection would be). A collector newer
    than the synthetic tenant meets a 404 here, which is an answer all the same."""
    assert audit.stats.total >= tenant.request_count() and server.counts.requests == audit.stats.total
    unanswered = [error.reason for error in audit.inventory.errors if error.status_code is None]
    assert not unanswered, unanswered[:3]


def _separate_copy(ca_pem: Path, folder: Path) -> Path:
    """The CA at a path of its own: the run's context is keyed by the variables' values."""
    copy = folder / "trusted-ca.pem"
    copy.write_bytes(ca_pem.read_bytes())
    return copy


def test_a_live_run_builds_one_tls_context_for_every_connection(
    server: FakeAzure,
    tenant: SyntheticTenant,
    certificates: Certificates,
    contexts_built: list[ssl.SSLContext],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(_separate_copy(certificates.ca_pem, tmp_path)))
    audit = run_audit(live_config(tmp_path), credential=ReplayCredential())
    assert_every_request_answered_over_tls(audit, server, tenant)
    seen = server.counts.as_dict()
    assert seen["vault_hosts"] == 10, "every vault is its own host, with its own handshake"
    assert seen["connections"] == seen["handshakes"] and seen["failed_handshakes"] == 0
    assert len(contexts_built) == 1, f"{len(contexts_built)} TLS contexts for {seen['connections']} connections"


def test_the_ca_bundle_variable_is_read_once_not_per_connection(
    server: FakeAzure, certificates: Certificates, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = _separate_copy(certificates.ca_pem, tmp_path)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    session = network_session(4)
    assert session.get(f"https://kv{'0' * 8}.vault.azure.net/secrets", timeout=10).status_code in (401, 404)
    bundle.unlink()  # requests would load it again for the next new connection (and fail)
    assert session.get("https://management.azure.com/subscriptions", timeout=10).status_code in (200, 401)
    assert server.counts.as_dict()["handshakes"] == 2


def test_a_forked_process_session_shares_the_run_context(
    certificates: Certificates, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in TRUST_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(_separate_copy(certificates.ca_pem, tmp_path)))
    parent, child = network_session(64), network_session(32)
    assert parent.get_adapter("https://").tls is child.get_adapter("https://").tls  # type: ignore[attr-defined]


def test_the_openssl_variable_alone_is_enough(
    server: FakeAzure,
    tenant: SyntheticTenant,
    certificates: Certificates,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What the system trust store would hold, without any variable of requests: requests alone
    would check the server against certifi's roots and fail."""
    monkeypatch.setenv("SSL_CERT_FILE", str(_separate_copy(certificates.ca_pem, tmp_path)))
    audit = run_audit(live_config(tmp_path), credential=ReplayCredential())
    assert_every_request_answered_over_tls(audit, server, tenant)


def test_a_context_trusting_the_ca_connects(server: FakeAzure, certificates: Certificates) -> None:
    context = build_tls_context({"SSL_CERT_FILE": str(certificates.ca_pem)})
    session = network_session(2, context)
    assert session.get("https://management.azure.com/subscriptions", timeout=10).status_code in (200, 401)


def test_a_server_certificate_of_another_ca_ends_the_run_with_one_clear_line(
    server: FakeAzure, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other))
    with pytest.raises(AzauditError) as raised:
        run_audit(live_config(tmp_path), credential=ReplayCredential())
    message = str(raised.value)
    assert "\n" not in message
    assert "TLS certificate is not trusted" in message and "REQUESTS_CA_BUNDLE" in message
    assert server.counts.as_dict()["connections"] == 0


def test_the_cli_says_an_untrusted_server_certificate_in_one_line_and_exits_2(
    server: FakeAzure, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other))
    # The sign-in is not what is tested: the run's credential is the replay one (no login traffic).
    monkeypatch.setattr(backend, "build_credential", lambda *args: ReplayCredential())
    result = CliRunner().invoke(app, ["subscription"])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "TLS certificate is not trusted" in lines[0], lines
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("content", "reason"),
    [(None, "does not exist"), (b"not a certificate\n", "cannot be loaded as CA certificates")],
    ids=["missing", "not-pem"],
)
def test_an_unusable_ca_bundle_is_one_line_and_exit_2(
    content: bytes | None, reason: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "corporate-ca.pem"
    if content is not None:
        bundle.write_bytes(content)
    for name in TRUST_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    with pytest.raises(TrustError, match=reason):
        build_tls_context({"REQUESTS_CA_BUNDLE": str(bundle)})
    result = CliRunner().invoke(app, ["subscription", "--auth", "cli"])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and f"REQUESTS_CA_BUNDLE names {bundle}" in lines[0] and reason in lines[0], lines
    assert "Traceback" not in result.output


def test_without_variables_the_system_store_is_loaded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in TRUST_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    first, second = tls.run_tls_context(), tls.run_tls_context()
    assert first is second
    assert first.verify_mode == ssl.CERT_REQUIRED and first.check_hostname
    assert first.minimum_version >= ssl.TLSVersion.TLSv1_2


def test_the_proxy_variables_are_read_once_per_host_and_still_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    """requests scanned the whole environment twice for every request; the session takes the
    same decision (proxy or NO_PROXY) once per host and keeps it for the run."""
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "kv-direct.vault.azure.net")
    session = network_session(2)

    def proxy_for(url: str) -> str | None:
        proxies = session.merge_environment_settings(url, {}, None, True, None)["proxies"]
        return proxies.get("https")  # type: ignore[no-any-return]

    assert proxy_for("https://management.azure.com/subscriptions") == "http://proxy.example:3128"
    assert proxy_for("https://kv-direct.vault.azure.net/secrets") is None
    monkeypatch.setenv("HTTPS_PROXY", "http://other.example:8080")
    assert proxy_for("https://management.azure.com/subscriptions?api-version=1") == "http://proxy.example:3128"
    assert proxy_for("https://kv-other.vault.azure.net/secrets") == "http://other.example:8080"


def test_a_netrc_password_never_replaces_the_bearer_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("default login someone password Zq7CanaryV4lue\n")
    monkeypatch.setenv("NETRC", str(netrc))
    session = network_session(2)
    request = requests.Request(
        "GET", "https://management.azure.com/subscriptions", headers={"Authorization": "Bearer t"}
    )
    assert session.prepare_request(request).headers["Authorization"] == "Bearer t"
