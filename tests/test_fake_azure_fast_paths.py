"""The fake Azure's cheaper ways of reading a request (``bench/tls_server.py``) give what its
earlier, plainer ways gave, on the benchmark's requests and on odd and hostile ones: the fake must
answer every request as before, only at less CPU (it shares the benchmark's cores with the audit)."""

from __future__ import annotations

import random
import re
from urllib.parse import quote, urlencode

import pytest

from bench.synthetic import SyntheticTenant
from bench.tls_server import RequestHead, lone_break, ordinary_target

# The target check as it was (an alternation tried at every character)
_EARLIER_ORDINARY_TARGET = re.compile(r"/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*")


def _earlier_parse(text: str) -> tuple[str, str, str, dict[str, str], dict[str, str]]:
    """RequestHead.parse as it was: the names sent, then the same names lowered in a second pass."""
    first, _, rest = text.partition("\r\n")
    method, target, _version = first.split(" ", 2)
    headers = {}
    for line in rest.split("\r\n"):
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip()] = value.strip()
    return text, method, target, headers, {k.lower(): v for k, v in headers.items()}


def _earlier_lone_break(text: str) -> bool:
    breaks = text.count("\r\n")
    return text.count("\r") != breaks or text.count("\n") != breaks


# Characters a target is made of in the tests below: every class the check tells apart
_PIECES = [
    *"/?&=%-._~!$'()*+,;:@aZ09fFgG #\"<>[]\\^`{|}\t\r\n\x00\x7f\xe9\u0130",
    "%2",
    "%2F",
    "%2f",
    "%G1",
    "%%",
    "%41%",
    "/.",
    "api-version=2024-01-01",
]


def _targets() -> list[str]:
    tenant = SyntheticTenant(1, 20, graph=True)
    targets = []
    for _method, _host, path, query, _body in tenant.responses:
        targets.append(path + ("?" + urlencode(query, quote_via=quote) if query else ""))
        targets.append(quote(path, safe="/") + "?api-version=2024-01-01&$filter=" + quote("type eq 'x'"))
    odd = ["/", "", "x", "//", "/%", "/%4", "/%41", "/%4g", "/a%41b%", "/%%41", "/%41%41", "/a b", "/\u00e9"]
    rng = random.Random(15)  # noqa: S311 (reproducible test data)
    randoms = ["/" * rng.randint(0, 1) + "".join(rng.choices(_PIECES, k=rng.randint(0, 12))) for _ in range(20_000)]
    return targets + odd + randoms


@pytest.mark.parametrize("chunk", range(4))
def test_the_ordinary_target_check_takes_the_targets_it_took(chunk: int) -> None:
    targets = _targets()[chunk::4]
    taken = sum(1 for target in targets if ordinary_target(target))
    assert len(targets) // 20 < taken < len(targets) - len(targets) // 20  # both answers, many times
    for target in targets:
        assert ordinary_target(target) == (_EARLIER_ORDINARY_TARGET.fullmatch(target) is not None), target


# Header lines a client (or an attacker) may send: names alike but for case, repeated, padded with
# ASCII and Latin-1 whitespace, empty, without a colon, with a colon or a lone CR or LF inside
_LINES = [
    "Host: management.azure.com",
    "HOST: other.vault.azure.net",
    "host:x",
    " Host : padded",
    "\x85Host\xa0: latin-1 spaces",
    "Connection: keep-alive",
    "connection: close",
    "CONNECTION:CLOSE",
    "Content-Length: 7",
    "content-length: -5",
    "Authorization: Bearer a",
    "authorization: Bearer b",
    ": empty name",
    " : blank name",
    "NoColon",
    "",
    "X-Value: a:b:c",
    "X-Value: again",
    "x-value: lower",
    "X-Cr: a\rb",
    "X-Lf: a\nb",
    "X\r: name with CR",
    "\tX-Tab:\tvalue\t",
    "X-\xe9: \xe9\xff",
]


def _heads() -> list[str]:
    rng = random.Random(1515)  # noqa: S311 (reproducible test data)
    firsts = ["GET /subscriptions?api-version=2022-12-01 HTTP/1.1", "POST / HTTP/1.1", "GET  /two-spaces HTTP/1.1"]
    firsts += ["GET /no-version", "BROKEN", "", "GET /a b c HTTP/1.1", "GET /\r HTTP/1.1"]
    heads = []
    for _ in range(20_000):
        lines = rng.choices(_LINES, k=rng.randint(0, 8))
        separator = rng.choice(["\r\n"] * 8 + ["\n", "\r", "\r\r\n", "\r\n\n"])
        heads.append(rng.choice(firsts) + "".join(separator + line for line in lines) + "\r\n\r\n")
    return heads


def _outcome(parse: object, text: str) -> object:
    try:
        return tuple(parse(text))  # type: ignore[operator]
    except ValueError as exc:
        return type(exc)


def test_a_head_is_read_as_it_was_read() -> None:
    heads = _heads()
    read = [_outcome(RequestHead.parse, text) for text in heads]
    assert sum(1 for outcome in read if outcome is ValueError) > 1000  # malformed first lines met
    collisions = sum(1 for outcome in read if isinstance(outcome, tuple) and len(outcome[3]) != len(outcome[4]))
    assert collisions > 1000  # names alike but for case met, where the value kept depends on order
    for text, outcome in zip(heads, read, strict=True):
        assert outcome == _outcome(_earlier_parse, text), repr(text)


def test_a_lone_line_break_is_found_as_it_was_found() -> None:
    texts = [*_heads(), "", "\r", "\n", "\r\n", "\n\r", "\r\r\n", "\r\n\n", "\r\n\r\n", "a\r\nb\rc", "\n\r\n\r"]
    found = [lone_break(text) for text in texts]
    assert 1000 < sum(found) < len(texts) - 1000
    for text, lone in zip(texts, found, strict=True):
        assert lone == _earlier_lone_break(text), repr(text)
