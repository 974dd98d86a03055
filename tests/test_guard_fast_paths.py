"""The guards split a request's URL once and take short cuts on ordinary paths
(azaudit/transport/guarded.py): each short cut must give what the full computation gives, for
ordinary and hostile URLs alike. Generated URLs (fixed seed) are compared with the slow ways."""

from __future__ import annotations

import posixpath
import random
import re
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest

from azaudit import secret_guard
from azaudit.clouds import CLOUDS, CloudName
from azaudit.transport import bounds, destinations, guarded, stats

PUBLIC = CLOUDS[CloudName.PUBLIC]
# Pieces a path is made of: ordinary names, the separators and escapes the guard resolves, the
# names of actions and secrets, and letters re's ignore-case folds to ASCII ones.
PIECES = [
    "/", "//", "\\", ".", "..", "%2F", "%252F", "%2e", "%", ";", ";x=1", "a", "Secrets", "secrets",
    "providers", "Microsoft.KeyVault", "vaults", "kv1", "listKeys", "LISTCREDENTIALS", "regenerateKey", "list",
    "resetPassword", "RotateKey", "revokeAccess", "generateCredentials", "Reset", "ROTATE",
    "resourceGroups", "rg", "subscriptions", "0b5e1a2c-0000-4000-8000-000000000001", "versions", "blobs",
    "v2", "acr", "v1", "_tags", "manifests", "sha256:ab", "li\u017ftKeys", "\u212aey", "\u00e9", "~", "-", " ",
]  # fmt: skip
HOSTS = ["management.azure.com", "kv1.vault.azure.net", "contosoacr.azurecr.io", "MANAGEMENT.azure.com."]


def _paths(count: int, seed: int) -> list[str]:
    generator = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    return ["/" + "".join(generator.choice(PIECES) for _ in range(generator.randint(0, 12))) for _ in range(count)]


def _slow_normalised_path(url: str) -> str:
    """normalised_path as it was before its short cut."""
    path = urlsplit(url).path
    for _ in range(4):
        decoded = unquote(path)
        if decoded == path:
            break
        path = decoded
    path = re.sub(r"/+", "/", "/" + path.replace("\\", "/"))
    resolved = posixpath.normpath(path)
    return "/" if resolved in (".", "//") else resolved


def _slow_action_segment(path: str) -> str | None:
    segments = [s for s in path.split("/") if s]
    collection_at, i = 0, 0
    while i < len(segments):
        if (i - collection_at) % 2 == 0:
            if segments[i].lower() == "providers" and i + 1 < len(segments):
                collection_at, i = i + 2, i + 2
                continue
            if secret_guard._ACTION.match(segments[i]):
                return segments[i]
        i += 1
    return None


def _slow_request_kind(method: str, url: str) -> str:
    """stats.request_kind as it was before its short cuts."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    shaped: list[str] = []
    provider_at = -1
    for i, segment in enumerate(segments):
        previous = segments[i - 1].lower() if i else ""
        if (
            previous in ("subscriptions", "resourcegroups")
            or stats._GUID.match(segment)
            or (provider_at >= 0 and i > provider_at + 1 and (i - provider_at) % 2 == 1)
        ):
            shaped.append("{}")
        else:
            shaped.append(segment)
        if segment.lower() == "providers":
            provider_at = i
    host = parts.hostname or ""
    prefix = "" if host.startswith("management.") else "{data-plane}"
    registry = stats._REGISTRY_READ.match(unquote(parts.path))
    if registry is not None:
        return f"{method.upper()} {prefix}/{registry['api']}/{{}}/{registry['operation']}/{{}}"
    if not host.startswith("management.") and len(shaped) > 1:
        shaped[1:2] = ["{}"]
    return f"{method.upper()} {prefix}/{'/'.join(shaped)}"


@pytest.mark.parametrize("seed", range(4))
def test_a_path_resolves_as_the_full_resolution_resolves_it(seed: int) -> None:
    for path in [*_paths(2000, seed), "", "/", ".", "..", "./a", "a/b/", "/a/./b", "/.hidden", "/a/"]:
        url = f"https://kv1.vault.azure.net{path}?x=1" if path[:1] == "/" else path
        assert secret_guard.normalised_path(url) == _slow_normalised_path(url), path


@pytest.mark.parametrize("seed", range(4))
def test_an_action_segment_is_found_as_segment_by_segment(seed: int) -> None:
    for path in _paths(2000, seed):
        resolved = secret_guard.normalised_path(f"https://management.azure.com{path}")
        assert secret_guard._action_segment(resolved) == _slow_action_segment(resolved), path


def test_a_folded_letter_still_makes_an_action() -> None:
    # 'ſ' (long s) is 's' to re's ignore-case: the short cut must not let it through.
    assert secret_guard._action_segment("/subscriptions/s/li\u017ftKeys") == "li\u017ftKeys"


@pytest.mark.parametrize("seed", range(2))
def test_the_guards_judge_the_same_with_the_urls_parts_given(seed: int) -> None:
    generator = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    registries = frozenset({"contosoacr.azurecr.io"})
    for path in _paths(1500, seed):
        url = f"https://{generator.choice(HOSTS)}{path}?api-version=1"
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".").lower()
        resolved = secret_guard.normalised_path(url, parts.path)
        for method in ("GET", "POST", "DELETE"):
            assert secret_guard.refusal(method, url, host=host, path=resolved) == secret_guard.refusal(method, url)
        given = destinations.destination_refusal(url, PUBLIC, registries, parts=parts, host=host)
        assert given == destinations.destination_refusal(url, PUBLIC, registries)
        assert bounds._page_key("GET", url, host, resolved) == bounds._page_key("GET", url)
        assert bounds._page_key("GET", url, host, resolved, parts) == bounds._page_key("GET", url)
        assert stats.request_kind("GET", url, parts) == stats.request_kind("GET", url) == _slow_request_kind("GET", url)


@pytest.mark.parametrize(
    "query",
    ["", "api-version=1", "a=1&b=2&a=3", "a&b=&=c", "&&a=1&", "x=%20y&z=a+b", "k=v=w", "A=1;B=2", "%41=1", "a=+"],
)
def test_a_query_splits_as_parse_qsl_splits_it(query: str) -> None:
    assert bounds._query_pairs(query) == parse_qsl(query, keep_blank_values=True)


def test_a_page_served_twice_is_still_a_loop_whatever_its_spelling() -> None:
    from azaudit.errors import PagingLoopError

    with bounds.request_scope() as scope:
        scope.begin("GET", "https://management.azure.com/subscriptions/s/resourceGroups?api-version=1&$skip=2")
        scope.answered("GET", "https://management.azure.com/subscriptions/s/resourceGroups?api-version=1&$skip=2", 200)
        with pytest.raises(PagingLoopError):
            scope.begin("GET", "https://MANAGEMENT.azure.com./subscriptions//s/resourceGroups/?$skip=2&API-VERSION=1")


def _slow_has_body(request: object) -> bool:
    """guarded.has_body as it was before its short cut for azure-core's rest requests."""
    content = getattr(request, "content", None)
    if content is None:
        content = getattr(request, "body", None)
    return bool(content)


def test_a_body_is_seen_as_the_two_reads_see_it() -> None:
    """A GET or HEAD with a body is refused: the short cut must see every body the reads saw."""
    from azure.core.pipeline.transport import HttpRequest as LegacyHttpRequest
    from azure.core.rest import HttpRequest

    url = "https://management.azure.com/subscriptions?api-version=1"
    shapes: list[dict[str, object]] = [
        {},
        {"content": b""},
        {"content": b"x"},
        {"content": ""},
        {"content": "text"},
        {"json": {}},
        {"json": None},
        {"json": 0},
        {"json": []},
        {"json": {"a": 1}},
        {"data": {}},
        {"data": {"a": "b"}},
        {"files": {"f": b"x"}},
    ]
    requests: list[object] = [HttpRequest(method, url, **shape) for shape in shapes for method in ("GET", "HEAD")]  # type: ignore[arg-type]
    later = HttpRequest("GET", url)
    later.data = {"set": "later"}  # through the back-compat attribute
    legacy, legacy_body = LegacyHttpRequest("GET", url), LegacyHttpRequest("GET", url)
    legacy_body.set_json_body({"a": 1})

    class OwnContent(HttpRequest):
        @property
        def content(self) -> bytes:
            return b"from a subclass"

    requests += [later, legacy, legacy_body, OwnContent("GET", url)]
    seen = [guarded.has_body(request) for request in requests]
    assert seen == [_slow_has_body(request) for request in requests]
    assert True in seen and False in seen and seen[-1] is True


def test_a_page_key_computed_late_still_finds_a_loop_to_the_first_page() -> None:
    """A scope computes its first page's key only when a second request begins: a list whose
    third page points back at the first, or whose answer came for a URL other than the one begun
    (the legacy path), is still a loop; a scope of one request never needs the key."""
    from azaudit.errors import PagingLoopError

    base = "https://management.azure.com/subscriptions/s/resourceGroups?api-version=1"
    with bounds.request_scope() as scope:
        scope.begin("GET", base)
        scope.answered("GET", base, 200)
        assert not scope.served and len(scope._unkeyed) == 1  # one request: no key yet
        for page in (2, 3):
            scope.begin("GET", f"{base}&$skip={page}")
            scope.answered("GET", f"{base}&$skip={page}", 200)
        with pytest.raises(PagingLoopError):
            scope.begin("GET", base.replace("management", "MANAGEMENT") + "&")
    with bounds.request_scope() as scope:
        scope.answered("GET", base, 200)  # answered with nothing begun
        with pytest.raises(PagingLoopError):
            scope.begin("GET", base)
    with bounds.request_scope() as scope:
        scope.begin("GET", base)
        scope.answered("GET", base, 404)  # not served: asking again is no loop
        scope.begin("GET", base)
        scope.answered("POST", base, 200)
        scope.begin("GET", base)


# Hosts as an answer may write them: a name that only starts like ARM's, case, trailing dots, user
# info, ports, an IPv6 zone, IDNA, an escape, none.
HOSTILE_HOSTS = [
    *HOSTS, "management.", "MANAGEMENT.", "management..azure.com", "management", "user:pw@management.azure.com",
    "management.azure.com:444", "management.azure.com.:443", "[fe80::1%25ETH0]", "xn--mngement-8wa.azure.com",
    "Management.Azure.COM", "%6danagement.azure.com", "", "kv1.vault.azure.net:8443", "x@kv1.vault.azure.net",
]  # fmt: skip


@pytest.mark.parametrize("seed", range(2))
def test_a_request_kind_is_the_same_with_the_host_name_given(seed: int) -> None:
    """The transport hands request_kind the host name it split (``parts.hostname or ""``)."""
    generator = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    for path in [*_paths(1500, seed), "/v2/a/manifests/x", "/acr/v1/a%2Fb/_tags/t", "/%76%32/a/tags/list"]:
        url = f"https://{generator.choice(HOSTILE_HOSTS)}{path}?api-version=1"
        parts = urlsplit(url)
        hostname = parts.hostname or ""
        for method in ("GET", "post"):
            slow = _slow_request_kind(method, url)
            assert stats.request_kind(method, url, parts, hostname) == slow, url
            assert stats.request_kind(method, url, parts) == stats.request_kind(method, url) == slow, url


class _Answered:
    status_code = 200


class _Inner:
    def send(self, request: object, **kwargs: object) -> _Answered:
        return _Answered()


def test_the_transport_counts_requests_as_the_kinds_and_urls_say() -> None:
    """What the guarded transport counts (by kind, by URL, challenges, registry sign-ins, peak)
    for requests it lets through, with and without a token, to ARM, vaults and a registry."""
    from azure.core.rest import HttpRequest

    inner: Any = _Inner()
    transport = guarded.GuardedTransport(inner, cloud=PUBLIC, connection_timeout=1.0, read_timeout=2.0)
    transport.allow_registries(["contosoacr.azurecr.io"])
    generator = random.Random(7)  # noqa: S311 - reproducible test data, not secrets
    hosts = ["management.azure.com", "MANAGEMENT.azure.com.", "kv1.vault.azure.net", "contosoacr.azurecr.io"]
    expected_kinds: dict[str, int] = {}
    expected_urls: dict[str, int] = {}
    sent = 0
    for path in _paths(1200, 3):
        url = f"https://{generator.choice(hosts)}{path}?api-version=1"
        headers = {"authorization": "Bearer t"} if generator.random() < 0.8 else {}
        request = HttpRequest("GET", url, headers=headers)
        try:
            transport.send(request)
        except Exception:  # noqa: S112 - refused by a guard: not counted
            continue
        sent += 1
        if headers:
            kind = _slow_request_kind("GET", url)
            expected_urls[f"GET {url}"] = expected_urls.get(f"GET {url}", 0) + 1
        elif "azurecr" in url:
            kind = "GET {data-plane} without a token (registry sign-in: answered 401 with the scope it needs)"
        else:
            kind = "bearer challenge (Key Vault, 401 expected)"
        expected_kinds[kind] = expected_kinds.get(kind, 0) + 1
    counts = transport.stats.counts()
    assert sent > 500 and counts.total == sent
    assert counts.by_kind == expected_kinds
    assert counts.by_url == expected_urls
    assert counts.challenges == sum(n for k, n in expected_kinds.items() if k.startswith("bearer challenge"))
    assert counts.peak_in_flight == 1 and transport.stats.in_flight == 0


def test_a_request_scope_is_the_threads_inside_its_block_only() -> None:
    """Nested blocks, a block left by an exception (which goes on), and another thread's scope."""
    import threading

    assert bounds._state.scope is None
    with bounds.request_scope() as outer:
        assert bounds._state.scope is outer
        inside: list[object] = []

        def fail_inside() -> None:
            with bounds.request_scope() as inner:
                inside.append(inner)
                assert bounds._state.scope is inner is not outer
                raise KeyError("inside")

        with pytest.raises(KeyError):
            fail_inside()
        assert len(inside) == 1 and bounds._state.scope is outer
        seen: list[object] = []
        thread = threading.Thread(target=lambda: seen.append(bounds._state.scope))
        thread.start()
        thread.join()
        assert seen == [None]
    assert bounds._state.scope is None
