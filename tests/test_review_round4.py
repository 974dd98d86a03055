"""Review of issue 15, round 4 (attacker and sameness audit of the commits after bef24eb): inputs
the differential tests of those commits did not try, each compared with the earlier behaviour."""

from __future__ import annotations

import gzip
import json
import random
import string
from pathlib import Path
from typing import Any, ClassVar

import pytest
from azure.core.rest import HttpRequest
from azure.keyvault.secrets._shared import http_challenge_cache

from azaudit.collect import arm, vault_pipeline
from azaudit.detect import credentials as current
from azaudit.transport import wire as wire_module
from tests import credentials_reference as before
from tests import test_lean_sender as lean_cases
from tests import test_wire_reader as wire_cases
from tests.test_wire_reader import FIRST, KEPT, SMUGGLED, chunked, ok, raw

# --- f9a3f74: the credential classifier's literal gates, under case games and non-ASCII look-alikes --

_LITERALS = [
    "-----BEGIN PRIVATE KEY-----", "-----BEGIN RSA PRIVATE KEY-----", "AccountKey=", "accountkey =",
    "SharedAccessKey=", "AccessKey=", ";AccessKey=", "sv=2020&sig=", "SharedAccessSignature sr=x&sig=", "sig=",
    "Password=", "pwd=", "PWD =", "eyJ", ".eyJ", "ghp_", "gho_", "github_pat_", "glpat-", "AKIA", "ASIA", "xoxb-",
    "https://hooks.slack.com/services/T", "/B", "https://x.webhook.office.com/webhookb2/",
    "https://discord.com/api/webhooks/1/", "sk_live_", "rk_live_", "AIza", "npm_", "pypi-AgE", "SG.", ".", "Q~",
    "1Q~", ".azurewebsites.net/", "?code=", "&code=", "Authorization: Bearer ", "authorization:basic ", "sk-",
    "sk-proj-", "sk-ant-abc-", "LS0tLS1CRUdJTi", "://user:", "@", "=", ";", " ", "\t", "${", "%", "<", "*",
    "\u212a", "\u017f", "\u0130", "\u0131", "\u00df", "\u00e9", "\u00a0", "\u2028", "\x1c", "\x85",
]  # fmt: skip
_TAIL = string.ascii_letters + string.digits + "+/=_-.~%&?;:@ "
_NAMES = [
    "PASSWORD", "DB_PASSWORD", "API_KEY", "clientSecret", "APIKey", "STRIPE_KEY", "TOKEN_URL", "SECRET_KEY_BASE",
    "PATH", "x", "ABCDEFGhi", "\u00c4PI_KEY", "pass\u212ay", "MYSQL_ROOT_PASSWORD_V2", "conn_str", "ACCESS_KEY_1",
]  # fmt: skip


def _piece(rng: random.Random) -> str:
    if rng.random() < 0.45:
        literal = rng.choice(_LITERALS)
        game = rng.random()
        if game < 0.2:
            return literal.upper()
        if game < 0.4:
            return literal.lower()
        if game < 0.5:  # what re's case folding maps onto k and s, and lower() does not
            return literal.replace("k", "\u212a").replace("K", "\u212a").replace("s", "\u017f")
        if game < 0.6:
            return "".join(c.swapcase() if rng.random() < 0.5 else c for c in literal)
        return literal
    size = rng.choice([1, 3, 8, 10, 16, 20, 22, 31, 32, 34, 35, 36, 43, 50, 86])
    alphabet = _TAIL if rng.random() < 0.7 else string.ascii_uppercase + string.digits
    return "".join(rng.choice(alphabet) for _ in range(size))


def test_the_literal_gates_give_the_verdicts_of_the_reference_under_case_folding_and_lookalikes() -> None:
    """Values glued from every rule's literals (upper, lower, mixed case, the Kelvin sign and the
    long s in place of k and s, dotted and dotless i, non-ASCII spaces) and tails at the rules'
    length bounds: the same kind as the detector before the gates, with names of every sort."""
    rng = random.Random(1504)  # noqa: S311 (reproducible test data)
    differ = 0
    for _ in range(4000):
        value = "".join(_piece(rng) for _ in range(rng.randint(1, 6)))
        if rng.random() < 0.1:
            value = f" {value}\n"
        name = rng.choice(_NAMES) if rng.random() < 0.7 else "".join(rng.choice("ABab1_-.\u212a") for _ in range(8))
        differ += current.classify_value(value) != before.classify_value(value)
        differ += current.classify_env_value(name, value) != before.classify_env_value(name, value)
    assert differ == 0  # counts only: a value is never printed


# --- 1f60d0e: ARM answers decoded by msgspec, edge cases of the grammar ------------------------------


class _Answer:
    status_code = 200
    headers: ClassVar[dict[str, str]] = {"Content-Type": "application/json; charset=utf-8"}

    def __init__(self, text: str) -> None:
        self.content = text.encode()


_TEXTS = [
    '{"a":1,"a":2,"b":3}', '{"a":1,"b":2,"a":3}', '{"a": {"a": 1}, "a": [1]}', str(2**64), str(-(2**63) - 1),
    str(10**400), "-0", "-0.0", "1e400", "-1e400", "1e-400", "[1e309]", "1.7976931348623159e308",
    "2.4703282292062327e-324", "2.4703282292062328e-324", "100000000000000000000000000000000000000000e-20",
    "123456789012345678901234567890.5", "1" * 4300, "1" * 4301, "18446744073709551616", "-9223372036854775809",
    '"\\ud800\\u0041"', '"\\udc00\\ud800"', '"\\ud83d\\ude00"', '"\\udbff\\udfff"', '"\\uDFFF"', '"\\ud800x"',
    '{"\\ud800": 1}', "{} x", "{}\x0c", "\x0c{}", '"a\x01b"', '"a\tb"', '"a\x7fb"', "\u00a0{}", "{}\u2028",
    "1.", ".5", "+1", "01", "[1,]", '{"a":1,}', "nul", '"\\x41"', '"\\U0041"', '"\\u12G4"', "NaN", "[NaN]",
    "-Infinity", '{"a": Infinity}', "[]" * 2, '{"\x00":1}', '"\\u0000"', " \t\n\r{}\r\n", "{}\x00",
    '{"k": "' + "\u00e9" * 50 + '"}', "[" + ",".join(str(i) for i in range(3000)) + "]",
    "{" + ",".join(f'"k{i}": {i}' for i in range(5000)) + "}",
]  # fmt: skip


def _decoded(text: str) -> tuple[str, str]:
    try:
        value = arm.json_answer(_Answer(text))
    except (ValueError, AttributeError):  # refused (the stub answer has no more for azure-core's decoder)
        return "refused", ""
    return "value", repr((type(value), value))


def _loaded(text: str) -> tuple[str, str]:
    try:
        value = json.loads(text)
    except ValueError:
        return "refused", ""
    return "value", repr((type(value), value))


@pytest.mark.parametrize("text", _TEXTS, ids=range(len(_TEXTS)))
def test_an_arm_answer_is_the_value_or_the_refusal_json_loads_gives(text: str) -> None:
    """Duplicate keys (the last value, the first place), integers past 64 bits and past 4,300 digits,
    -0, overflowing and underflowing floats, lone and paired surrogate escapes, control characters,
    whitespace JSON does not allow, trailing data, 5,000 keys: what json.loads gave (repr keeps the
    key order, the float's digits and the sign of zero)."""
    assert _decoded(text) == _loaded(text)


# --- 460f57c and 166864d: answer shapes the kept reader's differential did not send --------------------

_FIELDS_99 = tuple(f"X-F{i}: {i}" for i in range(97))  # with Content-Type and Content-Length: 99 lines
SHAPES: dict[str, tuple[tuple[str, ...], list[tuple[bytes, bool]], int]] = {
    "HEAD answered chunked, chunks following": (
        ("HEAD", "GET", "GET"),
        [(raw("HTTP/1.1 200 OK", "Transfer-Encoding: chunked") + chunked(b"abc"), False), *KEPT],
        1,
    ),
    "304 said chunked, chunks following": (
        ("GET",) * 3,
        [(raw("HTTP/1.1 304 Not Modified", "Transfer-Encoding: chunked") + chunked(b"abc"), False), *KEPT],
        1,
    ),
    "an interim answer, a 204, an answer glued": (
        ("GET",) * 3,
        [(raw("HTTP/1.1 102 Processing") + raw("HTTP/1.1 204 No Content") + SMUGGLED, False), *KEPT],
        1,
    ),
    "99 lines in the head (the fast path's bound)": (("GET",) * 3, [(ok(FIRST, *_FIELDS_99), False), *KEPT], 0),
    "100 lines in the head": (("GET",) * 3, [(ok(FIRST, *_FIELDS_99, "X-Last: 1"), True), *KEPT], 0),
    "bare line feeds, an answer glued": (
        ("GET",) * 3,
        [(b"HTTP/1.1 200 OK\nContent-Length: 8\nX-A: 1\n\n" + FIRST + SMUGGLED, False), *KEPT],
        1,
    ),
    "a folded line and a blank one after CR CR LF": (
        ("GET",) * 3,
        [(b"HTTP/1.1 200 OK\r\nX-A: 1\r\n  more\r\nContent-Length: 8\r\r\n\r\n" + FIRST, True), *KEPT],
        0,
    ),
    "a NUL before the blank line, an answer glued": (
        ("GET",) * 3,
        [(b"HTTP/1.1 200 OK\r\nX-A: \x00\r\nContent-Length: 8\r\n\r\n" + FIRST + SMUGGLED, True), *KEPT],
        0,
    ),
    "a head ending at the reader's buffer's end": (
        ("GET",) * 3,
        [(ok(FIRST, "X-Pad: " + "p" * (8192 - len(ok(b"", "X-Pad: ")) - 1)), False), *KEPT],
        0,
    ),
    "the blank line split at the reader's buffer's end": (
        ("GET",) * 3,
        [(ok(FIRST, "X-Pad: " + "p" * (8192 - len(ok(b"", "X-Pad: ")) + 1)), False), *KEPT],
        0,
    ),
    "a gzip body, an answer glued": (
        ("GET",) * 3,
        [(ok(gzip.compress(FIRST), "Content-Encoding: gzip") + SMUGGLED, False), *KEPT],
        1,
    ),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_more_answer_shapes_read_through_the_kept_reader_are_the_ones_a_new_file_gave(
    shape: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    methods, answers, past = SHAPES[shape]
    new, new_kept, _, new_wire = wire_cases.outcomes(methods, answers)
    with monkeypatch.context() as old_path:
        old_path.setattr(wire_module, "reader_of", lambda connection: None)
        old, _, _, _ = wire_cases.outcomes(methods, answers)
    assert new == old
    assert new_wire.closed_for_unread_bytes == past
    assert not any(b"smuggled" in str(outcome).encode() for outcome in new)


# --- 1b4097d: vaults' senders made from one shared sender (LeanSender.with_auth) ---------------------


def test_each_vaults_sender_sends_only_the_token_of_its_own_vaults_tenant(tmp_path: Path) -> None:
    """Two vaults of two tenants read in turn through senders made from one shared sender: each
    vault's challenge asks a token for its own tenant, and every later read of a vault carries
    that vault's token, never the other's (the challenge policy, which keeps the token, is each
    vault's; only the stateless policies and the last step are shared)."""
    first_tenant, second_tenant = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"
    first_vault, second_vault = "https://kv-first.vault.azure.net", "https://kv-second.vault.azure.net"

    def challenge(tenant: str) -> tuple[int, dict[str, str]]:
        value = f'Bearer authorization="https://login.microsoftonline.com/{tenant}", resource="https://vault.azure.net"'
        return 401, {"WWW-Authenticate": value}

    http_challenge_cache.clear()
    adapter = lean_cases.Scripted([challenge(first_tenant), (200, {}), challenge(second_tenant), (200, {})])
    credential = lean_cases.Credential()
    clients = lean_cases._clients(adapter, tmp_path, credential)
    vaults = {first_vault: clients.secrets(first_vault), second_vault: clients.secrets(second_vault)}
    try:
        for vault in (first_vault, second_vault, first_vault, second_vault, first_vault):
            sender = vault_pipeline.lean_pipeline(vaults[vault])
            answer = sender.run(HttpRequest("GET", f"{vault}/secrets?api-version=7.6"), stream=False)
            assert answer.http_response.status_code == 200
    finally:
        http_challenge_cache.clear()
    assert [kwargs["tenant_id"] for _, kwargs in credential.asked] == [first_tenant, second_tenant]
    tokens = {first_vault: "Bearer token-1", second_vault: "Bearer token-2"}
    sent = [(url.split("/secrets")[0], headers.get("Authorization")) for _, url, headers in adapter.sent]
    assert sent == [
        (first_vault, None),
        (first_vault, tokens[first_vault]),
        (second_vault, None),
        (second_vault, tokens[second_vault]),
        (first_vault, tokens[first_vault]),
        (second_vault, tokens[second_vault]),
        (first_vault, tokens[first_vault]),
    ]


# --- 1f60d0e, azaudit/collect/arm.py:_loads: nesting near the recursion limit -------------------------
# json.loads spends three Python frames (loads, JSONDecoder.decode, raw_decode) before its scanner
# counts nesting against the recursion limit; msgspec spends none, and a text msgspec refuses (NaN)
# reaches json.loads one frame deeper than before. So the depth at which an answer is refused moved
# by a few levels (the review found 991 and 993-995 at one stack depth): as it always moved with
# the caller's stack. What must hold is that no answer is ever read differently.


def _outcome(call: Any, text: str) -> tuple[str, Any]:
    try:
        return "decoded", call(text)
    except RecursionError:
        return "RecursionError", None


def _json_answer(text: str) -> Any:
    return arm.json_answer(_Answer(text))


def _same_nesting(one: Any, other: Any) -> bool:
    """Equal nested one-item lists, walked without recursion (a recursive == or repr would meet
    the recursion limit at these depths itself)."""
    while type(one) is list and type(other) is list:
        if len(one) != len(other):
            return False
        if not one:
            return True
        one, other = one[0], other[0]
    return type(one) is type(other) and repr(one) == repr(other)  # nan, {'a': inf}


def test_an_answer_nested_near_the_recursion_limit_is_read_as_json_loads_reads_it_or_refused() -> None:
    """At every depth an answer is either decoded to json.loads' value or refused with the
    RecursionError json.loads raises (the task fails: ERROR, never a judged half-answer); far from
    the limit (900 levels, more than any call site's stack leaves), exactly as json.loads."""
    for depth in range(200, 1100):
        for middle in ("", "NaN", '{"a": 1e400}'):
            text = "[" * depth + middle + "]" * depth
            expected, got = _outcome(json.loads, text), _outcome(_json_answer, text)
            if got[0] == "decoded" and expected[0] == "decoded":
                assert _same_nesting(got[1], expected[1]), depth
            if depth <= 900:
                assert got[0] == expected[0] == "decoded", (depth, middle)
