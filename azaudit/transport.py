"""The one HTTP seam of a run: a transport shared by every SDK client.

:class:`GuardedTransport` wraps the real azure-core transport (``RequestsTransport`` live, the
same transport over a replay session in tests and the demo). It enforces the secret guard,
applies the per-request timeouts, and counts requests (total, by kind, peak in flight) so that
runs and benchmarks can show what they cost.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

import requests
from azure.core.pipeline.transport import HttpTransport, RequestsTransport

from azaudit import secret_guard

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
    if not host.startswith("management.") and len(shaped) > 1:
        shaped[1:2] = ["{}"]
    return f"{method.upper()} {prefix}/{'/'.join(shaped)}"


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

    def started(self, method: str, url: str, authenticated: bool = True) -> None:
        kind = request_kind(method, url) if authenticated else "bearer challenge (Key Vault, 401 expected)"
        with self._lock:
            self.total += 1
            self.by_kind[kind] += 1
            if authenticated:
                self.by_url[f"{method.upper()} {url}"] += 1
            else:
                self.challenges += 1
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    def absorb(self, total: int, challenges: int, peak: int, by_kind: dict[str, int], by_url: dict[str, int]) -> None:
        """Add the requests another process sent (a shard of a multi-process run)."""
        with self._lock:
            self.total += total
            self.challenges += challenges
            self.peak_in_flight += peak
            self.by_kind.update(by_kind)
            self.by_url.update(by_url)

    def finished(self) -> None:
        with self._lock:
            self.in_flight -= 1


class GuardedTransport(HttpTransport):  # type: ignore[misc,type-arg]
    """Delegates to ``inner`` after the secret guard, with default timeouts, counting requests."""

    def __init__(
        self,
        inner: HttpTransport,  # type: ignore[type-arg]
        *,
        vault_suffixes: tuple[str, ...],
        connection_timeout: float,
        read_timeout: float,
        stats: RequestStats | None = None,
    ) -> None:
        self._inner = inner
        self._vault_suffixes = vault_suffixes
        self._timeouts = {"connection_timeout": connection_timeout, "read_timeout": read_timeout}
        self.stats = stats or RequestStats()

    def send(self, request: Any, **kwargs: Any) -> Any:
        secret_guard.enforce(request.method, request.url, self._vault_suffixes)
        for key, value in self._timeouts.items():
            kwargs.setdefault(key, value)
        self.stats.started(request.method, request.url, authenticated="Authorization" in request.headers)
        try:
            return self._inner.send(request, **kwargs)
        finally:
            self.stats.finished()

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


def network_session(pool_size: int) -> requests.Session:
    """A session for live runs, with a connection pool as large as the run's concurrency
    (requests' default of 10 would serialise a wider run)."""
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def requests_transport(session: requests.Session) -> RequestsTransport:
    """azure-core's requests transport over ``session`` (the network, or a replay session)."""
    return RequestsTransport(session=session, session_owner=True)
