"""A ``requests`` adapter that answers from fixtures, under azure-core's ``RequestsTransport``.

It also plays the one piece of protocol every Key Vault data-plane conversation starts with: a
request without ``Authorization``, or with a token of another tenant than the vault's, gets the
``401`` bearer challenge, as the service sends it, so the SDK's challenge policy runs exactly as it
does live. A registry's data plane does the same for a read without a token or with a fixtures'
access token that is not good for it (:func:`registry_access_token`: another registry's, another
repository's, or without the action the read needs).
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from urllib3.response import HTTPResponse

from azaudit.errors import UnmatchedRequestError
from azaudit.replay.credential import REPLAY_TENANT_ID, replay_token
from azaudit.replay.fixtures import RecordedResponse, RequestKey, body_digest, request_key, sent_body

# Key Vault data-plane DNS suffix → the login authority of that cloud.
VAULT_AUTHORITIES = {
    "vault.azure.net": "https://login.microsoftonline.com",
    "vault.azure.cn": "https://login.chinacloudapi.cn",
    "vault.usgovcloudapi.net": "https://login.microsoftonline.us",
}

# Registry login-server DNS suffixes (the data plane answers a request without a token with a challenge).
REGISTRY_SUFFIXES = ("azurecr.io", "azurecr.cn", "azurecr.us")
# A repository's name may hold a route's word as one of its parts ("team/manifests/app"): the name
# of a /v2 read is everything before the route's last parts (a reference or digest holds no "/"),
# as the distribution router reads it. A part of a name never begins with "_" (/acr/v1's routes).
_REGISTRY_PATH = re.compile(
    r"^/(?:acr/v1/(?P<meta>.+?)/_(?:tags|manifests)(?:/|$)"
    r"|v2/(?P<pull>.+)/(?:manifests/[^/]+|referrers/[^/]+|tags/list)/?$)"
)

# A fixtures' registry access token names what the token endpoint granted (see registry_access_token).
REGISTRY_ACCESS_PREFIX = "replay-acr-access-"

STATUS_REASONS = {200: "OK", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests"}


class ReplayAdapter(BaseAdapter):  # type: ignore[misc]
    def __init__(self, responses: Mapping[RequestKey, RecordedResponse], source: str) -> None:
        super().__init__()
        self._responses = responses
        self._source = source
        self._builder = HTTPAdapter()

    def _challenge(self, host: str) -> RecordedResponse | None:
        for suffix, authority in VAULT_AUTHORITIES.items():
            if host.endswith("." + suffix):
                header = f'Bearer authorization="{authority}/{REPLAY_TENANT_ID}", resource="https://{suffix}"'
                return RecordedResponse(
                    status=401,
                    headers={"WWW-Authenticate": header},
                    body={
                        "error": {
                            "code": "Unauthorized",
                            "message": "AKV10000: Request is missing a Bearer or PoP token.",
                        }
                    },
                )
        return None

    @staticmethod
    def registry_challenge(host: str, path: str, authorization: str | None = None) -> RecordedResponse | None:
        """The registry's ``401`` to a data-plane read without a token (``authorization`` None), or
        with a fixtures' access token not good for it (:func:`registry_access_token`; any other
        token is accepted: tests script their own), naming the scope the read needs
        (``repository:<name>:metadata_read`` for ``/acr/v1``, ``:pull`` for ``/v2``), as ACR sends
        it; the SDK then exchanges tokens (the ``/oauth2`` POSTs are fixtures)."""
        if not host.endswith(tuple("." + suffix for suffix in REGISTRY_SUFFIXES)):
            return None
        match = _REGISTRY_PATH.match(unquote(path))
        if match is None:
            return None
        name, action = (match["meta"], "metadata_read") if match["meta"] else (match["pull"], "pull")
        if authorization is not None and not _refuses_read(authorization, host, name, action):
            return None
        scope = f"repository:{name}:{action}"
        header = f'Bearer realm="https://{host}/oauth2/token",service="{host}",scope="{scope}"'
        body = {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required", "detail": None}]}
        return RecordedResponse(status=401, headers={"WWW-Authenticate": header}, body=body)

    @staticmethod
    def _refuses(authorization: str | None) -> bool:
        """No token at all, or a replay token of another tenant (other test tokens are accepted)."""
        if authorization is None:
            return True
        own = replay_token(REPLAY_TENANT_ID)
        return authorization.startswith("Bearer " + own.split(";")[0]) and authorization != f"Bearer {own}"

    def answer(self, method: str, url: str, headers: Mapping[str, str], body: Any = None) -> RecordedResponse:
        """The recorded answer to a request; ``body`` is what it sent, as JSON (see
        :func:`azaudit.replay.fixtures.sent_body`)."""
        host = (urlsplit(url).hostname or "").lower()
        if self._refuses(headers.get("Authorization")):
            challenge = self._challenge(host)
            if challenge is not None:
                return challenge
        challenge = self.registry_challenge(host, urlsplit(url).path, headers.get("Authorization"))
        if challenge is not None:
            return challenge
        key = request_key(method, url, body)
        recorded = self._responses.get(key)
        if recorded is None:
            raise UnmatchedRequestError(
                f"replay: no recorded response for {method} {url} ({body_digest(key)}) in {self._source}"
            )
        return recorded

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        body = sent_body(request.body, str(request.headers.get("Content-Type", "")))
        return self.build(request, self.answer(str(request.method), str(request.url), request.headers, body))

    def build(self, request: requests.PreparedRequest, recorded: RecordedResponse) -> requests.Response:
        """A real ``requests`` response carrying ``recorded``."""
        content = recorded.content()
        headers = {"Content-Type": "application/json; charset=utf-8", **recorded.headers}
        raw = HTTPResponse(
            body=io.BytesIO(content),
            headers=headers,
            status=recorded.status,
            reason=STATUS_REASONS.get(recorded.status, ""),
            preload_content=False,
            decode_content=False,
        )
        return self._builder.build_response(request, raw)

    def close(self) -> None:
        pass


def registry_access_token(host: str, repository: str, actions: str) -> str:
    """The access token the fixtures' token endpoint of ``host`` grants for the scope
    ``repository:<repository>:<actions>`` (``actions`` comma-separated): a stand-in that names
    what it is good for, so that replay refuses it, as the registry would, on a read of another
    registry, repository or action."""
    return f"{REGISTRY_ACCESS_PREFIX}{host}/{repository}:{actions}"


def _refuses_read(authorization: str, host: str, name: str, action: str) -> bool:
    """Whether ``authorization`` is a fixtures' access token that is not good for ``action`` on the
    repository ``name`` of ``host``."""
    token = authorization.removeprefix("Bearer ")
    if not token.startswith(REGISTRY_ACCESS_PREFIX):
        return False
    granted_host, _, scope = token[len(REGISTRY_ACCESS_PREFIX) :].partition("/")
    repository, _, actions = scope.rpartition(":")
    return granted_host != host or repository != name or action not in actions.split(",")


def replay_session(adapter: BaseAdapter) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # never pick up a proxy or .netrc from the machine
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
