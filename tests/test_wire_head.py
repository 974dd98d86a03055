"""The answer heads of the wire transport (``azaudit/transport/head.py``): read without the email
package, as http.client decides what the transport relies on (the same answers, field for field, on
valid heads), stricter on invalid ones, and within http.client's bounds whatever a server sends."""

from __future__ import annotations

import contextlib
import email.parser
import http.client
import io
import random
import socket
import ssl
import threading
from collections.abc import Iterator
from typing import Any, cast

import pytest
from azure.core.exceptions import IncompleteReadError, ServiceResponseError
from azure.core.rest import HttpRequest
from azure.core.utils import CaseInsensitiveDict

from azaudit.transport import WireTransport, network_session, requests_transport
from azaudit.transport import head as head_module
from azaudit.transport.body import read_body
from azaudit.transport.head import MAX_INTERIM, InvalidHead, WireAnswer

PROXY_VARIABLES = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")


@pytest.fixture(autouse=True)
def no_proxy_from_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*PROXY_VARIABLES, "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)


class _Socket:
    """What HTTPResponse asks of a socket: a file of the bytes the server sent."""

    def __init__(self, sent: bytes) -> None:
        self.sent = sent

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(io.BytesIO(self.sent))  # type: ignore[arg-type]


def begun(cls: type[http.client.HTTPResponse], sent: bytes, method: str = "GET") -> http.client.HTTPResponse:
    answer = cls(_Socket(sent), method=method)  # type: ignore[arg-type]
    answer.begin()
    return answer


def decided(answer: http.client.HTTPResponse) -> tuple[object, ...]:
    """What the transport reads of a begun answer."""
    return (
        answer.status,
        answer.reason,
        answer.version,
        answer.chunked,
        answer.length,
        answer.will_close,
        answer.getheaders(),
        [answer.getheader(name) for name in ("content-type", "WWW-Authenticate", "link", "Retry-After", "absent")],
    )


def head(status: str, *lines: str, end: str = "\r\n") -> bytes:
    return "".join(f"{line}{end}" for line in (status, *lines, "")).encode("latin-1")


JSON = "Content-Type: application/json; charset=utf-8"
VALID = {
    "length": head("HTTP/1.1 200 OK", JSON, "Content-Length: 12"),
    "chunked": head("HTTP/1.1 200 OK", JSON, "Transfer-Encoding: chunked"),
    "no length: to the close": head("HTTP/1.1 200 OK", JSON),
    "invalid length": head("HTTP/1.1 200 OK", "Content-Length: twelve"),
    "negative length": head("HTTP/1.1 200 OK", "Content-Length: -1"),
    "close": head("HTTP/1.1 200 OK", "Connection: close", "Content-Length: 0"),
    "1.0": head("HTTP/1.0 200 OK", "Content-Length: 3"),
    "1.0 keep-alive field": head("HTTP/1.0 200 OK", "Keep-Alive: timeout=5", "Content-Length: 3"),
    "1.0 connection keep-alive": head("HTTP/1.0 200 OK", "Connection: Keep-Alive", "Content-Length: 3"),
    "1.0 proxy-connection": head("HTTP/1.0 200 OK", "Proxy-Connection: keep-alive", "Content-Length: 3"),
    "0.9": head("HTTP/0.9 200 OK", "Content-Length: 3"),
    "1.2": head("HTTP/1.2 200 OK", "Content-Length: 3"),
    "no reason": head("HTTP/1.1 204", "Content-Length: 7"),
    "204": head("HTTP/1.1 204 No Content", "Content-Length: 7"),
    "304": head("HTTP/1.1 304 Not Modified", "Content-Length: 7"),
    "continue skipped": head("HTTP/1.1 100 Continue", "X-Interim: yes")
    + head("HTTP/1.1 201 Created", "Content-Length: 2"),
    "duplicates": head(
        "HTTP/1.1 401 Unauthorized",
        'WWW-Authenticate: Bearer realm="https://r.azurecr.io/oauth2/token"',
        'www-authenticate: Basic realm="r"',
        'Link: </v2/_catalog?last=a&n=100>; rel="next"',
        'LINK: </x>; rel="other"',
        "Retry-After: 5",
        "Content-Length: 0",
    ),
    "latin-1 and empty values": head(
        "HTTP/1.1 200 Ok d\u00e9j\u00e0", "X-Cafe: caf\u00e9 na\u00efve \u00ff", "X-Empty:", "Content-Length: 0"
    ),
    "line feeds alone": head("HTTP/1.1 200 OK", JSON, "Content-Length: 2", end="\n"),
    "tabs and names of odd characters": head("HTTP/1.1 200 OK", "X-{odd}/name:\tv\tw", "Content-Length: 0"),
    "99 fields": head("HTTP/1.1 200 OK", *(f"X-{i}: {i}" for i in range(98)), "Content-Length: 0"),
}


@pytest.mark.parametrize("sent", list(VALID.values()), ids=list(VALID))
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_valid_head_is_read_as_http_client_reads_it(sent: bytes, method: str) -> None:
    ours, theirs = begun(WireAnswer, sent, method), begun(http.client.HTTPResponse, sent, method)
    assert decided(ours) == decided(theirs)


def test_the_body_after_the_head_is_read_as_http_client_reads_it() -> None:
    for sent in (
        head("HTTP/1.1 200 OK", "Transfer-Encoding: chunked") + b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        head("HTTP/1.1 200 OK", "Content-Length: 4") + b"abcdef",
        head("HTTP/1.0 200 OK") + b"to the close",
    ):
        assert begun(WireAnswer, sent).read() == begun(http.client.HTTPResponse, sent).read()


def test_the_email_package_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("the email package parsed a head")

    monkeypatch.setattr(http.client, "parse_headers", refused)
    monkeypatch.setattr(email.parser.Parser, "parsestr", refused)
    answer = begun(WireAnswer, VALID["duplicates"])
    assert answer.getheader("www-authenticate") == 'Bearer realm="https://r.azurecr.io/oauth2/token", Basic realm="r"'


def test_surrounding_whitespace_is_not_part_of_a_value_and_a_folded_line_is_one_space() -> None:
    sent = head("HTTP/1.1 200 OK", "X-Trailing: a b \t", "X-Folded: first  ", "  second", "\tthird", "X-After:  z")
    assert begun(WireAnswer, sent).getheaders() == [
        ("X-Trailing", "a b"),
        ("X-Folded", "first second third"),
        ("X-After", "z"),
    ]
    # http.client kept the trailing whitespace and the line breaks inside the value.
    assert begun(http.client.HTTPResponse, sent).getheader("X-Folded") == "first  \r\n  second\r\n\tthird"


def test_content_length_fields_that_agree_are_one_length_and_ones_that_disagree_are_refused() -> None:
    assert begun(WireAnswer, head("HTTP/1.1 200 OK", "Content-Length: 5", "Content-Length: 5")).length == 5
    assert begun(WireAnswer, head("HTTP/1.1 200 OK", "Content-Length: 5, 5")).length == 5
    assert begun(WireAnswer, head("HTTP/1.1 200 OK", "Content-Length: +5")).length is None
    with pytest.raises(InvalidHead, match="Content-Length fields disagree"):
        begun(WireAnswer, head("HTTP/1.1 200 OK", "Content-Length: 5", "Content-Length: 50"))
    # http.client took the first one and left the rest on the connection for the next answer.
    assert (
        begun(http.client.HTTPResponse, head("HTTP/1.1 200 OK", "Content-Length: 5", "Content-Length: 50")).length == 5
    )


LINE = 65536
# What a hostile or broken server can send, and the error of http.client's kind each one is.
HOSTILE: dict[str, tuple[bytes, type[http.client.HTTPException], str]] = {
    "too many fields": (
        head("HTTP/1.1 200 OK", *(f"X-{i}: {i}" for i in range(100))),
        http.client.HTTPException,
        "more than 100",
    ),
    "endless fields": (b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 100_000, http.client.HTTPException, "more than 100"),
    "over-long field line": (head("HTTP/1.1 200 OK", "X: " + "a" * LINE), http.client.LineTooLong, "header line"),
    "over-long folded line": (
        head("HTTP/1.1 200 OK", "X: a", " " + "b" * LINE),
        http.client.LineTooLong,
        "header line",
    ),
    "over-long status line": (b"HTTP/1.1 200 " + b"K" * LINE + b"\r\n\r\n", http.client.LineTooLong, "status line"),
    "NUL in a value": (head("HTTP/1.1 200 OK", "X-A: a\x00b", "Content-Length: 0"), InvalidHead, "control character"),
    "NUL in a name": (head("HTTP/1.1 200 OK", "X-\x00: b", "Content-Length: 0"), InvalidHead, "no valid field name"),
    "escape in a value": (
        head("HTTP/1.1 200 OK", "X-A: \x1b[2Jb", "Content-Length: 0"),
        InvalidHead,
        "control character",
    ),
    "bare CR in a value": (head("HTTP/1.1 200 OK", "X-A: a\rContent-Length: 0"), InvalidHead, "control character"),
    "control character in the reason": (
        head("HTTP/1.1 500 \x1b[31mred", "Content-Length: 0"),
        InvalidHead,
        "status line",
    ),
    "no colon": (head("HTTP/1.1 200 OK", "X-A b", "Content-Length: 0"), InvalidHead, "no colon"),
    "whitespace before the colon": (head("HTTP/1.1 200 OK", "Content-Length : 0"), InvalidHead, "no valid field name"),
    "empty name": (head("HTTP/1.1 200 OK", ": b", "Content-Length: 0"), InvalidHead, "no valid field name"),
    "non-ASCII name": (head("HTTP/1.1 200 OK", "X-\u00e9: b", "Content-Length: 0"), InvalidHead, "no valid field name"),
    "continuation first": (head("HTTP/1.1 200 OK", " folded", "Content-Length: 0"), InvalidHead, "continuation"),
    "control character folded in": (
        head("HTTP/1.1 200 OK", "X: a", " \x07", "Content-Length: 0"),
        InvalidHead,
        "control",
    ),
    "cut inside the head": (b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-A: b", InvalidHead, "ended inside its head"),
    "cut after a field": (b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n", InvalidHead, "ended inside its head"),
    "endless 100 Continue": (head("HTTP/1.1 100 Continue") * (MAX_INTERIM + 1), InvalidHead, "interim answers"),
    "transfer coding other than chunked": (
        head("HTTP/1.1 200 OK", "Transfer-Encoding: gzip, chunked"),
        http.client.UnknownTransferEncoding,
        "",
    ),
    "not HTTP": (b"SSH-2.0-OpenSSH_9.6\r\n\r\n", http.client.BadStatusLine, ""),
    "status not a number": (head("HTTP/1.1 2OO OK"), http.client.BadStatusLine, ""),
    "status of two digits": (head("HTTP/1.1 99 Low"), http.client.BadStatusLine, ""),
    "HTTP/2 status line": (head("HTTP/2 200"), http.client.UnknownProtocol, ""),
    "nothing": (b"", http.client.RemoteDisconnected, "closed connection"),
}


@pytest.mark.parametrize(("sent", "error", "message"), list(HOSTILE.values()), ids=list(HOSTILE))
def test_a_hostile_head_is_an_http_error_within_the_bounds(
    sent: bytes, error: type[http.client.HTTPException], message: str
) -> None:
    with pytest.raises(error, match=message or None) as raised:
        begun(WireAnswer, sent)
    assert isinstance(raised.value, http.client.HTTPException)


def test_what_http_client_read_on_silently_is_refused() -> None:
    """After a line it could not parse, http.client took the rest for the body: the Content-Length
    among the fields dropped, the answer read to the close."""
    sent = head("HTTP/1.1 200 OK", "X-Bad : value", "Content-Length: 2") + b"{}"
    theirs = begun(http.client.HTTPResponse, sent)
    assert theirs.getheader("Content-Length") is None and theirs.will_close
    with pytest.raises(InvalidHead):
        begun(WireAnswer, sent)


def test_random_heads_are_read_or_refused_with_an_http_error() -> None:
    rng = random.Random(15)  # noqa: S311 (the same heads every run, nothing secret)
    pieces = [b"HTTP/1.1 ", b"200 OK", b"100 Continue", b"\r\n", b"\n", b"\r", b": ", b":", b" ", b"\t", b"\x00",
              b"\x1b", b"\xe9", b"Content-Length", b"Transfer-Encoding", b"chunked", b"Connection", b"close", b"-1",
              b"5", b",", b"X-A", b"HTTP/1.0 ", b"\r\n\r\n"]  # fmt: skip
    for _ in range(3000):
        sent = b"HTTP/1.1 200 OK\r\n" + b"".join(rng.choice(pieces) for _ in range(rng.randrange(1, 40)))
        try:
            answer = begun(WireAnswer, sent, rng.choice(["GET", "HEAD"]))
        except http.client.HTTPException:
            continue
        assert answer.will_close in (True, False) and (answer.length is None or answer.length >= 0)
        assert all(isinstance(name, str) and isinstance(value, str) for name, value in answer.getheaders())


class _Pieces(io.RawIOBase):
    """Bytes handed out in pieces of the sizes given in turn, as a socket's reads may come."""

    def __init__(self, sent: bytes, sizes: list[int]) -> None:
        self._sent = io.BytesIO(sent)
        self._sizes = sizes
        self._turn = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = self._sizes[self._turn % len(self._sizes)]
        self._turn += 1
        data = self._sent.read(min(len(buffer), size))
        buffer[: len(data)] = data
        return len(data)


def _line_by_line(fp: io.BufferedReader) -> tuple[bytes, int]:
    lines = head_module._read_lines(fp)
    return b"".join(lines), len(lines)


def _outcome(read: Any, sent: bytes, sizes: list[int], buffer: int) -> tuple[object, bytes]:
    """What ``read`` returns (or raises) from a reader of ``sent`` read in ``sizes``, and what is
    left after it (the body's first bytes, for the next reader)."""
    fp = io.BufferedReader(_Pieces(sent, sizes), buffer)
    try:
        result: object = read(fp)
    except http.client.HTTPException as exc:
        result = (type(exc), str(exc))
    return result, fp.read(100)


def test_a_head_found_whole_in_the_buffer_is_the_one_read_line_by_line() -> None:
    """read_head takes a head found whole in the reader's buffer in one piece: the same lines,
    errors and bytes left after it as reading it line by line, whatever the reads and the buffer."""
    rng = random.Random(17)  # noqa: S311 (the same heads every run, nothing secret)
    blocks = [sent.partition(b"\n")[2] for sent in (*VALID.values(), *(each[0] for each in HOSTILE.values()))]
    blocks += [b"\r\n", b"\n", b"\r\nbody", b"\nbody", b"X: a\n\nbody", b"X: a\r\n\r\nbody", b"X: a\r\r\n\r\nb", b""]
    blocks += [b"X: a\n\r\r\n\n", b"X: a\r\n\n\r\n", b"X: a\n \n\r\n", b"X: a", b"X: a\r", b"X: a\r\n\r"]
    blocks += ["".join(f"X-{i}: {i}\r\n" for i in range(n)).encode() + b"\r\n{}" for n in (98, 99, 100, 101)]
    blocks += [b"X: " + b"a" * (LINE - 5) + b"\r\n\r\n", b"X: " + b"a" * (LINE - 4) + b"\r\n\r\n"]
    blocks += [
        b"X: " + b"a" * (LINE - 6) + b"\n\r\nZ",
        b"".join(b"X: " + b"a" * 700 + b"\r\n" for _ in range(95)) + b"\r\n",
    ]
    pieces = [b"X-A", b": ", b":", b"v", b" ", b"\t", b"\r\n", b"\n", b"\r", b"\x00", b"\xe9", b"Content-Length: 5"]
    for _ in range(400):
        blocks.append(b"".join(rng.choice(pieces) for _ in range(rng.randrange(0, 30))) + b"\r\n\r\nbody")
    arrangements = [([1 << 20], 8192), ([1], 8192), ([7, 1, 300], 8192), ([1 << 20], 16), ([1 << 20], 200_000)]
    for block in blocks:
        for sizes, buffer in arrangements:
            expected = _outcome(_line_by_line, block, sizes, buffer)
            assert _outcome(head_module.read_head, block, sizes, buffer) == expected, (block[:80], sizes, buffer)


def test_the_case_insensitive_fields_are_those_the_constructor_builds() -> None:
    """The mapping azure-core's response gets, built at once: what CaseInsensitiveDict's own
    constructor leaves from the joined fields, on valid heads and random ones (repeated names in
    other cases, folded lines), and a copy (changing it changes nothing read here)."""
    rng = random.Random(16)  # noqa: S311 (the same heads every run, nothing secret)
    names = ["Link", "link", "LINK", "X-A", "x-a", "Retry-After", "WWW-Authenticate", "Content-Type"]
    heads = list(VALID.values())
    for _ in range(300):
        lines = [
            f"{rng.choice(names)}:{rng.choice(['', ' ', chr(9)])}v{rng.randrange(9)}" for _ in range(rng.randrange(8))
        ]
        if lines and rng.random() < 0.3:
            lines.insert(rng.randrange(1, len(lines) + 1), " folded")
        heads.append(head("HTTP/1.1 200 OK", *lines, "Content-Length: 0"))
    for sent in heads:
        fields = cast(WireAnswer, begun(WireAnswer, sent)).headers
        built = fields.case_insensitive()
        expected = CaseInsensitiveDict(fields._joined.values())
        assert type(built) is CaseInsensitiveDict and vars(built) == vars(expected)
        assert list(built.items()) == list(expected.items())
        built["x-new"] = "1"
        assert fields.joined("x-new") is None and vars(fields.case_insensitive()) == vars(expected)


# -- through the transport ------------------------------------------------------------------------


@contextlib.contextmanager
def answering(sent: bytes) -> Iterator[str]:
    """A plain-HTTP server on 127.0.0.1 that answers one request with ``sent`` and closes; its URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)

    def serve() -> None:
        with contextlib.suppress(OSError):
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(10)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                conn.sendall(sent)
                conn.shutdown(socket.SHUT_WR)
                while conn.recv(65536):
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/subscriptions?api-version=2022-12-01"
    finally:
        listener.close()
        thread.join(10)


def transport() -> WireTransport:
    context = ssl.create_default_context()
    return WireTransport(1, requests_transport(network_session(1, context)), context)


def test_the_transport_answers_with_the_fields_read_here() -> None:
    body = b'{"value": []}'
    sent = head(
        "HTTP/1.1 200 OK",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        "Link: <a>; rel=next",
        "link: <b>; rel=last",
        "X-Folded: one",
        " two",
    )
    with answering(sent + body) as url, transport() as wire:
        response = wire.send(HttpRequest("GET", url))
    assert response.status_code == 200 and response.json() == {"value": []}
    assert response.headers["LINK"] == "<a>; rel=next, <b>; rel=last"
    assert response.headers["x-folded"] == "one two"
    assert isinstance(response.internal_response, WireAnswer)


@pytest.mark.parametrize(
    "sent",
    [
        HOSTILE[name][0]
        for name in (
            "too many fields",
            "over-long field line",
            "NUL in a value",
            "whitespace before the colon",
            "not HTTP",
            "transfer coding other than chunked",
        )
    ],
    ids=["too many fields", "over-long line", "NUL", "whitespace before the colon", "not HTTP", "transfer coding"],
)
def test_a_hostile_head_through_the_transport_is_an_answer_that_is_not_valid_http(sent: bytes) -> None:
    with answering(sent) as url, transport() as wire, pytest.raises(ServiceResponseError) as raised:
        wire.send(HttpRequest("GET", url))
    assert str(raised.value.message).startswith("the answer is not valid HTTP (")
    assert isinstance(raised.value.inner_exception, http.client.HTTPException)
    assert b"\x00" not in str(raised.value).encode()


# -- a chunked body's sizes and trailer ------------------------------------------------------------


class _Counted(io.RawIOBase):
    """The bytes a server sent, counting how many were taken from the socket."""

    def __init__(self, sent: bytes) -> None:
        self._sent = io.BytesIO(sent)
        self.taken = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._sent.read(min(len(buffer), 8192))
        buffer[: len(data)] = data
        self.taken += len(data)
        return len(data)


class _CountedSocket:
    def __init__(self, sent: bytes) -> None:
        self.raw = _Counted(sent)

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(self.raw)


CHUNKED = head("HTTP/1.1 200 OK", "Transfer-Encoding: chunked")


@pytest.mark.parametrize("size", [b"-1", b"-5", b"+5", b"5_0", b"0x5", b" 5", b"", b"g"])
def test_a_chunk_size_that_is_not_hexadecimal_digits_ends_the_answer_within_its_bound(size: bytes) -> None:
    """http.client read a size with int(line, 16): a size of -1 then read the socket to its close in
    one piece, however much the server sent past the body's bound."""
    sent = CHUNKED + size + b"\r\n" + b"A" * 4_000_000
    socket_ = _CountedSocket(sent)
    answer = WireAnswer(socket_, method="GET")  # type: ignore[arg-type]
    answer.begin()
    with pytest.raises(http.client.IncompleteRead):
        read_body(answer, 1024)
    assert socket_.raw.taken < 100_000


def test_chunk_sizes_in_hexadecimal_with_extensions_are_read() -> None:
    sent = CHUNKED + b"00A;name=value\r\n" + b"x" * 10 + b"\r\n5 ; ext\r\nyyyyy\r\n0\r\nTrailer: one\r\n\r\n"
    assert read_body(begun(WireAnswer, sent), 1024) == b"x" * 10 + b"yyyyy"


def test_a_trailer_is_read_within_the_bounds_of_a_head() -> None:
    def sent(lines: int) -> bytes:
        return CHUNKED + b"2\r\n{}\r\n0\r\n" + b"X-Trailer: t\r\n" * lines + b"\r\n"

    assert read_body(begun(WireAnswer, sent(99)), 1024) == b"{}"
    with pytest.raises(InvalidHead, match="trailer"):
        read_body(begun(WireAnswer, sent(100_000)), 1024)


def test_a_negative_chunk_size_through_the_transport_is_an_incomplete_answer() -> None:
    with (
        answering(CHUNKED + b"-1\r\n" + b"A" * 200_000) as url,
        WireTransport(1, requests_transport(network_session(1, ssl.create_default_context())), body_limit=1024) as wire,
        pytest.raises(IncompleteReadError),
    ):
        wire.send(HttpRequest("GET", url))


def test_framing_is_decided_as_rfc_9112_says_where_http_client_differs() -> None:
    """A chunked answer with a Content-Length (or of HTTP/1.0) is read as chunked and its connection
    not used again; an answer with no body is not read as chunked: the bytes after a 204 that names
    chunked are not its body (a reader following RFC 9112 takes them for the next answer)."""
    both = head("HTTP/1.1 200 OK", "Transfer-Encoding: Chunked", "Content-Length: 5") + b"2\r\n{}\r\n0\r\n\r\n"
    old = head("HTTP/1.0 200 OK", "Connection: keep-alive", "Transfer-Encoding: chunked") + b"2\r\n{}\r\n0\r\n\r\n"
    for sent in (both, old):
        ours, theirs = begun(WireAnswer, sent), begun(http.client.HTTPResponse, sent)
        assert (ours.chunked, ours.length, ours.will_close) == (True, None, True)
        assert not theirs.will_close
        assert read_body(ours, 1024) == b"{}"
    smuggled = head("HTTP/1.1 204 No Content", "Transfer-Encoding: chunked") + b"5\r\nhello\r\n0\r\n\r\n"
    assert begun(http.client.HTTPResponse, smuggled).read() == b"hello"
    ours = begun(WireAnswer, smuggled)
    assert (ours.chunked, ours.length, read_body(ours, 1024)) == (False, 0, b"")
    for method, status in (("HEAD", "200 OK"), ("GET", "304 Not Modified")):
        answer = begun(WireAnswer, head(f"HTTP/1.1 {status}", "Transfer-Encoding: chunked") + b"5\r\nhello", method)
        assert (answer.length, read_body(answer, 1024)) == (0, b"")


def test_every_interim_answer_is_skipped_not_only_100_continue() -> None:
    """http.client returned a 102 or 103 as the answer, the final one left on the connection for the
    next request sent on it."""
    final = head("HTTP/1.1 200 OK", "Content-Length: 2") + b"{}"
    for interim in ("102 Processing", "103 Early Hints", "100 Continue", "199 Whatever"):
        sent = head(f"HTTP/1.1 {interim}", "Link: </a.css>; rel=preload") + final
        answer = begun(WireAnswer, sent)
        assert (answer.status, answer.getheader("Link"), read_body(answer, 1024)) == (200, None, b"{}")
    assert begun(http.client.HTTPResponse, head("HTTP/1.1 103 Early Hints") + final).status == 103
    with pytest.raises(InvalidHead, match="another protocol"):
        begun(WireAnswer, head("HTTP/1.1 101 Switching Protocols", "Upgrade: websocket") + final)
    mixed = (head("HTTP/1.1 100 Continue") + head("HTTP/1.1 103 Early Hints")) * (MAX_INTERIM // 2) + final
    assert begun(WireAnswer, mixed).status == 200
    with pytest.raises(InvalidHead, match="interim answers"):
        begun(WireAnswer, head("HTTP/1.1 103 Early Hints") * (MAX_INTERIM + 1) + final)
