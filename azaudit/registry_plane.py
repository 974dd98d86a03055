"""A registry's data plane: tag and manifest metadata and the OCI referrers of a digest, never
content (the secret guard refuses blobs), read as JSON through a lean pipeline.

**The pipeline.** ``azure-containerregistry``'s client ran about a dozen policies for every read and
built a model of each answer, and its challenge policy sent every read without a token first. Here
each registry has one lean pipeline (:func:`azaudit.transport.lean_sender.assemble`) built from the
SDK's own configuration (its user agent, redirect and retry with the run's settings), a request id,
:class:`_RegistryAuth`, and the run's guarded transport (host allow-list, secret guard, deadline).
The caller reads the JSON with strict readers (:mod:`azaudit.collect.images`); a status other than
``200`` raises what the SDK's operations raised (``401`` ClientAuthenticationError, ``404``
ResourceNotFoundError, else HttpResponseError) with the answer attached for
:func:`registry_errors`.

**Tokens** (:class:`_Tokens`). The run's Azure AD token (audience :data:`AUDIENCE`) is exchanged for
a registry refresh token (``POST /oauth2/exchange``) once per registry per run (again only within
five minutes of its expiry), and that for an access token of each repository (``POST
/oauth2/token``) once, kept while valid; concurrent askers of one repository wait for the first
one's. ACR's realm and service are the login server itself (Azure/acr ``docs/AAD-OAuth.md``), and
each route's scope is known (:func:`route_scope`: ``repository:<name>:metadata_read`` for
``/acr/v1/<name>/_tags`` and ``/_manifests``, ``repository:<name>:pull`` for
``/v2/<name>/tags/list``, ``/manifests``, ``/referrers``), so a read carries its token from the
first one: no ``401`` round trip. Tokens live in this module's objects only: never logged, never
recorded (``--record`` keeps no form body), attached only to https requests to the registry's own
login server.

**One token per repository** (:func:`token_scope`). A lookup reads a repository with both actions
(metadata_read for its tag and manifest, pull for its referrers), and one resource scope may name
several actions: ``resourcetype:resourcename:action[,action]*`` (the Docker registry token scope
grammar, distribution/distribution ``docs/spec/auth/scope.md``, which ACR's token endpoint takes:
Azure/acr ``docs/AAD-OAuth.md`` links it for ``scope``, and ``docs/Token-BasicAuth.md`` asks
``scope=repository:<image>:pull,push``). So the token is asked for
``repository:<name>:pull,metadata_read`` and serves every read of the repository: one token POST
per repository instead of one per action (140 to 70 at the 1k benchmark). The registry grants the
intersection of what is asked and what the caller may do, and a subset "must not be considered an
error" (distribution ``docs/spec/auth/token.md``): a caller without pull still gets its
metadata_read, and its referrers read meets the challenge below, as before.

Several repositories per token request are documented too (``scope`` "can be specified more than
once for multiple scope requests": Azure/acr ``docs/AAD-OAuth.md``, the data-plane REST spec
``Azure.ContainerRegistry/stable/2021-07-01/containerregistry.json`` and azure-containerregistry's
``exchange_acr_refresh_token_for_acr_access_token``), but not used: a registry's repositories are
known only as the container groups that run them are read (each image lookup is a follow-up task),
so a token of all of them would wait for the last group list, and one of "those known so far" would
make the requests a run sends depend on thread timing (replay and the benchmark match token POSTs
on their form, scopes included).

**Challenges.** A ``401`` with a ``Bearer`` challenge is answered once, never more: a token the
registry refuses (a challenge for a scope the token was asked for: :func:`covers`) is forgotten and
asked for again; a challenge for another scope or service gets that scope's token (a repository's
widened as above). A challenge whose realm is not the registry's own
login server over https is refused (:class:`ChallengeRefusedError`, ERROR for that image): no
token is asked for it and nothing is sent anywhere else. Challenge, error and token answers are
registry text, read bounded and never quoted.

**Each read once.** :meth:`RegistryPlane.once` shares a read between the lookups that need it (one
image named ``repo:tag`` and ``repo:tag@digest``).
"""

from __future__ import annotations

import json
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Hashable, Mapping
from concurrent.futures import Future
from typing import Any, TypeVar
from urllib.parse import SplitResult, quote, unquote, urljoin, urlsplit

from azure.containerregistry._generated._configuration import ContainerRegistryConfiguration
from azure.containerregistry._helpers import _parse_exp_time
from azure.containerregistry._user_agent import USER_AGENT
from azure.core.credentials import TokenCredential
from azure.core.exceptions import (
    DecodeError,
)
from azure.core.pipeline import Pipeline, PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import HTTPPolicy, RequestIdPolicy, SansIOHTTPPolicy
from azure.core.rest import HttpRequest

from azaudit.transport import GuardedTransport, rest_request
from azaudit.transport.lean_sender import assemble, raise_for_status

# Azure Container Registry's own Azure AD audience (accepted whatever the registry's
# azureADAuthenticationAsArmPolicy says, unlike the ARM audience).
AUDIENCE = "https://containerregistry.azure.net"
NOTARY_SIGNATURE = "application/vnd.cncf.notary.signature"
RENEW_BEFORE_SECONDS = 300
# A token whose expiry cannot be read (not a JWT) is kept this long.
UNREADABLE_EXPIRY_SECONDS = 600
# The most pages of one digest's referrers followed; a registry sending more is not believed.
MAX_REFERRER_PAGES = 20
# One link of an RFC 8288 ``Link`` header: ``<url>; rel="next"`` (rel may be unquoted or list several).
# Neither part can match the same text two ways (a URL holds no "<", a parameter no ";"), so the
# search is linear in the header's length, whatever the registry sends.
_LINK = re.compile(r"<(?P<url>[^<>]*)>\s*(?P<params>(?:;[^,<;]*)*)")
# A Link header longer than this is not read: the lookup is an ERROR (registry text; a page link is
# a path and a query of a few hundred characters).
MAX_LINK_HEADER = 8192
_REL = re.compile(r';\s*rel\s*=\s*(?:"(?P<quoted>[^"]*)"|(?P<bare>[^\s;,]+))', re.IGNORECASE)
# The data-plane routes whose read needs a repository's token, and the action ACR challenges for:
# /acr/v1/<name>/_tags[/<tag>] and /_manifests[/<digest>] (metadata_read), and the OCI
# distribution routes /v2/<name>/tags/list, /manifests/<reference>, /referrers/<digest> (pull).
# A reference or digest holds no "/", so the name is everything before the route's last part.
_SCOPED_ROUTE = re.compile(
    r"^/(?:acr/v1/(?P<meta>[^_/][^/]*(?:/[^_/][^/]*)*)/_(?:tags|manifests)(?:/[^/]+)?"
    r"|v2/(?P<pull>.+)/(?:tags/list|manifests/[^/]+|referrers/[^/]+))/?$"
)
# A registry's error answer is read only this far: the errors named, each message's length, and
# the body itself (a larger body is not parsed).
MAX_ERRORS = 3
MAX_ERROR_MESSAGE = 160
MAX_ERROR_BODY = 64 * 1024
T = TypeVar("T")
# The data plane's API version (azure-containerregistry 1.2's): the /acr/v1 reads and the token
# endpoints are sent with it.
API_VERSION = "2021-07-01"
_API_VERSION = {"api-version": API_VERSION}  # never handed to azure-core, which may update it
_ACCEPT_JSON = {"Accept": "application/json"}
_ACCEPT_OCI_INDEX = {"Accept": "application/vnd.oci.image.index.v1+json"}
# A challenge header longer than this is not read (registry text).
MAX_CHALLENGE = 4096
# One parameter of a Bearer challenge: name="value".
_CHALLENGE_PARAM = re.compile(r'(?P<name>[A-Za-z][A-Za-z0-9_-]*)\s*=\s*"(?P<value>[^"]*)"')
# The token endpoints are sent without a token; the reads through _RegistryAuth.
_NO_AUTH = SansIOHTTPPolicy()  # type: ignore[var-annotated]

# An error code as the OCI distribution spec writes them (MANIFEST_UNKNOWN, NAME_UNKNOWN, DENIED).
_ERROR_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")


class UnusableAnswerError(ValueError):
    """A registry answer that is not of its documented shape (a token answer without its token):
    its text is azaudit's own words and never quotes the answer."""


class ReferrersPagingError(Exception):
    """A digest's referrers answer pages that cannot be followed: a link back to a page already
    read, to another host, or more than ``MAX_REFERRER_PAGES`` pages. Its text is azaudit's own
    words (it never quotes the link, which the registry wrote)."""


def next_link(header: str | None) -> str | None:
    """The ``rel="next"`` target of a ``Link`` header (OCI distribution spec pagination), if any.
    A header over :data:`MAX_LINK_HEADER` characters raises :class:`ReferrersPagingError`: the
    pages cannot be followed, and a count of the first page alone is never reported."""
    if header is not None and len(header) > MAX_LINK_HEADER:
        raise ReferrersPagingError(f"the referrers answer's Link header is over {MAX_LINK_HEADER} characters")
    for link in _LINK.finditer(header or ""):
        for rel in _REL.finditer(link["params"]):
            if "next" in (rel["quoted"] if rel["quoted"] is not None else rel["bare"]).lower().split():
                return link["url"].strip()
    return None


def registry_errors(response: Any) -> str | None:
    """What a registry's error answer says, in one bounded line, or None when it says nothing
    readable: ``CODE: message`` for each of the first :data:`MAX_ERRORS` entries of the body
    ``{"errors": [{"code", "message", "detail"}]}`` (the Docker Registry HTTP API v2 and OCI
    distribution spec error format, which ACR's data plane and token endpoints answer).

    The body is written by the registry and may quote what a tenant wrote (a repository or tag
    name), so it is hostile text: a body over :data:`MAX_ERROR_BODY` bytes is not parsed, a code
    is kept only when it looks like one, a message loses its control and format characters and
    is cut at :data:`MAX_ERROR_MESSAGE` characters, and ``detail`` (free-form JSON) is never
    quoted. ``response`` is azure-core's HTTP response (``exc.response`` of an SDK error)."""
    body = _body(response)
    if body is None or len(body) > MAX_ERROR_BODY:
        return None
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return None
    errors = document.get("errors") if isinstance(document, dict) else None
    if not isinstance(errors, list):
        return None
    said = [text for text in (_error_text(e) for e in errors[:MAX_ERRORS]) if text]
    if not said:
        return None
    more = len(errors) - MAX_ERRORS
    return "; ".join(said) + (f" (and {more} more)" if more > 0 else "")


def _body(response: Any) -> bytes | None:
    """The body already read of an azure-core response (``content`` of the ``azure.core.rest``
    kind the SDK's operations return, ``body()`` of the older transport kind), or None."""
    readers: tuple[Callable[[], object], ...] = (lambda: response.content, lambda: response.body())
    for read in readers:
        try:
            value = read()
        except Exception:  # noqa: S112 - a streamed body not read, or no such attribute: try the other
            continue
        if isinstance(value, bytes | bytearray) and value:
            return bytes(value)
    return None


def _error_text(error: Any) -> str | None:
    if not isinstance(error, dict):
        return None
    code, message = error.get("code"), error.get("message")
    code = code if isinstance(code, str) and _ERROR_CODE.fullmatch(code) else None
    message = _plain(message) if isinstance(message, str) else ""
    if code and message:
        return f"{code}: {message}"
    return code or message or None


def _plain(text: str) -> str:
    """``text`` on one line, without control or format characters (bidi overrides, zero-width
    joiners), at most :data:`MAX_ERROR_MESSAGE` characters."""
    kept = "".join(" " if unicodedata.category(c).startswith(("C", "Z")) else c for c in text[: MAX_ERROR_MESSAGE * 4])
    kept = " ".join(kept.split())
    return kept if len(kept) <= MAX_ERROR_MESSAGE else kept[: MAX_ERROR_MESSAGE - 3].rstrip() + "..."


def _expiry(token: str) -> float:
    """When ``token`` (a JWT, written by the registry) expires; one whose expiry cannot be read
    (not a JWT, a payload that is not an object, an ``exp`` that is not a finite time) is kept
    :data:`UNREADABLE_EXPIRY_SECONDS`."""
    try:
        exp = float(_parse_exp_time(token))
    except (ValueError, TypeError, AttributeError, UnicodeDecodeError):  # AttributeError: a payload `[]`
        exp = 0.0
    now = time.time()
    return exp if now < exp < now + 86_400 * 366 else now + UNREADABLE_EXPIRY_SECONDS


def route_scope(path: str) -> str | None:
    """The token scope a read of ``path`` (a URL path on a registry's login server) needs, as ACR's
    challenge names it, or None for a route this module does not know (its read is sent without
    a token; a challenge to it is answered as any other, module docstring)."""
    match = _SCOPED_ROUTE.match(unquote(path))
    if match is None:
        return None
    return f"repository:{match['meta']}:metadata_read" if match["meta"] else f"repository:{match['pull']}:pull"


# The actions a lookup reads a repository with (route_scope's), asked for in one token (module docstring).
RUN_ACTIONS = ("pull", "metadata_read")


def _resource_scope(scope: str) -> tuple[str, str, frozenset[str]] | None:
    """``scope``'s resource type, name and actions (``repository:<name>:<action>[,<action>]*``), or
    None for anything else (several space-separated scopes, a part missing). The name is what lies
    between the first and the last ``:`` (it may hold one: a registry host's port)."""
    kind, _, rest = scope.partition(":")
    name, _, actions = rest.rpartition(":")
    if not kind or not name or not actions or " " in scope:
        return None
    return kind, name, frozenset(actions.split(","))


def token_scope(scope: str) -> str:
    """The scope a token is asked for to serve a read that needs ``scope``: for a repository read of
    the run's actions, the repository with both (:data:`RUN_ACTIONS`), so one token serves every read
    of it; any other scope as it is."""
    parsed = _resource_scope(scope)
    if parsed is None or parsed[0] != "repository" or not parsed[2] <= set(RUN_ACTIONS):
        return scope
    return f"repository:{parsed[1]}:{','.join(RUN_ACTIONS)}"


def covers(asked: str, wanted: str) -> bool:
    """Whether a token asked for ``asked`` was asked for everything ``wanted`` names (the same
    resource, its actions among those asked): a challenge for ``wanted`` refuses that token."""
    have, need = _resource_scope(asked), _resource_scope(wanted)
    if have is None or need is None:
        return asked == wanted
    return have[:2] == need[:2] and need[2] <= have[2]


def parse_challenge(header: str | None) -> dict[str, str] | None:
    """The parameters of a ``Bearer`` challenge (``WWW-Authenticate: Bearer realm="...",
    service="...",scope="..."``), or None for a header that is not one. Registry text: a header
    over :data:`MAX_CHALLENGE` characters is not read."""
    if not header or len(header) > MAX_CHALLENGE:
        return None
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return {match["name"].lower(): match["value"] for match in _CHALLENGE_PARAM.finditer(rest)}


def _json(response: Any, what: str) -> Any:
    """The JSON of a registry's ``200`` answer; any other status is raised as the SDK's generated
    operations raise it (``401`` ClientAuthenticationError, ``404`` ResourceNotFoundError, else
    HttpResponseError), the answer attached for :func:`registry_errors`."""
    status = response.status_code
    if status != 200:
        raise_for_status(response)
    try:
        # the body's bytes (JSON is UTF-8, RFC 8259): azure-core's json() first guesses a charset
        return json.loads(response.content)
    except (ValueError, RecursionError):
        raise DecodeError(f"the registry's {what} answer is not JSON", response=response) from None


def _token(answer: Any, key: str, what: str) -> str:
    """``answer[key]``, a token the registry gave; anything else is an unusable answer (its text,
    which may be a token, is never quoted)."""
    token = answer.get(key) if isinstance(answer, Mapping) else None
    if not isinstance(token, str) or not token:
        raise UnusableAnswerError(f"the registry's {what} answer holds no {key}")
    return token


class _Tokens:
    """A registry's tokens: the refresh token, exchanged once per service (again only within
    five minutes of its expiry), and each scope's access token (a repository's: :func:`token_scope`),
    asked for once and kept while valid. Concurrent askers of one scope wait for the first one's
    under the scope's own lock. Tokens live in this object's memory only."""

    def __init__(self, endpoint: str, credential: TokenCredential, pipeline: Any) -> None:
        # ``pipeline``: what lean_sender.assemble gives (``run(request, stream=False)``), without a token
        self._endpoint = endpoint
        self._credential = credential
        self._pipeline = pipeline
        self._lock = threading.Lock()  # the dictionaries below
        self._refresh_lock = threading.Lock()  # one exchange at a time
        self._refresh: dict[str, tuple[str, float]] = {}
        self._access: dict[tuple[str, str], tuple[str, float]] = {}
        self._scope_locks: dict[tuple[str, str], threading.Lock] = {}
        self.exchanges = 0

    def _post(self, path: str, form: dict[str, str], what: str, key: str) -> str:
        request = HttpRequest(
            "POST", self._endpoint + path, params=dict(_API_VERSION), headers={"Accept": "application/json"}, data=form
        )
        response = self._pipeline.run(request, stream=False).http_response
        return _token(_json(response, what), key, what)

    def refresh_token(self, service: str) -> str:
        with self._refresh_lock:
            kept = self._refresh.get(service)
            if kept is not None and kept[1] - time.time() > RENEW_BEFORE_SECONDS:
                return kept[0]
            aad = self._credential.get_token(AUDIENCE + "/.default").token
            form = {"grant_type": "access_token", "service": service, "access_token": aad}
            token = self._post("/oauth2/exchange", form, "token exchange", "refresh_token")
            self._refresh[service] = (token, _expiry(token))
            self.exchanges += 1
            return token

    def access_token(self, service: str, scope: str) -> str:
        """The access token of ``scope`` (of the registry ``service`` names): the one kept while
        valid, else one asked for once, however many threads need it at the same time."""
        key = (service, scope)
        with self._lock:
            # the kept token, without the scope's lock: a thread holding that lock stores the one
            # it asked for before it lets go, so a valid token kept is the one it would hand
            kept = self._access.get(key)
            if kept is not None and kept[1] - time.time() > RENEW_BEFORE_SECONDS:
                return kept[0]
            scope_lock = self._scope_locks.get(key)
            if scope_lock is None:  # (setdefault made a lock for every read, to throw most away)
                scope_lock = self._scope_locks[key] = threading.Lock()
        with scope_lock:
            with self._lock:
                kept = self._access.get(key)
            if kept is not None and kept[1] - time.time() > RENEW_BEFORE_SECONDS:
                return kept[0]
            form = {"grant_type": "refresh_token", "service": service, "scope": scope}
            form["refresh_token"] = self.refresh_token(service)
            token = self._post("/oauth2/token", form, "access token", "access_token")
            with self._lock:
                self._access[key] = (token, _expiry(token))
            return token

    def held(self, scope: str, service: str) -> str | None:
        """The kept access token that serves a read of ``scope`` (the one of its
        :func:`token_scope`) while it is valid (not within five minutes of its expiry), or None."""
        with self._lock:
            kept = self._access.get((service, token_scope(scope)))
        return kept[0] if kept is not None and kept[1] - time.time() > RENEW_BEFORE_SECONDS else None

    def forget(self, service: str, scope: str, token: str) -> None:
        """Drop ``token`` of ``scope``, which the registry refused (unless another thread has
        already replaced it)."""
        with self._lock:
            kept = self._access.get((service, scope))
            if kept is not None and kept[0] == token:
                del self._access[(service, scope)]


class ChallengeRefusedError(Exception):
    """The registry's ``401`` challenge names a token endpoint (realm) on another host than the
    registry's own login server, or not over https: azaudit sends its tokens nowhere else. Its text
    is azaudit's own words (it never quotes the challenge, which the registry wrote)."""


class _RegistryAuth(HTTPPolicy):  # type: ignore[type-arg]
    """Sends each read with the token of its scope (module docstring).

    A token is attached only to an ``https`` request to ``host`` (this registry's login server)
    on a route :func:`route_scope` knows: the kept one, else one asked for before the read is sent.
    A ``401`` with a challenge is answered once (never more), unless its realm is not this
    registry's own token endpoint (:class:`ChallengeRefusedError`)."""

    def __init__(self, tokens: _Tokens, host: str) -> None:
        super().__init__()
        self._tokens = tokens
        self._host = host
        self._lock = threading.Lock()
        self.attached = 0  # reads sent with a token (tests count them)

    def _own(self, request: PipelineRequest[Any]) -> SplitResult | None:
        parts = urlsplit(str(request.http_request.url))
        if parts.scheme.lower() != "https" or (parts.hostname or "").lower() != self._host:
            return None
        return parts

    def _scope(self, request: PipelineRequest[Any]) -> str | None:
        parts = self._own(request)
        if parts is None or not rest_request.lacks(request.http_request.headers, "Authorization"):
            return None
        return route_scope(parts.path)

    def _attach(self, request: PipelineRequest[Any], token: str) -> None:
        request.http_request.headers["Authorization"] = "Bearer " + token
        with self._lock:
            self.attached += 1

    def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        scope = self._scope(request)
        sent: tuple[str, str, str] | None = None
        if scope is not None:
            # ACR's realm and service are the login server itself (Azure/acr docs/AAD-OAuth.md);
            # one token of the repository serves both actions the run reads it with
            asked = token_scope(scope)
            token = self._tokens.access_token(self._host, asked)
            self._attach(request, token)
            sent = (self._host, asked, token)
        response: PipelineResponse[Any, Any] = self.next.send(request)
        if response.http_response.status_code != 401 or self._own(request) is None:
            return response
        challenge = parse_challenge(response.http_response.headers.get("WWW-Authenticate"))
        if challenge is None or not challenge.get("scope"):
            return response  # no challenge to answer: the registry's refusal stands
        realm = urlsplit(challenge.get("realm", ""))
        if realm.scheme.lower() != "https" or (realm.hostname or "").lower() != self._host:
            raise ChallengeRefusedError(
                "the registry's sign-in challenge names a token endpoint on another host than the registry's"
            )
        service, wanted = challenge.get("service") or self._host, challenge["scope"]
        if sent is not None and service == sent[0] and covers(sent[1], wanted):
            self._tokens.forget(*sent)  # refused (revoked, or expired early): ask for a new one
        self._attach(request, self._tokens.access_token(service, token_scope(wanted)))
        resent: PipelineResponse[Any, Any] = self.next.send(request)
        return resent


class RegistryPlane:
    """The data-plane client of one audited registry, shared by the run's collector threads."""

    def __init__(
        self, login_server: str, credential: TokenCredential, transport: GuardedTransport, **retry: Any
    ) -> None:
        host = login_server.lower()
        self.endpoint = f"https://{host}"
        # The SDK's configuration gives the policies azure-containerregistry sends with (its user
        # agent, redirect and retry with the run's settings); the pipelines are lean ones.
        config = ContainerRegistryConfiguration(
            url=self.endpoint, credential=credential, sdk_moniker=USER_AGENT, authentication_policy=_NO_AUTH, **retry
        )
        full: Pipeline[Any, Any] = Pipeline(transport=transport)
        self.tokens = _Tokens(self.endpoint, credential, assemble(config, full, [RequestIdPolicy()], _NO_AUTH))
        self.auth = _RegistryAuth(self.tokens, host)
        self._pipeline = assemble(config, full, [RequestIdPolicy()], self.auth)
        self.failure: str | None = None  # the first refusal: the registry's other images are not asked
        self.refused_by: str | None = None  # ImageArtifact.refused_by of that failure
        self.lock = threading.Lock()
        self._read: dict[Hashable, Future[Any]] = {}

    def once(self, key: Hashable, read: Callable[[], T]) -> T:
        """What ``read()`` gives (or raises), computed once per ``key`` for the run: the lookups of
        one image under two references (``repo:tag`` and ``repo:tag@digest``) read its tag and its
        manifest once, and a lookup that starts while the first is under way waits for its answer."""
        with self.lock:
            pending = self._read.get(key)
            mine = pending is None
            if pending is None:
                pending = self._read[key] = Future()
        if mine:
            try:
                pending.set_result(read())
            except Exception as exc:  # handed to every lookup of the key, each raising it
                pending.set_exception(exc)
        result: T = pending.result()
        return result

    def _send(self, request: HttpRequest) -> Any:
        return self._pipeline.run(request, stream=False).http_response

    def _get(self, path: str, what: str) -> Any:
        request = rest_request.bodyless("GET", self.endpoint + path, _ACCEPT_JSON, _API_VERSION)
        return _json(self._send(request), what)

    def tag_properties(self, repository: str, tag: str) -> Any:
        """The JSON of ``GET /acr/v1/{repository}/_tags/{tag}`` (``{"tag": {"digest",
        "lastUpdateTime", ...}}``); a ``404`` raises ResourceNotFoundError."""
        return self._get(f"/acr/v1/{quote(repository, safe='')}/_tags/{quote(tag, safe='')}", "tag")

    def manifest_properties(self, repository: str, digest: str) -> Any:
        """The JSON of ``GET /acr/v1/{repository}/_manifests/{digest}`` (``{"manifest":
        {"createdTime", "references", ...}}``); a ``404`` raises ResourceNotFoundError."""
        return self._get(f"/acr/v1/{quote(repository, safe='')}/_manifests/{quote(digest, safe='')}", "manifest")

    def signatures(self, repository: str, digest: str) -> int:
        """How many Notary Project signatures refer to ``digest`` (OCI 1.1 referrers API, which
        ACR serves; the ``artifactType`` filter is applied again here in case it is ignored).

        The answer may come in pages joined by ``Link: <url>; rel="next"`` headers (OCI
        distribution spec); every page is read. A link is resolved against the page that gave it
        and must stay on this registry's host; a link to a page already read or more than
        ``MAX_REFERRER_PAGES`` pages raise :class:`ReferrersPagingError`."""
        host = (urlsplit(self.endpoint).hostname or "").lower()
        # both written into the path quoted, as the other reads write theirs (the digest comes from
        # the registry's tag answer)
        url = f"{self.endpoint}/v2/{quote(repository, safe='/')}/referrers/{quote(digest, safe=':')}"
        params: dict[str, str] | None = {"artifactType": NOTARY_SIGNATURE}
        seen: set[str] = set()
        count = 0
        while True:
            request = rest_request.bodyless("GET", url, _ACCEPT_OCI_INDEX, params)
            seen.add(request.url)
            response = self._send(request)
            body = _json(response, "referrers")
            manifests = body.get("manifests") if isinstance(body, dict) else None
            if not isinstance(manifests, list):
                raise ValueError("the referrers answer holds no manifests list")
            count += sum(1 for m in manifests if isinstance(m, dict) and m.get("artifactType") == NOTARY_SIGNATURE)
            link = next_link(response.headers.get("Link"))
            if link is None:
                return count
            following = urljoin(request.url, link)
            parts = urlsplit(following)
            if parts.scheme.lower() != "https" or (parts.hostname or "").lower() != host:
                raise ReferrersPagingError(
                    "the referrers answer links its next page to another host than the registry's"
                )
            if following in seen:
                raise ReferrersPagingError("the referrers answer links back to a page already read (a paging loop)")
            if len(seen) >= MAX_REFERRER_PAGES:
                raise ReferrersPagingError(f"the referrers answer runs to more than {MAX_REFERRER_PAGES} pages")
            url, params = following, None
