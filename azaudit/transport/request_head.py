"""A request's head written in one piece for the wire transport (:mod:`azaudit.transport.wire`).

``http.client`` builds a request's head through ``putrequest``, one ``putheader`` per header and
``endheaders``: each checks and encodes its part, appends it to a buffer, and the head is joined and
sent, then the body in a write of its own (about 9 % of a live run's Python CPU in the profile of
issue 15). :func:`start_request` and :func:`finish_request` write the same bytes (request line,
``Host``, the request's headers, the body) as one buffer with one ``sendall`` (a body over
:data:`JOIN_BODY_BYTES` in a second one), when every part is of the plain kind a request almost
always is:

- the method and the target printable ASCII without a space or tab, the target not starting with
  ``http`` (where ``putrequest`` takes ``Host`` from it);
- each header name a token (RFC 9110 5.6.2), each value a ``str`` of printable Latin-1 or tabs
  (no CR, LF, NUL or other control character);
- the ``Host`` ``http.client`` would add (unless the request has its own): the connection's host
  (its tunnel's, through a proxy), ASCII with no ``:`` or ``%`` (not an IPv6 literal), and its port
  unless it is the connection's default one;
- the connection idle (nothing of another head buffered), on HTTP/1.1, not debugging.

A head where any part is not of that kind goes through ``putrequest``, ``putheader`` and
``endheaders`` as before, which write it as they did or refuse it with their own error (a
``ValueError`` or ``InvalidURL`` the transport reports; odd but legal values, such as a folded
value, are written as http.client writes them). Either way the connection is left as
``endheaders`` leaves it (request sent, its method kept, a closed previous answer let go), so its
``getresponse`` reads the answer. As ``http.client.HTTPConnection.send`` does, each write raises an
``http.client.send`` audit event (one for the head and a small body, where http.client raised two).
``tests/test_wire_request_head.py`` compares the bytes on the wire of both ways, and the refusals,
with http.client's own.
"""

from __future__ import annotations

import http.client
import re
import sys
from typing import TypeVar

JOIN_BODY_BYTES = 65536  # a body up to this size is sent in the head's write (copied once)

_CS_IDLE = http.client._CS_IDLE  # type: ignore[attr-defined]
_CS_REQ_STARTED = http.client._CS_REQ_STARTED  # type: ignore[attr-defined]
_CS_REQ_SENT = http.client._CS_REQ_SENT  # type: ignore[attr-defined]
# A header name that is a token (RFC 9110 5.6.2): a subset of what putheader takes.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]++")
# The control characters no plain head holds (CR and LF only end its lines, a tab only in a value),
# deleted with bytes.translate to see whether there are any: a regular expression took about 7 us
# over a 1.4 kB bearer token, str.isprintable 5 us, this 2 us.
_CONTROLS = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_PLAIN_HOST = re.compile(r"[!-9;-~]++")  # ASCII, no space, no colon (not an IPv6 literal)
_Answer = TypeVar("_Answer", bound=http.client.HTTPResponse)
_known_names: set[str] = set()  # names found to be tokens (a cache, bounded)
_MAX_KNOWN_NAMES = 512


def start_request(
    connection: http.client.HTTPConnection,
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    own_host: bool,
) -> bytes | None:
    """The head of a request, checked (see the module docstring): its bytes when every part is of
    the plain kind, or None when it went through ``putrequest(method, target, skip_host=own_host,
    skip_accept_encoding=True)`` and a ``putheader`` per header instead (buffered in the connection,
    or refused with their error). :func:`finish_request` sends it."""
    head = _plain_head(connection, method, target, headers, own_host)
    if head is None:
        connection.putrequest(method, target, skip_host=own_host, skip_accept_encoding=True)
        for name, value in headers:
            connection.putheader(name, value)
        return None
    # What putrequest leaves: a previous answer (closed) let go, a request started, its method kept.
    connection._HTTPConnection__response = None  # type: ignore[attr-defined]
    connection._HTTPConnection__state = _CS_REQ_STARTED  # type: ignore[attr-defined]
    connection._method = method  # type: ignore[attr-defined]
    return head


def finish_request(connection: http.client.HTTPConnection, head: bytes | None, body: bytes | None) -> None:
    """Send the head :func:`start_request` returned and the body as ``endheaders(body)`` would (the
    same bytes; the connection left as it leaves it, its ``getresponse`` then reads the answer)."""
    if head is None:
        connection.endheaders(body)
        return
    # As endheaders and send: the request started on this connection, which is still open.
    if connection._HTTPConnection__state != _CS_REQ_STARTED:  # type: ignore[attr-defined]
        raise http.client.CannotSendHeader()
    connection._HTTPConnection__state = _CS_REQ_SENT  # type: ignore[attr-defined]
    sock = connection.sock
    if sock is None:
        raise http.client.NotConnected()
    if body and len(body) <= JOIN_BODY_BYTES:
        head += body
        body = None
    sys.audit("http.client.send", connection, head)
    sock.sendall(head)
    if body:
        sys.audit("http.client.send", connection, body)
        sock.sendall(body)


def begin_answer(connection: http.client.HTTPConnection, answer: _Answer) -> _Answer:
    """What ``getresponse`` does around ``answer.begin()`` (its status line and head read), for an
    answer the caller made over its own reader of the connection: the request must have been sent
    on this connection (else ``ResponseNotReady``), and once the head is read the connection is
    idle again (its next request may start when the body is read). Unlike ``getresponse``, the
    connection is not let go of when the head says it will close: its socket is needed to read the
    body and stays where the deadline can cut it; the caller closes it after the body."""
    state = connection._HTTPConnection__state  # type: ignore[attr-defined]
    if state != _CS_REQ_SENT:
        raise http.client.ResponseNotReady(state)
    answer.begin()
    connection._HTTPConnection__state = _CS_IDLE  # type: ignore[attr-defined]
    return answer


def _plain_head(
    connection: http.client.HTTPConnection,
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    own_host: bool,
) -> bytes | None:
    """The head's bytes when every part is of the plain kind (see the module docstring) and the
    connection can send it now; None otherwise."""
    response = connection._HTTPConnection__response  # type: ignore[attr-defined]
    if (
        connection._HTTPConnection__state != _CS_IDLE  # type: ignore[attr-defined]
        or (response is not None and not response.isclosed())
        or connection._http_vsn != 11  # type: ignore[attr-defined]
        or connection.debuglevel
        or connection.sock is None
        or connection._buffer  # type: ignore[attr-defined]
    ):
        return None
    request_line = f"{method} {target} HTTP/1.1"
    if (
        " " in method
        or " " in target
        or "\t" in request_line
        or not request_line.isascii()
        or target.startswith("http")  # where putrequest takes Host from the target
    ):
        return None
    lines = [request_line]
    if not own_host:
        tunnel_host = connection._tunnel_host  # type: ignore[attr-defined]
        if tunnel_host:
            host, port = tunnel_host, connection._tunnel_port  # type: ignore[attr-defined]
        else:
            host, port = connection.host, connection.port
        if type(host) is not str or _PLAIN_HOST.fullmatch(host) is None or "%" in host:
            return None
        lines.append(f"Host: {host}" if port == connection.default_port else f"Host: {host}:{port}")
    known = _known_names
    for name, value in headers:
        if type(name) is not str or type(value) is not str:
            return None
        if name not in known:
            if _TOKEN.fullmatch(name) is None:
                return None
            if len(known) < _MAX_KNOWN_NAMES:
                known.add(name)
        lines.append(f"{name}: {value}")
    lines.append("\r\n")
    try:
        head = "\r\n".join(lines).encode("latin-1")
    except UnicodeEncodeError:
        return None
    # No control character but a value's tabs and the line ends (a CR and an LF a line, no more).
    ends = len(lines)
    if len(head.translate(None, _CONTROLS)) != len(head) or head.count(b"\n") != ends or head.count(b"\r") != ends:
        return None
    return head
