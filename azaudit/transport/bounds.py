"""The bounds on the requests of one unit of work (one collection task, one subscription listing),
kept in the thread that runs it:

- paged lists that loop (a page pointing back at one already served) or never end
  (:class:`~azaudit.errors.PagingLoopError`), within one :func:`request_scope`;
- the wait azure-core's retry policy asks for (``Retry-After``, ``retry-after-ms``,
  ``x-ms-retry-after-ms``, an HTTP date, back-off), and the wait the ARM pacer asks for
  (:mod:`azaudit.transport.pacing`): at most :data:`RETRY_WAIT_CAP_SECONDS` for one request, the
  two together, and the scope is told when more was asked for.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import SplitResult, parse_qsl, urlsplit

from azaudit import lifecycle, secret_guard
from azaudit.errors import PagingLoopError, ThrottledError
from azaudit.transport.stats import request_kind

# The longest azaudit waits, in total, before the attempts of one request (Retry-After and
# back-off together). A service asking for more is told no: the scope is noted or, when the
# attempts run out, reported as not collected. Internal: tests lower it.
RETRY_WAIT_CAP_SECONDS = 60.0
# More pages than this in one list is a loop (25 items a page: 250,000 Key Vault secrets).
MAX_PAGES_PER_LIST = 10_000


@dataclass
class Throttled:
    """A wait the service asked for that was longer than azaudit waits for one request."""

    kind: str  # request_kind() of the request
    asked: float  # seconds
    waited: float  # seconds
    paced: str = ""  # the limit azaudit paced the request to (transport.pacing), or "" (a Retry-After)

    @property
    def note(self) -> str:
        """What the task's collection note says of it."""
        if self.paced:
            return (
                f"throttled: {self.paced} called for a wait of {self.asked:.0f} s before sending {self.kind}; "
                f"azaudit waited {self.waited:.3g} s (its limit for one request), sent it and it was answered"
            )
        return (
            f"throttled: the service asked to wait {self.asked:.0f} s before retrying {self.kind}; "
            f"azaudit waited {self.waited:.3g} s (its limit for one request) and the retry was answered"
        )


@dataclass
class RequestScope:
    """What the transport remembers about the requests of one unit of work (one collection task,
    one subscription listing), in the thread that runs it."""

    served: set[_PageKey] = field(default_factory=set)  # and those of _unkeyed
    requests: int = 0
    throttled: list[Throttled] = field(default_factory=list)

    # Pages served whose key is not computed yet: none is needed until another request of the
    # scope begins, and most scopes send one request (method, URL, host, path, parts).
    _unkeyed: list[_Page] = field(default_factory=list)
    # The request begun last, with its page key when one was computed (its answer reuses them).
    _begun: tuple[_Page, _PageKey | None] | None = None

    def begin(
        self,
        method: str,
        url: str,
        *,
        host: str | None = None,
        path: str | None = None,
        parts: SplitResult | None = None,
    ) -> None:
        """A new request of this scope (not another attempt of one already sent); ``host``,
        ``path`` and ``parts`` as :func:`_page_key` takes them."""
        if self._unkeyed:
            self.served.update(_page_key(*page) for page in self._unkeyed)
            self._unkeyed.clear()
        key = _page_key(method, url, host, path, parts) if self.served else None
        self._begun = ((method, url, host, path, parts), key)
        if key is not None and key in self.served:
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
            if begun is not None and begun[0][0] == method and begun[0][1] == url:
                if begun[1] is not None:
                    self.served.add(begun[1])
                else:
                    self._unkeyed.append(begun[0])
            else:
                self._unkeyed.append((method, url, None, None, None))


# What identifies a page (see _page_key), and what it is computed from.
_PageKey = tuple[str, str, str, tuple[tuple[str, str], ...]]
_Page = tuple[str, str, str | None, str | None, SplitResult | None]


def _page_key(
    method: str, url: str, host: str | None = None, path: str | None = None, parts: SplitResult | None = None
) -> _PageKey:
    """What identifies a page: the method, the host, the path as the server resolves it and the
    query's pairs. ``host`` (lower case, no trailing dot), ``path``
    (:func:`~azaudit.secret_guard.normalised_path`) and ``parts`` (``urlsplit(url)``) are the
    URL's, when the caller has them."""
    if parts is None:
        parts = urlsplit(url)
    if host is None:
        host = (parts.hostname or "").rstrip(".").lower()
    if path is None:
        path = secret_guard.normalised_path(url, parts.path)
    query = tuple(sorted((k.lower(), v) for k, v in _query_pairs(parts.query)))
    return method.upper(), host, path.rstrip("/").lower(), query


def _query_pairs(query: str) -> list[tuple[str, str]]:
    """``parse_qsl(query, keep_blank_values=True)``, without its decoding when nothing is encoded."""
    if "%" in query or "+" in query:
        return parse_qsl(query, keep_blank_values=True)
    return [(name, value) for name, _, value in (pair.partition("=") for pair in query.split("&") if pair)]


class _ThreadState(threading.local):
    scope: RequestScope | None = None
    request: object | None = None  # the request whose attempts are being sent
    waited: float = 0.0  # seconds waited between its attempts so far


_state = _ThreadState()


def request_scope() -> AbstractContextManager[RequestScope]:
    """Track the requests this thread sends until the block ends (see :class:`RequestScope`)."""
    return _ScopeBlock()


class _ScopeBlock:
    """The block of :func:`request_scope`: the thread's scope is a new one inside it, the one before
    again after it, however it ends. A class rather than a ``contextmanager`` generator (one per
    collection task: its generator, its two steps and their frames cost about 2 us a task)."""

    __slots__ = ("_previous",)

    def __enter__(self) -> RequestScope:
        self._previous = _state.scope
        scope = _state.scope = RequestScope()
        return scope

    def __exit__(self, *exc_info: object) -> None:
        _state.scope = self._previous


def begin(request: Any, *, host: str | None = None, path: str | None = None, parts: SplitResult | None = None) -> None:
    """A request about to be sent: a new one of the thread's scope, or another attempt of the one
    before (its waits add up). ``host``, ``path`` and ``parts`` as :meth:`RequestScope.begin`
    takes them."""
    state = _state
    if request is not state.request:  # not another attempt of the request before
        state.request = request
        state.waited = 0.0
        if state.scope is not None:
            state.scope.begin(request.method, request.url, host=host, path=path, parts=parts)


def answered(method: str, url: str, status: int) -> None:
    """The answer to a request of the thread's scope."""
    if _state.scope is not None:
        _state.scope.answered(method, url, status)


def wait_before_retry(duration: float) -> None:
    """Wait before another attempt of the request just sent (azure-core's retry policy asks,
    from ``Retry-After`` or its back-off), within :data:`RETRY_WAIT_CAP_SECONDS` in all."""
    _wait_within_cap(duration, None)


def wait_to_pace(duration: float, limit: str) -> None:
    """Wait before sending the request just begun, as the ARM pacer asks (``limit`` names the
    limit, :mod:`azaudit.transport.pacing`), within :data:`RETRY_WAIT_CAP_SECONDS` for the request
    in all (its waits between attempts included). A pace longer than what is left is waited up to
    the cap and noted on the scope (the request is then sent); with nothing left, the request is
    not sent (:class:`~azaudit.errors.ThrottledError`)."""
    _wait_within_cap(duration, limit)


def _wait_within_cap(duration: float, limit: str | None) -> None:
    """The wait of :func:`wait_before_retry` (``limit`` None: the service asked) and of
    :func:`wait_to_pace` (``limit`` names the pacer's limit): what is left of the request's cap is
    waited, a longer wait is noted on the scope, and with nothing left the request is refused."""
    cap = RETRY_WAIT_CAP_SECONDS
    allowed = max(0.0, cap - _state.waited)
    if duration <= allowed:
        _state.waited += duration
        lifecycle.wait(duration)  # cut short when the audit is interrupted
        return
    request = _state.request
    kind = request_kind(request.method, request.url) if request is not None else "a request"  # type: ignore[attr-defined]
    if allowed <= 0.0:
        asked = (
            f"asked to wait {_seconds(duration)} more before retrying {kind}"
            if limit is None
            else f"{limit} called for a wait of {_seconds(duration)} more before sending {kind}"
        )
        raise ThrottledError(
            f"throttled: {asked}, after {_seconds(_state.waited)} already; "
            f"azaudit waits at most {_seconds(cap)} for one request"
        )
    if _state.scope is not None:
        _state.scope.throttled.append(Throttled(kind=kind, asked=duration, waited=allowed, paced=limit or ""))
    _state.waited = cap
    lifecycle.wait(allowed)


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if value >= 10 else f"{value:.3g} s"
