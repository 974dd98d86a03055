"""The fake Azure's cheaper ways of reading a request (``bench/tls_server.py``) give what its
earlier, plainer ways gave, on the benchmark's requests and on odd and hostile ones: the fake must
answer every request as before, only at less CPU (it shares the benchmark's cores with the audit)."""

from __future__ import annotations

import random
import re
from urllib.parse import quote, urlencode

import pytest

from bench.synthetic import SyntheticTenant
from bench.tls_server import ordinary_target

# The target check as it was (an alternation tried at every character)
_EARLIER_ORDINARY_TARGET = re.compile(r"/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*")

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
