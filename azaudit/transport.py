"""The one HTTP seam of a run: a transport shared by every SDK client.

:class:`GuardedTransport` wraps the real azure-core transport (``RequestsTransport`` live, the
same transport over a replay session in tests and the demo). Every request of every client goes
through it, so what it enforces no client can bypass:

- the secret guard (:mod:`azaudit.secret_guard`);
- the hosts a request may go to: only the audited cloud's ARM host, its Key Vault hosts
  (``{vault}.vault.azure.net`` and the sovereign equivalents) and the login servers of the
  audited registries (``{registry}.azurecr.io`` and the sovereign equivalents, each added by
  :meth:`GuardedTransport.allow_registries` once ARM has listed it), over HTTPS on the default port.
  The bearer token is added above the transport, so a ``nextLink`` naming any other host is
  refused here, before anything is sent (:class:`~azaudit.errors.ForeignHostError`);
- paged lists that loop (a page pointing back at one already served) or never end
  (:class:`~azaudit.errors.PagingLoopError`), within one :func:`request_scope`;
- the wait azure-core's retry policy asks for (``Retry-After``, ``retry-after-ms``,
  ``x-ms-retry-after-ms``, an HTTP date, back-off): at most :data:`RETRY_WAIT_CAP_SECONDS` for
  one request, and the scope is told when the service asked for more;
- a wall-clock deadline per attempt: the read timeout of ``requests`` applies to each ``recv``,
  so a server sending one byte a second would never time out; a watchdog cuts the connection of
  an attempt that has not completed within ``--timeout``.

It also counts requests (total, by kind, peak in flight) so that runs and benchmarks can show
what they cost.
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import itertools
import os
import re
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import msgspec
import requests
import urllib3
from azure.core.exceptions import ServiceResponseTimeoutError
from azure.core.pipeline.transport import HttpTransport, RequestsTransport
from urllib3.connection import HTTPConnection, HTTPSConnection

from azaudit import lifecycle, secret_guard
from azaudit.clouds import Cloud
from azaudit.errors import ForeignHostError, PagingLoopError, ThrottledError
from azaudit.lifecycle import pause_before_fork
from azaudit.tls import run_tls_context

# The longest azaudit waits, in total, before the attempts of one request (Retry-After and
# back-off together). A service asking for more is told no: the scope is noted or, when the
# attempts run out, reported as not collected. Internal: tests lower it.
RETRY_WAIT_CAP_SECONDS = 60.0
# More pages than this in one list is a loop (25 items a page: 250,000 Key Vault secrets).
MAX_PAGES_PER_LIST = 10_000

_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


def request_kind(method: str, url: str) -> str:
    """A request's shape with names and ids blanked, e.g.
    ``GET /subscriptions/{}/resourceGroups/{}/providers/Microsoft.KeyVault/vaults/{}/keys``."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    shaped: list[str] = []
    provider_at = -1
    for i, segment in enumerate(segments):
        previous = segments[i - 1].lower() if i else ""
        if (
            previous in ("subscriptions", "resourcegroups")
            or _GUID.match(segment)
            or (provider_at >= 0 and i > provider_at + 1 and (i - provider_at) % 2 == 1)
        ):
            shaped.append("{}")
        else:
            shaped.append(segment)
        if segment.lower() == "providers":
            provider_at = i
    host = parts.hostname or ""
    prefix = "" if host.startswith("management.") else "{data-plane}"
    registry = _REGISTRY_READ.match(unquote(parts.path))
    if registry is not None:
        # a registry's data plane: one kind per operation, whatever the repository and tag
        return f"{method.upper()} {prefix}/{registry['api']}/{{}}/{registry['operation']}/{{}}"
    if not host.startswith("management.") and len(shaped) > 1:
        shaped[1:2] = ["{}"]
    return f"{method.upper()} {prefix}/{'/'.join(shaped)}"


_REGISTRY_READ = re.compile(r"^/(?P<api>acr/v1|v2)/.+/(?P<operation>_tags|_manifests|referrers|manifests|blobs)/[^/]+$")


class RequestCounts(msgspec.Struct, frozen=True):
    """A snapshot of ``RequestStats``."""

    total: int
    challenges: int
    peak_in_flight: int
    by_kind: dict[str, int]
    by_url: dict[str, int]


class RequestStats:
    """Thread-safe counters of the requests a run sent."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.total = 0
        self.by_kind: Counter[str] = Counter()
        self.by_url: Counter[str] = Counter()  # authenticated requests only
        self.challenges = 0  # Key Vault's unauthenticated first request per vault (answered 401)
        self.in_flight = 0
        self.peak_in_flight = 0

    def started(self, method: str, url: str, authenticated: bool = True, registry: bool = False) -> None:
        """Count a request. An unauthenticated one is Key Vault's bearer challenge, or (``registry``)
        a registry's sign-in: the SDK's token exchange, or the read that draws its 401."""
        if authenticated:
            kind = request_kind(method, url)
        elif registry:
            kind = _registry_sign_in(method, url)
        else:
            kind = "bearer challenge (Key Vault, 401 expected)"
        with self._lock:
            self.total += 1
            self.by_kind[kind] += 1
            if authenticated:
                self.by_url[f"{method.upper()} {url}"] += 1
            elif not registry:
                self.challenges += 1
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    def counts(self) -> RequestCounts:
        """What these counters hold, as plain data (a forked collection process sends it back)."""
        with self._lock:
            return RequestCounts(
                total=self.total,
                challenges=self.challenges,
                peak_in_flight=self.peak_in_flight,
                by_kind=dict(self.by_kind),
                by_url=dict(self.by_url),
            )

    def merge(self, other: RequestCounts) -> None:
        """Add the requests another process sent (one part of a multi-process collection); the
        processes ran at the same time, so their peaks add up."""
        with self._lock:
            self.total += other.total
            self.challenges += other.challenges
            self.peak_in_flight += other.peak_in_flight
            self.by_kind.update(other.by_kind)
            self.by_url.update(other.by_url)

    def finished(self) -> None:
        with self._lock:
            self.in_flight -= 1


def _registry_sign_in(method: str, url: str) -> str:
    """The kind of a registry request sent without the run's token: the SDK's token exchange, or a
    read sent first without a token (azure-containerregistry's challenge policy), answered 401."""
    path = urlsplit(url).path.rstrip("/").lower()
    if method.upper() == "POST" and path == "/oauth2/exchange":
        return "POST {data-plane}/oauth2/exchange (registry sign-in: refresh token)"
    if method.upper() == "POST" and path == "/oauth2/token":
        return "POST {data-plane}/oauth2/token (registry sign-in: access token of a scope)"
    return f"{method.upper()} {{data-plane}} without a token (registry sign-in: answered 401 with the scope it needs)"


def destination_refusal(url: str, cloud: Cloud, registries: frozenset[str] = frozenset()) -> str | None:
    """Why ``url`` is not a place azaudit sends requests (and its bearer token) to, or None.

    Allowed: ``https`` on the default port to the cloud's ARM host, or to one vault host under
    its Key Vault suffix (``kv-name.vault.azure.net``; a trailing dot names the same host).
    Private-link names (``*.privatelink.vaultcore.azure.net``) are not allowed: azaudit reaches
    a vault through the ``vaultUri`` ARM gives, which is always the public name (DNS takes it to
    the private endpoint), so such a name could only come from an answer. ``registries`` are the
    login servers of the audited registries (see :func:`registry_host`): no other registry.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".").lower()
    arm_host = _host_of(cloud.arm_endpoint)
    # https, no user info, the default port: the usual case, decided without what only shapes a refusal
    usual = parts.scheme == "https" and "@" not in parts.netloc and ":" not in parts.netloc
    if usual and (host == arm_host or host in registries or _vault_host(host, cloud.vault_suffix)):
        return None
    where = f"{arm_host} or *.{cloud.vault_suffix}"
    # The host comes from an answer: shown only when it is a plain DNS name or address.
    shown = host if re.fullmatch(r"[a-z0-9.:-]{1,253}", host) else "a host with unusual characters"
    if parts.scheme.lower() != "https":
        return f"{shown} is not reached over https (azaudit talks only to {where})"
    if parts.username is not None or parts.password is not None:
        return "the address carries a user name or password"
    try:
        port = parts.port
    except ValueError:
        return "the address has a malformed port"
    if port not in (None, 443):
        return f"port {port} is not the https port (azaudit talks only to {where})"
    if host == arm_host or _vault_host(host, cloud.vault_suffix) or host in registries:
        return None
    named = shown if host else "an empty host"
    return f"{named} is neither the audited cloud's ARM host nor one of its key vaults ({where})"


@functools.lru_cache(maxsize=8)
def _host_of(endpoint: str) -> str:
    return (urlsplit(endpoint).hostname or "").lower()


def registry_host(login_server: str, cloud: Cloud) -> str | None:
    """The login server ARM reported for a registry, as a host the transport may reach: a
    registry name (5-50 letters and digits, as ACR allows) under the cloud's registry suffix; None
    for anything else (a login server is tenant-reported data)."""
    host = login_server.strip().rstrip(".").lower()
    name, dot, rest = host.partition(".")
    if dot and rest == cloud.registry_suffix and re.fullmatch(r"[a-z0-9]{5,50}", name):
        return host
    return None


def _vault_host(host: str, suffix: str) -> bool:
    name, dot, rest = host.partition(".")
    return bool(dot) and rest == suffix and re.fullmatch(r"[a-z0-9-]{1,63}", name) is not None


@dataclass
class Throttled:
    """A wait the service asked for that was longer than azaudit waits for one request."""

    kind: str  # request_kind() of the request
    asked: float  # seconds
    waited: float  # seconds


@dataclass
class RequestScope:
    """What the transport remembers about the requests of one unit of work (one collection task,
    one subscription listing), in the thread that runs it."""

    served: set[tuple[str, str, str, tuple[tuple[str, str], ...]]] = field(default_factory=set)
    requests: int = 0
    throttled: list[Throttled] = field(default_factory=list)

    # The page key of the request begun last (its attempts and answer reuse it).
    _begun: tuple[str, str, tuple[str, str, str, tuple[tuple[str, str], ...]]] | None = None

    def begin(self, method: str, url: str) -> None:
        """A new request of this scope (not another attempt of one already sent)."""
        key = _page_key(method, url)
        self._begun = (method, url, key)
        if key in self.served:
            raise PagingLoopError(
                f"a paged list points back at a page it already served ({request_kind(method, url)}): "
                "the list loops and is not complete"
            )
        self.requests += 1
        if self.requests > MAX_PAGES_PER_LIST:
            raise PagingLoopError(
                f"more than {MAX_PAGES_PER_LIST} pages in one list ({request_kind(method, url)}): the list never ends"
            )

    def answered(self, method: str, url: str, status: int) -> None:
        # A loop is a nextLink GET served before. A POST (a registry token request per scope, a
        # Resource Graph page) carries what differs in its body: the same URL again is no loop.
        if method.upper() == "GET" and 200 <= status < 300:
            begun = self._begun
            self.served.add(begun[2] if begun is not None and begun[:2] == (method, url) else _page_key(method, url))


def _page_key(method: str, url: str) -> tuple[str, str, str, tuple[tuple[str, str], ...]]:
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".").lower()
    query = tuple(sorted((k.lower(), v) for k, v in parse_qsl(parts.query, keep_blank_values=True)))
    return method.upper(), host, secret_guard.normalised_path(url).rstrip("/").lower(), query


class _ThreadState(threading.local):
    scope: RequestScope | None = None
    request: object | None = None  # the request whose attempts are being sent
    waited: float = 0.0  # seconds waited between its attempts so far
    deadline: _Deadline | None = None  # of the attempt in flight


_state = _ThreadState()


@contextmanager
def request_scope() -> Iterator[RequestScope]:
    """Track the requests this thread sends until the block ends (see :class:`RequestScope`)."""
    previous = _state.scope
    scope = RequestScope()
    _state.scope = scope
    try:
        yield scope
    finally:
        _state.scope = previous


class _Deadline:
    """The wall-clock end of one attempt, and the connections to cut when it passes."""

    def __init__(self, at: float) -> None:
        self.at = at
        self.expired = False
        self._done = False
        self._lock = threading.Lock()
        self._connections: list[HTTPConnection] = []

    def register(self, connection: HTTPConnection) -> None:
        with self._lock:
            if self._done:
                return
            if self.expired:
                _cut(connection)
            else:
                self._connections.append(connection)

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


def _cut(connection: HTTPConnection) -> None:
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
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Deadline]] = []
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

    def watch(self, seconds: float) -> _Deadline:
        deadline = _Deadline(time.monotonic() + seconds)
        with self._cond:
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
            due: list[_Deadline] = []
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


class GuardedTransport(HttpTransport):  # type: ignore[misc,type-arg]
    """Delegates to ``inner`` after the guards (see the module docstring), with default timeouts,
    a wall-clock deadline per attempt and a bounded wait between attempts, counting requests."""

    def __init__(
        self,
        inner: HttpTransport,  # type: ignore[type-arg]
        *,
        cloud: Cloud,
        connection_timeout: float,
        read_timeout: float,
        stats: RequestStats | None = None,
    ) -> None:
        self._inner = inner
        self._cloud = cloud
        self._timeouts = {"connection_timeout": connection_timeout, "read_timeout": read_timeout}
        self.stats = stats or RequestStats()
        self._registries: frozenset[str] = frozenset()
        self._registries_lock = threading.Lock()

    def allow_registries(self, login_servers: Iterable[str]) -> frozenset[str]:
        """Let requests reach these audited registries' login servers (the image checks read their
        data plane); a login server that is not a registry host of the audited cloud is ignored.
        Returns the hosts allowed from these."""
        hosts = frozenset(h for h in (registry_host(s, self._cloud) for s in login_servers) if h is not None)
        with self._registries_lock:
            self._registries = self._registries | hosts
        return hosts

    def send(self, request: Any, **kwargs: Any) -> Any:
        method, url = request.method, request.url
        secret_guard.enforce(method, url)
        refused = destination_refusal(url, self._cloud, self._registries)
        if refused is not None:
            raise ForeignHostError(f"refused to send a request: {refused}; azaudit's token goes to no other host")
        if request is not _state.request:  # not another attempt of the request before
            _state.request = request
            _state.waited = 0.0
            if _state.scope is not None:
                _state.scope.begin(method, url)
        for key, value in self._timeouts.items():
            kwargs.setdefault(key, value)
        seconds = float(kwargs["read_timeout"])
        registry = (urlsplit(url).hostname or "").rstrip(".").lower() in self._registries
        self.stats.started(method, url, authenticated="Authorization" in request.headers, registry=registry)
        deadline = _WATCHDOG.watch(seconds)
        _state.deadline = deadline
        try:
            response = self._inner.send(request, **kwargs)
        except Exception as exc:
            if deadline.expired:
                raise _too_slow(seconds, exc) from exc
            raise
        finally:
            _state.deadline = None
            deadline.finish()
            self.stats.finished()
        if deadline.expired:
            # Cut while reading: what came may be a truncated answer that happens to parse.
            raise _too_slow(seconds, None)
        if _state.scope is not None:
            _state.scope.answered(method, url, response.status_code)
        return response

    def sleep(self, duration: float) -> None:
        """Wait before another attempt of the request just sent (azure-core's retry policy asks,
        from ``Retry-After`` or its back-off), within :data:`RETRY_WAIT_CAP_SECONDS` in all."""
        cap = RETRY_WAIT_CAP_SECONDS
        allowed = max(0.0, cap - _state.waited)
        if duration <= allowed:
            _state.waited += duration
            lifecycle.wait(duration)  # cut short when the audit is interrupted
            return
        request = _state.request
        kind = request_kind(request.method, request.url) if request is not None else "a request"  # type: ignore[attr-defined]
        if allowed <= 0.0:
            raise ThrottledError(
                f"throttled: asked to wait {_seconds(duration)} more before retrying {kind}, "
                f"after {_seconds(_state.waited)} already; azaudit waits at most {_seconds(cap)} for one request"
            )
        if _state.scope is not None:
            _state.scope.throttled.append(Throttled(kind=kind, asked=duration, waited=allowed))
        _state.waited = cap
        lifecycle.wait(allowed)

    def open(self) -> None:
        self._inner.open()

    def close(self) -> None:
        # Shared by every client of the run: only the run closes it (see :meth:`shutdown`).
        pass

    def shutdown(self) -> None:
        self._inner.close()

    def __enter__(self) -> GuardedTransport:
        self._inner.open()
        return self

    def __exit__(self, *args: Any) -> None:
        pass


def _too_slow(seconds: float, cause: BaseException | None) -> ServiceResponseTimeoutError:
    return ServiceResponseTimeoutError(
        f"no complete answer within {seconds:g} s (the server answered too slowly)", error=cause
    )


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if value >= 10 else f"{value:.3g} s"


class _CuttableConnection:
    """A urllib3 connection that hands itself to the deadline of the attempt using it."""

    def connect(self) -> None:
        _register(self)
        super().connect()  # type: ignore[misc]

    def request(self, *args: Any, **kwargs: Any) -> None:
        _register(self)
        super().request(*args, **kwargs)  # type: ignore[misc]


def _register(connection: object) -> None:
    deadline = _state.deadline
    if deadline is not None and isinstance(connection, HTTPConnection):
        deadline.register(connection)


class _HTTPConnection(_CuttableConnection, HTTPConnection):
    pass


class _HTTPSConnection(_CuttableConnection, HTTPSConnection):
    pass


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class _DeadlineAdapter(requests.adapters.HTTPAdapter):
    """requests' adapter over connections the deadline watchdog can cut, all wrapped with the
    run's one TLS context (:mod:`azaudit.tls`): no CA file is loaded per pool or connection."""

    def __init__(self, tls: ssl.SSLContext, **kwargs: Any) -> None:
        self.tls = tls  # before the pool manager is built
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, ssl_context=self.tls, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, ssl_context=self.tls, **proxy_kwargs)
        if isinstance(manager, urllib3.PoolManager):
            manager.pool_classes_by_scheme = dict(_POOLS)
        return manager

    def build_connection_pool_key_attributes(self, request: Any, verify: Any, cert: Any = None) -> Any:
        # requests hands REQUESTS_CA_BUNDLE over as ``verify``: the run's context already trusts
        # it, and a path here would be loaded into that shared context for every connection.
        if verify is False:
            raise ValueError("azaudit never turns certificate verification off")
        return super().build_connection_pool_key_attributes(request, True, cert)

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        super().cert_verify(conn, url, True, cert)  # type: ignore[no-untyped-call]
        conn.ca_certs = conn.ca_cert_dir = None  # the context decides what is trusted


class _LeanSession(requests.Session):
    """requests' session, preparing azure-core's requests in fewer steps.

    azure-core's transport calls :meth:`request` with a method, a URL (its query already in it),
    headers and perhaps a body, nothing else. ``Session.request`` builds a ``Request``, merges it
    with the session's empty params, auth, cookies and hooks (each merge a runtime ``Protocol``
    check, slow before Python 3.12) and then prepares it: about 15 % of a request's CPU here. This
    prepares the same ``PreparedRequest`` with requests' own steps, leaving out the merges of
    empty settings; anything else (params, cookies, files, auth, hooks, JSON, or a session that
    holds cookies) goes through ``Session.request`` unchanged."""

    def request(  # type: ignore[override]
        self,
        method: str | bytes,
        url: str | bytes,
        params: Any = None,
        data: Any = None,
        headers: Any = None,
        cookies: Any = None,
        files: Any = None,
        auth: Any = None,
        timeout: Any = None,
        allow_redirects: bool = True,
        proxies: Any = None,
        hooks: Any = None,
        stream: bool | None = None,
        verify: Any = None,
        cert: Any = None,
        json: Any = None,
    ) -> requests.Response:
        arguments = {"params": params, "cookies": cookies, "files": files, "auth": auth, "hooks": hooks}
        if any(arguments.values()) or json is not None or self.params or self.auth or len(self.cookies):
            return super().request(
                method,  # type: ignore[arg-type]
                url,
                data=data,
                headers=headers,
                timeout=timeout,
                allow_redirects=allow_redirects,
                proxies=proxies,
                stream=stream,
                verify=verify,
                cert=cert,
                json=json,
                **arguments,
            )
        if isinstance(url, bytes):
            url = url.decode("utf-8")
        prepared = requests.PreparedRequest()
        prepared.prepare_method(method.upper())
        prepared.prepare_url(url, None)
        # The session's headers, then the request's (a None value removes one), as merge_setting does.
        merged = requests.structures.CaseInsensitiveDict(self.headers)
        merged.update(headers or {})
        prepared.prepare_headers({name: value for name, value in merged.items() if value is not None})
        prepared.prepare_cookies(None)
        prepared.prepare_body(data or {}, None, None)
        prepared.prepare_auth(None, url)  # user info in the URL, as requests reads it
        if self.hooks["response"]:
            prepared.prepare_hooks(self.hooks)
        settings = self.merge_environment_settings(prepared.url, proxies or {}, stream, verify, cert)
        return self.send(prepared, timeout=timeout, allow_redirects=allow_redirects, **settings)


class _NetworkSession(_LeanSession):
    """requests' session, with the machine's proxy settings read once per origin, not per request.

    With ``trust_env`` on, requests reads the environment for every request: it scans every
    variable twice for the proxy ones (``HTTPS_PROXY``, ``NO_PROXY``...), reads
    ``REQUESTS_CA_BUNDLE`` and looks for a ``~/.netrc``: about a third of a live audit's CPU per
    request (a CI agent has hundreds of variables). Here the proxies requests would pick for a
    scheme, host and port are worked out once (by requests' own function) and kept for the
    session, which lives for one run; ``REQUESTS_CA_BUNDLE`` is read once, into the run's TLS
    context (:mod:`azaudit.tls`); and no ``.netrc`` password is sent: its entry for a host (or
    its ``default``) would replace the bearer token with a Basic password.
    """

    def __init__(self) -> None:
        super().__init__()
        self.trust_env = False  # what requests would read per request, read here once
        self._environment_proxies: dict[tuple[str, str, str | None], dict[str, str]] = {}

    def environment_proxies(self, url: str, no_proxy: str | None = None) -> dict[str, str]:
        """The proxies the environment gives ``url`` (none when ``NO_PROXY`` covers its host)."""
        parts = urlsplit(url)
        origin = (parts.scheme.lower(), parts.netloc.lower(), no_proxy)
        found = self._environment_proxies.get(origin)
        if found is None:
            found = self._environment_proxies[origin] = requests.utils.get_environ_proxies(url, no_proxy=no_proxy)
        return found

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any) -> Any:
        proxies = {} if proxies is None else proxies
        for scheme, proxy in self.environment_proxies(str(url), proxies.get("no_proxy")).items():
            proxies.setdefault(scheme, proxy)
        return super().merge_environment_settings(url, proxies, stream, verify, cert)


# Host pools kept besides one per request in flight: ARM's, and the last vaults' still open.
SPARE_HOST_POOLS = 8


def network_session(pool_size: int, tls: ssl.SSLContext | None = None) -> requests.Session:
    """A session for live runs over connections the per-attempt deadline can cut: up to
    ``pool_size`` kept-alive connections per host (the run's concurrency: requests' default of
    10 would serialise a wider run against ARM) and pools for as many hosts as requests can be in
    flight (each vault is its own host), every connection wrapped with ``tls`` (by default the
    run's one context, :func:`azaudit.tls.run_tls_context`), the proxy settings read once per host
    (:class:`_NetworkSession`)."""
    session = _NetworkSession()
    adapter = _DeadlineAdapter(
        tls or run_tls_context(), pool_connections=pool_size + SPARE_HOST_POOLS, pool_maxsize=pool_size
    )
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def requests_transport(session: requests.Session) -> RequestsTransport:
    """azure-core's requests transport over ``session`` (the network, or a replay session)."""
    return RequestsTransport(session=session, session_owner=True)
