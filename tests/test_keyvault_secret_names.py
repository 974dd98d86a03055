"""A secret's name is read from its identifier by one pattern when the identifier is plain (as Key
Vault writes it) and through urlsplit otherwise: the same name, or the same refusal, as the reader
it replaced (kept below) for every generated identifier, hostile ones included."""

from __future__ import annotations

import itertools
import random
from urllib.parse import urlsplit

from azaudit.collect import keyvault
from azaudit.collect.tasks import UnusableShape


def _secret_name_before(secret_id: str | None) -> str:
    """azaudit/collect/keyvault.py's _secret_name before the plain identifiers' pattern."""
    parts = urlsplit(secret_id or "")
    segments = [s for s in parts.path.split("/") if s]
    if not parts.scheme or not parts.hostname or len(segments) not in (2, 3):
        raise UnusableShape("its id is not a secret identifier")
    return segments[1]


def _outcome(read: object, secret_id: str | None) -> tuple[str, str]:
    try:
        return "name", read(secret_id)  # type: ignore[operator]
    except UnusableShape as error:
        return "unusable", str(error)
    except ValueError as error:  # urlsplit's own refusal (a malformed IPv6 host)
        return "refused", type(error).__name__


SCHEMES = ["https://", "HTTPS://", "http://", " https://", "https:/", "https:", "", "1https://", "h\tttps://"]
HOSTS = ["kv.vault.azure.net", "KV.Vault.Azure.NET", "kv.vault.azure.net:443", "kv.vault.azure.net:", "h:99999", "h:x"]
HOSTS += ["u@h", "u:p@h", "", "-", "h..x", ".h", "[::1]", "[::1", "h]", "k\u00e9.net", "h\x00", "h h", "h\n"]
SEGMENTS = ["secrets", "s0", "Zq7CanaryV4lue", "n%2Fx", "a;b", "a@b", "a:b", "~.-_", "v1", "", " ", "\u00e9", "a\tb"]
TAILS = ["", "/", "//", "?api-version=7.4", "#x", "?", " ", "\n", "\x00"]


def _identifiers() -> list[str | None]:
    found: list[str | None] = [None, "", "/", "https://", "https:///secrets/x", "secrets/x", "//h/secrets/x"]
    for scheme, host in itertools.product(SCHEMES, HOSTS):
        for count in range(5):
            for segments in itertools.islice(itertools.product(SEGMENTS, repeat=count), 40):
                for tail in TAILS[:3] if count != 2 else TAILS:
                    found.append(scheme + host + "".join("/" + s for s in segments) + tail)
    rng = random.Random(15)  # noqa: S311 (reproducible test data)
    alphabet = "https:/kv.vault.azure.net/secrets/s0/v1?#@:[]%; \t\n\x00\u00e9-_~"
    found += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(40))) for _ in range(20_000)]
    found += ["https://kv.vault.azure.net/secrets/" + rng.choice(SEGMENTS) * 2 + "/" + "v" * n for n in range(3)]
    return found


def test_secret_names_are_read_as_before() -> None:
    identifiers = _identifiers()
    plain = 0
    for secret_id in identifiers:
        assert _outcome(keyvault._secret_name, secret_id) == _outcome(_secret_name_before, secret_id), repr(secret_id)
        plain += bool(secret_id and keyvault._PLAIN_SECRET_ID.fullmatch(secret_id))
    # both ways well exercised: plain identifiers and the rest (read through urlsplit)
    assert 500 < plain < len(identifiers) - 10_000


def test_a_plain_identifier_s_name_is_its_second_segment() -> None:
    assert keyvault._secret_name("https://kv.vault.azure.net/secrets/db-password") == "db-password"
    assert keyvault._secret_name("https://kv.vault.azure.net:443/secrets/db-password/0123abc/") == "db-password"
