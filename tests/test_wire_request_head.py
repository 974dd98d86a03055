"""The wire transport writes a request's head in one piece (``azaudit/transport/request_head.py``):
the bytes on the wire are those ``http.client``'s ``putrequest`` / ``putheader`` / ``endheaders``
wrote, for the requests the transport sends, and every head they refuse is refused with their error.
Connections here are over socket pairs: what one end writes is read whole at the other."""

from __future__ import annotations

import http.client
import socket
import ssl
import sys
from collections.abc import Iterator
from typing import Any, cast

import pytest
from azure.core.exceptions import ServiceRequestError
from azure.core.pipeline.transport import HttpTransport
from azure.core.rest import HttpRequest

from azaudit.transport import WireTransport, request_head
from azaudit.transport import wire as wire_module
from azaudit.transport.connections import Origin, Tunnel

PROXY_VARIABLES = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")
ARM = "https://management.azure.com"
BIG = b"x" * (request_head.JOIN_BODY_BYTES + 1)


@pytest.fixture(autouse=True)
def no_proxy_from_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


class Fallback:
    def close(self) -> None:
        pass


def transport() -> WireTransport:
    return WireTransport(2, cast(HttpTransport, Fallback()), ssl.create_default_context())  # type: ignore[type-arg]


def connection_for(origin: Origin) -> tuple[http.client.HTTPConnection, socket.socket]:
    """A connection to ``origin`` as the pools build it (tunnel included, never connected), over a
    socket pair: the peer end is returned."""
    target = origin.tunnel or origin
    cls = http.client.HTTPSConnection if origin.scheme == "https" else http.client.HTTPConnection
    connection = cls(target.host, target.port, timeout=5)
    if origin.tunnel is not None:
        headers = {} if origin.tunnel.authorization is None else {"Proxy-Authorization": origin.tunnel.authorization}
        connection.set_tunnel(origin.host, origin.port, headers=headers)
    connection.auto_open = 0
    connection.sock, peer = socket.socketpair()
    peer.settimeout(5)
    if origin.tunnel is not None:  # the CONNECT request, and the proxy's answer, on the same socket
        peer.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        connection._tunnel()  # type: ignore[attr-defined]
    return connection, peer


def old_way(connection: http.client.HTTPConnection, method: str, target: str, headers: Any, own_host: bool, body: Any):  # type: ignore[no-untyped-def]
    """What the wire transport did before (wire.py, WireTransport._ask)."""
    connection.putrequest(method, target, skip_host=own_host, skip_accept_encoding=True)
    for name, value in headers:
        connection.putheader(name, value)
    connection.endheaders(body)


def new_way(connection: http.client.HTTPConnection, method: str, target: str, headers: Any, own_host: bool, body: Any):  # type: ignore[no-untyped-def]
    head = request_head.start_request(connection, method, target, headers, own_host)
    request_head.finish_request(connection, head, body)


def received(peer: socket.socket) -> bytes:
    """Everything written to the other end so far (nothing more comes within 0.2 s)."""
    peer.settimeout(0.2)
    data = b""
    while True:
        try:
            chunk = peer.recv(1 << 20)
        except TimeoutError:
            return data
        if not chunk:
            return data
        data += chunk


def counting_putrequest(connection: http.client.HTTPConnection) -> list[str]:
    """The methods ``connection.putrequest`` is called with from now on (a list that grows)."""
    calls: list[str] = []
    real = connection.putrequest

    def putrequest(method: str, *args: Any, **kwargs: Any) -> None:
        calls.append(method)
        real(method, *args, **kwargs)

    connection.putrequest = putrequest  # type: ignore[method-assign]
    return calls


def state(connection: http.client.HTTPConnection) -> tuple[Any, ...]:
    return (
        connection._HTTPConnection__state,  # type: ignore[attr-defined]
        connection._HTTPConnection__response,  # type: ignore[attr-defined]
        connection._method,  # type: ignore[attr-defined]
        list(connection._buffer),  # type: ignore[attr-defined]
    )


def requests() -> Iterator[tuple[str, HttpRequest, Tunnel | None, bool]]:
    """(case, request, tunnel, whether its head is of the plain kind written in one piece)."""
    bearer = {"Authorization": "Bearer eyJ0eXAi.eyJhdWQi.c2ln", "x-ms-client-request-id": "0b5f3c1e-1"}
    yield (
        "GET with a query",
        HttpRequest("GET", f"{ARM}/subscriptions?api-version=2022-12-01&$top=5", headers=bearer),
        None,
        True,
    )
    yield "GET quoted", HttpRequest("GET", f"{ARM}/sub s/ré?q=a b&x=%41", headers=bearer), None, True
    yield "HEAD", HttpRequest("HEAD", "https://r.azurecr.io/v2/team/app/manifests/latest", headers=bearer), None, True
    yield "DELETE", HttpRequest("DELETE", f"{ARM}/x?api-version=1", headers=bearer), None, True
    yield (
        "POST with a JSON body",
        HttpRequest(
            "POST",
            f"{ARM}/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01",
            json={"query": "Resources | where type =~ 'x'", "options": {"$top": 1000}},
            headers=bearer,
        ),
        None,
        True,
    )
    yield "POST without a body", HttpRequest("POST", f"{ARM}/a/listKeys?api-version=1", headers=bearer), None, True
    yield (
        "PUT with an empty body",
        HttpRequest("PUT", f"{ARM}/a?api-version=1", content=b"", headers=bearer),
        None,
        True,
    )
    yield (
        "registry token form POST",
        HttpRequest(
            "POST",
            "https://contoso.azurecr.io/oauth2/token",
            data={
                "grant_type": "refresh_token",
                "service": "contoso.azurecr.io",
                "scope": "repository:team/app:pull",
                "refresh_token": "r+/=é",
            },
        ),
        None,
        True,
    )
    yield "a body over the join bound", HttpRequest("PUT", f"{ARM}/big", content=BIG, headers=bearer), None, True
    yield (
        "another port",
        HttpRequest("GET", "https://vault.example:8443/secrets?api-version=7.4", headers=bearer),
        None,
        True,
    )
    yield (
        "plain http on port 80",
        HttpRequest("GET", "http://169.254.169.254/metadata/identity?x=1", headers={"Metadata": "true"}),
        None,
        True,
    )
    yield "plain http on another port", HttpRequest("GET", "http://localhost:8080/x"), None, True
    yield "its own Host, odd case", HttpRequest("GET", f"{ARM}/x", headers={"hOsT": "other.example:1"}), None, True
    proxy = Tunnel("proxy.corp", 3128, "Basic dXNlcjpwYXNz")
    yield "through a CONNECT tunnel", HttpRequest("GET", f"{ARM}/x?api-version=1", headers=bearer), proxy, True
    yield (
        "tunnel, another port",
        HttpRequest("POST", "https://vault.example:8443/k", json=[1], headers=bearer),
        Tunnel("p", 8080, None),
        True,
    )
    odd = {
        "X-Odd!#$%&'*+.^_`|~": "é ü\tÿ  trailing  ",
        "X-Empty": "",
        "X-Quotes": '"a", b; c=d\\e',
        "user-agent": "azsdk-python-mgmt/1.0 Python/3.11.7 (Linux-6.1-x86_64)",
    }
    yield "odd but legal values", HttpRequest("GET", f"{ARM}/x", headers=odd), None, True
    # Legal for http.client, not of the plain kind: written by putrequest / putheader as before.
    yield "a folded value", HttpRequest("GET", f"{ARM}/x", headers={"X-Fold": "a\r\n b\r\n\tc"}), None, False
    yield (
        "NUL and DEL in a value",
        HttpRequest("GET", f"{ARM}/x", headers={"X-Nul": "a\x00b\x7fc\x01\x0b\x0c"}),
        None,
        False,
    )
    yield (
        "a name http.client takes",
        HttpRequest("GET", f"{ARM}/x", headers={"X(odd)": "1", "X@y": "2", "A Space": "3"}),
        None,
        False,
    )
    yield "a bytes value", HttpRequest("GET", f"{ARM}/x", headers={"X-Bytes": b"raw\xff"}), None, False  # type: ignore[dict-item]
    yield "an int value", HttpRequest("GET", f"{ARM}/x", headers={"X-Int": 7}), None, False  # type: ignore[dict-item]
    yield "an IPv6 host", HttpRequest("GET", "https://[::1]:8443/x"), None, False
    yield "an IPv6 host, default port", HttpRequest("GET", "http://[fe80::1]/x"), None, False


@pytest.mark.parametrize("case", [case for case, *_ in requests()])
def test_the_wire_bytes_are_http_clients(case: str) -> None:
    request, tunnel, plain = next((r, t, p) for c, r, t, p in requests() if c == case)
    plan = transport()._plan(request, {})
    assert plan is not None
    origin, target, body = plan
    if tunnel is not None:
        origin = Origin(origin.scheme, origin.host, origin.port, tunnel)
    method = request.method.upper()
    headers, own_host = wire_module._headers(request, method, body)

    sent: dict[str, bytes] = {}
    states = {}
    for name, way in (("old", old_way), ("new", new_way)):
        connection, peer = connection_for(origin)
        putrequests = counting_putrequest(connection)
        way(connection, method, target, headers, own_host, body)
        sent[name] = received(peer)
        states[name] = state(connection)
        if name == "new":
            assert bool(putrequests) is not plain  # written in one piece exactly when plain
            # The answer is read through the connection as before.
            peer.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            answer = connection.getresponse()
            assert (answer.status, answer.read()) == (200, b"" if method == "HEAD" else b"ok")
            assert state(connection)[0] == "Idle"
        connection.close()
        peer.close()
    assert sent["new"] == sent["old"]
    assert states["new"] == states["old"]
    request_part = sent["new"].split(b"\r\n\r\n", 1)[1] if tunnel is not None else sent["new"]  # after CONNECT
    assert request_part.lower().count(b"\r\nhost: ") == 1


def test_a_small_body_goes_in_the_heads_write_and_a_large_one_after_it() -> None:
    """One sendall for a head and its small body (two for a body over the bound); http.client
    wrote the head and then the body."""

    class Counted(socket.socket):
        writes: list[int]

        def sendall(self, data: Any, flags: int = 0) -> None:
            self.writes.append(len(data))
            super().sendall(data, flags)

    for body, writes in ((b'{"a": 1}', 1), (BIG, 2)):
        connection, peer = connection_for(Origin("https", "management.azure.com", 443))
        a, b = connection.sock, peer
        counted = Counted(a.family, a.type, a.proto, fileno=a.detach())
        counted.writes = []
        connection.sock = counted
        headers = [("Authorization", "Bearer t"), ("Content-Length", str(len(body)))]
        new_way(connection, "POST", "/x", headers, False, body)
        assert len(counted.writes) == writes
        assert received(b).endswith(b"\r\n\r\n" + body)
        connection.close()
        b.close()


REFUSED = [
    ("GE\nT", "/x", []),
    ("GET\x00", "/x", []),
    ("GÉT", "/x", []),
    ("GET", "/x y", []),
    ("GET", "/x\x7f", []),
    ("GET", "/x\ty", []),
    ("GE\x01T", "/x", []),
    ("GET", "/x\r\nX-Injected: 1", []),
    ("GET", "/ré", []),
    ("GET", "/x", [("Bad:Name", "1")]),
    ("GET", "/x", [("", "1")]),
    ("GET", "/x", [(" Lead", "1")]),
    ("GET", "/x", [("Ñame", "1")]),
    ("GET", "/x", [("X-A", "a\r\nX-Injected: 1")]),
    ("GET", "/x", [("X-A", "a\nb")]),
    ("GET", "/x", [("X-A", "a\rb")]),
    ("GET", "/x", [("X-A", "ends\r\n")]),
    ("GET", "/x", [("X-A", "€ not latin-1")]),
    ("GET", "/x", [("X-Good", "1"), ("X-A", "b\n")]),
]


@pytest.mark.parametrize(("method", "target", "headers"), REFUSED)
def test_what_http_client_refuses_is_refused_with_its_error(
    method: str, target: str, headers: list[tuple[str, str]]
) -> None:
    origin = Origin("https", "management.azure.com", 443)
    errors = []
    for way in (old_way, new_way):
        connection, peer = connection_for(origin)
        with pytest.raises((ValueError, http.client.InvalidURL)) as refused:
            way(connection, method, target, headers, False, None)
        errors.append((type(refused.value), refused.value.args))
        peer.settimeout(0)
        with pytest.raises(BlockingIOError):  # nothing was sent
            peer.recv(1)
        connection.close()
        peer.close()
    assert errors[0] == errors[1]
    # ... and the transport reports it as before, before sending anything.
    connection, peer = connection_for(origin)
    with pytest.raises(ServiceRequestError, match="holds a character HTTP does not allow"):
        WireTransport._ask(connection, method, target, headers, False, None, 5.0)
    connection.close()
    peer.close()


def test_a_connection_whose_answer_was_not_asked_for_refuses_as_http_client_does() -> None:
    connection, peer = connection_for(Origin("https", "management.azure.com", 443))
    new_way(connection, "GET", "/a", [], False, None)
    with pytest.raises(http.client.CannotSendRequest):  # the request sent, its answer not read
        request_head.start_request(connection, "GET", "/b", [], False)
    connection.close()
    peer.close()


_audited: list[bytes] | None = None  # the data of http.client.send audit events, while a test listens
_hooks_added: list[Any] = []


def _audit_hook(event: str, args: tuple[Any, ...]) -> None:
    if event == "http.client.send" and _audited is not None:
        _audited.append(bytes(args[1]))


@pytest.mark.parametrize(("body", "writes"), [(b"{}", 1), (BIG, 2)])
def test_each_write_raises_http_clients_audit_event(body: bytes, writes: int) -> None:
    global _audited
    if not _hooks_added:
        sys.addaudithook(_audit_hook)  # never removed: it records nothing while no test listens
        _hooks_added.append(_audit_hook)
    connection, peer = connection_for(Origin("https", "management.azure.com", 443))
    _audited = []
    try:
        new_way(connection, "POST", "/x", [("Content-Length", str(len(body)))], False, body)
    finally:
        audited, _audited = _audited, None
    assert b"".join(audited) == received(peer)
    assert len(audited) == writes  # the head and a small body in one write
    connection.close()
    peer.close()
