"""A registry's data plane through ``azure-containerregistry``: tag and manifest metadata and the
OCI referrers of a digest, never content (the secret guard refuses blobs).

The SDK answers each request's ``401`` challenge by exchanging the run's Azure AD token for a
registry refresh token (``POST /oauth2/exchange``) and that for an access token of the challenge's
scope (``POST /oauth2/token``). As shipped it repeats the exchange for every request; here the
refresh token is exchanged once per registry per run (again only within five minutes of its
expiry) and each scope's access token is asked for once and kept while valid (concurrent lookups
of one repository wait for the first one's). Tokens live in this object's memory only: never
logged, never recorded (``--record`` keeps no form body).

As shipped the SDK also sends every read without a token first, even when it holds the token the
read needs, and pays a ``401`` round trip each time. Here (:class:`_HeldTokens`) a read to this
registry's own login server carries the token of the scope its route needs, as ACR challenges for
it (``repository:<name>:metadata_read`` for ``/acr/v1/<name>/_tags`` and ``/_manifests``,
``repository:<name>:pull`` for ``/v2/<name>/tags/list``, ``/manifests``, ``/referrers``): the kept
one, else one asked for before the read is sent (ACR's realm and service are the login server
itself, Azure/acr ``docs/AAD-OAuth.md``), once per scope however many reads start at the same time.
A token the registry refuses (``401`` with a challenge of the same scope) is forgotten and asked
for again once; a challenge for another scope or service is answered as the SDK does: either way
the SDK resends the read at most once. A challenge whose realm is not this registry's own login
server over https is refused (:class:`ChallengeRefusedError`): no token is sent anywhere else.
"""

from __future__ import annotations

import json
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Any, TypeVar
from urllib.parse import unquote, urljoin, urlsplit

from azure.containerregistry import ContainerRegistryClient
from azure.containerregistry._exchange_client import ACRExchangeClient
from azure.containerregistry._helpers import _parse_challenge, _parse_exp_time
from azure.core.credentials import TokenCredential
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.rest import HttpRequest

from azaudit.transport import GuardedTransport

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
_LINK = re.compile(r"<(?P<url>[^>]*)>\s*(?P<params>(?:;[^,<]*)*)")
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

# An error code as the OCI distribution spec writes them (MANIFEST_UNKNOWN, NAME_UNKNOWN, DENIED).
_ERROR_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")


class ReferrersPagingError(Exception):
    """A digest's referrers answer pages that cannot be followed: a link back to a page already
    read, to another host, or more than ``MAX_REFERRER_PAGES`` pages. Its text is azaudit's own
    words (it never quotes the link, which the registry wrote)."""


def next_link(header: str | None) -> str | None:
    """The ``rel="next"`` target of a ``Link`` header (OCI distribution spec pagination), if any."""
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
    a token and answered as the SDK does)."""
    match = _SCOPED_ROUTE.match(unquote(path))
    if match is None:
        return None
    return f"repository:{match['meta']}:metadata_read" if match["meta"] else f"repository:{match['pull']}:pull"


class _OneExchange(ACRExchangeClient):  # type: ignore[misc]
    """The SDK's exchange client, with the refresh token exchanged once and access tokens kept."""

    def __init__(self, endpoint: str, credential: TokenCredential, **kwargs: Any) -> None:
        super().__init__(endpoint, credential, **kwargs)
        self._lock = threading.Lock()
        self._access: dict[str, tuple[str, float]] = {}
        self._scope_locks: dict[str, threading.Lock] = {}
        self.exchanges = 0

    def get_refresh_token(self, service: str, **kwargs: Any) -> str:
        with self._lock:
            if not self._refresh_token or self._expiration_time - time.time() < RENEW_BEFORE_SECONDS:
                self._refresh_token = self.exchange_aad_token_for_refresh_token(service, **kwargs)
                self._expiration_time = _expiry(self._refresh_token)
                self.exchanges += 1
            return str(self._refresh_token)

    def get_acr_access_token(self, challenge: str, **kwargs: Any) -> str | None:
        """The access token a ``401`` challenge asks for (its service and scope): see
        :meth:`access_token`."""
        parsed = _parse_challenge(challenge)
        return self.access_token(parsed.get("service", ""), parsed.get("scope", ""), **kwargs)

    def access_token(self, service: str, scope: str, **kwargs: Any) -> str | None:
        """The access token of ``scope``: the one kept while valid, else one asked for once,
        however many threads (lookups of images in one repository) need it at the same time: they
        wait for it under the scope's own lock."""
        with self._lock:
            scope_lock = self._scope_locks.setdefault(scope, threading.Lock())
        with scope_lock:
            with self._lock:
                kept = self._access.get(scope)
            if kept is not None and kept[1] - time.time() > RENEW_BEFORE_SECONDS:
                return kept[0]
            refresh = self.get_refresh_token(service, **kwargs)
            token: str | None = self.exchange_refresh_token_for_access_token(
                refresh, service=service, scope=scope, **kwargs
            )
            if token:
                with self._lock:
                    self._access[scope] = (token, _expiry(token))
            return token

    def held(self, scope: str) -> str | None:
        """The kept access token of ``scope`` while it is valid (not within five minutes of its
        expiry), or None."""
        with self._lock:
            kept = self._access.get(scope)
        return kept[0] if kept is not None and kept[1] - time.time() > RENEW_BEFORE_SECONDS else None

    def forget(self, scope: str, token: str) -> None:
        """Drop ``token`` of ``scope``, which the registry refused (unless another thread has
        already replaced it)."""
        with self._lock:
            kept = self._access.get(scope)
            if kept is not None and kept[0] == token:
                del self._access[scope]


class ChallengeRefusedError(Exception):
    """The registry's ``401`` challenge names a token endpoint (realm) on another host than the
    registry's own login server, or not over https: azaudit sends its tokens nowhere else. Its text
    is azaudit's own words (it never quotes the challenge, which the registry wrote)."""


class _HeldTokens:
    """Sends each read with the token of its scope (module docstring), around the SDK's own
    challenge policy, whose ``send`` and ``on_challenge`` it takes over on that policy object.

    A token is attached only to an ``https`` request to ``host`` (this registry's login server)
    on a route :func:`route_scope` knows: the kept one, else one asked for before the read is sent
    (concurrent first reads of one scope wait for the first one's, under the scope's lock). The
    SDK's policy resends a read once after a challenge, never more."""

    def __init__(self, policy: Any, exchange: _OneExchange, host: str) -> None:
        self._sdk_send = policy.send
        self._sdk_on_challenge = policy.on_challenge
        self._exchange = exchange
        self._host = host
        self._lock = threading.Lock()
        self.attached = 0  # reads sent with a token (tests and the benchmark count them)
        policy.send = self.send
        policy.on_challenge = self.on_challenge

    def _scope(self, request: PipelineRequest[Any]) -> str | None:
        http = request.http_request
        parts = urlsplit(http.url)
        if parts.scheme.lower() != "https" or (parts.hostname or "").lower() != self._host:
            return None
        if "Authorization" in http.headers:
            return None
        return route_scope(parts.path)

    def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        scope = self._scope(request)
        if scope is not None:
            # ACR's realm and service are the login server itself (Azure/acr docs/AAD-OAuth.md)
            token = self._exchange.access_token(self._host, scope)
            if token:
                self._attach(request, scope, token)
        response: PipelineResponse[Any, Any] = self._sdk_send(request)
        return response

    def _attach(self, request: PipelineRequest[Any], scope: str, token: str) -> None:
        request.http_request.headers["Authorization"] = "Bearer " + token
        request.context["azaudit_held_token"] = (scope, token)
        with self._lock:
            self.attached += 1

    def on_challenge(self, request: PipelineRequest[Any], response: PipelineResponse[Any, Any], challenge: str) -> bool:
        """A ``401`` to a read. A challenge whose realm is not this registry's own token endpoint
        is refused (:class:`ChallengeRefusedError`). When the read carried a token and the
        challenge names that token's scope, the registry refused the token (revoked, or expired
        early): it is forgotten, so the SDK's answer to the challenge asks for a new one instead of
        resending the refused one."""
        try:
            parsed = _parse_challenge(challenge)
        except IndexError:  # an odd number of parameters: not a challenge the SDK can answer
            return False
        realm = urlsplit(parsed.get("realm", ""))
        if realm.scheme.lower() != "https" or (realm.hostname or "").lower() != self._host:
            raise ChallengeRefusedError(
                "the registry's sign-in challenge names a token endpoint on another host than the registry's"
            )
        sent = request.context.get("azaudit_held_token")
        if sent is not None and parsed.get("scope", "") == sent[0]:
            self._exchange.forget(*sent)
        answered: bool = self._sdk_on_challenge(request, response, challenge)
        return answered


class RegistryPlane:
    """The data-plane client of one audited registry, shared by the run's collector threads."""

    def __init__(
        self, login_server: str, credential: TokenCredential, transport: GuardedTransport, **retry: Any
    ) -> None:
        self.endpoint = f"https://{login_server}"
        scopes = [AUDIENCE + "/.default"]
        self.client = ContainerRegistryClient(
            self.endpoint, credential, audience=AUDIENCE, transport=transport, **retry
        )
        self.exchange = _OneExchange(self.endpoint, credential, credential_scopes=scopes, transport=transport, **retry)
        self.client._auth_policy._exchange_client = self.exchange  # exchanged once (module docstring)
        host = login_server.lower()
        self.tokens = _HeldTokens(self.client._auth_policy, self.exchange, host)  # no needless 401
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

    def signatures(self, repository: str, digest: str) -> int:
        """How many Notary Project signatures refer to ``digest`` (OCI 1.1 referrers API, which
        ACR serves; the ``artifactType`` filter is applied again here in case it is ignored).

        The answer may come in pages joined by ``Link: <url>; rel="next"`` headers (OCI
        distribution spec); every page is read. A link is resolved against the page that gave it
        and must stay on this registry's host; a link to a page already read or more than
        ``MAX_REFERRER_PAGES`` pages raise :class:`ReferrersPagingError`."""
        host = (urlsplit(self.endpoint).hostname or "").lower()
        url = f"{self.endpoint}/v2/{repository}/referrers/{digest}"
        params: dict[str, str] | None = {"artifactType": NOTARY_SIGNATURE}
        seen: set[str] = set()
        count = 0
        while True:
            request = HttpRequest(
                "GET", url, params=params, headers={"Accept": "application/vnd.oci.image.index.v1+json"}
            )
            seen.add(request.url)
            # through its pipeline: the SDK has no referrers call
            response = self.client._client.send_request(request)
            response.raise_for_status()
            body = response.json()
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
