"""The http.client transport of live runs (``azaudit/transport/wire.py``) over real TLS: the fake
Azure of the benchmark (``bench/tls_server.py``) and small servers of these tests on 127.0.0.1,
Azure's host names resolved there in this process."""

from __future__ import annotations

import base64
import contextlib
import gzip
import http.client
import json
import os
import socket
import ssl
import threading
import time
import warnings
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from azure.core.exceptions import (
    IncompleteReadError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
    StreamConsumedError,
)
from azure.core.pipeline.transport import HttpRequest as LegacyHttpRequest
from azure.core.rest import HttpRequest
from azure.mgmt.resource.subscriptions import SubscriptionClient

from azaudit import tls
from azaudit.audit import run_audit
from azaudit.backend import open_backend
from azaudit.clouds import CLOUDS, CloudName
from azaudit.errors import UsageError
from azaudit.replay import ReplayAdapter, ReplayCredential, replay_session
from azaudit.runconfig import RunConfig
from azaudit.transport import GuardedTransport, WireTransport, connections, network_session, requests_transport
from azaudit.transport import wire as wire_module
from azaudit.transport.connections import ConnectionPools, Origin, Tunnel
from azaudit.transport.session import SPARE_HOST_POOLS
from bench.synthetic import SyntheticTenant
from bench.tls_server import Certificates, FakeAzure, resolve_to_loopback

PUBLIC = CLOUDS[CloudName.PUBLIC]
ARM = "https://management.azure.com"
SUBSCRIPTIONS = f"{ARM}/subscriptions?api-version=2022-12-01"
TRUST_VARIABLES = (*tls.BUNDLE_VARIABLES, *tls.OPENSSL_VARIABLES)
PROXY_VARIABLES = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")


@pytest.fixture(scope="module")
def tenant() -> SyntheticTenant:
    return SyntheticTenant(2, 20)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return Certificates.issue(tmp_path_factory.mktemp("fake-azure"))


@pytest.fixture
def context(certificates: Certificates) -> ssl.SSLContext:
    return tls.build_tls_context({"SSL_CERT_FILE": str(certificates.ca_pem)})


@pytest.fixture(autouse=True)
def no_proxy_from_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*PROXY_VARIABLES, "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake(tenant: SyntheticTenant, certificates: Certificates) -> Iterator[FakeAzure]:
    with (
        FakeAzure(tenant.responses, certificates, latency=0.0, max_seconds=120) as server,
        resolve_to_loopback(server.port),
    ):
        yield server


def wire(context: ssl.SSLContext, pool_size: int = 4, **kwargs: Any) -> WireTransport:
    return WireTransport(pool_size, requests_transport(network_session(pool_size, context)), context, **kwargs)


def guarded(inner: Any, timeout: float = 10.0) -> GuardedTransport:
    return GuardedTransport(inner, cloud=PUBLIC, connection_timeout=timeout, read_timeout=timeout)


def get(url: str = SUBSCRIPTIONS, **headers: str) -> HttpRequest:
    return HttpRequest("GET", url, headers={"Authorization": "Bearer t", **headers})


# -- a small server of raw TLS connections -------------------------------------------------------

Handler = Callable[[ssl.SSLSocket, int], None]  # a connection, and its number (0 for the first)
ServerHandler = Callable[["RawServer", ssl.SSLSocket, int], None]


class RawServer:
    """A TLS server on 127.0.0.1 answering every connection with ``handler`` on a thread of its
    own; it keeps the heads of the requests it read (:func:`read_request`)."""

    def __init__(self, certificates: Certificates, handler: Handler) -> None:
        self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._tls.load_cert_chain(certificates.server_pem)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._handler = handler
        self._stop = threading.Event()
        self.connections = 0
        self.heads: list[str] = []
        self.bodies: list[bytes] = []
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                raw, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            number = self.connections
            self.connections += 1
            worker = threading.Thread(target=self._serve, args=(raw, number), daemon=True)
            self._threads.append(worker)
            worker.start()

    def _serve(self, raw: socket.socket, number: int) -> None:
        raw.settimeout(10)
        try:
            with self._tls.wrap_socket(raw, server_side=True) as conn:
                self._handler(conn, number)
        except (OSError, ssl.SSLError):
            pass

    def read_request(self, conn: ssl.SSLSocket) -> bool:
        """Read one request (head and Content-Length body); False when the client closed."""
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return False
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        text = head.decode("latin-1")
        length = 0
        for line in text.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        while len(rest) < length:
            rest += conn.recv(65536)
        self.heads.append(text)
        self.bodies.append(rest)
        return True

    def __enter__(self) -> RawServer:
        self._acceptor.start()
        return self

    def __exit__(self, *args: object) -> None:
        self._stop.set()
        self._listener.close()
        self._acceptor.join(5)
        for worker in self._threads:
            worker.join(5)


def answer(status: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


def json_answer(payload: object, **headers: str) -> bytes:
    body = json.dumps(payload).encode()
    return answer("200 OK", {"Content-Type": "application/json", "Content-Length": str(len(body)), **headers}, body)


@contextlib.contextmanager
def serving(
    certificates: Certificates, handler: Callable[[RawServer, ssl.SSLSocket, int], None]
) -> Iterator[RawServer]:
    """A :class:`RawServer` answering with ``handler(server, connection, number)``, Azure's host
    names resolved to it."""
    holder: list[RawServer] = []
    server = RawServer(certificates, lambda conn, number: handler(holder[0], conn, number))
    holder.append(server)
    with server, resolve_to_loopback(server.port):
        yield server


def keep_alive_json(payload: object) -> Callable[[RawServer, ssl.SSLSocket, int], None]:
    """Answer every request of a connection with ``payload``, keeping the connection open."""

    def handler(server: RawServer, conn: ssl.SSLSocket, number: int) -> None:
        while server.read_request(conn):
            conn.sendall(json_answer(payload))

    return handler


# -- keep-alive, requests' headers, azure-core's response ----------------------------------------


def test_requests_reuse_one_kept_alive_connection(fake: FakeAzure, context: ssl.SSLContext) -> None:
    transport = wire(context)
    for _ in range(5):
        response = guarded(transport).send(get())
        assert response.status_code == 200 and response.json()["value"]
    seen = fake.counts.as_dict()
    assert seen["requests"] == 5 and seen["connections"] == 1 and seen["handshakes_arm"] == 1
    assert transport.sent_by_fallback == 0


def test_the_request_carries_the_headers_requests_sent(certificates: Certificates, context: ssl.SSLContext) -> None:
    with serving(certificates, keep_alive_json({})) as server:
        transport = wire(context)  # the POSTs are not Azure's: the run's secret guard is not tested here
        transport.send(HttpRequest("GET", f"{ARM}/subscriptions?api-version=1", headers={"User-Agent": "azsdk"}))
        transport.send(HttpRequest("POST", f"{ARM}/providers/x?api-version=1", json={"query": "Resources"}))
        transport.send(HttpRequest("POST", f"{ARM}/providers/y?api-version=1"))
        transport.send(HttpRequest("POST", f"{ARM}/oauth2/exchange", data={"grant_type": "x y", "service": "a"}))
    get_head, json_head, empty_head, form_head = [_headers(head) for head in server.heads]
    assert server.heads[0].startswith("GET /subscriptions?api-version=1 HTTP/1.1\r\n")
    assert get_head["host"] == "management.azure.com"
    assert get_head["accept-encoding"] == "gzip, deflate" and get_head["accept"] == "*/*"
    assert get_head["connection"] == "keep-alive" and get_head["user-agent"] == "azsdk"
    assert "content-length" not in get_head
    assert json.loads(server.bodies[1]) == {"query": "Resources"}
    assert json_head["content-length"] == str(len(server.bodies[1])) and json_head["content-type"] == "application/json"
    assert empty_head["content-length"] == "0"
    assert server.bodies[3] == b"grant_type=x+y&service=a"
    assert form_head["content-type"] == "application/x-www-form-urlencoded"
    assert server.connections == 1


def test_a_request_with_its_own_host_header_sends_one(certificates: Certificates, context: ssl.SSLContext) -> None:
    with serving(certificates, keep_alive_json({})) as server:
        transport = wire(context)
        transport.send(
            HttpRequest("GET", f"{ARM}/subscriptions?api-version=1", headers={"hOST": "management.azure.com"})
        )
        transport.send(HttpRequest("GET", f"{ARM}/subscriptions?api-version=1"))
    for head in server.heads:
        assert [line.lower() for line in head.split("\r\n") if line.lower().startswith("host:")] == [
            "host: management.azure.com"
        ]


def test_the_headers_read_at_once_are_the_requests_items() -> None:
    """The wire transport reads an azure-core header dict's store at once: it must send what items() gives."""
    from azure.core.utils import CaseInsensitiveDict

    class Items(CaseInsensitiveDict):  # a header dict of another type: read through items()
        pass

    given: dict[str, Any] = {
        "hOST": "h",
        "X-Ms-Thing": "a",
        "x-ms-THING": "b",
        "Content-Length": "9",
        "Nothing": None,
        "Accept": "x",
    }
    for method, body in (("GET", None), ("POST", b"{}"), ("PUT", None)):
        fast = HttpRequest(method, f"{ARM}/x", headers=given)
        slow = HttpRequest(method, f"{ARM}/x", headers=given)
        slow._headers = Items(slow.headers)
        assert type(fast.headers) is CaseInsensitiveDict
        assert wire_module._headers(fast, method, body) == wire_module._headers(slow, method, body)
        assert wire_module._headers(fast, method, body)[0][:3] == [
            ("hOST", "h"),
            ("x-ms-THING", "b"),
            *([("Content-Length", "9")] if body is None else [("Accept", "x")]),
        ]


def _headers(head: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        found[name.strip().lower()] = value.strip()
    return found


def test_the_response_behaves_as_azure_core_responses(certificates: Certificates, context: ssl.SSLContext) -> None:
    body = '{"name": "caf\u00e9"}'.encode()

    def handler(server: RawServer, conn: ssl.SSLSocket, number: int) -> None:
        server.read_request(conn)
        headers = {"Content-Type": "application/json; charset=utf-8", "Content-Length": str(len(body))}
        conn.sendall(answer("201 Created", {**headers, "X-Ms-Thing": "a", "x-ms-thing": "b"}, body))

    with serving(certificates, handler):
        response = guarded(wire(context)).send(get())
    assert (response.status_code, response.reason) == (201, "Created")
    assert response.headers["x-ms-thing"] == "a, b" and response.headers["CONTENT-TYPE"].startswith("application/json")
    assert response.content_type == "application/json; charset=utf-8"
    assert response.content == response.body() == response.read() == body
    assert response.text() == '{"name": "caf\u00e9"}' and response.json() == {"name": "caf\u00e9"}
    assert b"".join(response.iter_bytes()) == body
    assert response.is_closed and response.is_stream_consumed
    with pytest.raises(StreamConsumedError):  # read already, as without stream=True over requests
        list(response.iter_raw())


def test_the_response_is_built_as_azure_cores_constructor_and_read_leave_it(
    certificates: Certificates, context: ssl.SSLContext
) -> None:
    """The response's attributes are set at once, bypassing azure-core's __init__: a version of
    azure-core that sets another attribute, or another value, must fail here."""
    from azure.core.rest._http_response_impl import HttpResponseImpl

    with serving(certificates, keep_alive_json({"value": []})):
        response = wire(context).send(get())
    reference = HttpResponseImpl(
        request=response.request,
        internal_response=response._internal_response,
        status_code=response.status_code,
        reason=response.reason,
        headers=response.headers,
        content_type=response.headers.get("Content-Type"),
        block_size=wire_module.BLOCK_SIZE,
        stream_download_generator=wire_module._from_memory,
    )
    reference._content = response.content
    reference.read()
    assert vars(response) == vars(reference)
    assert response._internal_response.isclosed()


def test_an_sdk_client_reads_lists_and_maps_errors_over_it(fake: FakeAzure, context: ssl.SSLContext) -> None:
    transport = wire(context)
    client = SubscriptionClient(ReplayCredential(), transport=guarded(transport))
    subscriptions = list(client.subscriptions.list())
    assert len(subscriptions) == 2 and all(s.subscription_id for s in subscriptions)
    with pytest.raises(ResourceNotFoundError):  # the fake answers 404 to what it does not know
        client.subscriptions.get("00000000-0000-0000-0000-00000000dead")
    assert transport.sent_by_fallback == 0


def test_what_it_does_not_send_goes_through_requests(fake: FakeAzure, context: ssl.SSLContext) -> None:
    transport = wire(context)
    streamed = transport.send(get(), stream=True, connection_timeout=5, read_timeout=5)
    assert streamed.status_code == 200 and json.loads(b"".join(streamed.iter_bytes()))["value"]
    legacy = transport.send(LegacyHttpRequest("GET", SUBSCRIPTIONS, headers={"Authorization": "Bearer t"}))
    assert legacy.status_code == 200
    chunks = transport.send(HttpRequest("POST", SUBSCRIPTIONS, content=iter([b"{}"])))
    assert chunks.status_code in (200, 404)
    assert transport.sent_by_fallback == 3
    assert transport.send(get()).status_code == 200 and transport.sent_by_fallback == 3


def test_an_origin_kept_from_an_earlier_url_is_the_one_the_url_has(context: ssl.SSLContext) -> None:
    """Origins are kept by a URL's scheme and network location: each URL must get what a transport
    that never saw another URL decides, and a URL that goes to requests must still go there."""
    urls = [
        f"{ARM}/subscriptions?api-version=1",
        "https://management.azure.com:443/other",
        "HTTPS://Management.Azure.COM/x",
        "https://kv1.vault.azure.net:8443/secrets",
        "http://kv1.vault.azure.net/secrets",
        "http://management.azure.com/x",
        "https://[::1]:9443/x",
        "https://user@management.azure.com/x",
        "https://user:pw@kv1.vault.azure.net/x",
        "https://m\u00e9.example/x",
        "https://management.azure.com:99999/x",
        "https://management.azure.com:x/x",
        "ftp://management.azure.com/x",
        "https:///x",
    ]
    seen = wire(context)
    for _ in range(2):
        for url in [*urls, *reversed(urls)]:
            planned = seen._plan(HttpRequest("GET", url), {})
            assert planned == wire(context)._plan(HttpRequest("GET", url), {}), url
    first = seen._plan(HttpRequest("GET", urls[0]), {})
    again = seen._plan(HttpRequest("GET", f"{ARM}/providers?api-version=2"), {})
    assert first is not None and again is not None and again[0] is first[0]  # found by identity in the pools
    assert [seen._plan(HttpRequest("GET", url), {}) is None for url in urls[7:]] == [True] * len(urls[7:])


# -- answers: chunked, gzip, bounds ---------------------------------------------------------------


def test_a_chunked_answer_is_read_whole_and_the_connection_reused(
    certificates: Certificates, context: ssl.SSLContext
) -> None:
    def handler(server: RawServer, conn: ssl.SSLSocket, number: int) -> None:
        while server.read_request(conn):
            head = answer("200 OK", {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}, b"")
            conn.sendall(head + b'5\r\n{"a":\r\n3\r\n 1}\r\n0\r\n\r\n')

    with serving(certificates, handler) as server:
        transport = guarded(wire(context))
        assert [transport.send(get()).json() for _ in range(3)] == [{"a": 1}] * 3
    assert server.connections == 1


@pytest.mark.parametrize("coding", ["gzip", "deflate", "raw-deflate"])
def test_a_compressed_answer_is_decoded(coding: str, certificates: Certificates, context: ssl.SSLContext) -> None:
    payload = {"value": [{"id": f"/subscriptions/{i}"} for i in range(200)]}
    plain = json.dumps(payload).encode()
    if coding == "gzip":
        body = gzip.compress(plain)
    else:
        packer = zlib.compressobj(wbits=zlib.MAX_WBITS if coding == "deflate" else -zlib.MAX_WBITS)
        body = packer.compress(plain) + packer.flush()
    encoding = "gzip" if coding == "gzip" else "deflate"

    def handler(server: RawServer, conn: ssl.SSLSocket, number: int) -> None:
        while server.read_request(conn):
            headers = {
                "Content-Type": "application/json",
                "Content-Encoding": encoding,
                "Content-Length": str(len(body)),
            }
            conn.sendall(answer("200 OK", headers, body))

    with serving(certificates, handler):
        response = guarded(wire(context)).send(get())
    assert response.json() == payload and response.headers["Content-Encoding"] == encoding


def test_a_gzip_bomb_is_refused_past_the_bound(certificates: Certificates, context: ssl.SSLContext) -> None:
    bomb = gzip.compress(b"[" + b" " * 200_000 + b"]")  # 200 kB from a few hundred bytes

    def handler(server: RawServer, conn: ssl.SSLSocket, number: int) -> None:
        while server.read_request(conn):
            headers = {"Content-Encoding": "gzip", "Content-Length": str(len(bomb))}
            conn.sendall(answer("200 OK", headers, bomb))

    with serving(certificates, handler):
        assert len(bomb) < 1000
        with pytest.raises(ServiceResponseError, match="decompresses to more than 100000 bytes"):
            guarded(wire(context, body_limit=100_000)).send(get())
        assert guarded(wire(context, body_limit=300_000)).send(get()).content.startswith(b"[ ")


def test_no_more_than_five_content_codings_are_undone() -> None:
    """Each layer is held to the size bound, but layers without end would cost CPU without end
    after the answer was read (where the deadline no longer applies): at most five, as urllib3."""
    from azaudit.transport.body import MAX_CODINGS, UndecodableBody, decode

    plain = b'{"value": []}'
    body = plain
    for _ in range(MAX_CODINGS):
        body = gzip.compress(body)
    assert decode(body, ", ".join(["gzip"] * MAX_CODINGS)) == plain
    with pytest.raises(UndecodableBody, match=f"more than {MAX_CODINGS} content codings"):
        decode(gzip.compress(body), ", ".join(["gzip"] * (MAX_CODINGS + 1)))
    with pytest.raises(UndecodableBody, match="content codings"):
        decode(body, "gzip," * 100_000)


def test_a_body_longer_than_the_bound_is_refused(certificates: Certificates, context: ssl.SSLContext) -> None:
    def handler(server: RawServer, conn: ssl.SSLSocket, number: int) -> None:
        server.read_request(conn)
        if number == 0:  # says how long: refused before reading
            conn.sendall(answer("200 OK", {"Content-Length": str(10**12)}, b"x" * 1000))
        else:  # says nothing: read up to the bound, then refused
            conn.sendall(answer("200 OK", {"Connection": "close"}, b"x" * 5000))

    with serving(certificates, handler):
        transport = guarded(wire(context, body_limit=4096))
        with pytest.raises(ServiceResponseError, match="1000000000000 bytes: azaudit reads at most 4096"):
            transport.send(get())
        with pytest.raises(ServiceResponseError, match="longer than 4096 bytes"):
            transport.send(get())


def test_a_body_cut_short_is_an_incomplete_read(certificates: Certificates, context: ssl.SSLContext) -> None:
    def handler(server: RawServer, conn: ssl.SSLSocket, number: int) -> None:
        server.read_request(conn)
        conn.sendall(answer("200 OK", {"Content-Length": "100"}, b'{"value": ['))

    with (
        serving(certificates, handler),
        pytest.raises(IncompleteReadError, match="ended before its body was complete"),
    ):
        guarded(wire(context)).send(get())


# -- connections that break, stall or are stale ----------------------------------------------------


def test_an_idle_connection_the_server_closed_is_not_reused(
    tenant: SyntheticTenant, certificates: Certificates, context: ssl.SSLContext
) -> None:
    """A POST is never sent twice: it only succeeds if the closed connection is seen before use."""
    with (
        FakeAzure(tenant.responses, certificates, latency=0.0, idle_seconds=0.3, max_seconds=60) as fake,
        resolve_to_loopback(fake.port),
    ):
        transport = wire(context)
        assert transport.send(get()).status_code == 200
        time.sleep(0.8)  # the server closes the idle connection
        request = HttpRequest("POST", f"{ARM}/subscriptions?api-version=2022-12-01", json={})
        assert transport.send(request).status_code in (200, 404)
        assert fake.counts.as_dict()["connections"] == 2


def closes_after_the_first_answer(server: RawServer, conn: ssl.SSLSocket, number: int) -> None:
    """Answers the first request of a connection, keeps it open, then reads the next request and
    closes without answering (a connection a load balancer dropped after the reuse check)."""
    if server.read_request(conn):
        conn.sendall(json_answer({"value": []}))
    if server.read_request(conn):
        conn.shutdown(socket.SHUT_RDWR)


def test_a_get_on_a_dropped_connection_is_sent_again_on_a_new_one(
    certificates: Certificates, context: ssl.SSLContext
) -> None:
    with serving(certificates, closes_after_the_first_answer) as server:
        transport = guarded(wire(context))
        assert transport.send(get()).json() == {"value": []}
        assert transport.send(get()).json() == {"value": []}
    assert server.connections == 2 and len(server.heads) == 3


def test_the_get_is_sent_again_on_a_new_connection_not_on_another_idle_one(
    certificates: Certificates, context: ssl.SSLContext
) -> None:
    def slow_first_answers(server: RawServer, conn: ssl.SSLSocket, number: int) -> None:
        if server.read_request(conn):
            time.sleep(0.3)  # both first requests are in flight at once: two connections
            conn.sendall(json_answer({"value": []}))
        if server.read_request(conn):
            conn.shutdown(socket.SHUT_RDWR)

    with serving(certificates, slow_first_answers) as server:
        transport = guarded(wire(context))
        threads = [threading.Thread(target=lambda: transport.send(get())) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert server.connections == 2
        assert transport.send(get()).json() == {"value": []}
    assert server.connections == 3


def test_a_post_on_a_dropped_connection_is_not_sent_again(certificates: Certificates, context: ssl.SSLContext) -> None:
    with serving(certificates, closes_after_the_first_answer) as server:
        transport = wire(context)
        assert transport.send(get()).status_code == 200
        with pytest.raises(ServiceResponseError, match="closed the connection without answering"):
            transport.send(HttpRequest("POST", f"{ARM}/providers/x?api-version=1", json={}))
    assert server.connections == 1


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n",
        # A body that runs to the close (or an answer that says Connection: close): http.client's
        # getresponse let go of the connection's socket once it read such a head, and the
        # deadline, which cuts the connection's socket, no longer reached the body's reads.
        b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n",
    ],
    ids=["content-length", "read-to-the-close"],
)
def test_a_trickling_answer_is_cut_at_the_deadline(
    certificates: Certificates, context: ssl.SSLContext, head: bytes
) -> None:
    def trickle(server: RawServer, conn: ssl.SSLSocket, number: int) -> None:
        server.read_request(conn)
        conn.sendall(head)
        for _ in range(40):  # one byte every 0.2 s, each well within the read timeout: 8 s
            time.sleep(0.2)
            conn.sendall(b" ")

    with serving(certificates, trickle) as server:
        started = time.monotonic()
        with pytest.raises(ServiceResponseTimeoutError, match="within 1 s"):
            guarded(wire(context), timeout=1.0).send(get())
        assert time.monotonic() - started < 4, "the whole answer had the timeout, not each byte"
    assert server.connections == 1, "a cut GET is not sent again by the transport"


def test_a_connection_given_back_to_its_pool_is_no_longer_cut_by_the_attempt_that_used_it() -> None:
    """Once pooled, a connection may carry another thread's request: the deadline of the attempt
    that used it before must not cut it then (and one that already passed keeps it out of the pool)."""
    from azaudit.transport import deadline

    class Watched(http.client.HTTPConnection):
        def __init__(self) -> None:
            super().__init__("unused.example")
            self.sock, self._peer = socket.socketpair()

    pooled, kept = Watched(), Watched()
    attempt = deadline.start(60)
    try:
        deadline.register(pooled)
        deadline.register(kept)
        assert deadline.release(pooled)
        attempt.expire()  # as the watchdog does when the attempt's time is up
        assert not deadline.release(kept)
    finally:
        deadline.end(attempt)
    pooled.sock.settimeout(0)
    with pytest.raises(BlockingIOError):  # still open: nothing to read, not shut down
        pooled.sock.recv(1)
    assert kept.sock.recv(1) == b""  # cut: shut down for reading
    for connection in (pooled, kept):
        connection.close()
        connection._peer.close()


def test_a_stalled_tls_handshake_is_cut_at_the_deadline(context: ssl.SSLContext) -> None:
    """The connection timeout bounds each read of the handshake; the deadline bounds it whole."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    holder = threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True)
    holder.start()
    transport = GuardedTransport(wire(context), cloud=PUBLIC, connection_timeout=8, read_timeout=1)
    try:
        started = time.monotonic()
        with (
            resolve_to_loopback(listener.getsockname()[1]),
            pytest.raises(ServiceResponseTimeoutError, match="within 1 s"),
        ):
            transport.send(get())
        assert time.monotonic() - started < 4, "cut by the deadline, not by the 8 s connection timeout"
    finally:
        holder.join(5)
        for conn in accepted:
            conn.close()
        listener.close()


def test_a_silent_server_is_a_read_timeout(certificates: Certificates, context: ssl.SSLContext) -> None:
    def silent(server: RawServer, conn: ssl.SSLSocket, number: int) -> None:
        server.read_request(conn)
        time.sleep(2)

    with serving(certificates, silent):
        transport = wire(context)
        with pytest.raises(ServiceResponseTimeoutError, match=r"no answer within 0\.5 s"):
            transport.send(get(), connection_timeout=5, read_timeout=0.5)


def test_an_untrusted_certificate_is_the_one_line_of_today(fake: FakeAzure, tmp_path: Path) -> None:
    other = tls.build_tls_context({"SSL_CERT_FILE": _other_ca(tmp_path)})
    with pytest.raises(ServiceRequestError) as raised:
        guarded(wire(other)).send(get())
    expected = tls.untrusted_certificate(raised.value)
    assert expected is not None and str(raised.value.message) == expected and "\n" not in expected
    assert fake.counts.as_dict()["connections"] == 0


def _other_ca(folder: Path) -> str:
    path = folder / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return str(path)


def test_a_refused_connection_is_a_request_error_in_azaudits_words(context: ssl.SSLContext) -> None:
    unused = socket.create_server(("127.0.0.1", 0))
    port = unused.getsockname()[1]
    unused.close()
    with resolve_to_loopback(port), pytest.raises(ServiceRequestError) as raised:
        wire(context).send(get(), connection_timeout=2, read_timeout=2)
    assert raised.value.message == "could not connect (ConnectionRefusedError)"


# -- proxies ------------------------------------------------------------------------------------


class ConnectProxy:
    """An HTTP proxy on 127.0.0.1 that only tunnels (CONNECT), keeping what it was asked."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self.heads: list[str] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            worker = threading.Thread(target=self._tunnel, args=(client,), daemon=True)
            self._threads.append(worker)
            worker.start()

    def _tunnel(self, client: socket.socket) -> None:
        with client:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = client.recv(4096)
                if not chunk:
                    return
                data += chunk
            head = data.split(b"\r\n\r\n")[0].decode("latin-1")
            self.heads.append(head)
            method, target, _ = head.split("\r\n")[0].split(" ")
            host, _, port = target.rpartition(":")
            if method != "CONNECT":
                client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            with socket.create_connection((host, int(port)), timeout=5) as upstream:
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                relay = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
                relay.start()
                _pipe(client, upstream)
                relay.join(5)

    def __enter__(self) -> ConnectProxy:
        acceptor = threading.Thread(target=self._accept, daemon=True)
        self._threads.append(acceptor)
        acceptor.start()
        return self

    def __exit__(self, *args: object) -> None:
        self._stop.set()
        self._listener.close()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


def test_an_http_proxy_is_gone_through_with_a_connect_tunnel(
    fake: FakeAzure, context: ssl.SSLContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ConnectProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", f"http://audit%40corp:p%3Ass@127.0.0.1:{proxy.port}")
        monkeypatch.setenv("NO_PROXY", "kvdirect.vault.azure.net")
        transport = wire(context)
        for _ in range(2):
            assert guarded(transport).send(get()).status_code == 200
        vault = HttpRequest("GET", "https://kvdirect.vault.azure.net/secrets?api-version=7.4")
        assert transport.send(vault).status_code in (401, 404)
    assert len(proxy.heads) == 1, "the tunnel is kept alive like any connection; the vault is not proxied"
    head = proxy.heads[0]
    assert head.startswith("CONNECT management.azure.com:443 HTTP/")
    expected = base64.b64encode(b"audit@corp:p:ss").decode()
    assert f"Proxy-Authorization: Basic {expected}" in head
    assert transport.sent_by_fallback == 0
    seen = fake.counts.as_dict()
    assert seen["handshakes_arm"] == 1 and seen["vault_hosts"] == 1  # TLS went end to end, with SNI


def test_a_proxy_it_cannot_tunnel_through_goes_to_requests(
    context: ssl.SSLContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "socks5://127.0.0.1:1")
    transport = wire(context)
    transport._fallback = _Recorder()  # type: ignore[assignment]
    transport.send(get())
    assert transport.sent_by_fallback == 1


@pytest.mark.parametrize("proxy", ["http://audit:s3cr3t@proxy:abc", "http://[::1", "http://audit:s3cr3t@proxy:99999"])
def test_a_proxy_setting_that_is_not_a_url_is_one_usage_error_naming_the_variable(
    context: ssl.SSLContext, monkeypatch: pytest.MonkeyPatch, proxy: str
) -> None:
    """Bad input from the environment: one line (exit 2), never a traceback, and never the
    setting's value, which may hold the proxy's password."""
    for name in ("HTTP_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", proxy)
    with pytest.raises(
        UsageError, match=r"the proxy the environment sets for https requests \(HTTPS_PROXY\)"
    ) as raised:
        wire(context).send(get())
    assert "s3cr3t" not in str(raised.value) and "proxy:" not in str(raised.value)


def test_without_any_proxy_set_no_origin_scans_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """requests' per-origin proxy work scans the whole environment twice; a run reads every vault
    and registry as its own host. Without any proxy set (read once), no origin pays for it; with
    one set, each origin is still decided as requests decides it."""
    from azaudit.transport import proxies

    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    decided: list[str] = []
    real = proxies.decide

    def counted(url: str, scheme: str) -> proxies.Decision:
        decided.append(url)
        return real(url, scheme)

    monkeypatch.setattr(proxies, "decide", counted)
    quiet = proxies.EnvironmentProxies()
    for vault in ("kv1", "kv2", "kv3"):
        url = f"https://{vault}.vault.azure.net/secrets"
        assert quiet.for_url(url, "https", f"{vault}.vault.azure.net") is proxies.DIRECT
    assert decided == []
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    proxied = proxies.EnvironmentProxies()
    tunnel = proxied.for_url("https://kv1.vault.azure.net/secrets", "https", "kv1.vault.azure.net")
    assert decided == ["https://kv1.vault.azure.net/secrets"]
    assert isinstance(tunnel, Tunnel) and tunnel.host == "proxy.corp" and tunnel.port == 3128


class _Recorder:
    def send(self, request: Any, **kwargs: Any) -> str:
        return "sent by requests"

    def close(self) -> None:
        pass


# -- pools --------------------------------------------------------------------------------------


class _Connection(http.client.HTTPConnection):
    """A connection that only records being closed (its pool's bookkeeping is what is tested)."""

    def __init__(self) -> None:
        super().__init__("unused.example")
        self.closed = False
        self.sock, self._peer = socket.socketpair()  # connected, quiet: not dropped

    def close(self) -> None:
        self.closed = True
        super().close()
        self._peer.close()


def test_pools_keep_at_most_pool_size_idle_connections_a_host(context: ssl.SSLContext) -> None:
    pools = ConnectionPools(2, context)
    origin = Origin("https", "management.azure.com", 443)
    connections = [_Connection() for _ in range(4)]
    for connection in connections:
        pools.give_back(origin, connection)
    assert pools.counts() == {origin: 2}
    assert [c.closed for c in connections] == [False, False, True, True]
    pools.close()
    assert all(c.closed for c in connections)


def test_pools_are_kept_for_a_bounded_number_of_hosts(context: ssl.SSLContext) -> None:
    pools = ConnectionPools(1, context)
    hosts = [Origin("https", f"kv{i}.vault.azure.net", 443) for i in range(pools.max_pools + 1)]
    first, second = _Connection(), _Connection()
    pools.give_back(hosts[0], first)
    pools.give_back(hosts[1], second)
    assert pools.idle_connection(hosts[0]) is first  # used again: the second host is now the least recent
    pools.give_back(hosts[0], first)
    for origin in hosts[2:]:
        pools.give_back(origin, _Connection())
    assert len(pools.counts()) == pools.max_pools == 1 + SPARE_HOST_POOLS
    assert second.closed and not first.closed, "the least recently used host's pool is dropped"


def test_an_idle_connection_is_checked_and_closed_outside_the_pools_lock(
    context: ssl.SSLContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check is a system call that lets other threads run: under the lock, they queued on it."""
    pools = ConnectionPools(4, context)
    origin = Origin("https", "management.azure.com", 443)
    fresh, stale = _Connection(), _Connection()
    pools.give_back(origin, fresh)
    pools.give_back(origin, stale)  # the last given back is the first taken
    stale._peer.close()  # the server closed it
    checked: list[bool] = []
    closed_under_lock: list[bool] = []
    real_is_dropped, real_close = connections.is_dropped, stale.close

    def is_dropped(connection: http.client.HTTPConnection) -> bool:
        checked.append(pools._lock.locked())
        return real_is_dropped(connection)

    def close() -> None:
        closed_under_lock.append(pools._lock.locked())
        real_close()

    monkeypatch.setattr(connections, "is_dropped", is_dropped)
    monkeypatch.setattr(stale, "close", close)
    assert pools.idle_connection(origin) is fresh
    assert checked == [False, False] and closed_under_lock == [False]
    assert pools.idle_connection(origin) is None
    pools.close()


def test_the_check_of_an_idle_connection_sees_only_that_connection() -> None:
    """Each thread polls with one poll object of its own: a descriptor checked before is no longer in it."""
    quiet, answered, closed = _Connection(), _Connection(), _Connection()
    answered._peer.sendall(b"HTTP/1.1 200 OK\r\n")  # bytes nobody asked for
    closed._peer.close()
    assert [connections.is_dropped(c) for c in (quiet, answered, quiet, closed, quiet)] == [
        False,
        True,
        False,
        True,
        False,
    ]
    results: list[bool] = []
    thread = threading.Thread(target=lambda: results.extend(connections.is_dropped(c) for c in (answered, quiet)))
    thread.start()
    thread.join(10)
    assert results == [True, False]
    quiet.sock.close()
    assert connections.is_dropped(quiet)  # closed here: no descriptor
    for connection in (quiet, answered, closed):
        connection.close()


def test_many_threads_share_the_pools(fake: FakeAzure, context: ssl.SSLContext) -> None:
    transport = wire(context, pool_size=4)
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(6):
                assert guarded(transport).send(get()).status_code == 200
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures, failures[:2]
    assert fake.counts.as_dict()["requests"] == 96
    assert sum(transport.pools.counts().values()) <= 4


def test_a_forked_process_opens_connections_of_its_own(fake: FakeAzure, context: ssl.SSLContext) -> None:
    transport = wire(context)
    assert transport.send(get()).status_code == 200
    origin = Origin("https", "management.azure.com", 443)
    assert transport.pools.counts() == {origin: 1}
    # The fake Azure answers from a thread of this process, so Python 3.12+ warns that forking a
    # threaded process may deadlock the child: this child takes no lock that thread holds (it
    # only sends through its own new pool, then leaves), as azaudit forks only once its own helper
    # threads are paused (lifecycle.quiet_for_fork).
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r".*multi-threaded, use of fork\(\) may lead", category=DeprecationWarning
        )
        pid = os.fork()
    if pid == 0:  # the child: the parent's socket is not in its pools
        code = 1
        try:
            if transport.pools.counts() == {} and transport.send(get()).status_code == 200:
                code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert transport.send(get()).status_code == 200  # the parent's connection still works
    seen = fake.counts.as_dict()
    assert seen["connections"] == 2 and seen["requests"] == 3


# -- a live audit over it -----------------------------------------------------------------------


def test_a_live_audit_over_it_finds_what_the_replay_finds(
    fake: FakeAzure,
    tenant: SyntheticTenant,
    certificates: Certificates,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in TRUST_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates.ca_pem))
    config = RunConfig(concurrency=8, processes=2, working_directory=tmp_path)
    backend = open_backend(config, credential=ReplayCredential())
    try:
        assert isinstance(backend.transport._inner, WireTransport)
        forked = backend.forked_transport(4)
        assert isinstance(forked._inner, WireTransport) and forked._inner is not backend.transport._inner
    finally:
        backend.close()
    live = run_audit(config, credential=ReplayCredential())
    replayed = run_audit(
        RunConfig(concurrency=8, processes=1, working_directory=tmp_path),
        session=replay_session(ReplayAdapter(tenant.responses, "synthetic")),
        credential=ReplayCredential(),
    )

    def findings(audit: Any) -> list[tuple[str, str, str, str | None, str]]:
        return sorted((f.code, str(f.status), f.resource_id, f.item, f.message) for f in audit.report.findings)

    assert live.report.complete and findings(live) == findings(replayed) and len(findings(live)) > 100
    assert fake.counts.requests == live.stats.total
    assert fake.counts.connections < live.stats.total / 2, "connections are kept alive"
