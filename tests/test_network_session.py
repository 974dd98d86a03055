"""The live run's requests session prepares exactly what requests' own Session.request prepares,
in fewer steps (azaudit/transport.py, _LeanSession)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter

from azaudit.transport import network_session


class Capture(BaseAdapter):
    """Keeps each prepared request and the arguments requests sends it with; answers 200."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[requests.PreparedRequest, dict[str, Any]]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.sent.append((request, kwargs))
        response = requests.Response()
        response.status_code = 200
        response._content = b"{}"
        response.request = request
        response.url = request.url or ""
        return response

    def close(self) -> None:
        pass


# What azure-core's RequestsTransport hands to Session.request: a GET with its query in the URL, a
# header set to None (removed), the registry token exchange's form body, Resource Graph's JSON body.
CALLS: list[tuple[str, str, dict[str, Any], Any]] = [
    (
        "GET",
        "https://management.azure.com/subscriptions/s/providers/Microsoft.Security/pricings?api-version=2024-01-01"
        "&$filter=name%20eq%20'x'",
        {"Authorization": "Bearer t", "Accept": "application/json", "x-ms-client-request-id": "1", "X-Gone": None},
        None,
    ),
    (
        "post",
        "https://registry01.azurecr.io/oauth2/exchange",
        {"Content-Type": "application/x-www-form-urlencoded"},
        {"grant_type": "access_token", "service": "registry01.azurecr.io"},
    ),
    (
        "POST",
        "https://management.azure.com/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01",
        {"Content-Type": "application/json"},
        b'{"query": "resources"}',
    ),
]


def prepared_by(session: requests.Session) -> list[tuple[Any, ...]]:
    capture = Capture()
    session.mount("https://", capture)
    for method, url, headers, data in CALLS:
        session.request(
            method,
            url,
            headers=headers,
            data=data,
            files=None,
            verify=True,
            timeout=(10, 60),
            cert=None,
            allow_redirects=False,
            proxies=None,
        )
    return [
        (p.method, p.url, list(p.headers.items()), p.body, p.hooks, sorted(kwargs.items(), key=str))
        for p, kwargs in capture.sent
    ]


def plain_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # the lean session reads the proxy variables once, itself
    return session


def test_the_session_prepares_what_requests_prepares(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert prepared_by(network_session(2)) == prepared_by(plain_session())


def test_the_session_skips_requests_merge_of_empty_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("Session.prepare_request was used")

    session = network_session(2)
    monkeypatch.setattr(requests.Session, "prepare_request", refuse)
    prepared_by(session)


def test_a_session_holding_cookies_prepares_them_as_requests_does() -> None:
    lean, plain = network_session(2), plain_session()
    for session in (lean, plain):
        session.cookies.set("affinity", "a1", domain="management.azure.com", path="/")
    sent = prepared_by(lean)
    assert sent == prepared_by(plain)
    assert ("Cookie", "affinity=a1") in sent[0][2]
