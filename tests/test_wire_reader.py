"""The one reader of answers a connection of the wire transport keeps for its life
(``azaudit/transport/connections.py``, ``wire.py``, ``head.py``): every answer read through it is
the answer a new ``makefile`` and ``HTTPResponse`` per answer gave (a differential test over many
shapes, hostile ones included), and bytes it read past an answer are never read as the next
request's answer: such a connection is closed, not pooled, and counted."""

from __future__ import annotations

import contextlib
import gzip
import socket
import ssl
import threading

import pytest
from azure.core.rest import HttpRequest

from azaudit import tls
from azaudit.transport import WireTransport, connections, network_session, requests_transport
from azaudit.transport import wire as wire_module
from bench.tls_server import Certificates

PROXY_VARIABLES = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")

Answer = tuple[bytes, bool]  # the bytes sent in one write, and whether the connection is closed after


@pytest.fixture(autouse=True)
def no_proxy_from_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*PROXY_VARIABLES, "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return Certificates.issue(tmp_path_factory.mktemp("reader"), hosts=("localhost",))


class Scripted:
    """A server on 127.0.0.1 (TLS when given a context) that answers the n-th request it reads, on
    whichever connection, with ``answers[n]``: its bytes in one write, then the connection closed
    if the answer says so (or when the answers run out)."""

    def __init__(self, answers: list[Answer], context: ssl.SSLContext | None = None) -> None:
        self._answers = answers
        self._context = context
        self._lock = threading.Lock()
        self._next = 0
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(5)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
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
            if self._stop.is_set():  # the wake-up of __exit__
                raw.close()
                return
            self.connections += 1
            worker = threading.Thread(target=self._serve, args=(raw,), daemon=True)
            self._threads.append(worker)
            worker.start()

    def _serve(self, raw: socket.socket) -> None:
        raw.settimeout(10)
        with contextlib.suppress(OSError):
            conn = raw if self._context is None else self._context.wrap_socket(raw, server_side=True)
            with conn:
                data = b""
                while True:
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(65536)
                        if not chunk:
                            return
                        data += chunk
                    _, _, data = data.partition(b"\r\n\r\n")  # bodyless requests only
                    with self._lock:
                        number, self._next = self._next, self._next + 1
                    if number >= len(self._answers):
                        return
                    sent, close = self._answers[number]
                    if sent:
                        conn.sendall(sent)
                    if close:
                        return

    def __enter__(self) -> Scripted:
        self._acceptor.start()
        return self

    def __exit__(self, *args: object) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):  # wakes the acceptor at once
            socket.create_connection(("127.0.0.1", self.port), timeout=5).close()
        self._acceptor.join(5)
        self._listener.close()
        for worker in self._threads:
            worker.join(5)


def ok(body: bytes, *fields: str, status: str = "200 OK", version: str = "HTTP/1.1") -> bytes:
    lines = [f"{version} {status}", "Content-Type: application/json", f"Content-Length: {len(body)}", *fields]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def raw(status: str, *fields: str) -> bytes:
    return ("\r\n".join([status, *fields]) + "\r\n\r\n").encode("latin-1")


def chunked(*parts: bytes, trailer: tuple[str, ...] = (), extension: str = "") -> bytes:
    body = b"".join(f"{len(part):x}{extension}\r\n".encode() + part + b"\r\n" for part in parts)
    return body + b"0\r\n" + "".join(f"{line}\r\n" for line in trailer).encode() + b"\r\n"


FIRST, SECOND, THIRD = b'{"n": 1}', b'{"n": 2}', b'{"n": 3}'
SMUGGLED = ok(b'{"smuggled": true}')
BIG = b'{"value": "' + b"x" * 100_000 + b'"}'
KEPT = [(ok(SECOND), False), (ok(THIRD), False)]  # the answers to the second and third requests

# Each shape: the methods of three requests, the answers the server sends them, and how many
# connections the kept reader finds holding bytes past an answer (closed, not pooled).
SHAPES: dict[str, tuple[tuple[str, ...], list[Answer], int]] = {
    "content-length": (("GET",) * 3, [(ok(FIRST), False), *KEPT], 0),
    "empty body": (("GET",) * 3, [(ok(b""), False), *KEPT], 0),
    "a body over many reads": (("GET",) * 3, [(ok(BIG), False), *KEPT], 0),
    "a body ending at the reader's buffer": (
        ("GET",) * 3,
        [(ok(b"y" * (8192 - len(ok(b"")) - len("8192") + 1)), False), *KEPT],
        0,
    ),
    "chunked, extensions and trailers": (
        ("GET",) * 3,
        [
            (raw("HTTP/1.1 200 OK", "Transfer-Encoding: chunked") + chunked(b"ab", b"cdef", extension=";x=1"), False),
            (raw("HTTP/1.1 200 OK", "Transfer-Encoding: chunked") + chunked(b"xy", trailer=("X-T: 1", "Y: 2")), False),
            *KEPT[1:],
        ],
        0,
    ),
    "chunked, big": (
        ("GET",) * 3,
        [(raw("HTTP/1.1 200 OK", "Transfer-Encoding: chunked") + chunked(BIG[:30000], BIG[30000:]), False), *KEPT],
        0,
    ),
    "gzip": (
        ("GET",) * 3,
        [(ok(gzip.compress(FIRST * 50), "Content-Encoding: gzip"), False), *KEPT],
        0,
    ),
    "interim answers, then the answer": (
        ("GET",) * 3,
        [(raw("HTTP/1.1 100 Continue") + raw("HTTP/1.1 103 Early Hints", "Link: </a>") + ok(FIRST), False), *KEPT],
        0,
    ),
    "204 and 304 with a Content-Length": (
        ("GET",) * 3,
        [
            (raw("HTTP/1.1 204 No Content", "Content-Length: 7"), False),
            (raw("HTTP/1.1 304 Not Modified", "Content-Length: 7"), False),
            (ok(THIRD), False),
        ],
        0,
    ),
    "HEAD": (("HEAD", "GET", "GET"), [(raw("HTTP/1.1 200 OK", "Content-Length: 5"), False), *KEPT], 0),
    "HTTP/1.0 kept alive": (
        ("GET",) * 3,
        [(ok(FIRST, "Connection: keep-alive", version="HTTP/1.0"), False), *KEPT],
        0,
    ),
    "HTTP/1.0 to the close": (("GET",) * 3, [(raw("HTTP/1.0 200 OK") + FIRST, True), *KEPT], 0),
    "Connection: close": (("GET",) * 3, [(ok(FIRST, "Connection: close"), True), *KEPT], 0),
    "no length: to the close": (("GET",) * 3, [(raw("HTTP/1.1 200 OK") + BIG, True), *KEPT], 0),
    "an error status": (("GET",) * 3, [(ok(b'{"error": {}}', status="404 Not Found"), False), *KEPT], 0),
    # hostile
    "bytes after a Content-Length body": (("GET",) * 3, [(ok(FIRST) + b"JUNK", False), *KEPT], 1),
    "a second answer glued to the first": (("GET",) * 3, [(ok(FIRST) + SMUGGLED, False), *KEPT], 1),
    "an answer glued after a big body": (("GET",) * 3, [(ok(BIG) + SMUGGLED, False), *KEPT], 1),
    "an answer glued at the reader's buffer's end": (  # left in the socket: the idle check drops it
        ("GET",) * 3,
        [(ok(b"y" * (8192 - len(ok(b"")) - len("8192") + 1)) + SMUGGLED, False), *KEPT],
        0,
    ),
    "an answer glued after chunks and trailers": (
        ("GET",) * 3,
        [
            (
                raw("HTTP/1.1 200 OK", "Transfer-Encoding: chunked") + chunked(b"ab", trailer=("X-T: 1",)) + SMUGGLED,
                False,
            ),
            *KEPT,
        ],
        1,
    ),
    "an answer glued after interim answers": (
        ("GET",) * 3,
        [(raw("HTTP/1.1 100 Continue") + ok(FIRST) + SMUGGLED, False), *KEPT],
        1,
    ),
    "a body after a 204": (("GET",) * 3, [(raw("HTTP/1.1 204 No Content") + b"abc", False), *KEPT], 1),
    "a body after the answer to a HEAD": (
        ("HEAD", "GET", "GET"),
        [(raw("HTTP/1.1 200 OK", "Content-Length: 5") + b"hello", False), *KEPT],
        1,
    ),
    "chunked and a Content-Length, an answer glued": (
        ("GET",) * 3,
        [
            (
                raw("HTTP/1.1 200 OK", "Transfer-Encoding: chunked", "Content-Length: 3") + chunked(b"ab") + SMUGGLED,
                False,
            ),
            *KEPT,
        ],
        0,  # closed after it whatever it holds (RFC 9112 6.1)
    ),
    "Connection: close, an answer glued": (("GET",) * 3, [(ok(FIRST, "Connection: close") + SMUGGLED, True), *KEPT], 0),
    "a body cut short": (("GET",) * 3, [(ok(FIRST)[:-3], True), *KEPT], 0),
    "chunks cut short": (
        ("GET",) * 3,
        [(raw("HTTP/1.1 200 OK", "Transfer-Encoding: chunked") + b"10\r\nabc", True), *KEPT],
        0,
    ),
    "a head cut short": (("GET",) * 3, [(b"HTTP/1.1 200 OK\r\nContent-Le", True), *KEPT], 0),
    "a status line cut short": (("GET",) * 3, [(b"HTTP/1.1 2", True), *KEPT], 0),
    "a negative chunk size": (
        ("GET",) * 3,
        [(raw("HTTP/1.1 200 OK", "Transfer-Encoding: chunked") + b"-1\r\n" + BIG, True), *KEPT],
        0,
    ),
    "no answer on a kept connection, sent again": (
        ("GET",) * 3,
        [(ok(FIRST), False), (b"", True), (ok(THIRD), False)],
        0,
    ),
    "101 refused": (("GET",) * 3, [(raw("HTTP/1.1 101 Switching Protocols", "Upgrade: h2c"), True), *KEPT], 0),
    "a NUL in a value": (("GET",) * 3, [(raw("HTTP/1.1 200 OK", "X-A: a\x00b", "Content-Length: 0"), True), *KEPT], 0),
    "a line over the bound": (("GET",) * 3, [(raw("HTTP/1.1 200 OK", "X-A: " + "a" * 70000), True), *KEPT], 0),
    "not HTTP": (("GET",) * 3, [(b"SSH-2.0-OpenSSH_9.6\r\n", True), *KEPT], 0),
    "Content-Length fields that disagree": (
        ("GET",) * 3,
        [(raw("HTTP/1.1 200 OK", "Content-Length: 3", "Content-Length: 4") + b"abcd", True), *KEPT],
        0,
    ),
}


def transport(context: ssl.SSLContext | None = None) -> WireTransport:
    context = context or ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # plain HTTP: no certificate loaded
    return WireTransport(2, requests_transport(network_session(2, context)), context)


def outcomes(
    methods: tuple[str, ...], answers: list[Answer], context: ssl.SSLContext | None = None
) -> tuple[list[tuple[object, ...]], list[bool], Scripted, WireTransport]:
    """What each request got (status, reason, headers, body; or the error and its message),
    whether each answer was read through its connection's kept reader, the server, the transport."""
    server_tls = None
    if context is not None:
        server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_tls.load_cert_chain(context.server_pem)  # type: ignore[attr-defined]
    got: list[tuple[object, ...]] = []
    kept: list[bool] = []
    with Scripted(answers, server_tls) as server, transport(context) as wire:
        scheme, host = ("https", "localhost") if context is not None else ("http", "127.0.0.1")
        for method in methods:
            try:
                response = wire.send(HttpRequest(method, f"{scheme}://{host}:{server.port}/subscriptions?n=1"))
            except Exception as exc:
                got.append((type(exc).__name__, str(exc)))
            else:
                got.append((response.status_code, response.reason, list(response.headers.items()), response.content))
                kept.append(response.internal_response._kept_reader)
    return got, kept, server, wire


@pytest.mark.parametrize("shape", list(SHAPES))
def test_an_answer_read_through_the_kept_reader_is_the_one_a_new_file_gave(
    shape: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    methods, answers, past = SHAPES[shape]
    new, new_kept, _, new_wire = outcomes(methods, answers)
    with monkeypatch.context() as old_path:
        old_path.setattr(wire_module, "reader_of", lambda connection: None)  # getresponse: a makefile an answer
        old, old_kept, _, _ = outcomes(methods, answers)
    assert new == old
    assert all(new_kept) and not any(old_kept)
    assert new_wire.closed_for_unread_bytes == past
    assert not any(SMUGGLED[-20:] in str(outcome).encode() for outcome in new)


def bodies(got: list[tuple[object, ...]]) -> list[object]:
    return [outcome[3] if len(outcome) == 4 else outcome[0] for outcome in got]


@pytest.fixture
def tls_client(certificates: Certificates) -> ssl.SSLContext:
    context = tls.build_tls_context({"SSL_CERT_FILE": str(certificates.ca_pem)})
    context.server_pem = str(certificates.server_pem)  # type: ignore[attr-defined]  # for the server
    return context


@pytest.mark.parametrize("over", ["http", "https"])
def test_an_answer_glued_to_the_one_asked_for_is_never_the_next_requests_answer(
    over: str, tls_client: ssl.SSLContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The glued answer comes in the same write (over TLS, the same record): once the first answer
    is read, the socket and the TLS layer hold nothing, only the reader does."""
    context = tls_client if over == "https" else None
    answers = [(ok(FIRST) + SMUGGLED, False), *KEPT]
    got, _, server, wire = outcomes(("GET",) * 3, answers, context)
    assert bodies(got) == [FIRST, SECOND, THIRD]
    assert wire.closed_for_unread_bytes == 1 and server.connections == 2
    # A reader kept without looking at what it holds (the check that it holds nothing gone): the
    # glued answer is read as the second request's. What the test above would then see.
    with monkeypatch.context() as naive:
        naive.setattr(wire_module, "unread", lambda reader: 0)
        naive.setattr(connections, "unread", lambda reader: 0)
        got, _, _, _ = outcomes(("GET",) * 3, answers, context)
    assert bodies(got)[:2] == [FIRST, b'{"smuggled": true}']


def test_an_idle_connection_whose_reader_holds_bytes_is_dropped_and_its_socket_closed_with_it() -> None:
    connection = connections._HTTPConnection("unused.example")
    connection.sock, peer = socket.socketpair()
    connection.reader = connections._reader(connection.sock)
    try:
        assert not connections.is_dropped(connection)
        peer.sendall(b"abcdef")
        assert connection.reader.read(3) == b"abc"  # the rest read ahead into the buffer, not the socket's
        assert connections.unread(connection.reader) == 3
        assert connections.is_dropped(connection), "bytes the reader holds are nobody's answer"
        assert connection.reader.read(3) == b"def"
        assert connections.unread(connection.reader) == 0 and not connections.is_dropped(connection)
        connection.close()
        assert connection.reader is None and connections.is_dropped(connection)
        peer.settimeout(5)
        assert peer.recv(1) == b"", "the socket is closed with the connection (no file holds it open)"
    finally:
        connection.close()
        peer.close()


def test_a_connection_made_by_the_pools_keeps_one_reader_for_its_answers() -> None:
    answers = [(ok(FIRST), False), (ok(SECOND), False), (ok(THIRD), False)]
    readers: list[object] = []
    real = connections.reader_of

    def seen(connection: object) -> object:
        reader = real(connection)  # type: ignore[arg-type]
        readers.append(reader)
        return reader

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(wire_module, "reader_of", seen)
        got, kept, server, wire = outcomes(("GET",) * 3, answers)
    assert bodies(got) == [FIRST, SECOND, THIRD] and all(kept)
    assert server.connections == 1 and wire.closed_for_unread_bytes == 0
    asked = [reader for reader in readers if reader is not None]
    assert len(asked) >= 3 and len({id(reader) for reader in asked}) == 1


def test_an_answer_that_failed_closes_quietly_once_its_connections_reader_is_closed() -> None:
    """An answer whose head broke a bound keeps the connection's reader; the connection closes
    (and its reader may be collected first): closing or collecting the answer must not raise, or
    Python prints "Exception ignored ... ValueError" to the user's terminal."""
    from azaudit.transport.head import WireAnswer

    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall(b"HTTP/1.1 200 OK\r\nX: " + b"y" * 70_000 + b"\r\n\r\n")
        reader = connections._reader(ours)
        answer = WireAnswer.reading(reader, "GET")
        with pytest.raises(Exception, match="line"):
            answer.begin()
        reader.close()
        answer.close()
        assert answer.closed
