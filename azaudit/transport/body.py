"""An answer's body, read and decompressed within a bound, for the wire transport
(:mod:`azaudit.transport.wire`).

The largest answer azaudit reads is a page of a list (ARM pages hold up to 1,000 items, Resource
Graph's up to 1,000 rows): a few megabytes. :data:`MAX_BODY_BYTES` (64 MiB) is far above that and
far below what would strain the machine: a body longer than that, as sent or once decompressed
(``Content-Encoding: gzip`` or ``deflate``, which ``requests`` asked for and decoded too), is an
error for that request (:class:`BodyTooLarge`), read no further, and its connection closed; a
small gzip bomb cannot expand in memory past the bound either.
"""

from __future__ import annotations

import http.client
import zlib

MAX_BODY_BYTES = 64 * 1024 * 1024
# The most content codings undone (urllib3's own bound): each layer is held to the size bound, but a
# thousand layers of a self-similar gzip would cost CPU without end once the answer is read.
MAX_CODINGS = 5
READ_BYTES = 256 * 1024  # read at a time: http.client would allocate a Content-Length at once


class BodyTooLarge(Exception):
    """An answer's body, as sent or decompressed, is longer than the bound."""


class UndecodableBody(Exception):
    """An answer's body does not decompress as its Content-Encoding says."""


def read_body(response: http.client.HTTPResponse, limit: int = MAX_BODY_BYTES) -> bytes:
    """The whole body of ``response`` as sent (chunked or not), at most ``limit`` bytes."""
    declared = response.length  # None when chunked or read to the close
    if declared is not None and declared > limit:
        raise BodyTooLarge(f"the answer's body is {declared} bytes: azaudit reads at most {limit}")
    parts: list[bytes] = []
    total = 0
    while True:
        part = response.read(min(READ_BYTES, limit + 1 - total))
        if not part:
            break
        parts.append(part)
        total += len(part)
        if total > limit:
            raise BodyTooLarge(f"the answer's body is longer than {limit} bytes: azaudit reads no more")
    if response.length:  # http.client's read(amt) returns what came before the connection closed
        raise http.client.IncompleteRead(b"", response.length)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def decode(body: bytes, content_encoding: str | None, limit: int = MAX_BODY_BYTES) -> bytes:
    """``body`` with its content codings undone (the last applied first), at most ``limit`` bytes
    decoded. A coding other than gzip and deflate is left as it is (as urllib3 does); more than
    :data:`MAX_CODINGS` codings raise :class:`UndecodableBody`."""
    if not content_encoding or not body:
        return body
    codings = [c.strip().lower() for c in content_encoding.split(",", MAX_CODINGS)]
    if len(codings) > MAX_CODINGS:
        raise UndecodableBody(f"the answer names more than {MAX_CODINGS} content codings")
    for coding in reversed(codings):
        if coding in ("gzip", "x-gzip"):
            body = _inflate(body, zlib.MAX_WBITS | 16, limit, coding)
        elif coding == "deflate":
            try:
                body = _inflate(body, zlib.MAX_WBITS, limit, coding)  # zlib-wrapped, as the RFC says
            except UndecodableBody:
                body = _inflate(body, -zlib.MAX_WBITS, limit, coding)  # raw deflate, as some servers send
        elif coding not in ("", "identity"):
            return body
    return body


def _inflate(data: bytes, wbits: int, limit: int, coding: str) -> bytes:
    parts: list[bytes] = []
    total = 0
    try:
        while data:
            inflater = zlib.decompressobj(wbits)
            part = inflater.decompress(data, limit + 1 - total)
            parts.append(part)
            total += len(part)
            if total > limit:
                raise BodyTooLarge(f"the answer's body decompresses to more than {limit} bytes: azaudit reads no more")
            # Another gzip member may follow the first (as urllib3 reads them).
            data = inflater.unused_data if inflater.eof and wbits & 16 else b""
    except zlib.error:
        raise UndecodableBody(f"the answer's body is not valid {coding}") from None
    return parts[0] if len(parts) == 1 else b"".join(parts)
