"""Kept-alive ``http.client`` connections of a live run, pooled per origin, for the wire transport
(:mod:`azaudit.transport.wire`).

One :class:`ConnectionPools` per transport holds a pool per (scheme, host, port, proxy):

- up to ``pool_size`` idle connections per pool (the run's concurrency); more may be open at once,
  and those beyond it are closed when handed back (as urllib3 does without ``block``);
- pools for at most ``pool_size + SPARE_HOST_POOLS`` origins (every vault is a host of its own):
  the least recently used pool is dropped, its idle sockets closed;
- an idle connection the server has closed (or that holds bytes nobody asked for) is dropped
  before reuse, as urllib3's ``is_connection_dropped`` does;
- each connection reads its answers through one buffered reader kept for its life
  (:func:`unread`): no ``socket.makefile`` and ``HTTPResponse`` file per answer. A buffered reader
  reads ahead, past the end of an answer; bytes it holds once an answer is read (a server sending
  more than it said, an answer glued to the one asked for) are nobody's answer: the wire transport
  closes such a connection rather than pool it, and the check of an idle connection refuses one
  whose reader holds any, beside the socket's and the TLS layer's pending bytes;
- every socket wrapped with the run's one TLS context (:func:`azaudit.tls.run_tls_context`), the
  server's name sent (SNI) and checked against its certificate;
- a process forked from the one that opened them never sees these sockets: the pools are empty in
  the child (a socket shared across a fork would mix two processes' requests).

The one lock of the pools guards their bookkeeping only (a list's pop or append, the order of the
pools): no system call runs under it. The check of an idle connection is a ``poll`` system call,
which lets other threads run meanwhile; done under the lock, the lock stayed held until the
checking thread got the interpreter back (up to its 5 ms switch interval), and the threads of a
collection process queued on it (37 % of a 10k benchmark's wall-clock samples were threads waiting
there). A connection is taken from its pool under the lock and checked (or closed) after it.
"""

from __future__ import annotations

import http.client
import io
import os
import select
import socket
import ssl
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from azaudit.transport.session import SPARE_HOST_POOLS


@dataclass(frozen=True)
class Tunnel:
    """An HTTP proxy that a connection goes through with ``CONNECT`` (an HTTPS tunnel)."""

    host: str
    port: int
    authorization: str | None  # Proxy-Authorization (Basic, from the proxy URL's user info)


@dataclass(frozen=True)
class Origin:
    scheme: str  # "https" or "http"
    host: str
    port: int
    tunnel: Tunnel | None = None


class _Pool:
    __slots__ = ("idle", "retired")

    def __init__(self) -> None:
        self.idle: list[http.client.HTTPConnection] = []
        self.retired = False  # dropped from the pools: what comes back is closed


class ConnectionPools:
    """The pools of one transport (see the module docstring). Thread-safe."""

    def __init__(self, pool_size: int, tls: ssl.SSLContext) -> None:
        self.pool_size = max(1, pool_size)
        self.max_pools = self.pool_size + SPARE_HOST_POOLS
        self.tls = tls
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._pools: OrderedDict[Origin, _Pool] = OrderedDict()
        self._process = _process[0]
        self._closed = False

    def _current(self) -> OrderedDict[Origin, _Pool]:
        if self._process != _process[0]:
            # A forked child: its parent's sockets are not its own (nor is a lock held at the fork).
            self._reset()
        return self._pools

    def idle_connection(self, origin: Origin) -> http.client.HTTPConnection | None:
        """An idle connection to ``origin`` the server has not closed, or None. Each candidate is
        taken from the pool under the lock, and checked (a system call) and closed outside it."""
        pools = self._current()
        while True:
            with self._lock:
                pool = pools.get(origin)
                if pool is None or not pool.idle:
                    return None
                pools.move_to_end(origin)
                candidate = pool.idle.pop()
            if not is_dropped(candidate):
                return candidate
            candidate.close()

    def new_connection(
        self,
        origin: Origin,
        connect_timeout: float,
        before_connect: Callable[[http.client.HTTPConnection], None] | None = None,
    ) -> http.client.HTTPConnection:
        """A connection to ``origin``, connected (through its tunnel, TLS handshake done) within
        ``connect_timeout`` for each step; ``before_connect`` is handed it first (the deadline, which
        can then cut a handshake that trickles). Raises what the socket or TLS layer raised."""
        target = origin.tunnel or origin
        connection: http.client.HTTPConnection
        if origin.scheme == "https":
            connection = _HTTPSConnection(target.host, target.port, timeout=connect_timeout, context=self.tls)
        else:
            connection = _HTTPConnection(target.host, target.port, timeout=connect_timeout)
        if origin.tunnel is not None:
            headers = (
                {} if origin.tunnel.authorization is None else {"Proxy-Authorization": origin.tunnel.authorization}
            )
            connection.set_tunnel(origin.host, origin.port, headers=headers)
        connection.auto_open = 0  # never reconnect behind the pool's back
        if before_connect is not None:
            before_connect(connection)
        try:
            connection.connect()
        except BaseException:
            connection.close()
            raise
        return connection

    def give_back(self, origin: Origin, connection: http.client.HTTPConnection) -> None:
        """Keep ``connection`` (its answer read to the end) for the next request to ``origin``."""
        evicted: list[_Pool] = []
        kept = False
        pools = self._current()
        with self._lock:
            if not self._closed and self._process == _process[0]:
                pool = pools.get(origin)
                if pool is None:
                    pool = pools[origin] = _Pool()
                    while len(pools) > self.max_pools:
                        _, oldest = pools.popitem(last=False)
                        oldest.retired = True
                        evicted.append(oldest)
                else:
                    pools.move_to_end(origin)
                if not pool.retired and len(pool.idle) < self.pool_size:
                    pool.idle.append(connection)
                    kept = True
        if not kept:
            connection.close()
        for pool in evicted:
            for idle in pool.idle:
                idle.close()
            pool.idle.clear()

    def close(self) -> None:
        """Close every idle connection; connections handed back later are closed too."""
        pools = self._current()
        with self._lock:
            self._closed = True
            dropped = list(pools.values())
            pools.clear()
        for pool in dropped:
            pool.retired = True
            for connection in pool.idle:
                connection.close()
            pool.idle.clear()

    def counts(self) -> dict[Origin, int]:
        """Idle connections per origin (for tests and diagnostics)."""
        pools = self._current()
        with self._lock:
            return {origin: len(pool.idle) for origin, pool in pools.items()}


READ_BUFFER = io.DEFAULT_BUFFER_SIZE  # a reader's buffer, as socket.makefile("rb") gave each answer


class _SocketBytes(io.RawIOBase):
    """What a connection's reader reads: its socket's ``recv_into``, counting the bytes received
    (the reader's unread bytes are those received less those it handed out, :func:`unread`). Not
    ``socket.makefile``'s ``SocketIO``, which holds the socket's descriptor open after the
    connection closed it, until the reader itself is closed."""

    def __init__(self, sock: socket.socket) -> None:
        self._recv_into = sock.recv_into
        self.received = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count: int = self._recv_into(buffer)
        self.received += count
        return count

    def tell(self) -> int:
        return self.received


def _reader(sock: socket.socket) -> io.BufferedReader:
    return io.BufferedReader(_SocketBytes(sock), READ_BUFFER)


def unread(reader: io.BufferedReader) -> int:
    """How many bytes ``reader`` (a connection's, :func:`reader_of`) received and has not handed out."""
    return cast(_SocketBytes, reader.raw).received - reader.tell()


def reader_of(connection: http.client.HTTPConnection) -> io.BufferedReader | None:
    """The reader of a connection's answers, kept for its life (made when it connected), or None
    for a connection these pools did not open."""
    reader: io.BufferedReader | None = getattr(connection, "reader", None)
    return reader


class _HTTPConnection(http.client.HTTPConnection):
    """http.client's HTTP connection, with a reader of answers kept for its life (:func:`unread`)."""

    reader: io.BufferedReader | None = None

    def connect(self) -> None:
        super().connect()
        self.reader = _reader(self.sock)

    def close(self) -> None:
        self.reader = None
        super().close()


class _HTTPSConnection(http.client.HTTPSConnection):
    """http.client's HTTPS connection, with the TLS handshake done once the TLS socket is the
    connection's: a deadline cutting the connection meanwhile cuts the handshake. (http.client's
    own handshake runs inside ``wrap_socket``, on a socket nothing else can reach.) Its answers
    are read through a reader kept for its life (:func:`unread`)."""

    reader: io.BufferedReader | None = None

    def connect(self) -> None:
        context: ssl.SSLContext = self._context  # type: ignore[attr-defined]
        if type(context) is not ssl.SSLContext:  # truststore's checks the chain inside wrap_socket
            super().connect()
        else:
            http.client.HTTPConnection.connect(self)  # TCP, and the proxy's tunnel if any
            server_hostname = self._tunnel_host or self.host  # type: ignore[attr-defined]
            self.sock = context.wrap_socket(self.sock, server_hostname=server_hostname, do_handshake_on_connect=False)
            self.sock.do_handshake()
        self.reader = _reader(self.sock)

    def close(self) -> None:
        self.reader = None
        super().close()


def is_dropped(connection: http.client.HTTPConnection) -> bool:
    """Whether an idle connection is unusable: no socket, closed by the server (readable at EOF),
    or holding bytes nobody asked for (readable, TLS data already decrypted, or bytes its reader
    read ahead of the answer before)."""
    sock = connection.sock
    if sock is None:
        return True
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True
    reader = reader_of(connection)
    try:
        if reader is not None and unread(reader):
            return True
    except ValueError:  # the reader closed
        return True
    try:
        if _POLL:
            descriptor = sock.fileno()
            if descriptor < 0:  # closed
                return True
            # The thread's own poll object (one may not be polled by two threads at once), holding
            # only this descriptor while it is asked: half the cost of a new one per check.
            poller = _pollers.poller
            if poller is None:
                poller = _pollers.poller = select.poll()
            poller.register(descriptor, _READABLE)
            try:
                return bool(poller.poll(0))
            finally:
                poller.unregister(descriptor)
        # Windows has no poll; its select takes any socket (no descriptor-number limit there).
        readable, _, failed = select.select([sock], [], [sock], 0)
        return bool(readable or failed)
    except (OSError, ValueError):
        return True


_POLL = hasattr(select, "poll")
_READABLE = (select.POLLIN | select.POLLERR | select.POLLHUP) if _POLL else 0


class _Pollers(threading.local):
    poller: Any = None  # select.poll, made on a thread's first check


_pollers = _Pollers()

# Which process this is, as a number that changes in a forked child (os.register_at_fork runs
# after every os.fork, multiprocessing's included): the pools compare it at every call, where
# os.getpid() was a system call each time. Windows has no fork.
_process = [0]


def _forked() -> None:
    _process[0] += 1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forked)
