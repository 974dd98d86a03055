"""The one HTTP seam of a run: a transport shared by every SDK client.

:class:`GuardedTransport` wraps the real azure-core transport (``RequestsTransport`` live, the
same transport over a replay session in tests and the demo). Every request of every client goes
through it, so what it enforces no client can bypass:

- the secret guard (:mod:`azaudit.secret_guard`);
- the hosts a request may go to (:mod:`azaudit.transport.destinations`): only the audited cloud's
  ARM host, its Key Vault hosts (``{vault}.vault.azure.net`` and the sovereign equivalents) and
  the login servers of the audited registries (``{registry}.azurecr.io`` and the sovereign
  equivalents, each added by :meth:`GuardedTransport.allow_registries` once ARM has listed it),
  over HTTPS on the default port. The bearer token is added above the transport, so a
  ``nextLink`` naming any other host is refused here, before anything is sent
  (:class:`~azaudit.errors.ForeignHostError`);
- paged lists that loop or never end, and the wait between attempts, within one request scope
  (:mod:`azaudit.transport.bounds`);
- a wall-clock deadline per attempt (:mod:`azaudit.transport.deadline`);
- with a pacer (live runs), ARM reads paced to ARM's documented limits per subscription and for
  the tenant (:mod:`azaudit.transport.pacing`), and Resource Graph queries to Resource Graph's
  query quota (:mod:`azaudit.transport.graph_pacing`).

It also counts requests (:mod:`azaudit.transport.stats`) so that runs and benchmarks can show
what they cost.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from azure.core.exceptions import ServiceResponseTimeoutError
from azure.core.pipeline.transport import HttpTransport
from azure.core.rest import HttpRequest

from azaudit import secret_guard
from azaudit.clouds import Cloud
from azaudit.errors import BodyOnReadError, ForeignHostError
from azaudit.transport import bounds, deadline
from azaudit.transport.destinations import destination_refusal, registry_host
from azaudit.transport.graph_pacing import GraphPacer
from azaudit.transport.pacing import ArmPacer
from azaudit.transport.rest_request import lacks
from azaudit.transport.stats import RequestStats


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
        pacer: ArmPacer | None = None,
        graph_pacer: GraphPacer | None = None,
    ) -> None:
        self._inner = inner
        self.pacer = pacer  # ARM reads paced to ARM's limits (live runs), or None
        self.graph_pacer = graph_pacer  # Resource Graph queries paced to its quota (live runs), or None
        self._cloud = cloud
        self._connection_timeout = connection_timeout  # the defaults of a request's timeouts
        self._read_timeout = read_timeout
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
        # The URL is split, and its host and path resolved, once for every guard below.
        parts = urlsplit(url)
        hostname = parts.hostname or ""  # a property that splits the network location again
        host = hostname.rstrip(".").lower()
        path = secret_guard.normalised_path(url, parts.path)
        secret_guard.enforce(method, url, host=host, path=path)
        if method in _READS and has_body(request):
            raise BodyOnReadError(f"refused to send a {method} with a body; azaudit sends none")
        registries = self._registries
        refused = destination_refusal(url, self._cloud, registries, parts=parts, host=host)
        if refused is not None:
            raise ForeignHostError(f"refused to send a request: {refused}; azaudit's token goes to no other host")
        bounds.begin(request, host=host, path=path, parts=parts)
        pacer = self.pacer
        paced = pacer.bucket_of(method, host, path) if pacer is not None else None
        if paced is not None:
            ticket = pacer.before(paced)  # type: ignore[union-attr]
        graph = self.graph_pacer if method == "POST" else None
        query = 0  # the Resource Graph query's ticket, or 0
        if graph is not None and graph.is_query(method, host, path):
            query = graph.before()
        kwargs.setdefault("connection_timeout", self._connection_timeout)
        seconds = float(kwargs.setdefault("read_timeout", self._read_timeout))
        # the header store asked at once: Mapping's `in` goes through __getitem__ (Python)
        authenticated = not lacks(request.headers, "Authorization")
        self.stats.started(
            method, url, authenticated=authenticated, registry=host in registries, parts=parts, hostname=hostname
        )
        attempt = deadline.start(seconds)
        try:
            response = self._inner.send(request, **kwargs)
        except Exception as exc:
            if attempt.expired:
                raise _too_slow(seconds, exc) from exc
            raise
        finally:
            deadline.end(attempt)
            self.stats.finished()
        if attempt.expired:
            # Cut while reading: what came may be a truncated answer that happens to parse.
            raise _too_slow(seconds, None)
        bounds.answered(method, url, response.status_code)
        if paced is not None:
            pacer.after(paced, ticket, response.status_code, response.headers)  # type: ignore[union-attr]
        if query:
            graph.after(query, response.status_code, response.headers)  # type: ignore[union-attr]
        return response

    def sleep(self, duration: float) -> None:
        """Wait before another attempt of the request just sent, within the bound on one request's
        waits (:func:`azaudit.transport.bounds.wait_before_retry`)."""
        bounds.wait_before_retry(duration)

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


_READS = frozenset({"GET", "HEAD"})


def has_body(request: Any) -> bool:
    """Whether ``request`` (azure-core's rest or legacy request) carries a body."""
    if type(request) is HttpRequest:
        # What the two reads below give a rest request (``content`` is its data or files, ``body``
        # its data), without the second read, which goes through the back-compat ``__getattr__``.
        return bool(request._data or request._files)
    content = getattr(request, "content", None)
    if content is None:
        content = getattr(request, "body", None)
    return bool(content)


def _too_slow(seconds: float, cause: BaseException | None) -> ServiceResponseTimeoutError:
    return ServiceResponseTimeoutError(
        f"no complete answer within {seconds:g} s (the server answered too slowly)", error=cause
    )
