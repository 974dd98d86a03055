"""A fake Azure over real HTTPS on 127.0.0.1, for the benchmark and for tests (never shipped).

It answers from a table of recorded responses (the synthetic tenant, or any fixtures) as the replay
adapter does, so a request matches here exactly as it does in replay (an ordinary request is looked
up by its replay key, every other one goes through the adapter; tests/test_fake_azure.py holds the
two equal byte for byte), but the client meets everything a live run meets on the wire: TCP
connections, TLS handshakes (one certificate issued by a ``trustme`` test CA for
``management.azure.com``, ``*.vault.azure.net``, ``*.azurecr.io`` and the login host, picked by SNI
like any name-based virtual host), HTTP/1.1 keep-alive, and a latency per request. It runs on the
same cores as the audit in the benchmark, so answering is kept cheap (``server_cpu_s``): one
thread, a selector loop over non-blocking TLS sockets, every recorded answer written once before
serving.

Host names are resolved to this server by :func:`resolve_to_loopback`, in the client process only
(``socket.getaddrinfo``): every vault and registry keeps its own host name, SNI and connection pool.

Bounded on every side: loopback only, at most ``max_connections`` open at once (more wait in the
listen backlog), requests of at most 64 KiB of headers and 1 MiB of body, idle connections closed
after ``idle_seconds``, and the whole server stops by itself after ``max_seconds``, or when the
process that started it closes its standard input (``python -m bench.tls_server``).

Counts what a real server could see: connections accepted, TLS handshakes (per SNI host name),
requests, and failed handshakes (a client that did not trust the certificate).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import heapq
import itertools
import json
import math
import os
import random
import re
import resource
import select
import socket
import ssl
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import unquote

import requests
import trustme
from requests.adapters import BaseAdapter

from azaudit.replay import ReplayAdapter
from azaudit.replay.adapter import REGISTRY_SUFFIXES, VAULT_AUTHORITIES
from azaudit.replay.fixtures import RecordedResponse, RequestKey, request_key, sent_body
from bench.arm_throttle import ArmThrottle, with_header
from bench.graph_throttle import AzureThrottle, GraphQuota

LOOPBACK = "127.0.0.1"
HOSTS = ("management.azure.com", "*.vault.azure.net", "*.azurecr.io", "login.microsoftonline.com")
MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 1024 * 1024
HANDSHAKE_SECONDS = 10.0  # a client that has not finished its TLS handshake by then is let go
REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
}
JSON_TYPE = "application/json; charset=utf-8"  # what the replay adapter answers with by default
VAULT_SUFFIXES = tuple("." + suffix for suffix in VAULT_AUTHORITIES)
REGISTRY_HOST_SUFFIXES = tuple("." + suffix for suffix in REGISTRY_SUFFIXES)
# A request target answered from the index of recorded answers: a path and query of these
# characters only (no fragment, space or byte requests would quote), each percent sign starting an
# escape. Preparing a request (urllib3's parse_url, requests' requote_uri) changes such a target
# only where its replay key does not look (escapes of unreserved characters decoded, hex digits
# upper-cased), except dot segments, which it removes: a target holding "/." goes the long way.
# Checked as those characters and "%" (one class, no alternation per character: 8 -> 1 us for an
# ARM target), then no "%" but before two hex digits: the same targets (tests/test_fake_azure_fast_paths.py).
_ORDINARY_TARGET = re.compile(r"/[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*")
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_ORDINARY_HOST = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]*")
# A recorded header the adapter's path does more with than carry it
_KEPT_ALIVE = b"keep-alive\r\n\r\n"  # an answer's Connection value and blank line
# An answer written whole (kept alive), and where its Connection value starts
_Ready = tuple[bytes, int]
_CARRIED_ELSEWHERE = {"content-type", "content-length", "content-encoding", "transfer-encoding", "connection"}
# What a connection waits for, in epoll's terms (the loop asks epoll itself: selectors' select()
# and its keys cost a few microseconds a turn, and the loop turns about once a request)
READ = select.EPOLLIN
WRITE = select.EPOLLOUT


@dataclass(frozen=True)
class Certificates:
    """Where a test CA and a server certificate signed by it were written."""

    ca_pem: Path  # what a client trusts (REQUESTS_CA_BUNDLE, or added to its TLS context)
    server_pem: Path  # the server's key and certificate chain

    @classmethod
    def issue(cls, folder: Path, hosts: tuple[str, ...] = HOSTS) -> Certificates:
        ca = trustme.CA(organization_name="azaudit bench test CA")
        leaf = ca.issue_cert(*hosts, key_type=trustme.KeyType.RSA)  # Azure's front ends serve RSA certificates
        folder.mkdir(parents=True, exist_ok=True)
        ca_pem, server_pem = folder / "ca.pem", folder / "server.pem"
        ca.cert_pem.write_to_path(str(ca_pem))
        leaf.private_key_and_cert_chain_pem.write_to_path(str(server_pem))
        return cls(ca_pem=ca_pem, server_pem=server_pem)


@dataclass
class Counts:
    connections: int = 0
    handshakes: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    peak_open: int = 0

    def as_dict(self) -> dict[str, object]:
        vault = sum(n for host, n in self.handshakes.items() if host.endswith(".vault.azure.net"))
        return {
            "connections": self.connections,
            "handshakes": sum(self.handshakes.values()),
            "handshakes_arm": self.handshakes.get("management.azure.com", 0),
            "handshakes_vault": vault,
            "vault_hosts": sum(1 for host in self.handshakes if host.endswith(".vault.azure.net")),
            "handshakes_registry": sum(n for host, n in self.handshakes.items() if host.endswith(".azurecr.io")),
            "registry_hosts": sum(1 for host in self.handshakes if host.endswith(".azurecr.io")),
            # a client that did not trust the certificate gave up in the handshake: no connection
            "failed_handshakes": sum(self.handshakes.values()) - self.connections,
            "requests": self.requests,
            "peak_open_connections": self.peak_open,
        }


def ordinary_target(target: str) -> bool:
    """Whether a request target is answered from the index (see ``_ORDINARY_TARGET``)."""
    return _ORDINARY_TARGET.fullmatch(target) is not None and ("%" not in target or not _LONE_PERCENT.search(target))


def lone_break(text: str) -> bool:
    """Whether ``text`` holds a CR or an LF outside a CR LF pair: with every pair taken out, one
    search and two memchr scans (counting CR LF, CR and LF over a head was three scans)."""
    unpaired = text.replace("\r\n", "")
    return "\r" in unpaired or "\n" in unpaired


def plain_key(method: str, host: str, target: str) -> RequestKey:
    """``request_key`` of a request without a body to an ordinary target without escapes or plus
    signs (nothing to decode), made without urlsplit and parse_qsl: what they would make of it."""
    path, _, query = target.partition("?")
    pairs = []
    for piece in query.split("&"):
        if piece:
            name, _, value = piece.partition("=")
            if name.lower() != "api-version":
                pairs.append((name.lower(), value))
    return (method.upper(), host.lower(), path.rstrip("/").lower() or "/", tuple(sorted(pairs)), "")


class RequestHead(NamedTuple):
    """A request's head as sent (``text``, up to its blank line) and as the server reads it."""

    text: str
    method: str
    target: str
    headers: dict[str, str]  # as sent (a name repeated: its last value)
    lowered: dict[str, str]  # by lower-case name

    @classmethod
    def parse(cls, text: str) -> RequestHead:
        lines = text.split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        lowered: dict[str, str] = {}  # made in the same pass (a second pass over the names cost a sixth)
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if colon:
                name = name.strip()
                headers[name] = lowered[name.lower()] = value.strip()
        if len(lowered) != len(headers):
            # names alike but for case: a lower-case name has the value of the spelling sent first
            # (the last value sent in that spelling), as the names sent, lowered in turn, give it
            lowered = {k.lower(): v for k, v in headers.items()}
        return cls(text, method, target, headers, lowered)

    @property
    def keep(self) -> bool:
        return self.lowered.get("connection", "").lower() != "close"


class _Connection:
    """One client connection: its TLS handshake, then requests answered one after the other, each
    after the server's latency, from the server's selector loop (a non-blocking ``ssl.SSLSocket``:
    TLS in OpenSSL on the socket itself, no memory BIO or copies in Python).

    A handshake not done in ``HANDSHAKE_SECONDS``, a head longer than ``MAX_HEADER_BYTES``, a body
    longer than ``MAX_BODY_BYTES`` (answered 400), a request the server cannot read or answer,
    ``Connection: close``, the client's end of the stream, or ``idle_seconds`` waiting for a head:
    the connection closes (after a TLS close_notify once its handshake is done)."""

    __slots__ = (
        "_admitted",
        "_answering",
        "_buffer",
        "_close_when_written",
        "_closed",
        "_eof",
        "_events",
        "_fd",
        "_handshaking",
        "_head",
        "_idle_armed",
        "_length",
        "_out",
        "_server",
        "_sock",
        "_waiting_since",
    )

    def __init__(self, server: FakeAzure, sock: ssl.SSLSocket) -> None:
        self._server = server
        self._sock = sock
        self._fd = sock.fileno()
        self._buffer = bytearray()
        self._handshaking = True
        self._admitted = False
        self._answering = False  # a request read, its answer not yet written
        self._closed = False
        self._eof = False  # the client ended its stream
        self._close_when_written = False
        self._out: memoryview | None = None  # an answer the socket has not taken whole yet
        self._events = 0  # what the loop's epoll watches for (READ, WRITE)
        # The idle limit: one timer, moved on when it fires early (a timer per wait cost as much
        # as answering from the index)
        self._idle_armed = False
        self._waiting_since: float | None = None  # for a head
        self._head: RequestHead | None = None  # read, its body not yet whole
        self._length = 0

    # -- the selector's side -------------------------------------------------------------------

    def ready(self, mask: int) -> None:
        if self._handshaking:
            self._handshake()
        else:
            if mask & WRITE and self._out is not None:
                self._send()
            if mask & READ and not self._closed:
                self._receive()

    def _watch(self, events: int) -> None:
        if events != self._events and not self._closed:
            server = self._server
            poll = server._poll
            assert poll is not None
            if not events:
                poll.unregister(self._fd)
                del server._handlers[self._fd]
            elif not self._events:
                poll.register(self._fd, events)
                server._handlers[self._fd] = self
            else:
                poll.modify(self._fd, events)
            self._events = events

    def _watch_for_data(self) -> None:
        self._watch((0 if self._eof else READ) | (WRITE if self._out else 0))

    def _handshake(self) -> None:
        try:
            self._sock.do_handshake()
        except ssl.SSLWantReadError:
            self._watch(READ)
            return
        except ssl.SSLWantWriteError:
            self._watch(WRITE)
            return
        except (OSError, ValueError):  # a client that does not trust the certificate ends here
            self.close()
            return
        self._handshaking = False
        self._watch(READ)
        self._server._admit(self)

    def handshake_expired(self) -> None:
        if self._handshaking:
            self.close()

    def _receive(self) -> None:
        sock, buffer = self._sock, self._buffer
        try:
            while True:
                data = sock.recv(262144)
                if not data:
                    self._eof = True
                    break
                buffer += data
                if not sock.pending():
                    break
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            pass
        except (OSError, ValueError):  # reset, or a TLS alert
            self.close()
            return
        if len(buffer) > MAX_HEADER_BYTES + MAX_BODY_BYTES:
            # more than one request can hold, sent while an answer waits out its latency
            self.close()
            return
        self._next()
        if self._eof and not self._closed:
            if self._answering or self._out is not None:
                self._close_when_written = True
                self._watch_for_data()
            else:
                self.close()

    def _send(self) -> None:
        out = self._out
        assert out is not None
        try:
            while out:
                out = out[self._sock.send(out) :]
        except (ssl.SSLWantWriteError, ssl.SSLWantReadError):
            self._out = out
            self._watch_for_data()
            return
        except (OSError, ValueError):
            self.close()
            return
        self._out = None
        if self._close_when_written:
            self.close()
            return
        self._watch_for_data()
        self._next()

    # -- the server's side ---------------------------------------------------------------------

    def admitted(self) -> None:
        self._admitted = True
        if self._closed:
            self._server._release()
        else:
            self._next()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        server, sock = self._server, self._sock
        server._connections.discard(self)
        if self._events and server._poll is not None:
            server._handlers.pop(self._fd, None)
            with contextlib.suppress(KeyError, ValueError, OSError):
                server._poll.unregister(self._fd)
            self._events = 0
        if not self._handshaking:
            with contextlib.suppress(OSError, ValueError):
                sock.unwrap()  # sends close_notify (its answer is not awaited)
        with contextlib.suppress(OSError):
            sock.close()
        if self._admitted:
            server._release()

    def _next(self) -> None:
        """Read the next request if one may be read now, and answer it after the latency."""
        if self._closed or not self._admitted or self._answering or self._out is not None:
            return
        try:
            self._read()
        except Exception:  # a request the server cannot read: the connection ends
            self.close()

    def _read(self) -> None:
        buffer = self._buffer
        server = self._server
        if self._head is None:
            end = buffer.find(b"\r\n\r\n")
            if end == -1 or end > MAX_HEADER_BYTES:  # as asyncio's StreamReader.readuntil limits it
                if end != -1 or len(buffer) - 3 > MAX_HEADER_BYTES:
                    self.close()
                elif self._waiting_since is None:
                    self._waiting_since = now = time.monotonic()
                    if not self._idle_armed:
                        self._idle_armed = True
                        server._call_at(now + server._idle, self._idle_check)
                return
            self._waiting_since = None
            head = RequestHead.parse(buffer[: end + 4].decode("latin-1"))
            del buffer[: end + 4]
            written = head.lowered.get("content-length", "0") or "0"
            # digits only: int() also takes a sign ("-5" would take the buffer's end for a body)
            length = int(written) if written.isascii() and written.isdigit() else MAX_BODY_BYTES + 1
            if length > MAX_BODY_BYTES:
                self._write(FakeAzure._encode(400, {}, b"", False), close=True)
                return
            self._head, self._length = head, length
        if len(buffer) < self._length:
            return  # the body is on its way (no idle limit, as before)
        head, body = self._head, (bytes(buffer[: self._length]) if self._length else None)
        del buffer[: self._length]
        self._head = None
        server.counts.requests += 1
        self._answering = True
        # no latency: the loop's next turn, as asyncio.sleep(0) was
        server._call_at(time.monotonic() + server._delay(), self._answer, head, body)

    def _idle_check(self) -> None:
        self._idle_armed = False
        if self._waiting_since is None or self._closed:
            return  # waits for no head now: a timer starts with the next wait
        due = self._waiting_since + self._server._idle
        if due <= time.monotonic():
            self.close()
        else:
            self._idle_armed = True
            self._server._call_at(due, self._idle_check)

    def _answer(self, head: RequestHead, body: bytes | None) -> None:
        self._answering = False
        if self._closed:
            return
        try:
            answer = self._server.respond(head, body)
        except Exception:
            self.close()
            return
        self._write(answer, close=not head.keep or self._eof)

    def _write(self, answer: bytes, *, close: bool) -> None:
        self._out = memoryview(answer)
        self._close_when_written = close
        self._send()


class FakeAzure:
    """The server. ``start()`` runs it on a thread of this process (tests); ``serve()`` runs it on
    the calling thread (its own process, for the benchmark)."""

    def __init__(
        self,
        responses: Mapping[RequestKey, RecordedResponse],
        certificates: Certificates,
        *,
        latency: float = 0.05,
        jitter: float = 0.0,
        max_connections: int = 512,
        idle_seconds: float = 30.0,
        max_seconds: float = 900.0,
        seed: int = 1,
        adapter: BaseAdapter | None = None,
        adapter_answers: Callable[[str, str], bool] | None = None,
        throttle: ArmThrottle | GraphQuota | AzureThrottle | None = None,
    ) -> None:
        """``throttle``: ARM's read limits (``bench/arm_throttle.py``), Resource Graph's query quota
        (``bench/graph_throttle.py``) or both enforced, else none.
        ``adapter`` answers instead of a replay adapter over ``responses``; ``adapter_answers``
        (method, path) names the requests it answers itself, every other one being answered as a
        replay adapter over ``responses`` would (``GraphAdapter``'s Resource Graph queries): then
        those are answered from ``responses`` directly too. A custom adapter without it answers
        every request."""
        self._adapter = adapter if adapter is not None else ReplayAdapter(responses, source="fake Azure")
        self.throttle = throttle
        self._responses = responses
        self._indexed_answers = adapter is None or adapter_answers is not None
        self._adapter_answers = adapter_answers
        self._heads: dict[tuple[int, tuple[tuple[str, str], ...]], bytes | None] = {}
        self._refused: dict[str | None, bool] = {}
        # Every recorded answer the index gives, written once before serving (as Azure has its
        # answers ready): answering is then a lookup and one write
        self._answers: dict[RequestKey, _Ready | None] = (
            {key: self._prepare(recorded) for key, recorded in responses.items()} if self._indexed_answers else {}
        )
        self._latency = latency
        self._jitter = jitter
        self._rng = random.Random(seed)
        self._idle = idle_seconds
        self._max_seconds = max_seconds
        self._slots = max_connections
        self.counts = Counts()
        self._open = 0
        self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._tls.load_cert_chain(certificates.server_pem)
        self._tls.sni_callback = self._saw_hello
        self.port = 0
        self._poll: select.epoll | None = None
        self._handlers: dict[int, _Connection] = {}  # by descriptor, the connections it watches
        self._timers: list[tuple[float, int, Callable[..., None], tuple[object, ...]]] = []  # a heap
        self._sequence = itertools.count()  # timers due at the same time run in the order they were set
        self._stopping = False
        self._wake: socket.socket | None = None  # stop() wakes the loop through it
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._waiting: deque[_Connection] = deque()  # for a slot
        self._connections: set[_Connection] = set()

    # -- counting ------------------------------------------------------------------------------

    def _saw_hello(self, sslobj: ssl.SSLObject, server_name: str | None, context: ssl.SSLContext) -> None:
        self.counts.handshakes[(server_name or "(no SNI)").lower()] += 1

    # -- serving -------------------------------------------------------------------------------

    def _admit(self, connection: _Connection) -> None:
        """A connection starts reading once one of ``max_connections`` slots is free (first come,
        first served); it is counted then."""
        if self._open < self._slots:
            self._open += 1
            self.counts.connections += 1
            self.counts.peak_open = max(self.counts.peak_open, self._open)
            connection.admitted()
        else:
            self._waiting.append(connection)

    def _release(self) -> None:
        self._open -= 1
        if self._waiting:
            self._admit(self._waiting.popleft())

    def _delay(self) -> float:
        return max(0.0, self._latency + (self._rng.uniform(-self._jitter, self._jitter) if self._jitter else 0.0))

    def respond(self, request: RequestHead, body: bytes | None, *, indexed: bool = True) -> bytes:
        """The whole answer (head and body) to a request; with a throttle, an ARM read beyond its
        limit is refused (429) and every other ARM read's answer says what remains."""
        if self.throttle is None:
            return self._respond(request, body, indexed)
        host = request.lowered.get("host", "").split(":")[0].lower()
        refusal, header = self.throttle.judge(request.method, host, request.target, request.keep)
        if refusal is not None:
            return refusal
        answer = self._respond(request, body, indexed)
        return answer if header is None else with_header(answer, header)

    def _respond(self, request: RequestHead, body: bytes | None, indexed: bool) -> bytes:
        """The whole answer (head and body) to a request. ``indexed=False``: always through the
        adapter, as every request was answered before the index (an indexed answer is the same
        bytes, which tests/test_fake_azure.py checks)."""
        host = request.lowered.get("host", "").split(":")[0]
        if indexed and self._indexed_answers:
            found = self._indexed(request, host, body)
            if found is not None:
                answer, at = found
                if request.keep:
                    return answer
                return b"%sclose\r\n\r\n%s" % (answer[:at], answer[at + len(_KEPT_ALIVE) :])
        url = f"https://{host}{request.target}"
        status, out_headers, content = self._answer(request.method, url, request.headers, body)
        return self._encode(status, out_headers, content, request.keep)

    def indexed(self, request: RequestHead, body: bytes | None) -> bool:
        """Whether ``respond`` answers this request from the index of recorded answers (tests)."""
        host = request.lowered.get("host", "").split(":")[0]
        return self._indexed_answers and self._indexed(request, host, body) is not None

    def _indexed(self, request: RequestHead, host: str, body: bytes | None) -> _Ready | None:
        """The answer the adapter gives an ordinary request (kept alive), found by its replay key;
        None when the adapter is to answer it itself: anything requests would
        refuse or rewrite beyond what the key sees, a Key Vault or registry challenge, a request
        the custom adapter answers, an unmatched request, an answer of unusual headers or status."""
        target, lowered, head = request.target, request.lowered, request.text
        if not (ordinary_target(target) and _ORDINARY_HOST.fullmatch(host)) or "/." in target:
            return None
        # requests refuses a header of an empty name or of a line break inside (a lone CR or LF)
        if "" in lowered or lone_break(head):
            return None
        method, host = request.method.upper(), host.lower()
        path = target.split("?", 1)[0]
        if self._adapter_answers is not None and self._adapter_answers(method, path):
            return None
        authorization = lowered.get("authorization")
        if host.endswith(VAULT_SUFFIXES) and self._refuses(authorization):
            return None
        registry = host.endswith(REGISTRY_HOST_SUFFIXES)  # the only hosts registry_challenge answers
        if (
            registry and ReplayAdapter.registry_challenge(host, path, authorization) is not None
        ):  # no token, or not for this
            return None
        if body is None and "%" not in target and "+" not in target:
            key = plain_key(method, host, target)
        else:
            key = request_key(method, f"https://{host}{target}", sent_body(body, lowered.get("content-type", "")))
        try:
            return self._answers[key]
        except KeyError:  # unmatched, or recorded after the server was made
            recorded = self._responses.get(key)
            return None if recorded is None else self._prepare(recorded)

    def _prepare(self, recorded: RecordedResponse) -> _Ready | None:
        """A recorded answer as the adapter's path writes it, kept alive, and where its
        ``Connection`` value starts; None for those the adapter is to write (see ``_head``)."""
        prefix = self._head(recorded)
        if prefix is None:
            return None
        content = recorded.content()
        answer = b"%sContent-Length: %d\r\nConnection: %s%s" % (prefix, len(content), _KEPT_ALIVE, content)
        return answer, len(answer) - len(content) - len(_KEPT_ALIVE)

    def _refuses(self, authorization: str | None) -> bool:
        """``ReplayAdapter._refuses``, remembered for the few tokens a run sends (each of them
        made the replay token anew)."""
        refused = self._refused.get(authorization)
        if refused is None:
            refused = ReplayAdapter._refuses(authorization)
            if len(self._refused) < 1024:
                self._refused[authorization] = refused
        return refused

    def _head(self, recorded: RecordedResponse) -> bytes | None:
        """A recorded answer's status line and headers as the adapter's path writes them (its
        default Content-Type first), encoded once per status and headers; None for those where
        urllib3 and requests would do more than carry them (a Content-Type, length, encoding or
        connection of its own, a name repeated in another case, a status without a body)."""
        key = (recorded.status, tuple(recorded.headers.items()))
        if key in self._heads:
            return self._heads[key]
        names = [name.lower() for name in recorded.headers]
        prefix = None
        if recorded.status in REASONS and len(set(names)) == len(names) and not set(names) & _CARRIED_ELSEWHERE:
            lines = [f"HTTP/1.1 {recorded.status} {REASONS[recorded.status]}", f"Content-Type: {JSON_TYPE}"]
            lines += [f"{name}: {value}" for name, value in recorded.headers.items()]
            with contextlib.suppress(UnicodeEncodeError):
                prefix = "".join(line + "\r\n" for line in lines).encode("latin-1")
        self._heads[key] = prefix
        return prefix

    def _answer(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None
    ) -> tuple[int, dict[str, str], bytes]:
        prepared = requests.Request(method, url, headers=headers, data=body).prepare()
        try:
            response = self._adapter.send(prepared)
        except Exception as exc:  # an unmatched request: what Azure would say of a path it does not know
            message = json.dumps({"error": {"code": "NotFound", "message": str(exc)[:300]}}).encode()
            return 404, {"Content-Type": "application/json; charset=utf-8"}, message
        return response.status_code, dict(response.headers), response.content

    @staticmethod
    def _encode(status: int, headers: dict[str, str], content: bytes, keep: bool) -> bytes:
        lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}"]
        lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() not in ("content-length", "connection")]
        lines += [f"Content-Length: {len(content)}", f"Connection: {'keep-alive' if keep else 'close'}", "", ""]
        return "\r\n".join(lines).encode("latin-1") + content

    def _serve(self, on_ready: Callable[[int], None]) -> None:
        """The epoll loop: accept, handshake, read, answer when a request's latency is over."""
        self._poll = poll = select.epoll()
        handlers = self._handlers
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        wake, self._wake = socket.socketpair()
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((LOOPBACK, 0))
            listener.listen(1024)
            listener.setblocking(False)
            wake.setblocking(False)
            poll.register(listener.fileno(), READ)
            poll.register(wake.fileno(), READ)
            listening, woken = listener.fileno(), wake.fileno()
            self.port = listener.getsockname()[1]
            on_ready(self.port)
            deadline = time.monotonic() + self._max_seconds
            timers = self._timers
            while not self._stopping:
                now = time.monotonic()
                if now >= deadline:
                    break
                timeout = min(timers[0][0], deadline) - now if timers else deadline - now
                # selectors' EpollSelector.select, without its keys: the timeout rounded up to whole
                # milliseconds, every watched descriptor's event taken in one call, and each
                # connection (with what it watches then) found before any is served; an error or
                # hang-up is reported as both events. (None: the listener.)
                ready: list[tuple[_Connection | None, int]] = []
                for fd, event in poll.poll(math.ceil(max(0.0, timeout) * 1e3) * 1e-3, len(handlers) + 2):
                    connection = handlers.get(fd)
                    if connection is not None:
                        mask = (WRITE if event & ~READ else 0) | (READ if event & ~WRITE else 0)
                        ready.append((connection, mask & connection._events))
                    elif fd == listening:
                        ready.append((None, READ))
                    elif fd == woken:
                        with contextlib.suppress(OSError):
                            wake.recv(64)
                for connection, mask in ready:
                    if connection is None:
                        self._accept(listener)
                    else:
                        try:
                            connection.ready(mask)
                        except Exception:  # whatever goes wrong with one connection ends it only
                            with contextlib.suppress(Exception):
                                connection.close()
                now = time.monotonic()
                while timers and timers[0][0] <= now:
                    _, _, callback, args = heapq.heappop(timers)
                    try:
                        callback(*args)
                    except Exception:
                        owner = getattr(callback, "__self__", None)
                        if isinstance(owner, _Connection):
                            with contextlib.suppress(Exception):
                                owner.close()
        finally:
            for connection in list(self._connections):
                connection.close()
            waker, self._wake = self._wake, None
            for sock in (listener, wake, waker):
                if sock is not None:
                    sock.close()
            poll.close()
            handlers.clear()

    def _accept(self, listener: socket.socket) -> None:
        for _ in range(1024):  # as many as the backlog holds, as asyncio accepts them
            try:
                raw, _address = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # out of descriptors, or the client gave up: the others still come
                return
            try:
                raw.setblocking(False)
                raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as asyncio sets it
                sock = self._tls.wrap_socket(raw, server_side=True, do_handshake_on_connect=False)
            except OSError:  # the client is gone already
                raw.close()
                continue
            connection = _Connection(self, sock)
            self._connections.add(connection)
            self._call_at(time.monotonic() + HANDSHAKE_SECONDS, connection.handshake_expired)
            try:
                connection.ready(READ)
            except Exception:  # as in the loop: it ends this connection only
                with contextlib.suppress(Exception):
                    connection.close()

    def _call_at(self, when: float, callback: Callable[..., None], *args: object) -> None:
        heapq.heappush(self._timers, (when, next(self._sequence), callback, args))

    def serve(self, on_ready: Callable[[int], None]) -> None:
        self._serve(on_ready)

    def start(self) -> FakeAzure:
        self._thread = threading.Thread(
            target=self._serve, args=(lambda port: self._ready.set(),), name="fake-azure", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the fake Azure server did not start")
        return self

    def stop(self) -> None:
        self._stopping = True
        if self._wake is not None:
            with contextlib.suppress(OSError):
                self._wake.send(b"x")
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> FakeAzure:
        return self.start()

    def __exit__(self, *args: object) -> None:
        self.stop()


# -- the client side: names resolve to the server ------------------------------------------------


def is_fake_host(host: str) -> bool:
    host = host.rstrip(".").lower()
    return host in ("management.azure.com", "login.microsoftonline.com") or host.endswith(
        (".vault.azure.net", ".azurecr.io")
    )


@contextlib.contextmanager
def resolve_to_loopback(port: int) -> Iterator[None]:
    """Resolve Azure's host names to the fake server (port included) in this process, and refuse
    every other name, so nothing the run sends can leave the machine. The client still connects
    by name: SNI, the Host header and certificate checks are those of a live run."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, service: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name in (LOOPBACK, "localhost"):
            return real(host, service, *args, **kwargs)
        if not is_fake_host(name):
            raise socket.gaierror(socket.EAI_NONAME, f"{name} is not served by the fake Azure")
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (LOOPBACK, port))]

    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]
    try:
        yield
    finally:
        socket.getaddrinfo = real


# -- its own process (the benchmark) -------------------------------------------------------------


class ServerProcess:
    """``python -m bench.tls_server`` as a child process: it builds the synthetic tenant itself,
    prints its port, answers ``stats`` on standard input with its counts, and ends when standard
    input closes."""

    def __init__(self, args: list[str]) -> None:
        import subprocess

        self._process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "bench.tls_server", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        ready = self._process.stdout.readline().split()
        if len(ready) != 2 or ready[0] != "ready":
            self._process.kill()
            raise RuntimeError("the fake Azure server did not start")
        self.port = int(ready[1])

    def stats(self) -> dict[str, object]:
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write("stats\n")
        self._process.stdin.flush()
        return dict(json.loads(self._process.stdout.readline()))

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(10)
        except Exception:
            self._process.kill()
            self._process.wait()


PROFILE_VARIABLE = "AZAUDIT_FAKE_AZURE_PROFILE"


def _graph_query(method: str, path: str) -> bool:
    """Whether ``GraphAdapter`` may answer a request itself (a Resource Graph query), from its raw
    path: true of every request it takes (and of a few it passes on, which take its path too)."""
    from bench.synthetic import GRAPH_PATH

    return method == "POST" and GRAPH_PATH in unquote(path).lower()


class _Profile:
    """With ``AZAUDIT_FAKE_AZURE_PROFILE=FILE`` in its environment (``bench.run`` passes its own on),
    the server profiles its serving (from ``ready`` on, CPU time, the event loop's thread) into
    FILE, for ``python -m pstats FILE``."""

    def __init__(self, path: str | None) -> None:
        self._path = path
        self._profiler: cProfile.Profile | None = None

    def start(self) -> None:
        if self._path:
            self._profiler = cProfile.Profile(time.process_time)
            self._profiler.enable()

    def stop(self) -> None:
        if self._profiler is not None and self._path:
            self._profiler.disable()
            self._profiler.dump_stats(self._path)


# --throttle: what the fake Azure enforces
_THROTTLES: dict[str, Callable[[], ArmThrottle | GraphQuota | AzureThrottle | None]] = {
    "azure": AzureThrottle,
    "arm": ArmThrottle,
    "graph": GraphQuota,
    "none": lambda: None,
}


def main() -> None:
    parser = argparse.ArgumentParser(description="The fake Azure over HTTPS, serving the synthetic tenant.")
    parser.add_argument("--subscriptions", type=int, required=True)
    parser.add_argument("--per-subscription", type=int, required=True)
    parser.add_argument("--server-pem", type=Path, required=True)
    parser.add_argument("--ca-pem", type=Path, required=True)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--jitter", type=float, default=0.0)
    parser.add_argument("--max-seconds", type=float, default=900.0)
    parser.add_argument("--max-connections", type=int, default=4096, help="open at once; more wait in the backlog")
    parser.add_argument("--graph", action="store_true", help="the audit enumerates through Azure Resource Graph")
    parser.add_argument("--parts", type=int, default=1, help="collection processes (each sends its own queries)")
    parser.add_argument(
        "--throttle",
        choices=("azure", "arm", "graph", "none"),
        default="none",
        help="arm: ARM's read limits (bench/arm_throttle.py); graph: Resource Graph's query quota "
        "(bench/graph_throttle.py); azure: both",
    )
    args = parser.parse_args()
    from bench.synthetic import GraphAdapter, SyntheticTenant

    # The tenant and its answers are kept whole until the server ends: the collector is kept off
    # while they are built and never scans them after (at 10k resources a full collection took
    # 0.2 to 0.4 s of CPU, six of them a run, 1.1 s in all)
    gc.disable()
    tenant = SyntheticTenant(args.subscriptions, args.per_subscription, graph=args.graph)
    server = FakeAzure(
        tenant.responses,
        Certificates(ca_pem=args.ca_pem, server_pem=args.server_pem),
        latency=args.latency,
        jitter=args.jitter,
        max_seconds=args.max_seconds,
        # Azure's front ends do not stop one client at 512 open connections; an audit with more
        # requests in flight keeps more (one per host it reads, as many as in flight to ARM).
        max_connections=args.max_connections,
        adapter=GraphAdapter(tenant, "fake Azure") if args.graph else None,
        adapter_answers=_graph_query if args.graph else None,
        throttle=_THROTTLES[args.throttle](),
    )
    gc.freeze()
    gc.enable()

    built = 0.0  # CPU seconds spent before ``ready`` (the tenant, the certificate, the imports)
    profile = _Profile(os.environ.get(PROFILE_VARIABLE))

    def control() -> None:
        for line in sys.stdin:
            if line.strip() == "stats":
                tenant_size = {"resources": tenant.resource_count, "expected": tenant.request_count(args.parts)}
                usage = resource.getrusage(resource.RUSAGE_SELF)
                server_rss = {
                    "server_peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
                    # its CPU answering the audit (since ``ready``): on a machine it shares with the
                    # client, time the client's threads could not run; building the tenant apart
                    "server_cpu_s": round(usage.ru_utime + usage.ru_stime - built, 2),
                    "server_build_cpu_s": round(built, 2),
                }
                throttled = server.throttle.counts() if server.throttle is not None else {}
                print(json.dumps({**tenant_size, **server.counts.as_dict(), **throttled, **server_rss}), flush=True)
        server.stop()  # standard input closed: the benchmark is over (or gone)

    def ready(port: int) -> None:
        nonlocal built
        usage = resource.getrusage(resource.RUSAGE_SELF)
        built = usage.ru_utime + usage.ru_stime
        profile.start()
        print(f"ready {port}", flush=True)
        threading.Thread(target=control, daemon=True).start()

    try:
        server.serve(ready)
    finally:
        profile.stop()


if __name__ == "__main__":
    main()
