"""What a run's requests were: counts by kind (a request's shape, names and ids blanked), by
URL, the registry sign-in steps and Key Vault's bearer challenges, and the peak in flight, so that
runs and benchmarks can show what they cost."""

from __future__ import annotations

import re
import threading
from collections import Counter
from urllib.parse import SplitResult, unquote, urlsplit

import msgspec

# Segments whose next segment is a name or an id (blanked in a request's kind).
_NAMED_BY_NEXT = frozenset(("subscriptions", "resourcegroups"))
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


def request_kind(method: str, url: str, parts: SplitResult | None = None, hostname: str | None = None) -> str:
    """A request's shape with names and ids blanked, e.g.
    ``GET /subscriptions/{}/resourceGroups/{}/providers/Microsoft.KeyVault/vaults/{}/keys``.
    ``parts`` is ``urlsplit(url)`` and ``hostname`` its ``hostname or ""``, when the caller has them."""
    if parts is None:
        parts = urlsplit(url)
    path = parts.path
    if hostname is None:
        hostname = parts.hostname or ""
    arm = hostname.startswith("management.")
    prefix = "" if arm else "{data-plane}"
    decoded = unquote(path) if "%" in path else path  # unquote gives a path without "%" back as it is
    # Only a path that starts as a registry read's can match the pattern (most paths are ARM's).
    registry = _REGISTRY_READ.match(decoded) if decoded.startswith(_REGISTRY_APIS) else None
    if registry is not None:
        # a registry's data plane: one kind per operation, whatever the repository and tag
        return f"{method.upper()} {prefix}/{registry['api']}/{{}}/{registry['operation']}/{{}}"
    # The segments are blanked in place; whether a segment names the next one, and where the last
    # "providers" stands, come from the segment as it was (lowered).
    segments = [s for s in path.split("/") if s]
    provider_at = -1
    named = False  # the previous segment is one of _NAMED_BY_NEXT
    for i, segment in enumerate(segments):
        if (
            named
            or (provider_at >= 0 and i > provider_at + 1 and (i - provider_at) % 2 == 1)
            or (len(segment) >= 36 and _GUID.match(segment))
        ):
            segments[i] = "{}"
        lowered = segment.lower()
        named = lowered in _NAMED_BY_NEXT
        if lowered == "providers":
            provider_at = i
    if not arm and len(segments) > 1:
        segments[1] = "{}"
    return f"{method.upper()} {prefix}/{'/'.join(segments)}"


_REGISTRY_READ = re.compile(r"^/(?P<api>acr/v1|v2)/.+/(?P<operation>_tags|_manifests|referrers|manifests|blobs)/[^/]+$")
_REGISTRY_APIS = ("/acr/v1/", "/v2/")  # how every path _REGISTRY_READ matches starts


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

    def started(
        self,
        method: str,
        url: str,
        authenticated: bool = True,
        registry: bool = False,
        parts: SplitResult | None = None,
        hostname: str | None = None,
    ) -> None:
        """Count a request. An unauthenticated one is Key Vault's bearer challenge, or (``registry``)
        a registry's sign-in: the SDK's token exchange, or the read that draws its 401. ``parts``
        (``urlsplit(url)``) and ``hostname`` (its ``hostname or ""``) when the caller has them."""
        key = None
        if authenticated:
            kind = request_kind(method, url, parts, hostname)
            key = f"{method.upper()} {url}"  # built before the lock is taken, as the kind is
        elif registry:
            kind = _registry_sign_in(method, url)
        else:
            kind = "bearer challenge (Key Vault, 401 expected)"
        with self._lock:
            self.total += 1
            # dict.get: a Counter's += calls its __missing__ (Python) for every new key
            self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
            if key is not None:
                self.by_url[key] = self.by_url.get(key, 0) + 1
            elif not registry:
                self.challenges += 1
            in_flight = self.in_flight = self.in_flight + 1
            if in_flight > self.peak_in_flight:
                self.peak_in_flight = in_flight

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
