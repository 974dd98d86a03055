"""A registry's tokens are asked for once per run and repository (one scope of both actions the run
reads it with), however many lookups of one repository meet the registry's challenge at the same
time (the sample tenant's fixtures, replayed through the real SDK)."""

from __future__ import annotations

import hashlib
import re
import threading
from typing import Any
from urllib.parse import urlsplit

import pytest
from azure.containerregistry import ContainerRegistryClient
from azure.core.exceptions import HttpResponseError
from azure.core.pipeline import PipelineContext, PipelineRequest
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest

from azaudit.audit import Audit
from azaudit.clouds import CLOUDS, CloudName
from azaudit.registry_plane import (
    AUDIENCE,
    ChallengeRefusedError,
    RegistryPlane,
    covers,
    parse_challenge,
    route_scope,
    token_scope,
)
from azaudit.replay import ReplayCredential
from azaudit.replay.adapter import ReplayAdapter, registry_access_token, replay_session
from azaudit.replay.fixtures import RecordedResponse, load_fixture_dir
from azaudit.transport import GuardedTransport
from tests.conftest import SAMPLE_TENANT

HOST = "contosodevacr.azurecr.io"


def test_concurrent_lookups_of_one_repository_share_one_token() -> None:
    sent: list[tuple[str, str]] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    class Counting(ReplayAdapter):
        def answer(self, method: str, url: str, headers: Any, body: Any = None) -> Any:
            with lock:
                sent.append((method, urlsplit(url).path))
            if urlsplit(url).path == "/oauth2/token":
                threading.Event().wait(0.2)  # a slow token endpoint: the other lookups start meanwhile
            return super().answer(method, url, headers, body)

    adapter = Counting(load_fixture_dir(SAMPLE_TENANT), "sample tenant")
    inner = RequestsTransport(session=replay_session(adapter), session_owner=False)
    transport = GuardedTransport(inner, cloud=CLOUDS[CloudName.PUBLIC], connection_timeout=5, read_timeout=5)
    transport.allow_registries([HOST])
    plane = RegistryPlane(HOST, ReplayCredential(), transport)
    digests: list[str] = []

    def lookup() -> None:
        start.wait()
        digests.append(str(plane.tag_properties("web/frontend", "1.8.0")["tag"]["digest"]))

    threads = [threading.Thread(target=lookup) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(digests) == 8 and len(set(digests)) == 1
    assert sent.count(("POST", "/oauth2/exchange")) == 1
    assert sent.count(("POST", "/oauth2/token")) == 1  # was one per lookup that met the challenge first
    # the first lookup asked for the scope's token before its read; the seven others waited for it:
    # every read was sent once, with the token (was 16, each read twice, then 9: the first one's 401)
    assert sent.count(("GET", "/acr/v1/web%2Ffrontend/_tags/1.8.0")) == 8
    assert plane.auth.attached == 8


def test_the_request_counts_name_each_registry_sign_in_step(sample_audit: Audit) -> None:
    """One exchange per registry, one token per repository, and every read sent with its
    repository's token (none without, answered 401): the counts say which is which (the
    benchmark's per-kind figures)."""
    kinds = sample_audit.stats.by_kind
    registry_reads = sum(n for kind, n in kinds.items() if re.match(r"GET \{data-plane\}/(acr/v1|v2)/", kind))
    assert registry_reads > 0
    assert kinds["POST {data-plane}/oauth2/exchange (registry sign-in: refresh token)"] == 4  # 4 registries read
    # one token of each repository read, of both actions (was one per action, 14: metadata_read and
    # pull of each repository, none for the ABAC registry's refused pull); orders/migrate, the init
    # container IMG001 fails, is read like the others
    assert kinds["POST {data-plane}/oauth2/token (registry sign-in: access token of a scope)"] == 8
    unauthenticated = "GET {data-plane} without a token (registry sign-in: answered 401 with the scope it needs)"
    # each scope's token is asked for before its first read: no read meets the challenge (was one
    # 401 before every read, 20, then one before each scope's first read, 14)
    assert unauthenticated not in kinds and registry_reads == 20


def plane_transport(adapter: ReplayAdapter, host: str = HOST) -> GuardedTransport:
    inner = RequestsTransport(session=replay_session(adapter), session_owner=False)
    transport = GuardedTransport(inner, cloud=CLOUDS[CloudName.PUBLIC], connection_timeout=5, read_timeout=5)
    transport.allow_registries([host])
    return transport


def _plane(adapter: ReplayAdapter, host: str = HOST) -> RegistryPlane:
    return RegistryPlane(host, ReplayCredential(), plane_transport(adapter, host))


class Refusing(ReplayAdapter):
    """The sample tenant's registry, which refuses the kept token of a read of ``refuse`` (path)
    ``times`` times with its challenge, as ACR answers a revoked or expired token."""

    def __init__(self, refuse: str, times: int, challenge_path: str | None = None) -> None:
        super().__init__(load_fixture_dir(SAMPLE_TENANT), "sample tenant")
        self.refuse, self.times, self.challenge_path = refuse, times, challenge_path
        self.sent: list[tuple[str, str, bool]] = []

    def answer(self, method: str, url: str, headers: Any, body: Any = None) -> Any:
        path = urlsplit(url).path
        self.sent.append((method, path, "Authorization" in headers))
        if method == "GET" and path == self.refuse and "Authorization" in headers and self.times > 0:
            self.times -= 1
            challenge = ReplayAdapter.registry_challenge(HOST, self.challenge_path or path)
            assert challenge is not None
            return challenge
        return super().answer(method, url, headers, body)


TAG = "/acr/v1/web%2Ffrontend/_tags/1.8.0"
MANIFEST_DIGEST = "sha256:" + hashlib.sha256(b"web/frontend:1.8.0").hexdigest()
MANIFEST = "/acr/v1/web%2Ffrontend/_manifests/" + MANIFEST_DIGEST.replace(":", "%3A")


def test_a_read_of_a_scope_already_held_is_one_request() -> None:
    adapter = Refusing(refuse="", times=0)
    plane = _plane(adapter)
    plane.tag_properties("web/frontend", "1.8.0")
    plane.manifest_properties("web/frontend", MANIFEST_DIGEST)
    # the scope's first read carries the token asked for before it (was sent without one first)
    assert [s for s in adapter.sent if s[0] == "GET"] == [("GET", TAG, True), ("GET", MANIFEST, True)]
    assert [s[1] for s in adapter.sent if s[0] == "POST"] == ["/oauth2/exchange", "/oauth2/token"]
    assert plane.auth.attached == 2


def test_a_refused_kept_token_is_asked_for_again_once() -> None:
    adapter = Refusing(refuse=MANIFEST, times=1)
    plane = _plane(adapter)
    plane.tag_properties("web/frontend", "1.8.0")
    props = plane.manifest_properties("web/frontend", MANIFEST_DIGEST)
    assert props["manifest"]["digest"] == MANIFEST_DIGEST
    manifest_reads = [s for s in adapter.sent if s[1] == MANIFEST]
    assert manifest_reads == [("GET", MANIFEST, True), ("GET", MANIFEST, True)]
    # the refused token was dropped: a second token POST for the scope, not the refused one resent
    assert [s[1] for s in adapter.sent].count("/oauth2/token") == 2


def test_a_token_refused_again_is_an_error_after_one_retry() -> None:
    adapter = Refusing(refuse=MANIFEST, times=99)
    plane = _plane(adapter)
    plane.tag_properties("web/frontend", "1.8.0")
    with pytest.raises(HttpResponseError) as raised:
        plane.manifest_properties("web/frontend", MANIFEST_DIGEST)
    assert raised.value.status_code == 401
    assert [s for s in adapter.sent if s[1] == MANIFEST] == [("GET", MANIFEST, True)] * 2  # never a loop


def test_a_challenge_for_the_other_action_of_the_repository_refuses_its_token() -> None:
    """The registry wants pull for a metadata read: the kept token was asked for both actions of the
    repository, so the registry refused it; it is forgotten and the repository's token asked for
    again, once (was: a second token, of pull only, the metadata_read one kept)."""
    adapter = Refusing(refuse=MANIFEST, times=1, challenge_path="/v2/web/frontend/manifests/1.8.0")
    plane = _plane(adapter)
    plane.tag_properties("web/frontend", "1.8.0")
    plane.manifest_properties("web/frontend", MANIFEST_DIGEST)
    assert [s[1] for s in adapter.sent].count("/oauth2/token") == 2  # the repository's, then again
    assert [s for s in adapter.sent if s[1] == MANIFEST] == [("GET", MANIFEST, True)] * 2  # one resend
    assert list(plane.tokens._access) == [(HOST, "repository:web/frontend:pull,metadata_read")]


class Scoped(ReplayAdapter):
    """The sample tenant's registry, whose token endpoint names in each token the scopes it was asked
    for, and whose reads accept only a token of a scope that covers theirs (else the challenge)."""

    def __init__(self, challenge: str | None = None) -> None:
        super().__init__(load_fixture_dir(SAMPLE_TENANT), "sample tenant")
        self.scopes: list[str] = []
        self.challenge = challenge  # a scope the manifest read is challenged for once, whatever it carries

    def answer(self, method: str, url: str, headers: Any, body: Any = None) -> Any:
        path = urlsplit(url).path
        if method == "POST" and path == "/oauth2/token":
            self.scopes.append(body["scope"])
            super().answer(method, url, headers, body)  # a scope the fixtures hold, or unmatched
            return RecordedResponse(status=200, body={"access_token": "scoped " + body["scope"]})
        needed = route_scope(path)
        held = str(headers.get("Authorization", "")).removeprefix("Bearer scoped ")
        wanted = self.challenge if path == MANIFEST and self.challenge else needed
        if method == "GET" and wanted is not None and (wanted != needed or not covers(held, needed)):
            self.challenge = None
            header = f'Bearer realm="https://{HOST}/oauth2/token",service="{HOST}",scope="{wanted}"'
            return RecordedResponse(status=401, headers={"WWW-Authenticate": header}, body={"errors": []})
        return super().answer(method, url, headers, body)


def test_one_token_of_a_repository_serves_its_metadata_and_pull_reads() -> None:
    """A lookup's tag, manifest and referrers reads (metadata_read, metadata_read, pull) carry one
    token, asked for both actions in one scope (Docker token scope grammar, which ACR takes): one
    token POST per repository (was two: one per action)."""
    adapter = Scoped()
    plane = _plane(adapter)
    plane.tag_properties("web/frontend", "1.8.0")
    plane.manifest_properties("web/frontend", MANIFEST_DIGEST)
    assert plane.signatures("web/frontend", MANIFEST_DIGEST) >= 0
    assert adapter.scopes == ["repository:web/frontend:pull,metadata_read"]
    assert plane.auth.attached == 3


def test_a_challenge_for_another_repository_gets_that_repositorys_token_and_keeps_the_first() -> None:
    adapter = Scoped(challenge="repository:hub/nginx:metadata_read")
    plane = _plane(adapter)
    plane.tag_properties("web/frontend", "1.8.0")
    with pytest.raises(HttpResponseError):  # the resend, with hub/nginx's token, reads web/frontend
        plane.manifest_properties("web/frontend", MANIFEST_DIGEST)
    assert adapter.scopes == ["repository:web/frontend:pull,metadata_read", "repository:hub/nginx:pull,metadata_read"]
    assert (
        plane.tokens.held("repository:web/frontend:pull", HOST) == "scoped repository:web/frontend:pull,metadata_read"
    )


@pytest.mark.parametrize(
    ("scope", "asked"),
    [
        ("repository:a/b:metadata_read", "repository:a/b:pull,metadata_read"),
        ("repository:a/b:pull", "repository:a/b:pull,metadata_read"),
        ("repository:a/b:metadata_read,pull", "repository:a/b:pull,metadata_read"),
        ("repository:host:5000/a:pull", "repository:host:5000/a:pull,metadata_read"),  # a name with a port
        ("repository:a/b:pull,push", "repository:a/b:pull,push"),  # not the run's actions: as asked
        ("repository:a/b:*", "repository:a/b:*"),
        ("registry:catalog:*", "registry:catalog:*"),
        ("repository:a:pull repository:b:pull", "repository:a:pull repository:b:pull"),
        ("repository::pull", "repository::pull"),
        ("x:y:z", "x:y:z"),
        ("nonsense", "nonsense"),
    ],
)
def test_token_scope(scope: str, asked: str) -> None:
    assert token_scope(scope) == asked


@pytest.mark.parametrize(
    ("asked", "wanted", "covered"),
    [
        ("repository:a/b:pull,metadata_read", "repository:a/b:pull", True),
        ("repository:a/b:pull,metadata_read", "repository:a/b:metadata_read", True),
        ("repository:a/b:pull,metadata_read", "repository:a/b:metadata_read,pull", True),
        ("repository:a/b:pull,metadata_read", "repository:a/b:push", False),
        ("repository:a/b:pull,metadata_read", "repository:a/bc:pull", False),
        ("repository:a/b:pull,metadata_read", "repository:a:pull", False),
        ("repository:a/b:pull,metadata_read", "registry:a/b:pull", False),
        ("repository:a/b:pull,metadata_read", "repository:a/b:pull repository:c:pull", False),
        ("x:y:z", "x:y:z", True),
        ("nonsense", "nonsense", True),
        ("nonsense", "other", False),
    ],
)
def test_covers(asked: str, wanted: str, covered: bool) -> None:
    assert covers(asked, wanted) is covered


@pytest.mark.parametrize(
    ("path", "scope"),
    [
        ("/acr/v1/orders%2Fapi/_tags/2.4.1", "repository:orders/api:metadata_read"),
        ("/acr/v1/orders%2Fapi/_manifests/sha256%3Aab", "repository:orders/api:metadata_read"),
        ("/acr/v1/orders/blobs/uploads/_tags", "repository:orders/blobs/uploads:metadata_read"),
        ("/v2/orders/api/referrers/sha256:ab", "repository:orders/api:pull"),
        ("/v2/orders/blobs/uploads/manifests/1.0", "repository:orders/blobs/uploads:pull"),
        ("/v2/a/tags/b/tags/list", "repository:a/tags/b:pull"),
        ("/v2/orders/api/blobs/sha256:ab", None),
        ("/v2/_catalog", None),
        ("/oauth2/token", None),
        ("/acr/v1/_catalog", None),
    ],
)
def test_route_scope(path: str, scope: str | None) -> None:
    assert route_scope(path) == scope


def test_a_kept_token_goes_to_its_own_registry_only() -> None:
    """A request of the registry's pipeline to another host (or over http) never carries it."""
    plane = _plane(Refusing(refuse="", times=0))
    plane.tag_properties("web/frontend", "1.8.0")
    assert plane.tokens.held("repository:web/frontend:metadata_read", HOST) is not None
    for url in (
        "https://contosoprodacr.azurecr.io/acr/v1/web%2Ffrontend/_tags/1.8.0",
        "http://contosodevacr.azurecr.io/acr/v1/web%2Ffrontend/_tags/1.8.0",
        "https://contosodevacr.azurecr.io.evil.example/acr/v1/web%2Ffrontend/_tags/1.8.0",
    ):
        request = PipelineRequest(HttpRequest("GET", url), PipelineContext(None))
        assert plane.auth._scope(request) is None
    own = PipelineRequest(HttpRequest("GET", f"https://{HOST.upper()}{TAG}"), PipelineContext(None))
    assert plane.auth._scope(own) == "repository:web/frontend:metadata_read"


class ForeignRealm(Refusing):
    """The registry answers the manifest read with a challenge whose realm is ``realm``."""

    def __init__(self, realm: str | None) -> None:
        super().__init__(refuse=MANIFEST, times=1)
        self.realm = realm

    def answer(self, method: str, url: str, headers: Any, body: Any = None) -> Any:
        path = urlsplit(url).path
        self.sent.append((method, url, "Authorization" in headers))
        if method == "GET" and path == self.refuse:
            realm = "" if self.realm is None else f'realm="{self.realm}",'
            header = f'Bearer {realm}service="{HOST}",scope="repository:web/frontend:pull"'
            return RecordedResponse(status=401, headers={"WWW-Authenticate": header}, body={"errors": []})
        return ReplayAdapter.answer(self, method, url, headers, body)


@pytest.mark.parametrize(
    "realm",
    [
        "https://login.evil.example/oauth2/token",
        f"https://{HOST}.evil.example/oauth2/token",
        f"http://{HOST}/oauth2/token",
        None,
    ],
)
def test_a_challenge_naming_another_token_endpoint_is_refused(realm: str | None) -> None:
    """ACR's realm is the login server's own ``/oauth2/token``: a challenge naming any other is
    refused (an error for that read), no token is asked for it and nothing is sent anywhere else."""
    adapter = ForeignRealm(realm)
    plane = _plane(adapter)
    plane.tag_properties("web/frontend", "1.8.0")
    with pytest.raises(ChallengeRefusedError):
        plane.manifest_properties("web/frontend", MANIFEST_DIGEST)
    assert {urlsplit(s[1]).hostname for s in adapter.sent} == {HOST}
    assert [urlsplit(s[1]).path for s in adapter.sent].count("/oauth2/token") == 1  # metadata_read only
    assert [s for s in adapter.sent if urlsplit(s[1]).path == MANIFEST] == [
        ("GET", f"https://{HOST}{MANIFEST}?api-version=2021-07-01", True)
    ]


class Capturing(ReplayAdapter):
    def __init__(self) -> None:
        super().__init__(load_fixture_dir(SAMPLE_TENANT), "sample tenant")
        self.reads: list[tuple[str, dict[str, str]]] = []

    def answer(self, method: str, url: str, headers: Any, body: Any = None) -> Any:
        if method == "GET" and "Authorization" in headers:
            self.reads.append((url, dict(headers)))
        return super().answer(method, url, headers, body)


def test_a_read_is_sent_as_the_sdk_sent_it() -> None:
    """The lean pipeline sends a tag and a manifest read as azure-containerregistry's client did:
    the same URL and headers (its user agent, Accept, a request id), with the scope's token."""
    adapter = Capturing()
    plane = _plane(adapter)
    endpoint = f"https://{HOST}"
    sdk = ContainerRegistryClient(endpoint, ReplayCredential(), audience=AUDIENCE, transport=plane_transport(adapter))
    # the SDK's own exchange cannot read the replay's tokens: its challenge gets the fixtures' token
    exchange: Any = sdk._auth_policy._exchange_client
    exchange.get_acr_access_token = lambda challenge: registry_access_token(HOST, "web/frontend", "pull,metadata_read")
    sdk.get_tag_properties("web/frontend", "1.8.0")
    sdk.get_manifest_properties("web/frontend", MANIFEST_DIGEST)
    plane.tag_properties("web/frontend", "1.8.0")
    plane.manifest_properties("web/frontend", MANIFEST_DIGEST)
    (sdk_tag, sdk_manifest, tag, manifest) = adapter.reads
    for ours, theirs in ((tag, sdk_tag), (manifest, sdk_manifest)):
        assert ours[0] == theirs[0]
        assert ours[1].keys() == theirs[1].keys()
        for name in ("Authorization", "User-Agent", "Accept"):
            assert ours[1][name] == theirs[1][name], name


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            f'Bearer realm="https://{HOST}/oauth2/token",service="{HOST}",scope="repository:a/b:pull"',
            {"realm": f"https://{HOST}/oauth2/token", "service": HOST, "scope": "repository:a/b:pull"},
        ),
        ('bearer Realm="r", scope="s"', {"realm": "r", "scope": "s"}),
        ('Basic realm="x"', None),
        ("Bearer", {}),
        (None, None),
        ('Bearer realm="' + "x" * 5000 + '"', None),  # longer than a challenge can be: not read
    ],
)
def test_parse_challenge(header: str | None, expected: dict[str, str] | None) -> None:
    assert parse_challenge(header) == expected


class OtherService(ReplayAdapter):
    """A registry whose challenge to the manifest read names another service: the token endpoints
    answer whatever they are asked (the form's service is recorded)."""

    def __init__(self) -> None:
        super().__init__(load_fixture_dir(SAMPLE_TENANT), "sample tenant")
        self.posts: list[tuple[str, str, str]] = []
        self.manifest_reads = 0

    def answer(self, method: str, url: str, headers: Any, body: Any = None) -> Any:
        path = urlsplit(url).path
        if method == "POST":
            self.posts.append((path, body["service"], body.get("scope", "")))
            key = "refresh_token" if path == "/oauth2/exchange" else "access_token"
            return RecordedResponse(status=200, body={key: f"{body['service']}-{body.get('scope', '')}"})
        if path == MANIFEST:
            self.manifest_reads += 1
            if self.manifest_reads == 1:
                challenge = f'Bearer realm="https://{HOST}/oauth2/token",service="other.{HOST}",scope="x:y:z"'
                return RecordedResponse(status=401, headers={"WWW-Authenticate": challenge}, body={"errors": []})
            assert headers["Authorization"] == f"Bearer other.{HOST}-x:y:z"
        return super().answer(method, url, headers, body)


def test_a_challenge_naming_another_service_is_answered_with_that_services_tokens() -> None:
    adapter = OtherService()
    _plane(adapter).manifest_properties("web/frontend", MANIFEST_DIGEST)
    assert adapter.manifest_reads == 2  # one resend, with the token the challenge asked for
    assert adapter.posts == [
        ("/oauth2/exchange", HOST, ""),
        ("/oauth2/token", HOST, "repository:web/frontend:pull,metadata_read"),
        ("/oauth2/exchange", f"other.{HOST}", ""),
        ("/oauth2/token", f"other.{HOST}", "x:y:z"),
    ]


@pytest.mark.parametrize(
    ("path", "token", "challenged"),
    [
        (TAG, registry_access_token(HOST, "web/frontend", "pull,metadata_read"), None),
        (f"/v2/web/frontend/referrers/{MANIFEST_DIGEST}", registry_access_token(HOST, "web/frontend", "pull"), None),
        (TAG, registry_access_token(HOST, "web/frontend", "pull"), "repository:web/frontend:metadata_read"),
        (TAG, registry_access_token(HOST, "hub/nginx", "pull,metadata_read"), "repository:web/frontend:metadata_read"),
        (TAG, registry_access_token(HOST, "web", "pull,metadata_read"), "repository:web/frontend:metadata_read"),
        (
            f"/v2/web/frontend/referrers/{MANIFEST_DIGEST}",
            registry_access_token(HOST, "web/frontend", "metadata_read"),
            "repository:web/frontend:pull",
        ),
        (
            TAG,
            registry_access_token("contosoprodacr.azurecr.io", "web/frontend", "pull,metadata_read"),
            "repository:web/frontend:metadata_read",
        ),
        (TAG, "a token a test scripted", None),  # not the fixtures': accepted
    ],
)
def test_replay_refuses_a_fixtures_token_not_good_for_the_read(path: str, token: str, challenged: str | None) -> None:
    """The replayed registry decides what a token is good for, as ACR does: one of another
    registry, repository or action draws the challenge for the read's scope (was: any token)."""
    challenge = ReplayAdapter.registry_challenge(HOST, path, "Bearer " + token)
    if challenged is None:
        assert challenge is None
    else:
        assert challenge is not None and challenge.status == 401
        assert f'scope="{challenged}"' in challenge.headers["WWW-Authenticate"]


@pytest.mark.parametrize("name", ["team/manifests/app", "a/tags/b", "x/referrers/y/manifests/z"])
def test_replay_reads_a_repository_named_with_a_route_word_whole(name: str) -> None:
    """A repository's name may hold "manifests", "tags" or "referrers" as one of its parts: the
    replayed registry took the name up to the first such word, and accepted a token of that other
    repository ("team") for a read of "team/manifests/app" (and refused the read's own token)."""
    for path in (
        f"/v2/{name}/manifests/{MANIFEST_DIGEST}",
        f"/v2/{name}/referrers/{MANIFEST_DIGEST}",
        f"/v2/{name}/tags/list",
    ):
        assert route_scope(path) == f"repository:{name}:pull"
        own = registry_access_token(HOST, name, "pull,metadata_read")
        assert ReplayAdapter.registry_challenge(HOST, path, "Bearer " + own) is None
        first_part = registry_access_token(HOST, name.split("/")[0], "pull,metadata_read")
        challenge = ReplayAdapter.registry_challenge(HOST, path, "Bearer " + first_part)
        assert challenge is not None and f'scope="repository:{name}:pull"' in challenge.headers["WWW-Authenticate"]


def test_a_kept_token_is_handed_without_the_scopes_lock() -> None:
    """A valid kept token is returned at once: no lock is made or taken for its scope (a thread
    asking for it holds that lock only until it has stored the token), and none is asked again."""
    adapter = Refusing(refuse="", times=0)
    plane = _plane(adapter)
    plane.tag_properties("web/frontend", "1.8.0")
    tokens = plane.tokens
    (key,) = tokens._access
    asked = len(adapter.sent)
    tokens._scope_locks.clear()
    with tokens._lock:
        held = tokens._access[key]
    assert tokens.access_token(*key) == held[0]
    assert tokens._scope_locks == {} and len(adapter.sent) == asked
    plane.manifest_properties("web/frontend", MANIFEST_DIGEST)
    assert tokens._scope_locks == {} and [s[1] for s in adapter.sent[asked:]] == [MANIFEST]
