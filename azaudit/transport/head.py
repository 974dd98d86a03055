"""An answer's status line and header fields for the wire transport (:mod:`azaudit.transport.wire`),
read strictly and within bounds, without the ``email`` package.

``http.client`` hands every answer's head to the ``email`` package's FeedParser, which builds an
``email.message.Message``: 10 to 15 % of a live run's Python CPU. :class:`WireAnswer`, the
``response_class`` of the wire transport's connections (:mod:`azaudit.transport.connections`),
reads the head itself into :class:`Fields`. It overrides ``HTTPResponse.begin`` as a whole: the
parser is called from inside that method, with nothing smaller to override. ``begin`` is the same
on Python 3.11, 3.12 and 3.13, and what it decides is kept:

- the status line, read by http.client's own ``_read_status`` (64 KiB at most, ``BadStatusLine``,
  ``RemoteDisconnected`` for a connection closed before any byte came, which the transport sends
  again); interim answers (1xx) skipped, their heads read within the same bounds (below); ``HTTP/1.0``
  and ``HTTP/0.9`` are version 10, other ``HTTP/1.x`` 11, anything else ``UnknownProtocol``;
- at most 65,536 bytes a line (``LineTooLong``) and 100 lines, the blank one ending the head
  included (``HTTPException``), http.client's bounds;
- names and values decoded as Latin-1; a field given more than once kept, in order
  (``getheader`` joins the values with ", ", as does the response the transport builds);
- chunked when Transfer-Encoding says chunked (Content-Length is then not read); otherwise the
  Content-Length, unknown when it is not a number; no body for HEAD, 204, 304 and 1xx; the
  connection closed after the answer as http.client decides (``Connection: close`` on HTTP/1.1;
  on HTTP/1.0 unless ``Keep-Alive``, ``Connection: keep-alive`` or ``Proxy-Connection:
  keep-alive``) and whenever the body runs to the close.

Where http.client's framing differs from RFC 9112's, RFC 9112 decides (so that no bytes a server
sends can be read as a body here and as the next answer by another reader, or the reverse): an
answer with no body (HEAD, 204, 304, 1xx) is not read as chunked either (http.client read chunks
after a 204 that named Transfer-Encoding: chunked), and a chunked answer that also has a
Content-Length, or is HTTP/1.0, is read as chunked and its connection closed after it (RFC 9112
6.1: such framing "ought to be handled as an error"; http.client kept the connection).

Every interim answer (1xx) is skipped, not only ``100 Continue``: a client must read any number of
them before the final answer (RFC 9110 15.2). http.client returned a ``102 Processing`` or ``103
Early Hints`` as the answer, with no body, and the connection went back to its pool with the final
answer still to come, read by the next request sent on it as its own. ``101 Switching Protocols``
(never asked for) is an :class:`InvalidHead`.

Stricter than http.client, which takes whatever follows a line it cannot parse for the body (the
fields there, a Content-Length among them, dropped without a word), as RFC 9112 and RFC 9110 ask
of a recipient. :class:`InvalidHead` (an ``HTTPException``: the transport reports an answer that
is not valid HTTP, quoting nothing of it) for a line that is not ``name: value`` (no colon,
whitespace before it, an empty name or one with a character a name cannot hold, a continuation
line first), a control character other than a tab in a value or in the reason (NUL, a bare CR, an
escape), a head cut short before its blank line, more than :data:`MAX_INTERIM` interim
answers, Content-Length fields that disagree; ``UnknownTransferEncoding`` for a transfer coding
other than chunked (nothing would undo it). A value's surrounding spaces and tabs are not part of
it, and a folded line (obs-fold) is joined to the one before with one space (http.client kept the
trailing spaces, and the line break inside the value). A Content-Length is digits only (http.client
also took ``+5`` and ``5_0``).

The wire transport reads its answers through one reader per connection, kept for the
connection's life (:meth:`WireAnswer.reading`; the reader is not closed when an answer ends):
each answer's status line, head and body are read, and bounded, exactly as through the file
``HTTPResponse`` made of the socket for each answer before.

The body is read by http.client from what ``begin`` decided, but for two steps of a chunked body.
A chunk size is hexadecimal digits only, then optional whitespace and chunk extensions (RFC 9112
7.1): http.client read it with ``int(line, 16)``, which takes a sign, and a size of ``-1`` then read
the socket to its close in one piece, past the body's bound (:mod:`azaudit.transport.body`). A size
that is not hexadecimal digits ends the answer as incomplete (``IncompleteRead``, as http.client
does for one ``int`` cannot read). The trailer after the last chunk is discarded within the bounds
of a head: at most :data:`MAX_LINES` lines (http.client read any number).
"""

from __future__ import annotations

import http.client
import io
import re

from azure.core.utils import CaseInsensitiveDict

MAX_LINE = 65536  # http.client's _MAXLINE
MAX_LINES = 100  # http.client's _MAXHEADERS: the field lines and the blank line ending them
MAX_INTERIM = 16  # interim (1xx) answers skipped before the answer (http.client has no bound)

# A whole line ``name: value`` with nothing a value cannot hold (one match a line, from its start
# to its line feed: as many matches as lines, and every line is a field); linear, no backtracking
# (possessive quantifiers).
_FIELD = re.compile(r"^([!-9;-~]++):[\t ]*+([\t\x20-\x7e\x80-\xff]*+)\r?\n", re.MULTILINE)
_FIELD_LINE = re.compile(r"([!-9;-~]++):[\t ]*+([\t\x20-\x7e\x80-\xff]*+)")
_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*+")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# A chunk's size line: hexadecimal digits, optional whitespace, chunk extensions (RFC 9112 7.1).
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]++)[\t ]*+(?:;[^\r\n]*+)?\r?\n")


class InvalidHead(http.client.HTTPException):
    """An answer's head that is not valid HTTP (see the module docstring); the message says what,
    quoting nothing the server sent."""


class Fields:
    """An answer's header fields: in order as received, names as sent, and by lower-case name, the
    values of a field given more than once joined with ", ". Answers what ``HTTPResponse`` and
    its callers ask of its ``headers`` (``get``: the first value, ``get_all``, ``items``)."""

    __slots__ = ("_joined", "_pairs", "_repeated")

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs
        joined = {name.lower(): (name, value) for name, value in pairs}
        self._repeated = len(joined) != len(pairs)
        if self._repeated:  # each field's values joined once (not again at each one: 99 long values)
            names: dict[str, str] = {}
            values: dict[str, list[str]] = {}
            for name, value in pairs:
                key = name.lower()
                names[key] = name  # the last one's, as CaseInsensitiveDict keeps it
                values.setdefault(key, []).append(value)
            joined = {key: (names[key], ", ".join(each)) for key, each in values.items()}
        self._joined = joined

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of field ``name`` (any case), as ``email.message.Message.get``."""
        key = name.lower()
        if self._repeated:
            for each, value in self._pairs:
                if each.lower() == key:
                    return value
            return default
        found = self._joined.get(key)
        return default if found is None else found[1]

    def get_all(self, name: str, failobj: list[str] | None = None) -> list[str] | None:
        """Every value of field ``name`` (any case), in order; ``failobj`` when there is none."""
        key = name.lower()
        if self._repeated:
            values = [value for each, value in self._pairs if each.lower() == key]
            return values or failobj
        found = self._joined.get(key)
        return failobj if found is None else [found[1]]

    def joined(self, name: str) -> str | None:
        """The values of field ``name`` (any case) joined with ", ", or None."""
        found = self._joined.get(name.lower())
        return None if found is None else found[1]

    def case_insensitive(self) -> CaseInsensitiveDict:
        """azure-core's mapping of the fields (a field given more than once joined, as urllib3 does):
        what ``CaseInsensitiveDict(pairs)`` leaves, its store (lowered name -> (name, value), the
        layout :mod:`azaudit.transport.rest_request` reads) a copy of the joined fields, set at once
        (its ``__init__`` goes through ``MutableMapping.update`` and a ``__setitem__`` a field)."""
        mapping = CaseInsensitiveDict.__new__(CaseInsensitiveDict)
        mapping._store = dict(self._joined)
        return mapping

    def items(self) -> list[tuple[str, str]]:
        return list(self._pairs)


def read_head(fp: io.BufferedIOBase) -> tuple[bytes, int]:
    """The lines of a head up to the blank one ending it (read, not returned), in one piece, and
    how many they are, within http.client's bounds: each at most :data:`MAX_LINE` bytes,
    :data:`MAX_LINES` in all with the blank one.

    When the whole head is already in a buffered reader's buffer (as it is but for a head longer
    than one read), it is found there and taken in one read: the same lines the line-by-line
    reading below takes (no blank line before the one found, fewer lines and shorter ones than the
    bounds), where that reading costs a ``readline`` and a few checks a line."""
    if type(fp) is io.BufferedReader:
        ahead = fp.peek()  # what the buffer holds (a read from the socket only when it is empty)
        if ahead[:2] == b"\r\n" or ahead[:1] == b"\n":
            fp.read(2 if ahead[0] == 13 else 1)
            return b"", 0
        crlf = ahead.find(b"\n\r\n", 0, MAX_LINE)  # a line's end, then a blank line
        lf = ahead.find(b"\n\n", 0, MAX_LINE)
        if crlf >= 0 and (lf < 0 or crlf < lf):
            end, blank = crlf + 1, 2
        elif lf >= 0:
            end, blank = lf + 1, 1
        else:
            end = blank = 0
        if 0 < end <= MAX_LINE:
            count = ahead.count(b"\n", 0, end)
            if count < MAX_LINES:
                fp.read(end + blank)
                return ahead[:end], count
    lines = _read_lines(fp)
    return b"".join(lines), len(lines)


def _read_lines(fp: io.BufferedIOBase) -> list[bytes]:
    """The lines of a head up to the blank one ending it (not returned), read one by one within
    the bounds (see :func:`read_head`)."""
    lines: list[bytes] = []
    readline = fp.readline
    while True:
        line = readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise http.client.LineTooLong("header line")
        if line == b"\r\n" or line == b"\n":
            return lines
        if line[-1:] != b"\n":
            raise InvalidHead("the answer ended inside its head")
        lines.append(line)
        if len(lines) >= MAX_LINES:
            raise http.client.HTTPException(f"got more than {MAX_LINES} headers")


def parse_fields(block: bytes, count: int) -> Fields:
    """The fields of a head's ``count`` lines in one piece (each ending with a line feed), decoded
    as Latin-1; raises :class:`InvalidHead` for a line that is not a field (see the module docstring)."""
    text = block.decode("latin-1")
    found = _FIELD.findall(text)
    if len(found) == count:
        return Fields([(name, value.rstrip(" \t")) for name, value in found])
    return Fields(_fields_line_by_line([line + "\n" for line in text.split("\n")[:-1]]))


def _fields_line_by_line(lines: list[str]) -> list[tuple[str, str]]:
    """The fields of a head with folded lines, or the first line that is not a field refused."""
    pairs: list[tuple[str, list[str]]] = []  # a field's name, its value and the lines folded into it
    for number, line in enumerate(lines, start=1):
        content = line[:-2] if line.endswith("\r\n") else line[:-1]
        if content[:1] in (" ", "\t"):  # obs-fold: one space in place of the line break
            if not pairs:
                raise InvalidHead("the answer's head begins with a continuation line")
            more = content.strip(" \t")
            if _VALUE.fullmatch(more) is None:
                raise InvalidHead(f"line {number} of the answer's head holds a control character")
            pairs[-1][1].append(more)
            continue
        match = _FIELD_LINE.fullmatch(content)
        if match is not None:
            pairs.append((match[1], [match[2].rstrip(" \t")]))
            continue
        name, colon, _ = content.partition(":")
        if not colon:
            raise InvalidHead(f"line {number} of the answer's head is not a field (no colon)")
        if _FIELD_LINE.fullmatch(f"{name}:") is None:
            raise InvalidHead(f"line {number} of the answer's head has no valid field name before its colon")
        raise InvalidHead(f"line {number} of the answer's head holds a control character")
    return [(name, " ".join(part for part in parts if part)) for name, parts in pairs]


# What HTTPResponse.__init__ sets (but fp and the method): an answer not yet begun.
_UNKNOWN = http.client._UNKNOWN  # type: ignore[attr-defined]
_NEW_ANSWER = {
    "debuglevel": 0,
    "headers": None,
    "msg": None,
    "version": _UNKNOWN,
    "status": _UNKNOWN,
    "reason": _UNKNOWN,
    "chunked": _UNKNOWN,
    "chunk_left": _UNKNOWN,
    "length": _UNKNOWN,
    "will_close": _UNKNOWN,
}


class WireAnswer(http.client.HTTPResponse):
    """http.client's answer with its head read by this module (see the module docstring): the
    ``headers`` (and ``msg``) are :class:`Fields`. Overrides ``begin`` as a whole, as it is on
    Python 3.11 to 3.13 (``tests/test_wire_head.py`` compares what it decides with the running
    Python's own ``begin``); the body is read by http.client from what ``begin`` decided."""

    headers: Fields  # type: ignore[assignment]
    msg: Fields  # type: ignore[assignment]
    _kept_reader = False  # fp is its connection's reader, kept once the answer is read

    @classmethod
    def reading(cls, reader: io.BufferedReader, method: str) -> WireAnswer:
        """An answer read from ``reader``, its connection's reader of answers, kept for the
        connection's life (:mod:`azaudit.transport.connections`): the state ``__init__`` leaves,
        without a ``makefile`` of the socket; the reader is not closed when the answer ends."""
        answer = cls.__new__(cls)
        vars(answer).update(_NEW_ANSWER)
        answer.fp = reader
        answer._method = method  # type: ignore[attr-defined]
        answer._kept_reader = True
        return answer

    def _close_conn(self) -> None:
        """The answer is read (or failed): let go of its file, closed unless it is the connection's."""
        if self._kept_reader:
            self.fp = None  # type: ignore[assignment]
        else:
            super()._close_conn()  # type: ignore[misc]

    def flush(self) -> None:
        """http.client flushes its file too; the connection's reader has nothing to flush, and an
        answer that failed before it let go of the reader (a head over the bounds) may meet it
        closed with its connection: closing (or collecting) the answer then raised ValueError,
        which Python prints to stderr as "Exception ignored" when it happens in a destructor."""
        if self._kept_reader:
            io.BufferedIOBase.flush(self)
        else:
            super().flush()

    def begin(self) -> None:
        if self.headers is not None:  # already begun
            return
        for _ in range(MAX_INTERIM + 1):
            version, status, reason = self._read_status()  # type: ignore[attr-defined]
            if not 100 <= status < 200 or status == http.client.SWITCHING_PROTOCOLS:
                break
            read_head(self.fp)  # the head of an interim answer (100, 102, 103), bounded and set aside
        else:
            raise InvalidHead(f"more than {MAX_INTERIM} interim answers before the answer")
        if status == http.client.SWITCHING_PROTOCOLS:
            raise InvalidHead("the server switched to another protocol, which azaudit never asks for")
        self.code = self.status = status
        self.reason = reason.strip()
        if _CONTROL.search(self.reason) is not None:
            raise InvalidHead("the answer's status line holds a control character")
        if version in ("HTTP/1.0", "HTTP/0.9"):
            self.version = 10  # 0.9 read as 1.0, as http.client does
        elif version.startswith("HTTP/1."):
            self.version = 11
        else:
            raise http.client.UnknownProtocol(version)

        self.headers = self.msg = fields = parse_fields(*read_head(self.fp))

        coding = fields.joined("transfer-encoding")
        if coding is None:
            self.chunked = False
        elif coding.lower() == "chunked":
            self.chunked = True
            self.chunk_left = None
        else:
            raise http.client.UnknownTransferEncoding()

        self.will_close = self._check_close()  # type: ignore[attr-defined]

        self.length = None
        if not self.chunked:
            self.length = _content_length(fields.joined("content-length"))
        if status in (204, 304) or 100 <= status < 200 or self._method == "HEAD":  # type: ignore[attr-defined]
            self.length = 0  # No Content, Not Modified, an interim answer, the answer to a HEAD
            if self._method != "HEAD":  # type: ignore[attr-defined]  # (a HEAD's body is never read)
                self.chunked = False  # no body whatever the fields say (RFC 9112 6.3): nor chunks
        elif self.chunked and (self.version == 10 or fields.joined("content-length") is not None):
            self.will_close = True  # framing another reader may take otherwise (RFC 9112 6.1)

        # Neither chunked nor of a known length: the body runs to the close.
        if not self.will_close and not self.chunked and self.length is None:
            self.will_close = True

    def _read_next_chunk_size(self) -> int:
        """The size of the next chunk, hexadecimal digits only (see the module docstring); raises
        ValueError otherwise, which http.client reports as ``IncompleteRead``."""
        line = self.fp.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise http.client.LineTooLong("chunk size")
        size = _CHUNK_SIZE.fullmatch(line)
        if size is None:
            self._close_conn()  # type: ignore[attr-defined]
            raise ValueError("a chunk size that is not hexadecimal digits")
        return int(size[1], 16)

    def _read_and_discard_trailer(self) -> None:
        """The trailer after the last chunk, read and set aside within the bounds of a head."""
        for _ in range(MAX_LINES):
            line = self.fp.readline(MAX_LINE + 1)
            if len(line) > MAX_LINE:
                raise http.client.LineTooLong("trailer line")
            if line in (b"\r\n", b"\n", b""):
                return
        raise InvalidHead(f"the answer's trailer has more than {MAX_LINES} lines")


def _content_length(value: str | None) -> int | None:
    """The length a Content-Length says (its fields joined), None when absent or not a number;
    raises :class:`InvalidHead` when its fields (or list members) disagree."""
    if not value:
        return None
    if "," in value:
        members = {member.strip(" \t") for member in value.split(",")}
        if len(members) != 1:
            raise InvalidHead("the answer's Content-Length fields disagree")
        value = members.pop()
    if not (value.isascii() and value.isdigit()):
        return None  # unknown: the body runs to the close
    try:
        return int(value)
    except ValueError:  # more digits than int() reads from text (4,300 by default)
        return None
