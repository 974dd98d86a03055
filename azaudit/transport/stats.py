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


def request_kind(method: str, url: str, parts: SplitResult | None = None) -> str:
    """A request's shape with names and ids blanked, e.g.
    ``GET /subscriptions/{}/resourceGroups/{}/providers/Microsoft.KeyVault/vaults/{}/keys``.
    ``parts`` is ``urlsplit(url)`` when the caller has it."""
    if parts is None:
        parts = urlsplit(url)
    return _path_kind(method, parts.path, not (parts.hostname or "").startswith("management."))


def _path_kind(method: str, path: str, data_plane: bool) -> str:
    """:func:`request_kind` of a request to ``path`` (as the URL spells it) of ARM, or of a
    service's data plane (``data_plane``)."""
    prefix = "{data-plane}" if data_plane else ""
    decoded = unquote(path)
    # Only a path that starts as a registry read's can match the pattern (most paths are ARM's).
    registry = _REGISTRY_READ.match(decoded) if decoded.startswith(_REGISTRY_APIS) else None
    if registry is not None:
        # a registry's data plane: one kind per operation, whatever the repository and tag
        return f"{method.upper()} {prefix}/{registry['api']}/{{}}/{registry['operation']}/{{}}"
    shaped: list[str] = []
    provider_at = -1
    previous = ""  # the previous segment, lowered
    for i, segment in enumerate([s for s in path.split("/") if s]):
        if (
            previous in _NAMED_BY_NEXT
            or (provider_at >= 0 and i > provider_at + 1 and (i - provider_at) % 2 == 1)
            or (len(segment) >= 36 and _GUID.match(segment))
        ):
            shaped.append("{}")
        else:
            shaped.append(segment)
        previous = segment.lower()
        if previous == "providers":
            provider_at = i
    if data_plane and len(shaped) > 1:
        shaped[1:2] = ["{}"]
    return f"{method.upper()} {prefix}/{'/'.join(shaped)}"


_REGISTRY_READ = re.compile(r"^/(?P<api>acr/v1|v2)/.+/(?P<operation>_tags|_manifests|referrers|manifests|blobs)/[^/]+$")
_REGISTRY_APIS = ("/acr/v1/", "/v2/")  # how every path _REGISTRY_READ matches starts


class RequestCounts(msgspec.Struct, frozen=True):
    """A snapshot of ``RequestStats``."""

    total: int
    challenges: int
    peak_in_flight: int
    by_kind: dict[str, int]
    by_url: dict[str, int]


# How a request was sent, in the raw counts of ``RequestStats`` (its kind follows from it).
_AUTHENTICATED, _REGISTRY_SIGN_IN, _CHALLENGE = 0, 1, 2


class RequestStats:
    """Thread-safe counters of the requests a run sent. Each request is counted as sent (method,
    URL, how it was authenticated); its kind and URL key are derived when the counts are read
    (``by_kind``, ``by_url``, :meth:`counts`), once per distinct request: a run that never reads
    them never computes them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.total = 0
        # (method, URL, how, path start, path end, data plane) -> requests: where the URL's path
        # is and whether it is a data plane's, what request_kind() reads of an authenticated
        # request's URL (-1, -1 and False otherwise, or when the path is not where it is looked for).
        self._sent: dict[tuple[str, str, int, int, int, bool], int] = {}
        self._merged_kinds: Counter[str] = Counter()  # what other processes sent (merge())
        self._merged_urls: Counter[str] = Counter()
        self._version = 0  # of the counts: one more for each request or merge
        self._derived: tuple[int, RequestCounts] | None = None  # counts() at a version
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
        host: str | None = None,
    ) -> None:
        """Count a request. An unauthenticated one is Key Vault's bearer challenge, or (``registry``)
        a registry's sign-in: the SDK's token exchange, or the read that draws its 401. ``parts``
        is ``urlsplit(url)`` when the caller has it, ``host`` its host name (lower case)."""
        if authenticated:
            if parts is None:
                parts = urlsplit(url)
            if host is None:
                host = parts.hostname or ""
            # What request_kind() reads of the URL, kept so that it need not be split again: where
            # its path is (the URL's own characters, not a copy), and whose plane it is.
            path = parts.path
            start = len(parts.scheme) + 3 + len(parts.netloc)  # scheme://netloc
            end = start + len(path)
            if not url.startswith("//", start - len(parts.netloc) - 2) or not url.startswith(path, start):
                start = end = -1  # split again when the counts are read
            key = (method, url, _AUTHENTICATED, start, end, not host.startswith("management."))
        else:
            key = (method, url, _REGISTRY_SIGN_IN if registry else _CHALLENGE, -1, -1, False)
        with self._lock:
            self.total += 1
            self._version += 1
            self._sent[key] = self._sent.get(key, 0) + 1
            if not authenticated and not registry:
                self.challenges += 1
            self.in_flight += 1
            if self.in_flight > self.peak_in_flight:
                self.peak_in_flight = self.in_flight

    @property
    def by_kind(self) -> Counter[str]:
        """Requests by kind (:func:`request_kind`, or a sign-in's or challenge's own)."""
        return Counter(self._derive().by_kind)

    @property
    def by_url(self) -> Counter[str]:
        """Authenticated requests by method and URL (``GET https://...``)."""
        return Counter(self._derive().by_url)

    def counts(self) -> RequestCounts:
        """What these counters hold, as plain data (a forked collection process sends it back)."""
        derived = self._derive()
        return RequestCounts(
            total=derived.total,
            challenges=derived.challenges,
            peak_in_flight=derived.peak_in_flight,
            by_kind=dict(derived.by_kind),
            by_url=dict(derived.by_url),
        )

    def _derive(self) -> RequestCounts:
        """The counts, with each distinct request's kind and URL key derived once (kept until the
        next request or merge: never handed out, only copied)."""
        with self._lock:
            version = self._version
            derived = self._derived
            if derived is not None and derived[0] == version:
                return derived[1]
            sent = list(self._sent.items())
            merged_kinds = list(self._merged_kinds.items())
            merged_urls = list(self._merged_urls.items())
            total, challenges, peak = self.total, self.challenges, self.peak_in_flight
        by_kind: dict[str, int] = {}
        by_url: dict[str, int] = {}
        for (method, url, how, start, end, data_plane), count in sent:
            if how == _AUTHENTICATED:
                kind = _path_kind(method, url[start:end], data_plane) if start >= 0 else request_kind(method, url)
                key = f"{method.upper()} {url}"
                by_url[key] = by_url.get(key, 0) + count
            elif how == _REGISTRY_SIGN_IN:
                kind = _registry_sign_in(method, url)
            else:
                kind = "bearer challenge (Key Vault, 401 expected)"
            by_kind[kind] = by_kind.get(kind, 0) + count
        for kind, count in merged_kinds:
            by_kind[kind] = by_kind.get(kind, 0) + count
        for key, count in merged_urls:
            by_url[key] = by_url.get(key, 0) + count
        counts = RequestCounts(total=total, challenges=challenges, peak_in_flight=peak, by_kind=by_kind, by_url=by_url)
        with self._lock:
            if self._version == version:
                self._derived = (version, counts)
        return counts

    def merge(self, other: RequestCounts) -> None:
        """Add the requests another process sent (one part of a multi-process collection); the
        processes ran at the same time, so their peaks add up."""
        with self._lock:
            self.total += other.total
            self._version += 1
            self.challenges += other.challenges
            self.peak_in_flight += other.peak_in_flight
            self._merged_kinds.update(other.by_kind)
            self._merged_urls.update(other.by_url)

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
