"""The benchmark's fake Azure (``bench/tls_server.py``) answers most requests from an index of the
recorded answers instead of preparing a ``requests`` request and walking the replay adapter: every
answer must be the adapter's, byte for byte (status line, headers, body), and the requests the
adapter answers itself (challenges, unmatched paths, Resource Graph queries of the synthetic
tenant, anything requests would rewrite) must still reach it."""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import time
from urllib.parse import quote, urlencode

import pytest
import requests

from azaudit.replay import REPLAY_TENANT_ID, RecordedResponse, request_key
from azaudit.replay.adapter import registry_access_token
from azaudit.replay.credential import replay_token
from azaudit.replay.fixtures import AAD_TOKEN_STAND_IN, RequestKey
from bench import tls_server
from bench.synthetic import GRAPH_URL, GraphAdapter, SyntheticTenant
from bench.tls_server import (
    MAX_BODY_BYTES,
    MAX_HEADER_BYTES,
    Certificates,
    FakeAzure,
    RequestHead,
    _graph_query,
    plain_key,
)

TOKEN = "Bearer " + replay_token(REPLAY_TENANT_ID)
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return Certificates.issue(tmp_path_factory.mktemp("fake-azure-index"))


@pytest.fixture(scope="module")
def tenant() -> SyntheticTenant:
    return SyntheticTenant(2, 20, graph=True)


def head(method: str, host: str, target: str, *lines: str) -> RequestHead:
    text = f"{method} {target} HTTP/1.1\r\nHost: {host}\r\n" + "".join(line + "\r\n" for line in lines) + "\r\n"
    return RequestHead.parse(text)


def as_sent(key: RequestKey) -> tuple[RequestHead, bytes | None]:
    """A request a client would send for a recorded key: api-version added, the query quoted
    (spaces as %20), a JSON body spaced out, a token exchange form-encoded with a token of its own."""
    method, host, path, query, canonical = key
    target = path + "?" + urlencode([*query, ("api-version", "2024-01-01")], quote_via=quote)
    lines = [] if path.startswith("/oauth2/") else [f"Authorization: {TOKEN}"]
    body = None
    if canonical:
        fields = json.loads(canonical)
        if path.startswith("/oauth2/"):
            if fields.get("access_token") == AAD_TOKEN_STAND_IN:
                fields["access_token"] = "eyJ0eXAi.a-token.of-its-own"
            body, kind = urlencode(fields).encode(), FORM
        else:
            body, kind = json.dumps(fields, indent=1).encode(), "application/json"
        lines += [f"Content-Type: {kind}", f"Content-Length: {len(body)}"]
    return head(method, host, target, *lines), body


def same_answer(server: FakeAzure, request: RequestHead, body: bytes | None = None) -> bytes:
    answer = server.respond(request, body)
    assert answer == server.respond(request, body, indexed=False)
    return answer


def status(answer: bytes) -> str:
    return answer.split(b"\r\n", 1)[0].decode()


def test_every_recorded_request_is_answered_from_the_index_as_the_adapter_answers_it(
    tenant: SyntheticTenant, certificates: Certificates
) -> None:
    server = FakeAzure(tenant.responses, certificates)
    for key in tenant.responses:
        request, body = as_sent(key)
        assert server.indexed(request, body), key
        answer = same_answer(server, request, body)
        assert status(answer) == "HTTP/1.1 200 OK"
        assert answer.endswith(tenant.responses[key].content())
    # Defender's image findings through Resource Graph: a query recorded with its body
    findings = [key for key in tenant.responses if key[0] == "POST" and "resourcegraph" in key[2]]
    assert findings
    assert b'"totalRecords":0' in same_answer(server, *as_sent(findings[0]))


def test_what_the_key_ignores_still_finds_the_answer(tenant: SyntheticTenant, certificates: Certificates) -> None:
    server = FakeAzure(tenant.responses, certificates)
    sub = tenant.subscription_ids[0]
    definitions = f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions"
    variants = [
        f"{definitions}?$filter=type%20eq%20%27BuiltInRole%27&api-version=2022-04-01",
        f"{definitions}?api-version=2022-04-01&%24filter=type+eq+'BuiltInRole'",  # + is a space in a query
        f"{definitions.upper()}/?$FILTER=type%20eq%20%27BuiltInRole%27",  # ARM: case-insensitive path
        f"{definitions.replace('role', '%72%6fle')}?$filter=type%20eq%20%27BuiltInRole%27",  # unreserved escaped
    ]
    answers = set()
    for target in variants:
        request = head("get", "Management.Azure.com:443", target, f"Authorization: {TOKEN}")
        assert server.indexed(request, None), target
        answers.add(same_answer(server, request))
    assert len(answers) == 1 and status(answers.pop()) == "HTTP/1.1 200 OK"
    closing = head("GET", "management.azure.com", "/subscriptions", f"Authorization: {TOKEN}", "Connection: close")
    assert same_answer(server, closing).split(b"\r\n\r\n")[0].endswith(b"Connection: close")


def test_what_the_adapter_answers_itself_still_reaches_it(tenant: SyntheticTenant, certificates: Certificates) -> None:
    server = FakeAzure(tenant.responses, certificates)
    sub = tenant.subscription_ids[0]
    vault = next(key[1] for key in tenant.responses if key[1].endswith(".vault.azure.net"))
    registry = next(key for key in tenant.responses if key[0] == "GET" and key[1].endswith(".azurecr.io"))
    other_tenant = "Bearer " + replay_token("00000000-0000-4000-8000-000000000001")
    other_repository = registry_access_token(registry[1], "another/repository", "pull,metadata_read")
    cases = {
        # an unmatched path: Azure's 404, naming the request
        "HTTP/1.1 404 Not Found": [head("GET", "management.azure.com", f"/subscriptions/{sub}/nowhere", "A: b")],
        # Key Vault's bearer challenge: no token, or another tenant's
        "HTTP/1.1 401 Unauthorized": [
            head("GET", vault, "/secrets?api-version=7.4"),
            head("GET", vault, "/secrets?api-version=7.4", f"Authorization: {other_tenant}"),
            head("GET", registry[1], registry[2]),  # a registry read without a token
            # or with a token the registry's token endpoint granted for another repository
            head("GET", registry[1], registry[2], f"Authorization: Bearer {other_repository}"),
        ],
        "HTTP/1.1 200 OK": [
            # requests removes dot segments (the key does not): the adapter's path answers it
            head("GET", "management.azure.com", f"/subscriptions/{sub}/x/../providers/Microsoft.Security/pricings"),
        ],
    }
    for expected, requests_ in cases.items():
        for request in requests_:
            assert not server.indexed(request, None), request.text
            assert status(same_answer(server, request)) == expected, request.text
    assert b"nowhere" in server.respond(cases["HTTP/1.1 404 Not Found"][0], None)
    # a header requests refuses (an empty name) is still refused as before: no answer at all
    refused = head("GET", "management.azure.com", "/subscriptions", f"Authorization: {TOKEN}", ": empty")
    assert not server.indexed(refused, None)
    with pytest.raises(requests.exceptions.InvalidHeader):
        server.respond(refused, None)


def test_resource_graph_pages_come_from_the_graph_adapter(tenant: SyntheticTenant, certificates: Certificates) -> None:
    query = {
        "query": "resources | where type =~ 'microsoft.authorization/roleassignments'",
        "subscriptions": tenant.subscription_ids,
        "options": {"resultFormat": "objectArray", "$top": 1000},
    }
    # a recorded answer to the same query, which the graph adapter never gives: the index must not either
    stale = {request_key("POST", GRAPH_URL, query): RecordedResponse(status=200, body={"stale": True})}
    server = FakeAzure(
        {**tenant.responses, **stale},
        certificates,
        adapter=GraphAdapter(tenant, "fake Azure"),
        adapter_answers=_graph_query,
    )
    body = json.dumps(query).encode()
    target = GRAPH_URL.removeprefix("https://management.azure.com")
    request = head("POST", "management.azure.com", target, f"Authorization: {TOKEN}", f"Content-Length: {len(body)}")
    assert not server.indexed(request, body)
    page = json.loads(same_answer(server, request, body).split(b"\r\n\r\n", 1)[1])
    assert page["totalRecords"] == len(page["data"]) == 2 * 40
    # every other request is answered from the index as the graph adapter answers it
    key = next(key for key in tenant.responses if key[0] == "GET")
    assert server.indexed(*as_sent(key))
    same_answer(server, *as_sent(key))


@pytest.mark.parametrize(
    ("recorded", "indexed"),
    [
        (RecordedResponse(status=200, headers={"x-ms-request-id": "r1", "Retry-After": "3"}, body={"value": []}), True),
        (RecordedResponse(status=429, headers={"Retry-After": "1"}, body={"error": {"code": "TooManyRequests"}}), True),
        (RecordedResponse(status=200, raw_body="{not json"), True),
        (RecordedResponse(status=404), True),
        # a Content-Type of its own (urllib3 joins it to the default), a status the server has no
        # reason for, a length of its own: the adapter's path writes them
        (RecordedResponse(status=200, headers={"content-type": "text/plain"}, raw_body="plain"), False),
        (RecordedResponse(status=202, headers={"Location": "https://management.azure.com/op"}), False),
        (RecordedResponse(status=200, headers={"Content-Length": "2"}, body={}), False),
    ],
)
def test_recorded_headers_and_statuses_are_written_as_the_adapter_writes_them(
    recorded: RecordedResponse, indexed: bool, certificates: Certificates
) -> None:
    target = "/subscriptions/s/providers/Microsoft.Web/sites"
    server = FakeAzure({request_key("GET", "https://management.azure.com" + target): recorded}, certificates)
    request = head("GET", "management.azure.com", target + "?api-version=1", "Authorization: x")
    assert server.indexed(request, None) is indexed
    answer = same_answer(server, request)
    assert answer.endswith(recorded.content())


def test_dot_segments_are_removed_before_matching_as_requests_removes_them(certificates: Certificates) -> None:
    arm = "https://management.azure.com"
    literal, resolved = RecordedResponse(status=200, body="literal"), RecordedResponse(status=200, body="resolved")
    server = FakeAzure(
        {request_key("GET", f"{arm}/a/x/../b"): literal, request_key("GET", f"{arm}/a/b"): resolved}, certificates
    )
    for target in ("/a/x/../b", "/a/./b", "/a/b/."):
        request = head("GET", "management.azure.com", target, "Authorization: x")
        assert not server.indexed(request, None)
        assert same_answer(server, request).endswith(b'"resolved"'), target


@pytest.mark.parametrize(
    "target",
    [
        "/",
        "/subscriptions",
        "/Subscriptions/S1/?api-version=2022-12-01",
        "/subscriptions?API-Version=1&$skipToken=page1&$top=5",
        "/a?b=1&a=2&b=0&&c&d=&e==x=y",
        "/a?",
        "/a?&",
        "/a//b/?$filter=name('x')",
        "/a:b@c/d;e,f!g*h'i(j)k~l?m=n;o",
    ],
)
def test_a_plain_key_is_the_replay_key(target: str) -> None:
    assert plain_key("get", "Management.Azure.com", target) == request_key(
        "GET", "https://management.azure.com" + target
    )


# -- the connections, over TLS ---------------------------------------------------------------------


def tls_socket(server: FakeAzure, certificates: Certificates) -> ssl.SSLSocket:
    context = ssl.create_default_context(cafile=str(certificates.ca_pem))
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    return context.wrap_socket(raw, server_hostname="management.azure.com")


def read_all(sock: ssl.SSLSocket) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks = []
    with contextlib.suppress(ssl.SSLError, ConnectionError):
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def request_bytes(target: str, *lines: str) -> bytes:
    extra = "".join(line + "\r\n" for line in lines)
    return f"GET {target} HTTP/1.1\r\nHost: management.azure.com\r\nAuthorization: {TOKEN}\r\n{extra}\r\n".encode()


def test_pipelined_requests_are_answered_in_order_and_close_ends_the_connection(
    tenant: SyntheticTenant, certificates: Certificates
) -> None:
    sub = tenant.subscription_ids[0]
    first, second = "/subscriptions", f"/subscriptions/{sub}/providers/Microsoft.Security/pricings"
    with FakeAzure(tenant.responses, certificates, latency=0.0, max_seconds=60) as server:
        with tls_socket(server, certificates) as sock:
            sock.sendall(request_bytes(first) + request_bytes(second, "Connection: close"))
            received = read_all(sock)
        counts = server.counts.as_dict()
    answers = received.split(b"HTTP/1.1 ")[1:]
    assert len(answers) == 2 and all(answer.startswith(b"200 OK") for answer in answers)
    assert b"Connection: keep-alive" in answers[0] and b"Connection: close" in answers[1]
    assert answers[0].endswith(tenant.responses[plain_key("GET", "management.azure.com", first)].content())
    assert b"Microsoft.Security/pricings/Containers" in answers[1]
    assert counts["requests"] == 2 and counts["connections"] == 1


def test_an_oversized_head_or_body_ends_the_connection(tenant: SyntheticTenant, certificates: Certificates) -> None:
    with FakeAzure(tenant.responses, certificates, latency=0.0, max_seconds=60) as server:
        with tls_socket(server, certificates) as sock:
            sock.sendall(request_bytes("/subscriptions", f"Content-Length: {MAX_BODY_BYTES + 1}"))
            assert read_all(sock).startswith(b"HTTP/1.1 400 Bad Request\r\n")
        with tls_socket(server, certificates) as sock:
            with contextlib.suppress(ssl.SSLError, ConnectionError):
                sock.sendall(b"GET /" + b"a" * (MAX_HEADER_BYTES + 10))
            assert read_all(sock) == b""
        assert server.counts.requests == 0


@pytest.mark.parametrize("written", ["-5", "+5", "5_0", "0x10", "\u0665"])
def test_a_content_length_that_is_not_digits_is_refused(
    tenant: SyntheticTenant, certificates: Certificates, written: str
) -> None:
    with FakeAzure(tenant.responses, certificates, latency=0.0, max_seconds=60) as server:
        with tls_socket(server, certificates) as sock:
            head = request_bytes("/subscriptions", f"Content-Length: {written}").decode()
            sock.sendall(head.encode("utf-8") + b"abcdefgh")
            assert read_all(sock).startswith(b"HTTP/1.1 400 Bad Request\r\n")
        assert server.counts.requests == 0


def test_what_a_client_sends_while_its_answer_waits_is_bounded(
    tenant: SyntheticTenant, certificates: Certificates
) -> None:
    with FakeAzure(tenant.responses, certificates, latency=5.0, max_seconds=60) as server:
        with tls_socket(server, certificates) as sock:
            sock.sendall(request_bytes("/subscriptions"))  # its answer waits 5 s
            sent = 0
            with contextlib.suppress(ssl.SSLError, ConnectionError):
                while sent < 2 * (MAX_HEADER_BYTES + MAX_BODY_BYTES):
                    sent += sock.send(b"x" * 65536)
            assert read_all(sock) == b""  # the connection ended, before its answer was due
        assert server.counts.requests == 1


def test_connections_past_the_limit_wait_for_a_slot(tenant: SyntheticTenant, certificates: Certificates) -> None:
    with FakeAzure(tenant.responses, certificates, latency=0.0, max_connections=1, max_seconds=60) as server:
        with tls_socket(server, certificates) as first, tls_socket(server, certificates) as second:
            second.sendall(request_bytes("/subscriptions", "Connection: close"))
            first.sendall(request_bytes("/subscriptions"))
            assert first.recv(65536).startswith(b"HTTP/1.1 200 OK")
            second.settimeout(0.5)
            with pytest.raises(TimeoutError):
                second.recv(65536)  # waits for the first connection's slot
            assert server.counts.as_dict()["peak_open_connections"] == 1
            first.close()
            second.settimeout(10)
            assert read_all(second).startswith(b"HTTP/1.1 200 OK")
        assert server.counts.requests == 2 and server.counts.connections == 2


def test_an_idle_connection_is_closed(tenant: SyntheticTenant, certificates: Certificates) -> None:
    with FakeAzure(tenant.responses, certificates, latency=0.0, idle_seconds=0.2, max_seconds=60) as server:
        with tls_socket(server, certificates) as sock:
            sock.sendall(request_bytes("/subscriptions")[:20])  # half a head, then nothing
            assert read_all(sock) == b""
        assert server.counts.requests == 0 and server.counts.connections == 1


def test_the_idle_limit_counts_from_the_latest_wait(tenant: SyntheticTenant, certificates: Certificates) -> None:
    """One timer per connection, moved on when it fires during a later wait: a connection kept busy
    outlives its first wait's limit."""
    with FakeAzure(tenant.responses, certificates, latency=0.0, idle_seconds=1.0, max_seconds=60) as server:
        with tls_socket(server, certificates) as sock:
            for pause in (0.0, 0.6, 0.6):  # the last request comes 1.2 s after the first wait began
                time.sleep(pause)
                sock.sendall(request_bytes("/subscriptions"))
                assert sock.recv(65536).startswith(b"HTTP/1.1 200 OK")
        assert server.counts.connections == 1 and server.counts.requests == 3


# -- the server's own TLS loop (non-blocking sockets): what asyncio's transport did for it -------


def test_a_closed_connection_ends_with_a_close_notify(tenant: SyntheticTenant, certificates: Certificates) -> None:
    """After ``Connection: close`` the server ends TLS before TCP, as asyncio's SSL transport did: a
    client that refuses a truncated stream (no ragged EOF allowed) reads the answer and a clean end."""
    context = ssl.create_default_context(cafile=str(certificates.ca_pem))
    with FakeAzure(tenant.responses, certificates, latency=0.0, max_seconds=60) as server:
        raw = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        with context.wrap_socket(raw, server_hostname="management.azure.com", suppress_ragged_eofs=False) as sock:
            sock.sendall(request_bytes("/subscriptions", "Connection: close"))
            chunks = []
            while chunk := sock.recv(65536):  # a stream cut without close_notify raises SSLEOFError
                chunks.append(chunk)
    assert b"".join(chunks).startswith(b"HTTP/1.1 200 OK") and b"Connection: close" in chunks[0]


def test_an_answer_larger_than_the_socket_takes_reaches_a_slow_reader_whole(certificates: Certificates) -> None:
    """An answer the socket cannot take at once is written as the client reads it (the server waits
    for the socket, answers nobody twice), and the connection is kept alive after it."""
    target = "/subscriptions/s/providers/Microsoft.Web/sites"
    big = RecordedResponse(status=200, body={"value": ["x" * 1000] * 12_000})  # 12 MB of JSON
    small = RecordedResponse(status=200, body={"value": []})
    responses = {
        request_key("GET", "https://management.azure.com" + target): big,
        request_key("GET", "https://management.azure.com/subscriptions"): small,
    }
    expected = big.content()
    with FakeAzure(responses, certificates, latency=0.0, max_seconds=60) as server:
        with tls_socket(server, certificates) as sock:
            sock.sendall(request_bytes(target))
            time.sleep(0.5)  # the server meets a full socket meanwhile
            received = bytearray()
            while not received.endswith(expected):
                chunk = sock.recv(1 << 20)
                assert chunk, "the connection ended before the whole answer"
                received += chunk
            assert received.startswith(b"HTTP/1.1 200 OK") and len(received) < len(expected) + 400
            sock.sendall(request_bytes("/subscriptions"))
            assert sock.recv(65536).startswith(b"HTTP/1.1 200 OK")
        assert server.counts.requests == 2 and server.counts.connections == 1


def test_a_handshake_never_finished_is_let_go(
    tenant: SyntheticTenant, certificates: Certificates, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client that connects and sends nothing (or not TLS) is closed, never admitted, and others
    are still served meanwhile."""
    monkeypatch.setattr(tls_server, "HANDSHAKE_SECONDS", 0.3)
    with FakeAzure(tenant.responses, certificates, latency=0.0, max_seconds=60) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as silent:
            with socket.create_connection(("127.0.0.1", server.port), timeout=10) as plain:
                plain.sendall(b"GET / HTTP/1.1\r\nHost: management.azure.com\r\n\r\n")  # no TLS: refused now
                with contextlib.suppress(ConnectionError):
                    while plain.recv(65536):  # an alert, perhaps, then the end
                        pass
            with tls_socket(server, certificates) as sock:
                sock.sendall(request_bytes("/subscriptions", "Connection: close"))
                assert read_all(sock).startswith(b"HTTP/1.1 200 OK")
            started = time.monotonic()
            assert silent.recv(65536) == b""  # closed by the server
            assert time.monotonic() - started < 5
        assert server.counts.connections == 1 and server.counts.requests == 1


def test_a_client_gone_while_its_answer_waits_costs_only_its_connection(
    tenant: SyntheticTenant, certificates: Certificates
) -> None:
    with FakeAzure(tenant.responses, certificates, latency=0.3, max_seconds=60) as server:
        with tls_socket(server, certificates) as gone:
            gone.sendall(request_bytes("/subscriptions"))
        with tls_socket(server, certificates) as sock:
            time.sleep(0.4)  # the first answer falls due after its client left
            sock.sendall(request_bytes("/subscriptions", "Connection: close"))
            assert read_all(sock).startswith(b"HTTP/1.1 200 OK")
        assert server.counts.requests == 2 and server.counts.connections == 2


def test_a_fault_on_one_connection_ends_that_connection_only(
    tenant: SyntheticTenant, certificates: Certificates, monkeypatch: pytest.MonkeyPatch
) -> None:
    faults: list[tls_server._Connection] = []
    receive = tls_server._Connection._receive

    def faulty(connection: tls_server._Connection) -> None:
        if not faults:
            faults.append(connection)
            raise RuntimeError("a fault of the server's own")
        receive(connection)

    monkeypatch.setattr(tls_server._Connection, "_receive", faulty)
    with FakeAzure(tenant.responses, certificates, latency=0.0, max_connections=1, max_seconds=60) as server:
        with tls_socket(server, certificates) as first:
            first.sendall(request_bytes("/subscriptions"))
            assert read_all(first) == b""  # its connection ended (and gave its slot back)
        with tls_socket(server, certificates) as second:
            second.sendall(request_bytes("/subscriptions", "Connection: close"))
            assert read_all(second).startswith(b"HTTP/1.1 200 OK")
        assert faults and server.counts.requests == 1 and server.counts.connections == 2
