"""A wall-clock deadline per attempt: the read timeout of ``requests`` applies to each ``recv``, so
a server sending one byte a second would never time out; one watchdog thread per process cuts the
connection of an attempt that has not completed in time. A connection is handed to the deadline of
the attempt using it: :func:`register` for azaudit's own ``http.client`` connections
(:mod:`azaudit.transport.wire`), and :data:`POOL_CLASSES`, urllib3's pools over connections that
register themselves (the ``requests`` path: replay sessions, recordings, the live fallback)."""

from __future__ import annotations

import contextlib
import heapq
import http.client
import itertools
import os
import socket
import threading
import time
from typing import Any

import urllib3
from urllib3.connection import HTTPConnection as Urllib3HTTPConnection
from urllib3.connection import HTTPSConnection as Urllib3HTTPSConnection

from azaudit.lifecycle import pause_before_fork


class _ThreadState(threading.local):
    deadline: Deadline | None = None  # of the attempt in flight


_state = _ThreadState()


def start(seconds: float) -> Deadline:
    """The deadline of an attempt this thread starts now: its connections are cut ``seconds`` on."""
    deadline = _WATCHDOG.watch(seconds)
    _state.deadline = deadline
    return deadline


def register(connection: http.client.HTTPConnection) -> None:
    """Hand ``connection`` (connected) to the deadline of the attempt this thread is sending, if
    any: cut at once when that deadline has already passed."""
    deadline = _state.deadline
    if deadline is not None:
        deadline.register(connection)


def release(connection: http.client.HTTPConnection) -> bool:
    """Take ``connection`` back from the deadline of the attempt this thread is sending, before
    it goes back to its pool for another thread's request: that deadline can then no longer cut
    it. False when the deadline has passed (the connection may be cut: close it, never pool it)."""
    deadline = _state.deadline
    return deadline is None or deadline.release(connection)


def expired() -> bool:
    """Whether the deadline of the attempt this thread is sending has passed (its connections cut)."""
    deadline = _state.deadline
    return deadline is not None and deadline.expired


def end(deadline: Deadline) -> None:
    """The attempt is over (answered, failed or cut): its deadline no longer applies."""
    _state.deadline = None
    deadline.finish()


class Deadline:
    """The wall-clock end of one attempt, and the connections to cut when it passes."""

    def __init__(self, at: float) -> None:
        self.at = at
        self.expired = False
        self._done = False
        self._lock = threading.Lock()
        self._connections: list[http.client.HTTPConnection] = []

    def register(self, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            if self._done:
                return
            if self.expired:
                _cut(connection)
            else:
                self._connections.append(connection)

    def release(self, connection: http.client.HTTPConnection) -> bool:
        with self._lock:
            if self.expired:
                return False
            if connection in self._connections:
                self._connections.remove(connection)
            return True

    def expire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            for connection in self._connections:
                _cut(connection)

    def finish(self) -> None:
        with self._lock:
            self._done = True
            self._connections.clear()

    @property
    def done(self) -> bool:
        return self._done


def _cut(connection: http.client.HTTPConnection) -> None:
    """Shut the connection's socket down: a ``recv`` blocked on it returns at once."""
    sock = getattr(connection, "sock", None)
    if isinstance(sock, socket.socket):
        # socket.socket's own shutdown, also for an SSLSocket (whose override would tear down its
        # TLS state under the reading thread's feet).
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Watchdog:
    """One thread per process that expires deadlines on time."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        # watch() takes the condition's lock itself (a Condition's own `with` is Python code).
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._heap: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._generation = 0  # a paused thread's generation is over: it returns

    def pause(self) -> None:
        """End the thread before workers are forked (the next deadline starts a new one)."""
        with self._cond:
            thread, self._thread = self._thread, None
            self._generation += 1
            self._cond.notify_all()
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def watch(self, seconds: float) -> Deadline:
        deadline = Deadline(time.monotonic() + seconds)
        with self._lock:
            earliest = self._heap[0][0] if self._heap else None
            heapq.heappush(self._heap, (deadline.at, next(self._order), deadline))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, args=(self._generation,), name="azaudit-deadlines", daemon=True
                )
                self._thread.start()
            elif earliest is None or deadline.at < earliest:
                self._cond.notify()
        return deadline

    def _run(self, generation: int) -> None:
        while True:
            due: list[Deadline] = []
            with self._cond:
                while not due:
                    if generation != self._generation:
                        return
                    now = time.monotonic()
                    while self._heap and (self._heap[0][2].done or self._heap[0][0] <= now):
                        _, _, deadline = heapq.heappop(self._heap)
                        if not deadline.done:
                            due.append(deadline)
                    if not due:
                        self._cond.wait(self._heap[0][0] - now if self._heap else None)
            for deadline in due:
                deadline.expire()


_WATCHDOG = _Watchdog()
if hasattr(os, "register_at_fork"):
    # A forked collection process starts with no watchdog thread and must not inherit a lock.
    os.register_at_fork(after_in_child=_WATCHDOG._reset)
pause_before_fork(_WATCHDOG.pause)


class _CuttableConnection:
    """A urllib3 connection that hands itself to the deadline of the attempt using it."""

    def connect(self) -> None:
        _register(self)
        super().connect()  # type: ignore[misc]

    def request(self, *args: Any, **kwargs: Any) -> None:
        _register(self)
        super().request(*args, **kwargs)  # type: ignore[misc]


def _register(connection: object) -> None:
    if isinstance(connection, http.client.HTTPConnection):
        register(connection)


class _HTTPConnection(_CuttableConnection, Urllib3HTTPConnection):
    pass


class _HTTPSConnection(_CuttableConnection, Urllib3HTTPSConnection):
    pass


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


POOL_CLASSES = {"http": _HTTPPool, "https": _HTTPSPool}
