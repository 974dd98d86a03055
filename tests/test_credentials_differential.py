"""The credential detector classifies exactly as it did before it was made faster: the current
module against its earlier text, kept in tests/credentials_reference.py, over every environment
value and command line of the sample and synthetic tenants and tens of thousands of generated
names, values, command lines and URLs built from each rule's literals and length bounds.

Values are compared in memory only: a failure names the case by a digest, never by its value
(the sample tenant's planted values carry the canary)."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import random
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from azaudit.detect import credentials as current
from bench.synthetic import SyntheticTenant
from tests import credentials_reference as before

ROOT = Path(__file__).resolve().parents[1]

# The literals each rule looks for, its near misses, and what makes a value trivial or a reference.
FRAGMENTS = [
    "AccountKey=",
    "accountkey = ",
    "SharedAccessKey=",
    ";AccessKey=",
    " accesskey=",
    "AccessKey=$",
    "sig=",
    "&sig=",
    "?sv=2024-11-04&sig=",
    "se=2026&",
    "sp=r&",
    "skn=x;",
    "SharedAccessSignature ",
    "sr=b&",
    "password=",
    ";Password=",
    ",pwd=",
    " PWD = '",
    'password="',
    "password=${",
    "pwd=<",
    "password=%X%",
    "eyJ",
    ".eyJ",
    "ghp_",
    "gho_",
    "ghx_",
    "github_pat_",
    "glpat-",
    "AKIA",
    "ASIA",
    "AKIB",
    "xoxb-",
    "xoxz-",
    "https://hooks.slack.com/services/T0A1/B0B2/",
    "https://x-y.webhook.office.com/webhookb2/",
    "https://discord.com/api/webhooks/123/",
    "https://discordapp.com/api/webhooks/9/",
    "sk_live_",
    "rk_live_",
    "pk_live_",
    "AIza",
    "npm_",
    "pypi-AgE",
    "SG.",
    ".",
    "Q~",
    "8Q~",
    "abc1Q~",
    "https://fn.azurewebsites.net/api/x?code=",
    "&code=",
    "Authorization: Bearer ",
    "authorization:basic ",
    "AUTHORIZATION: token ",
    "sk-",
    "sk-proj-",
    "sk-ant-api03-",
    "-----BEGIN RSA PRIVATE KEY-----",
    "-----BEGIN PRIVATE KEY BLOCK-----",
    "-----BEGIN ENCRYPTED PRIVATE KEY-----",
    "LS0tLS1CRUdJTi",
    "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ",
    "://",
    "https://",
    "https://user:",
    "@host.example/",
    "http://u:p@h",
    "redis://:pw@cache:6379",
    "?api_key=",
    "&client_secret=",
    "?token=",
    "&password_file=",
    "?sig=",
    "@Microsoft.KeyVault(SecretUri=",
    "https://kv.vault.azure.net/secrets/x",
    "https://kv.managedhsm.azure.net:443/",
    "https://kv.vault.azure.cn",
    "${",
    "}",
    "$(",
    ")",
    "$",
    "{{",
    "}}",
    "<",
    ">",
    "%",
    "#{",
    "}#",
    "__",
    "@",
    "'",
    '"',
    "true",
    "False",
    "yes",
    "off",
    "Enabled",
    "1.5e3",
    "-42",
    ".5",
    "1e",
    "/etc/",
    "./",
    "../",
    "~/",
    "C:\\",
    "c:/",
    "\\\\srv\\",
    ";",
    "=",
    "&",
    "?",
    "#",
    " ",
    "\t",
    "\n",
    "\u2028",
    "\x1c",
    "\x1f",
    "\u00a0",
    "\u3000",
    "\x85",
    "*",
    "********",
    "none",
    "NULL",
    "redacted",
    "not-set",
    "db-password",
    "api.key.name",
    "Server=x;Database=y",
    "A=1; B=2;",
    "0f8fad5b-d9cb-469f-a165-70867728950e",
    "==",
    "=",
    "+",
    "/",
    "-",
    "_",
    "~",
    "\u00e9",
    "\U0001f600",
    "\x00",
]
ALPHABETS = [
    "abcdefghijklmnopqrstuvwxyz",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    "0123456789abcdef",
    "abcdefghijklmnopqrstuvwxyz234567",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.~",
    "*",
    "0123456789",
]
# Lengths at and around every bound the rules use.
LENGTHS = [1, 3, 4, 7, 8, 9, 10, 11, 15, 16, 17, 19, 20, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 42, 43, 44, 49, 50]
LENGTHS += [51, 52, 53, 64, 85, 86, 87, 88, 120, 300]
NAME_WORDS = sorted(
    current.SECRET_WORDS
    | current.KEY_QUALIFIERS
    | current.NOT_SECRET_SUFFIXES
    | current.QUALIFIERS
    | {"key", "string", "str", "conn", "connection", "signature", "db", "mysql", "root", "app", "pgpassword"}
    | {"apikey", "dbpassword", "mytoken", "xsecret", "v2", "2", "10", "x", "value", "url", "file"}
)


# Every kind a value can be given (the name rules' two included).
RULE_KINDS = {kind for kind, _ in current.VALUE_PATTERNS} | {
    "azure-storage-key",
    "url-with-password",
    "url-with-secret",
}


def _run(rng: random.Random) -> str:
    return "".join(rng.choice(rng.choice(ALPHABETS)) for _ in range(rng.choice(LENGTHS)))


B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
ALNUM = B64URL[:62]


def _of(rng: random.Random, alphabet: str, *lengths: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(rng.choice(lengths)))


def _shaped(rng: random.Random) -> str:
    """A value of one rule's shape, its lengths at the rule's bound and one either side, between
    characters that a word boundary or a look-around tells apart, sometimes with one letter's case
    flipped."""
    shapes: list[Callable[[], str]] = [
        lambda: f"eyJ{_of(rng, B64URL, 7, 8, 9)}.eyJ{_of(rng, B64URL, 7, 8)}.{_of(rng, B64URL, 7, 8, 9)}",
        lambda: rng.choice(["AKIA", "ASIA"]) + _of(rng, ALNUM[:26] + ALNUM[52:], 15, 16, 17),
        lambda: f"SG.{_of(rng, B64URL, 21, 22, 23)}.{_of(rng, B64URL, 42, 43, 44)}",
        lambda: "AIza" + _of(rng, B64URL, 34, 35, 36),
        lambda: "npm_" + _of(rng, ALNUM, 35, 36, 37),
        lambda: "pypi-AgE" + _of(rng, B64URL, 49, 50, 51),
        lambda: _of(rng, B64URL + "~.", 3, 2) + rng.choice("7x") + "Q~" + _of(rng, B64URL + "~.", 30, 31, 34, 35),
        lambda: base64.b64encode(rng.randbytes(64)).decode(),
        lambda: base64.b64encode(bytes(rng.choice(b"0123456789abcdef") for _ in range(64))).decode(),
        lambda: base64.b64encode(rng.randbytes(rng.choice([63, 65, 48]))).decode(),
        lambda: f"https://fn-{_of(rng, ALNUM, 3)}.azurewebsites.net/api/x?code={_of(rng, B64URL + '%=', 19, 20, 21)}",
        lambda: rng.choice(["ghp_", "gho_", "ghs_", "github_pat_"]) + _of(rng, ALNUM, 19, 20, 21),
        lambda: "glpat-" + _of(rng, B64URL, 19, 20, 21),
        lambda: rng.choice(["xoxb-", "xoxp-", "xoxc-"]) + _of(rng, ALNUM + "-", 9, 10, 11),
        lambda: rng.choice(["sk_live_", "rk_live_", "sk_test_"]) + _of(rng, ALNUM, 15, 16, 17),
        lambda: rng.choice(["sk-", "sk-proj-", "sk-ant-a1-", "sk-ant--"]) + _of(rng, B64URL, 31, 32, 33),
        lambda: (
            rng.choice(["Authorization: Bearer ", "authorization:Basic  ", "Authorization: bearer"])
            + _of(rng, B64URL + "=+/.~", 7, 8, 9)
        ),
        lambda: f"AccountName=a;AccountKey={_of(rng, B64URL + '+/=', 19, 20, 21)};EndpointSuffix=x",
        lambda: f"Endpoint=sb://x/;SharedAccessKeyName=y;SharedAccessKey={_of(rng, B64URL, 9, 10, 11)}",
        lambda: f"sv=2024&sp=r&sig={_of(rng, B64URL + '%+/=', 19, 20, 21)}",
        lambda: f"SharedAccessSignature sr=x&sig={_of(rng, B64URL + '%', 19, 20)}&se=1",
        lambda: f"Server=x;Password={rng.choice(['', chr(39), chr(34)])}{_of(rng, ALNUM + '!#', 3, 4, 5)}",
        lambda: (
            f"https://hooks.slack.com/services/T{_of(rng, ALNUM[26:], 8)}/B{_of(rng, ALNUM[26:], 8)}/"
            + _of(rng, ALNUM, 15, 16, 17)
        ),
        lambda: f"https://{_of(rng, ALNUM, 1, 5)}:{_of(rng, ALNUM + '$<>{}%', 1, 8)}@h.example/p",
        lambda: (
            f"https://h.example/p?{rng.choice(['api_key', 'token', 'client_secret', 'key_file'])}="
            + _of(rng, ALNUM + "${}", 7, 8, 9)
        ),
        lambda: "LS0tLS1CRUdJTi" + base64.b64encode(b"BEGIN RSA PRIVATE KEY-----\nMII").decode()[2:],
        lambda: _of(rng, "0123456789abcdef", 31, 32, 33),
        lambda: _of(rng, "abcdefghijklmnopqrstuvwxyz234567", 51, 52, 53),
    ]
    value = rng.choice(shapes)()
    if rng.random() < 0.3 and value:
        at = rng.randrange(len(value))
        value = value[:at] + value[at].swapcase() + value[at + 1 :]
    edges = ["", "", "", "x", " ", "-", "_", "=", ".", "~", "\u00e9", "'"]
    return rng.choice(edges) + value + rng.choice(edges)


def _value(rng: random.Random) -> str:
    if rng.random() < 0.35:
        return _shaped(rng)
    parts = []
    for _ in range(rng.randrange(1, 5)):
        parts.append(rng.choice(FRAGMENTS) if rng.random() < 0.55 else _run(rng))
    value = "".join(parts)
    if rng.random() < 0.1:
        value = rng.choice([" ", "\t", "'", '"', "\n"]) + value + rng.choice(["", " ", "'", "\n"])
    return value


def _name(rng: random.Random) -> str:
    words = [rng.choice(NAME_WORDS) for _ in range(rng.randrange(1, 5))]
    style = rng.randrange(6)
    if style == 0:
        return "_".join(words).upper()
    if style == 1:
        return words[0] + "".join(w.capitalize() for w in words[1:])
    if style == 2:
        return rng.choice(["-", ".", "__", ":", ""]).join(words)
    if style == 3:
        return "".join(w.upper() if rng.random() < 0.5 else w.capitalize() for w in words)
    if style == 4:
        return _run(rng)
    return rng.choice(FRAGMENTS) + "_".join(words) + rng.choice(["", "_2", "V2", "_PROD", "-old", "1"])


def _command(rng: random.Random) -> list[str]:
    programs = ["mysql", "sshpass", "redis-cli", "sqlcmd", "mongosh", "ldapsearch", "docker", "curl", "psql", "app"]
    flags = [
        "-p",
        "-P",
        "-a",
        "-u",
        "-w",
        "--password",
        "--db-password",
        "--token",
        "--no-password",
        "--creds",
        "--user",
        "login",
        "--api-key",
        "-password",
        "-Ddb.password=",
        "--env=DB_PASSWORD=",
        "--set",
        "-c",
    ]
    tokens = [
        rng.choice(["sh", "env", "sudo", "exec", "/usr/bin/" + rng.choice(programs)])
        if rng.random() < 0.3
        else rng.choice(programs)
    ]
    for _ in range(rng.randrange(1, 6)):
        kind = rng.randrange(6)
        if kind == 0:
            tokens.append(rng.choice(flags))
        elif kind == 1:
            tokens.append(rng.choice(flags) + ("=" if rng.random() < 0.5 else "") + _value(rng))
        elif kind == 2:
            tokens.append(f"{_name(rng)}={_value(rng)}")
        elif kind == 3:
            tokens.append(rng.choice([";", "&&", "|", "(", ")"]))
        elif kind == 4:
            inner = " ".join(_command(rng)[:4]) if rng.random() < 0.3 else f"{rng.choice(flags)} {_value(rng)}"
            tokens.append(inner)
        else:
            tokens.append(_value(rng))
    return tokens


def _url(rng: random.Random) -> str:
    user = rng.choice(["", _name(rng), _run(rng), _value(rng), "git", "${TOKEN}", "%24%7BX%7D"])
    password = rng.choice(["", "", _run(rng), _value(rng), "${PASS}", "<pw>", "%3Cpw%3E"])
    scheme = rng.choice(["https", "http", "ssh", "git", "HTTPS"])
    host = rng.choice(["github.com", "dev.azure.com", "[::1]", "host:99", "h:x", "[bad", ""])
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    return f"{scheme}://{auth}{host}/{rng.choice(['org/repo.git', '', '?x=1', _value(rng)])}"


def _digest(case: object) -> str:
    return hashlib.sha256(repr(case).encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _outcome(function: Callable[..., Any], *args: Any) -> tuple[str, Any]:
    try:
        found = function(*args)
    except TypeError as exc:
        return "refused", str(exc)
    if isinstance(found, tuple):  # classify_command: each module has its own CommandCredential class
        return "kind", tuple((hit.position, hit.kind, hit.flag) for hit in found)
    return "kind", found


def _assert_same(function: str, *args: Any) -> None:
    expected = _outcome(getattr(before, function), *args)
    got = _outcome(getattr(current, function), *args)
    # never the value in the message: a digest of the case
    assert got == expected, f"{function} differs for case {_digest(args)}: {got[0]} vs {expected[0]}"


def _tenant_values() -> Iterator[tuple[str, str]]:
    """Every (name, value) of the container environments in the sample tenant's files and the
    synthetic tenant's bodies."""
    bodies: list[Any] = []
    for path in sorted((ROOT / "fixtures").rglob("*.json")):
        for interaction in json.loads(path.read_text(encoding="utf-8")).get("interactions", []):
            bodies.append(interaction.get("response", {}).get("body"))
    bodies += [response.body for response in SyntheticTenant(1, 100).responses.values()]

    def walk(node: Any) -> Iterator[tuple[str, str]]:
        if isinstance(node, dict):
            if isinstance(node.get("name"), str) and isinstance(node.get("value"), str):
                yield node["name"], node["value"]
            for child in node.values():
                yield from walk(child)
        elif isinstance(node, list):
            for child in node:
                yield from walk(child)

    for body in bodies:
        yield from walk(body)


def test_each_value_pattern_needs_its_literals() -> None:
    """Every ASCII value a pattern matches holds one of the literals that gate it (the gate skips a
    pattern only when none is there), and every pattern has its gate."""
    assert [kind for kind, *_ in current._GATED] == [kind for kind, _ in current.VALUE_PATTERNS]
    rng = random.Random(1501)  # noqa: S311 (reproducible test data)
    matched: set[str] = set()
    for _ in range(30_000):
        value = _value(rng)
        if not value.isascii():
            continue
        for kind, pattern, literals, folded in current._GATED:
            if pattern.search(value):
                within = value.lower() if folded else value
                assert any(literal in within for literal in literals), (kind, _digest(value))
                matched.add(kind)
    assert matched == {kind for kind, _ in current.VALUE_PATTERNS}
    # the short texts' single search looks for every gate's literal
    every = {literal.lower() for _, _, literals, _ in current._GATED for literal in literals}
    assert set(current._ANY_LITERAL.pattern.replace("\\", "").split("|")) == every


def test_letters_that_case_folding_maps_onto_ascii_are_searched_by_every_pattern() -> None:
    """re's case-insensitive match folds the long s and the Kelvin sign onto s and k, which
    lower() does not: such values skip the literal gates and classify as before."""
    for value in ("pa\u017fsword=Fak3Secret", "Account\u212aey=" + "A" * 24, "\u017fig=" + "a" * 24 + "&sv=1"):
        assert current.classify_value(value) == before.classify_value(value) is not None
        _assert_same("classify_env_value", "SETTING", value)


def test_the_space_pattern_is_str_isspace_for_every_character() -> None:
    space = re.compile(r"\s")
    for code in range(0x110000):
        character = chr(code)
        assert bool(space.search(character)) == character.isspace(), hex(code)
    assert current._SPACE.pattern == space.pattern


def test_tenant_environments_classify_alike() -> None:
    pairs = list(_tenant_values())
    assert len(pairs) > 40
    for name, value in pairs:
        _assert_same("classify_env_value", name, value)
        _assert_same("classify_command", [name, value, f"{name}={value}", f"--{name}", value])


@pytest.mark.parametrize("seed", range(4))
def test_generated_environment_values_classify_alike(seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 (reproducible test data)
    kinds: set[str | None] = set()
    for _ in range(6_000):
        name, value = _name(rng), _value(rng)
        _assert_same("classify_env_value", name, value)
        _assert_same("classify_value", value)
        _assert_same("is_secret_name", name)
        kinds.add(current.classify_env_value(name, value))
    # the generator reaches most rules, the name rules and no credential at all
    assert kinds == {None, "secret-named-variable", *RULE_KINDS}


@pytest.mark.parametrize("seed", range(2))
def test_generated_command_lines_and_urls_classify_alike(seed: int) -> None:
    rng = random.Random(100 + seed)  # noqa: S311 (reproducible test data)
    for _ in range(2_500):
        _assert_same("classify_command", _command(rng))
        _assert_same("classify_url_user_info", _url(rng))


def test_hostile_values_classify_alike() -> None:
    rng = random.Random(7)  # noqa: S311 (reproducible test data)
    huge = [
        "a" * 50_000,
        "A1b2" * 12_500,
        "sig=" * 5_000,
        "password=" + "x" * 25_000,
        " " * 10_000 + "Zq7CanaryV4lue" + "\t" * 10_000,
        "https://" + "u" * 5_000 + ":" + "p" * 5_000 + "@h/",
        "eyJ" * 8_000,
        "\u2028".join(_value(rng) for _ in range(200)),
        "".join(chr(rng.randrange(0x20, 0x3000)) for _ in range(5_000)),
    ]
    # (the reference splits a run of capitals in quadratic time: 3,000 of them here)
    names = ["A" * 3_000, "db_" * 30_000 + "PASSWORD", "clientSecret" * 1_000, "", "\u00e9\u00e9_KEY", "_" * 500]
    for value in huge:
        for name in names[:3]:
            _assert_same("classify_env_value", name, value)
    for name in names:
        _assert_same("classify_env_value", name, "Zq7CanaryV4lue-" + _run(rng))
        _assert_same("is_secret_name", name)
    # odd types: refused alike, with the same words (never the value)
    for odd in (None, 5, 1.5, b"bytes", ["x"], {"a": 1}, True):
        _assert_same("classify_env_value", "NAME", odd)
        _assert_same("classify_env_value", odd, "value")
        _assert_same("classify_url_user_info", odd)
        _assert_same("classify_command", ["x", odd])


def test_name_splitting_is_the_reference_s_on_every_short_name() -> None:
    """Every name of up to 7 characters over capitals, a small letter, a digit and punctuation
    splits into the same tokens (the capitals' run is split in one pass now)."""
    for length in range(1, 8):
        for letters in itertools.product("ABa1_", repeat=length):
            name = "".join(letters)
            assert current._name_tokens(name) == before._name_tokens(name), name


def test_huge_names_are_split_in_one_pass() -> None:
    """A name of 300,000 capitals (the reference took minutes for 100,000) and one of capitals
    and small letters are classified; the values stay unjudged by name."""
    for name in ("A" * 300_000, "ABc" * 100_000, "PASSWORD" * 40_000):
        assert current.classify_env_value(name, "x") is None
        assert current.is_secret_name(name) is (name.startswith("PASSWORD"))
