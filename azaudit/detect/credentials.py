"""Does a container environment value or command-line argument look like a credential?

The detector sees values only in memory and returns a *kind* (``"storage-connection-string"``,
``"jwt"``...), never the value; its messages never quote the input. It judges by what a value
looks like (connection strings with keys, storage keys, SAS signatures, tokens with well-known
prefixes, private keys, URLs with passwords) and by secret-like names with non-trivial values.
Key Vault references, placeholders, booleans, numbers, file paths and plain URLs are not
credentials.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from azaudit.inventory.aci import CommandCredential

VALUE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("private-key", re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----")),
    ("storage-connection-string", re.compile(r"(?i)\bAccountKey=[^;\s]{20,}")),
    ("connection-string-key", re.compile(r"(?i)\bSharedAccessKey=[^;\s]{10,}")),
    ("connection-string-password", re.compile(r"(?i)(?:^|;)\s*(?:password|pwd)\s*=\s*[^;\s$%{]{4,}")),
    ("sas-token", re.compile(r"(?i)(?:^|[?&])sig=[A-Za-z0-9%+/=]{20,}")),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("github-token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})")),
    ("gitlab-token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}")),
    ("aws-access-key", re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")),
    ("slack-token", re.compile(r"\bxox[bpas]-[A-Za-z0-9-]{10,}")),
    ("stripe-key", re.compile(r"\b[sr]k_live_[A-Za-z0-9]{16,}")),
    ("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("azure-storage-key", re.compile(r"^[A-Za-z0-9+/]{86}==$")),
)

SECRET_WORDS = {"password", "passwd", "pwd", "secret", "token", "apikey", "credential", "credentials", "passphrase"}
SECRET_PAIRS = {
    ("api", "key"),
    ("access", "key"),
    ("private", "key"),
    ("client", "secret"),
    ("connection", "string"),
    ("conn", "str"),
    ("account", "key"),
    ("auth", "key"),
    ("signing", "key"),
    ("master", "key"),
    ("shared", "key"),
}
NOT_SECRET_SUFFIXES = {
    "file",
    "path",
    "url",
    "uri",
    "name",
    "id",
    "endpoint",
    "host",
    "user",
    "username",
    "dir",
    "type",
}

PLACEHOLDER = re.compile(
    r"^\s*(?:\$\{[^}]*\}|\$\([^)]*\)|\$[A-Za-z_][A-Za-z0-9_]*|\{\{[^}]*\}\}|<[^>]*>|%[A-Za-z_]+%)\s*$"
)
KEY_VAULT_REFERENCE = re.compile(
    r"(?i)^@Microsoft\.KeyVault\(|^https://[a-z0-9-]+\.vault\.(?:azure\.net|azure\.cn|usgovcloudapi\.net)/"
)
BOOLEAN = re.compile(r"(?i)^(?:true|false|yes|no|on|off|enabled|disabled)$")
NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
PATH = re.compile(r"^(?:/|\./|\.\./|~/|[A-Za-z]:\\)")


def _name_tokens(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [t for t in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if t]


def is_secret_name(name: str) -> bool:
    """``DB_PASSWORD``, ``clientSecret``, ``API_KEY`` are; ``PASSWORD_FILE``, ``TOKEN_URL`` are not."""
    tokens = _name_tokens(name)
    if not tokens or tokens[-1] in NOT_SECRET_SUFFIXES:
        return False
    if any(t in SECRET_WORDS for t in tokens):
        return True
    return any(pair in SECRET_PAIRS for pair in itertools.pairwise(tokens))


def _benign(value: str) -> bool:
    stripped = value.strip()
    return bool(
        not stripped
        or PLACEHOLDER.match(stripped)
        or KEY_VAULT_REFERENCE.match(stripped)
        or BOOLEAN.match(stripped)
        or NUMBER.match(stripped)
        or PATH.match(stripped)
    )


def _url_with_password(value: str) -> bool:
    if "://" not in value:
        return False
    try:
        parts = urlsplit(value.strip())
        return bool(parts.password) and not PLACEHOLDER.match(parts.password or "")
    except ValueError:
        return False


def classify_value(value: str) -> str | None:
    """The kind of credential a value looks like, whatever its name; None when it does not."""
    if _benign(value):
        return None
    for kind, pattern in VALUE_PATTERNS:
        if pattern.search(value):
            return kind
    if _url_with_password(value):
        return "url-with-password"
    return None


def _plain_url(value: str) -> bool:
    return bool(re.match(r"(?i)^[a-z][a-z0-9+.-]*://", value.strip())) and not _url_with_password(value)


def classify_env_value(name: str, value: str | None) -> str | None:
    """What kind of credential the plain value of variable ``name`` looks like, or None."""
    if not value:
        return None
    kind = classify_value(value)
    if kind is not None:
        return kind
    stripped = value.strip()
    if _benign(stripped) or _plain_url(stripped) or len(stripped) < 8:
        return None
    if is_secret_name(name) and " " not in stripped:
        return "secret-named-variable"
    return None


SECRET_FLAG = re.compile(
    r"(?i)^--?(?:password|passwd|pass|pwd|token|api-?key|access-?key|secret|client-?secret|sas|sas-?token|"
    r"connection-?string|conn-?str|account-?key|auth-?token|db-?password|[a-z-]*-password)$"
)
ASSIGNMENT = re.compile(r"(?:^|\s)(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=('[^']*'|\"[^\"]*\"|[^\s;&|]+)")
FLAG_WITH_VALUE = re.compile(r"(?:^|\s)(--?[A-Za-z][A-Za-z0-9-]*)(?:=|\s+)('[^']*'|\"[^\"]*\"|[^\s;&|]+)")


def _unquote(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" else text


def _argument_credential(argument: str) -> tuple[str, str | None] | None:
    """(kind, flag) for a credential inside one argument (which may be a whole shell script)."""
    kind = classify_value(argument)
    if kind is not None:
        return kind, None
    for match in FLAG_WITH_VALUE.finditer(argument):
        flag, raw = match.group(1), _unquote(match.group(2))
        if SECRET_FLAG.match(flag) and not _benign(raw) and len(raw) >= 4:
            return classify_value(raw) or "password-argument", flag
    for match in ASSIGNMENT.finditer(argument):
        name, raw = match.group(1), _unquote(match.group(2))
        found = classify_env_value(name, raw)
        if found is not None:
            return found, name
    return None


def classify_command(args: Sequence[str]) -> tuple[CommandCredential, ...]:
    """Where a container command line carries a credential: flags with secret-like names followed
    by a value (``--password x``, ``--token=x``), secret-named assignments inside shell strings, or
    any argument that looks like a credential. Placeholders and file paths are not credentials."""
    found: list[CommandCredential] = []
    for position, argument in enumerate(args):
        if position > 0 and SECRET_FLAG.match(args[position - 1]) and not _benign(argument) and len(argument) >= 4:
            kind = classify_value(argument) or "password-argument"
            found.append(CommandCredential(position=position, kind=kind, flag=args[position - 1]))
            continue
        if SECRET_FLAG.match(argument):
            continue
        hit = _argument_credential(argument)
        if hit is not None:
            found.append(CommandCredential(position=position, kind=hit[0], flag=hit[1]))
    return tuple(found)
