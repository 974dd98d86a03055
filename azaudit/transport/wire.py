"""The transport of live runs: azure-core requests sent over ``http.client`` connections.

Over real HTTPS one ARM GET costs about 0.26 ms of client CPU through ``http.client`` alone and
about 1.5 ms through azure-core's ``RequestsTransport`` (requests, then urllib3, then
``http.client``). :class:`WireTransport` sends the requests a run's SDK clients and lean
pipelines build (``azure.core.rest.HttpRequest``, a body of bytes, text, JSON or a form) straight
over ``http.client``, keeping what the ``requests`` path gave:

- kept-alive connections pooled per origin, bounded, every socket wrapped with the run's one TLS
  context, an idle connection the server closed dropped before reuse, the sockets of a parent
  never used by a forked child (:mod:`azaudit.transport.connections`);
- each connection's answers read through one buffered reader kept for its life, not a
  ``makefile`` and ``HTTPResponse.__init__`` per answer; a connection whose reader holds bytes past
  the answer just read (more than the server said, an answer glued to it) is closed, not pooled,
  and counted in ``closed_for_unread_bytes``: those bytes are never the next request's answer;
- the per-attempt deadline of :mod:`azaudit.transport.deadline` cuts these connections too;
- ``connection_timeout`` for the connection (tunnel and TLS handshake included), ``read_timeout``
  for every read and write after it;
- ``Accept-Encoding: gzip, deflate``, decoded within a bound, and a bound on the body as sent
  (:mod:`azaudit.transport.body`); ``http.client``'s bounds on the status line, each header line
  (64 KiB) and the number of headers (100), the head read strictly and without the ``email``
  package (:mod:`azaudit.transport.head`);
- ``http.client``'s checks of the request's method, target and headers (no CR, LF or other
  character HTTP does not allow), the request's head written in one piece with the bytes
  ``putrequest`` and ``putheader`` wrote (:mod:`azaudit.transport.request_head`);
- the headers requests sent where they matter: ``Host``, ``Content-Length`` of a body (and 0 for
  a POST, PUT or PATCH without one), ``Accept: */*``, ``Connection: keep-alive``; no
  ``python-requests`` User-Agent (azure-core sets its own);
- the environment's proxies, read once per origin (:mod:`azaudit.transport.proxies`): a
  ``CONNECT`` tunnel through an ``http://`` proxy;
- azure-core's exceptions, of the classes ``RequestsTransport`` raises (``ServiceRequestError``
  when nothing was sent, ``ServiceResponseError`` after, their timeout variants,
  ``IncompleteReadError`` for a body cut short), in azaudit's words: nothing the server or the URL
  wrote is quoted (a reason built from them would be printed as azaudit's own). The underlying
  error stays in ``inner_exception``, which is how an untrusted certificate is recognised
  (:func:`azaudit.tls.untrusted_certificate`).

A request on a kept-alive connection that the server closed meanwhile, which failed before any
byte of its answer came, is sent once more on a new connection when its method is idempotent.

Anything else goes, unchanged, through ``fallback`` (azure-core's ``RequestsTransport`` over the
run's network session): legacy ``azure.core.pipeline.transport.HttpRequest``\\ s, streamed or
file bodies, ``stream=True``, per-request proxies, certificates or verification settings, a URL
with user info or a non-ASCII host, and a proxy other than an ``http://`` one.
"""

from __future__ import annotations

import http.client
import re
import ssl
import threading
from typing import Any, cast
from urllib.parse import SplitResult, urlencode, urlsplit

import requests
from azure.core.exceptions import (
    IncompleteReadError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)
from azure.core.pipeline.transport import HttpTransport
from azure.core.rest import HttpRequest
from azure.core.rest._http_response_impl import HttpResponseImpl

from azaudit.tls import run_tls_context, untrusted_certificate
from azaudit.transport import deadline
from azaudit.transport.body import MAX_BODY_BYTES, BodyTooLarge, UndecodableBody, decode, read_body
from azaudit.transport.connections import ConnectionPools, Origin, Tunnel, reader_of, unread
from azaudit.transport.head import WireAnswer
from azaudit.transport.proxies import ELSEWHERE, EnvironmentProxies
from azaudit.transport.request_head import begin_answer, finish_request, start_request
from azaudit.transport.rest_request import pairs as header_pairs

ACCEPT_ENCODING = "gzip, deflate"  # what requests asks for (brotli and zstd not installed)
DEFAULT_TIMEOUT = 300.0  # azure-core's ConnectionConfiguration defaults
BLOCK_SIZE = 4096
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
_HANDLED_OPTIONS = frozenset(
    {"stream", "connection_timeout", "read_timeout", "connection_verify", "connection_cert", "proxies"}
)
# A request target requests' requote_uri leaves as it is: no '%', nothing to quote.
_PLAIN_TARGET = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/?\[\]]*")
# What a kept-alive connection the server closed meanwhile fails with, before any answer.
_DROPPED = (ConnectionResetError, ConnectionAbortedError, BrokenPipeError, ssl.SSLEOFError, ssl.SSLZeroReturnError)


class WireTransport(HttpTransport):  # type: ignore[misc,type-arg]
    """azure-core's transport over ``http.client`` (see the module docstring), with up to
    ``pool_size`` kept-alive connections per origin; ``fallback`` sends what it does not."""

    def __init__(
        self,
        pool_size: int,
        fallback: HttpTransport,  # type: ignore[type-arg]
        tls: ssl.SSLContext | None = None,
        body_limit: int = MAX_BODY_BYTES,
    ) -> None:
        self.pools = ConnectionPools(pool_size, tls or run_tls_context())
        self._fallback = fallback
        self._proxies = EnvironmentProxies()
        self._origins: dict[tuple[str, str], Origin] = {}  # by a URL's scheme and network location
        self._body_limit = body_limit
        self._count_lock = threading.Lock()
        self.sent_by_fallback = 0  # requests handed to ``fallback`` (tests and diagnostics)
        self.closed_for_unread_bytes = 0  # connections not pooled: bytes read past an answer (idem)

    # -- azure-core's HttpTransport --------------------------------------------------------------

    def send(self, request: Any, **kwargs: Any) -> Any:
        plan = self._plan(request, kwargs)
        if plan is None:
            with self._count_lock:
                self.sent_by_fallback += 1
            return self._fallback.send(request, **kwargs)
        origin, target, body = plan
        connect_timeout = kwargs.get("connection_timeout")
        read_timeout = kwargs.get("read_timeout")
        return self._exchange(
            request,
            origin,
            target,
            body,
            DEFAULT_TIMEOUT if connect_timeout is None else float(connect_timeout),
            DEFAULT_TIMEOUT if read_timeout is None else float(read_timeout),
        )

    def open(self) -> None:
        pass

    def close(self) -> None:
        try:
            self.pools.close()
        finally:
            self._fallback.close()

    def __enter__(self) -> WireTransport:
        return self

    def __exit__(self, *args: Any) -> None:
        self.close()

    # -- what goes where -------------------------------------------------------------------------

    def _plan(self, request: Any, options: dict[str, Any]) -> tuple[Origin, str, bytes | None] | None:
        """(origin, request target, body) of a request this transport sends, or None for one the
        fallback sends (see the module docstring)."""
        if not isinstance(request, HttpRequest):
            return None
        if options and (
            not _HANDLED_OPTIONS.issuperset(options)
            or options.get("stream")
            or options.get("connection_verify") not in (None, True)
            or options.get("connection_cert") is not None
            or options.get("proxies")
            or isinstance(options.get("connection_timeout"), tuple)
        ):
            return None
        if request._files:
            return None
        body = _body(request._data)
        if body is _UNSENDABLE:
            return None
        url = request.url
        parts = urlsplit(url)
        origin = self._origins.get((parts.scheme, parts.netloc))
        if origin is None:
            origin = self._origin(url, parts)
            if origin is None:
                return None
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if _PLAIN_TARGET.fullmatch(target) is None:
            try:
                target = requests.utils.requote_uri(target)
            except requests.exceptions.InvalidURL:
                return None
        return origin, target, body

    def _origin(self, url: str, parts: SplitResult) -> Origin | None:
        """The origin of a URL this transport sends to (kept for the next URL of the same scheme and
        network location: the pools then find it by identity), or None for the fallback's."""
        scheme = parts.scheme.lower()
        host = parts.hostname
        if scheme not in ("https", "http") or not host or "@" in parts.netloc or not host.isascii():
            return None
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError:
            return None
        decision = self._proxies.for_url(url, scheme, parts.netloc)  # decided once per origin too
        if decision == ELSEWHERE:
            return None
        origin = Origin(scheme, host, port, decision if isinstance(decision, Tunnel) else None)
        # One per origin the run reads, as the proxy decisions (a dict's setdefault is atomic).
        return self._origins.setdefault((parts.scheme, parts.netloc), origin)

    # -- one exchange ----------------------------------------------------------------------------

    def _exchange(
        self, request: HttpRequest, origin: Origin, target: str, body: bytes | None, connect: float, read: float
    ) -> WireResponse:
        method = request.method.upper()
        headers, own_host = _headers(request, method, body)
        retry = method in IDEMPOTENT
        resent = False
        while True:
            connection = None if resent else self.pools.idle_connection(origin)
            reused = connection is not None
            if connection is None:
                connection = self._connect(origin, connect)
            else:
                deadline.register(connection)
            try:
                answer = self._ask(connection, method, target, headers, own_host, body, read)
            except _DROPPED as exc:
                connection.close()
                if reused and retry and not resent and not deadline.expired():
                    resent = True  # once, on a new connection
                    continue
                raise _response_failure(exc, read) from exc
            except Exception as exc:
                connection.close()
                failure = _response_failure(exc, read)
                if failure is exc:
                    raise
                raise failure from exc
            except BaseException:
                connection.close()
                raise
            break
        try:
            raw = read_body(answer, self._body_limit)
            content = decode(raw, answer.headers.joined("Content-Encoding"), self._body_limit)
        except Exception as exc:
            connection.close()
            raise _response_failure(exc, read) from exc
        except BaseException:
            connection.close()
            raise
        # Released from this attempt's deadline before another thread can take it from the pool.
        if answer.will_close or connection.sock is None or not deadline.release(connection):
            connection.close()
        elif self._read_past(connection):
            connection.close()  # what its reader holds is no answer to the next request
        else:
            self.pools.give_back(origin, connection)
        # Built read, as azure-core's transports mark an answer read without stream=True.
        return WireResponse(request=request, answer=answer, content=content)

    def _read_past(self, connection: http.client.HTTPConnection) -> bool:
        """Whether the connection's reader holds bytes past the answer just read (counted)."""
        reader = reader_of(connection)
        if reader is None or not unread(reader):
            return False
        with self._count_lock:
            self.closed_for_unread_bytes += 1
        return True

    def _connect(self, origin: Origin, timeout: float) -> http.client.HTTPConnection:
        try:
            connection = self.pools.new_connection(origin, timeout, before_connect=deadline.register)
        except ssl.SSLCertVerificationError as exc:
            message = untrusted_certificate(exc) or "the server's TLS certificate could not be verified"
            raise ServiceRequestError(message, error=exc) from exc
        except TimeoutError as exc:
            raise ServiceRequestTimeoutError(f"could not connect within {timeout:g} s", error=exc) from exc
        except ssl.SSLError as exc:
            raise ServiceRequestError(f"the TLS handshake failed ({type(exc).__name__})", error=exc) from exc
        except OSError as exc:
            if origin.tunnel is not None and str(exc).startswith("Tunnel connection failed"):
                raise ServiceRequestError("the proxy did not open a tunnel to the service", error=exc) from exc
            raise ServiceRequestError(f"could not connect ({type(exc).__name__})", error=exc) from exc
        except http.client.HTTPException as exc:
            raise ServiceRequestError(
                f"the proxy's answer is not valid HTTP ({type(exc).__name__})", error=exc
            ) from exc
        connection.response_class = WireAnswer  # its answers' heads read by azaudit.transport.head
        if deadline.expired():  # passed while connecting, perhaps before the socket could be cut
            connection.close()
            raise ServiceRequestTimeoutError("the attempt's deadline passed while connecting")
        return connection

    @staticmethod
    def _ask(
        connection: http.client.HTTPConnection,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        own_host: bool,
        body: bytes | None,
        read_timeout: float,
    ) -> WireAnswer:
        """Send the request and read the answer's status line and headers."""
        sock = connection.sock
        if sock is None:
            raise ConnectionAbortedError("the connection was closed")
        sock.settimeout(read_timeout)
        try:
            # The head checked as http.client checks it, then sent in one write (a small body with it).
            head = start_request(connection, method, target, headers, own_host)
        except (ValueError, http.client.InvalidURL) as exc:
            raise ServiceRequestError(
                "the request cannot be sent: its URL or a header holds a character HTTP does not allow", error=exc
            ) from None
        finish_request(connection, head, body)
        reader = reader_of(connection)
        if reader is None:  # a connection of another kind: a new file and answer through http.client
            return cast(WireAnswer, connection.getresponse())  # the response_class of its connections
        return begin_answer(connection, WireAnswer.reading(reader, method))  # getresponse's work


def _response_failure(exc: BaseException, read_timeout: float) -> Exception:
    """azure-core's exception for a failure once the request was being sent (azaudit's words)."""
    name = type(exc).__name__
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return exc
    if isinstance(exc, TimeoutError):
        return ServiceResponseTimeoutError(f"no answer within {read_timeout:g} s (read timeout)", error=exc)
    if isinstance(exc, BodyTooLarge | UndecodableBody):
        return ServiceResponseError(str(exc), error=exc)
    if isinstance(exc, http.client.IncompleteRead):
        return IncompleteReadError("the answer ended before its body was complete", error=exc)
    if isinstance(exc, http.client.RemoteDisconnected):
        return ServiceResponseError("the server closed the connection without answering", error=exc)
    if isinstance(exc, http.client.HTTPException):
        return ServiceResponseError(f"the answer is not valid HTTP ({name})", error=exc)
    if isinstance(exc, OSError):
        return ServiceResponseError(f"the connection broke ({name})", error=exc)
    return ServiceResponseError(f"the answer could not be read ({name})", error=exc)


_UNSENDABLE = object()


def _body(data: Any) -> Any:
    """The bytes to send for a request's data: None, bytes, text (UTF-8) or a form (URL-encoded,
    as requests encodes it); :data:`_UNSENDABLE` for anything else (a stream, a file)."""
    if data is None:
        return None
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, dict):
        pairs: list[tuple[str, str | int | float]] = []
        for key, values in data.items():
            for value in values if isinstance(values, list) else [values]:
                if value is None:
                    continue
                if not isinstance(key, str) or not isinstance(value, str | int | float):
                    return _UNSENDABLE
                pairs.append((key, value))
        return urlencode(pairs).encode("ascii")
    return _UNSENDABLE


def _headers(request: HttpRequest, method: str, body: bytes | None) -> tuple[list[tuple[str, str]], bool]:
    """The request's headers, with requests' defaults where the request has none, and whether
    they hold a ``Host`` (``http.client`` then sends no Host of its own)."""
    headers: list[tuple[str, str]] = []
    present: set[str] = set()
    for name, value in header_pairs(request.headers):
        if value is None:
            continue
        lowered = name.lower()
        if lowered == "content-length" and body is not None:
            continue  # the body's own length, as requests sets it
        headers.append((name, value))
        present.add(lowered)
    if "accept-encoding" not in present:
        headers.append(("Accept-Encoding", ACCEPT_ENCODING))
    if "accept" not in present:
        headers.append(("Accept", "*/*"))
    if "connection" not in present:
        headers.append(("Connection", "keep-alive"))
    if body is not None:
        headers.append(("Content-Length", str(len(body))))
    elif method not in ("GET", "HEAD") and "content-length" not in present:
        headers.append(("Content-Length", "0"))
    return headers, "host" in present


class WireResponse(HttpResponseImpl):  # type: ignore[misc]
    """azure-core's rest response over an answer read to the end (status, reason, headers
    case-insensitive, the decoded body in ``content``), as azure-core's own responses behave."""

    def __init__(self, *, request: HttpRequest, answer: WireAnswer, content: bytes) -> None:
        headers = answer.headers.case_insensitive()  # a header given more than once: joined, as urllib3 does
        # What azure-core's __init__ and read() leave (the answer read, marked consumed and closed),
        # set at once: each of their 16 assignments went through the back-compat __setattr__,
        # which builds and searches a list of old attribute names (a test compares the two).
        answer.close()
        vars(self).update(
            _request=request,
            _internal_response=answer,
            _block_size=BLOCK_SIZE,
            _status_code=answer.status,
            _reason=answer.reason,
            _content_type=headers.get("Content-Type"),
            _headers=headers,
            _stream_download_generator=_from_memory,
            _is_closed=True,
            _is_stream_consumed=True,
            _json=None,
            _content=content,
            _text=None,
        )


def _from_memory(pipeline: Any, response: WireResponse, **kwargs: Any) -> Any:
    """The body in blocks. Never reached: the answer is marked read when it is built, so asking
    for its stream raises StreamConsumedError, as with azure-core's transports without stream=True
    (the body as sent, before decoding, is not kept)."""
    data = response._content or b""
    return iter([data[i : i + BLOCK_SIZE] for i in range(0, len(data), BLOCK_SIZE)])
