"""A hostile or broken server: where its answers point, how long it makes azaudit wait, how it fails.

Each attack is planted in a copy of the sample tenant's recorded answers (or, for the wire itself,
played by a local TLS server on 127.0.0.1) and run through the real SDK stack; only the requests
session at the bottom differs from a live run.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
import urllib3.util.connection
from azure.core.exceptions import ServiceResponseTimeoutError
from azure.core.pipeline.transport import HttpRequest, RequestsTransport
from requests.adapters import BaseAdapter
from typer.testing import CliRunner

from azaudit.audit import Audit, run_audit
from azaudit.backend import Backend
from azaudit.cli import app
from azaudit.clients import RETRY
from azaudit.clouds import CLOUDS, CloudName
from azaudit.errors import ForeignHostError, NetworkError
from azaudit.model import Severity, Status
from azaudit.replay import ReplayAdapter, ReplayCredential, load_fixture_dir, replay_session
from azaudit.replay.fixtures import RecordedResponse
from azaudit.reports.gate import ExitCode, exit_code_for
from azaudit.runconfig import RunConfig
from azaudit.transport import GuardedTransport, destination_refusal, network_session
from azaudit.transport import bounds as transport_module
from tests.conftest import SAMPLE_TENANT, replay_config

PROD = "3f8a6c1e-5b7d-4e2a-9c11-7d2e0f4a8b51"
DEV = "9b2d4e6f-1a3c-4d5e-8f70-2a4b6c8d0e13"
ARM = "https://management.azure.com"
ROLE_ASSIGNMENTS = f"{ARM}/subscriptions/{PROD}/providers/Microsoft.Authorization/roleAssignments"
VAULTS = f"{ARM}/subscriptions/{PROD}/providers/Microsoft.KeyVault/vaults"
SECRETS_PAGE_ONE = "https://kv-prod-apps.vault.azure.net/secrets"
SUBSCRIPTIONS = f"{ARM}/subscriptions?"
DESCENDANTS = f"{ARM}/providers/Microsoft.Management/managementGroups/contoso-landing-zones/descendants"
PUBLIC = CLOUDS[CloudName.PUBLIC]
runner = CliRunner()
T = TypeVar("T")


# ---------------------------------------------------------------------------- planting


def tenant_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "tenant"
    shutil.copytree(SAMPLE_TENANT, copy)
    return copy


def _files(tenant: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in sorted(tenant.rglob("*.json")):
        yield path, json.loads(path.read_text(encoding="utf-8"))


def first_page(tenant: Path, prefix: str) -> tuple[Path, dict[str, Any], dict[str, Any]]:
    """(file, document, interaction) of the page whose request URL starts with ``prefix`` and
    that has a ``nextLink``."""
    for path, document in _files(tenant):
        for interaction in document["interactions"]:
            body = interaction["response"].get("body")
            if interaction["request"]["url"].startswith(prefix) and isinstance(body, dict) and body.get("nextLink"):
                return path, document, interaction
    raise AssertionError(f"no paged answer for {prefix} in the sample tenant")


def answer_for(tenant: Path, url: str) -> dict[str, Any]:
    for _, document in _files(tenant):
        for interaction in document["interactions"]:
            if interaction["request"]["url"] == url:
                return dict(interaction["response"])
    raise AssertionError(f"no answer for {url}")


def plant_next_link(tenant: Path, prefix: str, next_link: str) -> str:
    """Point the first page of ``prefix`` at ``next_link``, and record an answer there (the real
    second page), so that following it would succeed. Returns the original second page's URL."""
    path, document, interaction = first_page(tenant, prefix)
    original = interaction["response"]["body"]["nextLink"]
    interaction["response"]["body"]["nextLink"] = next_link
    path.write_text(json.dumps(document), encoding="utf-8")
    extra = {
        "interactions": [{"request": {"method": "GET", "url": next_link}, "response": answer_for(tenant, original)}]
    }
    (tenant / "planted.json").write_text(json.dumps(extra), encoding="utf-8")
    return str(original)


def findings_of(audit: Audit, code_prefix: str, subscription: str) -> set[Status]:
    return {
        f.status for f in audit.report.findings if f.code.startswith(code_prefix) and f.subscription_id == subscription
    }


# ---------------------------------------------------------------------------- 1. tokens stay home


@pytest.mark.parametrize(
    "foreign",
    [
        "https://evil.example.com/page2?$skipToken=x",
        "https://management.azure.com.evil.example/page2?$skipToken=x",
        "http://management.azure.com/page2?$skipToken=x",
        "https://management.azure.com:8443/page2?$skipToken=x",
        "https://attacker@management.azure.com/page2?$skipToken=x",
        "https://management.chinacloudapi.cn/page2?$skipToken=x",
        "https://kv-prod-apps.privatelink.vaultcore.azure.net/page2?$skipToken=x",
        "https://kv-prod-apps.vault.azure.net.evil.example/page2?$skipToken=x",
        "https://169.254.169.254/metadata/identity/oauth2/token?resource=x",
    ],
)
def test_an_arm_next_link_to_another_host_is_refused_and_the_audit_goes_on(tmp_path: Path, foreign: str) -> None:
    tenant = tenant_copy(tmp_path)
    plant_next_link(tenant, ROLE_ASSIGNMENTS, foreign)
    audit = run_audit(replay_config(tenant, select=("RBAC", "KV001")))

    sent = [url for url in audit.stats.by_url if "/page2" in url or "/metadata/" in url]
    assert not sent, "nothing was sent to the foreign host, so no token went there"
    refused = [e for e in audit.report.errors if e.dataset.value == "role-assignments"]
    assert len(refused) == 1 and refused[0].subscription_id == PROD
    if foreign.startswith("http:"):  # azure-core's own bearer policy refuses plain http first
        assert "ServiceRequestError" in refused[0].reason, refused[0].reason
    else:
        assert refused[0].reason.startswith("refused to send a request: "), refused[0].reason
    assert findings_of(audit, "RBAC001", PROD) == {Status.ERROR}, "the refused scope is not assessed"
    assert findings_of(audit, "RBAC001", DEV) & {Status.PASS, Status.FAIL}, "the rest of the audit went on"
    assert findings_of(audit, "KV001", PROD) & {Status.PASS, Status.FAIL}
    assert exit_code_for(audit.report, Severity.CRITICAL) is ExitCode.ERROR


def test_a_key_vault_next_link_to_another_host_is_refused(tmp_path: Path) -> None:
    tenant = tenant_copy(tmp_path)
    foreign = "https://evil.example.com/secrets?$skiptoken=x&maxresults=3"
    plant_next_link(tenant, SECRETS_PAGE_ONE, foreign)
    audit = run_audit(replay_config(tenant, select=("KV007",)))
    assert not [url for url in audit.stats.by_url if "evil.example.com" in url]
    errors = [e for e in audit.report.errors if e.dataset.value == "secrets" and e.resource_name == "kv-prod-apps"]
    assert len(errors) == 1 and "evil.example.com" in errors[0].reason
    assert any(f.status is Status.ERROR and "kv-prod-apps" in f.resource_id for f in audit.report.findings)


def test_the_guard_sits_below_every_client() -> None:
    """A client built outside azaudit's own factory, on the run's transport, is refused too."""
    from azure.mgmt.resource.subscriptions import SubscriptionClient

    seen: list[str] = []

    class Recording(BaseAdapter):  # type: ignore[misc]
        def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
            seen.append(str(request.url))
            raise AssertionError("nothing may be sent")

    transport = GuardedTransport(
        RequestsTransport(session=replay_session(Recording()), session_owner=True),
        cloud=PUBLIC,
        connection_timeout=1,
        read_timeout=1,
    )
    client = SubscriptionClient(ReplayCredential(), base_url="https://evil.example.com", transport=transport)
    with pytest.raises(ForeignHostError, match=r"evil\.example\.com"):
        list(client.subscriptions.list())
    assert seen == []


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://management.azure.com/subscriptions", True),
        ("https://MANAGEMENT.azure.com./subscriptions", True),
        ("https://management.azure.com:443/subscriptions", True),
        ("https://kv-prod-apps.vault.azure.net/secrets", True),
        ("https://kv-prod-apps.vault.azure.net./secrets", True),
        ("https://a.b.vault.azure.net/secrets", False),
        ("https://vault.azure.net/secrets", False),
        ("https://kv.privatelink.vaultcore.azure.net/secrets", False),
        ("https://kv.vault.azure.cn/secrets", False),  # another cloud's vault
        ("https://management.usgovcloudapi.net/subscriptions", False),
        ("https://kv-prod-apps.vault.azure.net:8443/secrets", False),
        ("http://kv-prod-apps.vault.azure.net/secrets", False),
        ("https://login.microsoftonline.com/x", False),
        ("https://contosoprodacr.azurecr.io/v2/", False),
        ("https://management.azure.com@evil.example/x", False),
    ],
)
def test_destinations(url: str, allowed: bool) -> None:
    assert (destination_refusal(url, PUBLIC) is None) is allowed


def test_sovereign_clouds_send_only_to_their_own_hosts() -> None:
    china = CLOUDS[CloudName.CHINA]
    assert destination_refusal("https://management.chinacloudapi.cn/subscriptions", china) is None
    assert destination_refusal("https://kv1.vault.azure.cn/secrets", china) is None
    assert destination_refusal("https://management.azure.com/subscriptions", china) is not None


# ---------------------------------------------------------------------------- 7. paging loops


def _bounded(tenant: Path, fault: Callable[[str, str, int], RecordedResponse | None]) -> requests.Session:
    """A replay session whose answers ``fault`` may replace (it sees method, URL, attempt)."""
    from bench.network import SimulatedNetwork

    network = SimulatedNetwork(ReplayAdapter(load_fixture_dir(tenant), str(tenant)), fault=fault)
    session = replay_session(network)
    session.network = network  # type: ignore[attr-defined]
    return session


def _loop_breaker(limit: int) -> Callable[[str, str, int], RecordedResponse | None]:
    """Stops a loop the old code would follow forever: the test fails instead of hanging."""

    def fault(method: str, url: str, attempt: int) -> RecordedResponse | None:
        if attempt > limit:
            return RecordedResponse(status=400, body={"error": {"code": "TestLoopBreaker", "message": "looped"}})
        return None

    return fault


@pytest.mark.parametrize("back_to", ["itself", "the first page"])
def test_a_next_link_pointing_back_is_a_collection_error_not_a_loop(tmp_path: Path, back_to: str) -> None:
    tenant = tenant_copy(tmp_path)
    path, document, interaction = first_page(tenant, ROLE_ASSIGNMENTS)
    first_url = interaction["request"]["url"]
    if back_to == "itself":
        interaction["response"]["body"]["nextLink"] = first_url
    else:  # page 2 points back at page 1
        second = interaction["response"]["body"]["nextLink"]
        for other in document["interactions"]:
            if other["request"]["url"] == second:
                other["response"]["body"]["nextLink"] = first_url
    path.write_text(json.dumps(document), encoding="utf-8")

    session = _bounded(tenant, _loop_breaker(20))
    audit = run_audit(replay_config(tenant, select=("RBAC001",)), session=session, credential=ReplayCredential())
    errors = [e for e in audit.report.errors if e.dataset.value == "role-assignments"]
    assert len(errors) == 1 and "points back at a page it already served" in errors[0].reason
    times = session.network.traffic.times  # type: ignore[attr-defined]
    assert {len(stamps) for url, stamps in times.items() if url.startswith(ROLE_ASSIGNMENTS)} == {1}, "no page twice"
    assert findings_of(audit, "RBAC001", PROD) == {Status.ERROR}
    assert findings_of(audit, "RBAC001", DEV) & {Status.PASS, Status.FAIL}


def test_a_list_that_never_ends_is_cut_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport_module, "MAX_PAGES_PER_LIST", 8)
    tenant = tenant_copy(tmp_path)
    path, document, interaction = first_page(tenant, ROLE_ASSIGNMENTS)
    interaction["response"]["body"]["nextLink"] = f"{ROLE_ASSIGNMENTS}?api-version=2022-04-01&$skipToken=1"
    path.write_text(json.dumps(document), encoding="utf-8")
    pages: list[int] = []

    def endless(method: str, url: str, attempt: int) -> RecordedResponse | None:
        if "$skipToken=" in url and url.startswith(ROLE_ASSIGNMENTS):
            number = int(url.rsplit("=", 1)[1])
            pages.append(number)
            following = f"{ROLE_ASSIGNMENTS}?api-version=2022-04-01&$skipToken={number + 1}"
            return RecordedResponse(status=200, body={"value": [], "nextLink": following if number < 200 else None})
        return None

    audit = run_audit(
        replay_config(tenant, select=("RBAC001",)), session=_bounded(tenant, endless), credential=ReplayCredential()
    )
    errors = [e for e in audit.report.errors if e.dataset.value == "role-assignments"]
    assert len(errors) == 1 and "never ends" in errors[0].reason
    assert len(pages) < 10


# ---------------------------------------------------------------------------- 8. Retry-After


FAR = {
    "seconds": {"Retry-After": "999999"},
    "an HTTP date in 2099": {"Retry-After": "Thu, 31 Dec 2099 23:59:59 GMT"},
    "retry-after-ms": {"retry-after-ms": "999999000"},
    "x-ms-retry-after-ms": {"x-ms-retry-after-ms": "999999000"},
}


def _throttle(times: int, headers: dict[str, str]) -> Callable[[str, str, int], RecordedResponse | None]:
    def fault(method: str, url: str, attempt: int) -> RecordedResponse | None:
        if url.startswith(VAULTS) and attempt <= times:
            return RecordedResponse(
                status=429, headers=headers, body={"error": {"code": "TooManyRequests", "message": "slow down"}}
            )
        return None

    return fault


def _within(seconds: float, work: Callable[[], T]) -> T:
    """``work()`` in a thread: the old code slept for days, so the test must not wait on it."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["audit"] = work()
        except BaseException as exc:  # handed to the test thread
            box["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=seconds)
    assert not worker.is_alive(), f"still waiting after {seconds} s"
    if "error" in box:
        raise box["error"]
    return box["audit"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("headers", list(FAR.values()), ids=list(FAR))
def test_a_huge_retry_after_is_capped_and_noted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, headers: dict[str, str]
) -> None:
    monkeypatch.setattr(transport_module, "RETRY_WAIT_CAP_SECONDS", 0.3)
    tenant = tenant_copy(tmp_path)
    session = _bounded(tenant, _throttle(1, headers))
    started = time.monotonic()
    audit = _within(
        20, lambda: run_audit(replay_config(tenant, select=("KV001",)), session=session, credential=ReplayCredential())
    )
    assert time.monotonic() - started < 10
    assert audit.report.complete, [e.describe() for e in audit.report.errors]
    notes = [n for n in audit.report.notes if "throttled" in n.message]
    assert len(notes) == 1 and notes[0].subscription_id == PROD and notes[0].dataset.value == "vaults"
    assert "azaudit waited 0.3 s" in notes[0].message
    assert findings_of(audit, "KV001", PROD) & {Status.PASS, Status.FAIL}


def test_throttling_beyond_the_cap_is_an_error_for_that_scope_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transport_module, "RETRY_WAIT_CAP_SECONDS", 0.3)
    tenant = tenant_copy(tmp_path)
    session = _bounded(tenant, _throttle(100, {"Retry-After": "999999"}))
    audit = _within(
        20, lambda: run_audit(replay_config(tenant, select=("KV001",)), session=session, credential=ReplayCredential())
    )
    errors = [e for e in audit.report.errors if e.dataset.value == "vaults"]
    assert len(errors) == 1 and errors[0].subscription_id == PROD
    assert "throttled" in errors[0].reason and "waits at most 0.3 s" in errors[0].reason
    stamps = next(v for url, v in session.network.traffic.times.items() if url.startswith(VAULTS))  # type: ignore[attr-defined]
    assert len(stamps) == 2, "one wait of the cap, one retry, then no storm of retries"
    assert findings_of(audit, "KV001", PROD) == {Status.ERROR}
    assert findings_of(audit, "KV001", DEV) & {Status.PASS, Status.FAIL}


def test_short_retry_after_is_still_honoured_in_full(tmp_path: Path) -> None:
    tenant = tenant_copy(tmp_path)
    session = _bounded(tenant, _throttle(1, {"Retry-After": "1"}))
    audit = run_audit(replay_config(tenant, select=("KV001",)), session=session, credential=ReplayCredential())
    assert audit.report.complete and not [n for n in audit.report.notes if "throttled" in n.message]
    stamps = next(v for url, v in session.network.traffic.times.items() if url.startswith(VAULTS))  # type: ignore[attr-defined]
    assert stamps[1] - stamps[0] >= 0.9


# ---------------------------------------------------------------------------- 9. a server that trickles


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for management.azure.com (the test server plays ARM)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "management.azure.com")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("management.azure.com")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


Behaviour = Callable[[ssl.SSLSocket, threading.Event], None]


@pytest.fixture
def arm_server(
    certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[Behaviour], None]]:
    """A TLS server on 127.0.0.1 that management.azure.com resolves to for this test; the test
    says how it answers."""
    cert_path, key_path = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    stop = threading.Event()
    behaviour: list[Behaviour] = []
    workers: list[threading.Thread] = []

    def serve(raw: socket.socket) -> None:
        try:
            with context.wrap_socket(raw, server_side=True) as conn:
                conn.settimeout(5)
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    request += chunk
                behaviour[0](conn, stop)
        except OSError:
            pass

    def accept() -> None:
        while not stop.is_set():
            try:
                raw, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            worker = threading.Thread(target=serve, args=(raw,), daemon=True)
            workers.append(worker)
            worker.start()

    real = urllib3.util.connection.create_connection

    def to_local(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        host, _ = address
        assert host == "management.azure.com", host
        return real(("127.0.0.1", port), *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", to_local)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert_path))
    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    yield behaviour.append
    stop.set()
    listener.close()
    acceptor.join(timeout=2)
    for worker in workers:
        worker.join(timeout=2)


def trickle_body(conn: ssl.SSLSocket, stop: threading.Event) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n")
    _trickle(conn, stop, b'{"value": [' + b" " * 200)


def trickle_headers(conn: ssl.SSLSocket, stop: threading.Event) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    _trickle(conn, stop, b"a" * 200)


def _trickle(conn: ssl.SSLSocket, stop: threading.Event, data: bytes) -> None:
    """One byte every 0.2 s (each well within the read timeout), for at most 6 s."""
    for byte in data[:30]:
        if stop.wait(0.2):
            return
        conn.sendall(bytes([byte]))


def _live_transport(timeout: float) -> GuardedTransport:
    return GuardedTransport(
        RequestsTransport(session=network_session(4), session_owner=True),
        cloud=PUBLIC,
        connection_timeout=timeout,
        read_timeout=timeout,
    )


@pytest.mark.parametrize("behaviour", [trickle_body, trickle_headers], ids=["body", "headers"])
def test_a_trickling_answer_times_out_on_time(arm_server: Callable[[Behaviour], None], behaviour: Behaviour) -> None:
    arm_server(behaviour)
    transport = _live_transport(timeout=1.0)
    started = time.monotonic()
    with pytest.raises(ServiceResponseTimeoutError, match="within 1 s"):
        transport.send(HttpRequest("GET", f"{ARM}/subscriptions?api-version=2022-12-01"))
    assert time.monotonic() - started < 4, "the whole answer had --timeout, not each byte (the trickle lasts 6 s)"


def test_a_prompt_answer_over_the_same_connections_is_read(arm_server: Callable[[Behaviour], None]) -> None:
    def prompt(conn: ssl.SSLSocket, stop: threading.Event) -> None:
        body = b'{"value": []}'
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

    arm_server(prompt)
    transport = _live_transport(timeout=1.0)
    for _ in range(3):
        response = transport.send(HttpRequest("GET", f"{ARM}/subscriptions?api-version=2022-12-01"))
        assert response.status_code == 200 and response.text() == '{"value": []}'
    time.sleep(1.2)  # past the deadlines of the attempts above: nothing is cut afterwards
    response = transport.send(HttpRequest("GET", f"{ARM}/subscriptions?api-version=2022-12-01"))
    assert response.status_code == 200


def test_a_trickling_subscription_list_ends_the_run_with_one_line(
    arm_server: Callable[[Behaviour], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole stack over a real socket: retries included, the run ends, as a clear error."""
    monkeypatch.setitem(RETRY, "retry_backoff_factor", 0.0)
    arm_server(trickle_body)
    config = replay_config(SAMPLE_TENANT, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(NetworkError, match=r"could not list the subscriptions: no complete answer within 0\.5 s"):
        run_audit(config, session=network_session(4), credential=ReplayCredential())
    assert time.monotonic() - started < 10, "four attempts of about half a second each (a trickle lasts 6 s each)"


# ---------------------------------------------------------------------------- 10. failures before the audit


class Failing(BaseAdapter):  # type: ignore[misc]
    """Answers from the replay, except requests whose URL starts with ``prefix``: ``failure``."""

    def __init__(self, inner: ReplayAdapter, prefix: str, failure: Callable[[requests.PreparedRequest], Any]) -> None:
        super().__init__()
        self._inner = inner
        self._prefix = prefix
        self._failure = failure

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if str(request.url).startswith(self._prefix):
            answer = self._failure(request)
            return answer if isinstance(answer, requests.Response) else self._inner.build(request, answer)
        return self._inner.send(request, *args, **kwargs)

    def close(self) -> None:
        pass


def _raise(exc: BaseException) -> Callable[[requests.PreparedRequest], Any]:
    def fail(request: requests.PreparedRequest) -> Any:
        raise exc

    return fail


def _answer(status: int, **kwargs: Any) -> Callable[[requests.PreparedRequest], Any]:
    return lambda request: RecordedResponse(status=status, **kwargs)


def _redirect_to_itself(request: requests.PreparedRequest) -> RecordedResponse:
    return RecordedResponse(status=302, headers={"Location": str(request.url)})


FAILURES: dict[str, tuple[Callable[[requests.PreparedRequest], Any], str]] = {
    "connection refused": (
        _raise(requests.exceptions.ConnectionError("[Errno 111] Connection refused")),
        "could not reach the service",
    ),
    "read timeout": (_raise(requests.exceptions.ReadTimeout("read timed out")), "no usable answer"),
    "connection reset mid-answer": (
        _raise(requests.exceptions.ConnectionError(urllib3.exceptions.ProtocolError("Connection aborted."))),
        "no usable answer",
    ),
    "incomplete body": (
        _raise(requests.exceptions.ChunkedEncodingError("IncompleteRead(10 bytes read, 90 more expected)")),
        "could not",
    ),
    "not JSON": (_answer(200, raw_body="<html>proxy error</html>"), "malformed response body"),
    "503 after every retry": (_answer(503, body={"error": {"code": "ServerBusy", "message": "busy"}}), "ServerBusy"),
    "redirect loop": (_redirect_to_itself, "could not"),
    "redirect elsewhere": (
        lambda request: RecordedResponse(status=302, headers={"Location": "https://evil.example.com/x"}),
        "evil.example.com",
    ),
    "next link elsewhere": (
        _answer(200, body={"value": [], "nextLink": "https://evil.example.com/next"}),
        "evil.example.com",
    ),
    "endless throttling": (
        _answer(429, headers={"Retry-After": "999999"}, body={"error": {"code": "TooManyRequests", "message": "no"}}),
        "throttled",
    ),
    "401": (_answer(401, body={"error": {"code": "InvalidAuthenticationToken", "message": "expired"}}), "HTTP 401"),
    "404": (_answer(404, body={"error": {"code": "NotFound", "message": "gone"}}), "NotFound"),
}


@pytest.fixture
def failing_network(
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[[str, Callable[[requests.PreparedRequest], Any]], None]:
    """Make the CLI's replay session fail requests under a prefix (the seam below the SDK)."""
    import azaudit.audit as audit_module

    monkeypatch.setitem(RETRY, "retry_backoff_factor", 0.0)
    monkeypatch.setattr(transport_module, "RETRY_WAIT_CAP_SECONDS", 0.1)

    def install(prefix: str, failure: Callable[[requests.PreparedRequest], Any]) -> None:
        adapter = Failing(ReplayAdapter(load_fixture_dir(SAMPLE_TENANT), str(SAMPLE_TENANT)), prefix, failure)
        opened = audit_module.open_backend

        def failing_backend(config: RunConfig, notify: Callable[[str], None], **injected: Any) -> Backend:
            return opened(config, notify, **{**injected, "session": replay_session(adapter)})

        monkeypatch.setattr(audit_module, "open_backend", failing_backend)

    return install


def _one_clear_line(result: Any, expected: str) -> str:
    output = result.output
    assert result.exit_code == ExitCode.ERROR, (result.exit_code, output, result.exception)
    assert "Traceback" not in output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("azaudit: "), output
    assert expected in lines[0], lines[0]
    return str(lines[0])


@pytest.mark.parametrize("failure", list(FAILURES), ids=list(FAILURES))
def test_a_failure_listing_subscriptions_is_one_line_and_exit_2(
    failing_network: Callable[[str, Callable[[requests.PreparedRequest], Any]], None], failure: str
) -> None:
    answer, expected = FAILURES[failure]
    failing_network(SUBSCRIPTIONS, answer)
    result = _within(30, lambda: runner.invoke(app, ["subscription", "--replay", str(SAMPLE_TENANT), "--timeout", "1"]))
    line = _one_clear_line(result, expected)
    assert "subscriptions" in line


@pytest.mark.parametrize("failure", list(FAILURES), ids=list(FAILURES))
def test_a_failure_reading_a_management_group_is_one_line_and_exit_2(
    failing_network: Callable[[str, Callable[[requests.PreparedRequest], Any]], None], failure: str
) -> None:
    answer, expected = FAILURES[failure]
    failing_network(DESCENDANTS, answer)
    args = ["subscription", "--replay", str(SAMPLE_TENANT), "-m", "contoso-landing-zones", "--timeout", "1"]
    result = _within(30, lambda: runner.invoke(app, args))
    line = _one_clear_line(result, expected)
    assert "contoso-landing-zones" in line
