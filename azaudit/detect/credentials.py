"""Does a container environment value or command-line argument look like a credential?

Values are secrets. The detector sees them only in memory and returns a *kind*
(``"storage-connection-string"``, ``"jwt"``...), never the value; it logs nothing and its
exceptions never quote the input.

A value is judged first by what it looks like, whatever its name: connection strings with a key
or password, storage account keys, SAS signatures, JWTs, PEM private keys, URLs with a password
or a secret query parameter, tokens with a well-known prefix. Failing that, by its name: a
variable whose name says it holds a secret (``DB_PASSWORD``, ``clientSecret``, ``API_KEY``)
and whose value is non-trivial is a credential.

Not credentials: empty values; Key Vault references; placeholders (``${X}``, ``$(X)``, ``$X``,
``{{x}}``, ``<x>``, ``%X%``, ``#{X}``, ``__X__``); booleans, numbers, file paths and plain URLs;
masks (``********``); prose (a value with spaces) and short values (fewer than 8 characters)
under secret-like names; values that name a secret rather than hold it (``db-password``).
A default password such as ``changeme`` *is* a credential: a running container uses it.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import re
import shlex
from collections.abc import Iterator, Sequence
from typing import NamedTuple
from urllib.parse import parse_qsl, unquote, urlsplit

import msgspec


class CommandCredential(msgspec.Struct, frozen=True, kw_only=True):
    """Where a container's command line carries a credential: the argument position and what it
    looked like. Never the argument itself."""

    position: int
    kind: str
    flag: str | None = None


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- What a value looks like -------------------------------------------------------------------

PEM_PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
_NOT_PLACEHOLDER = r"(?![$%{<*])"  # a key's value that starts like a placeholder or a mask
VALUE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("private-key", PEM_PRIVATE_KEY),
    ("storage-connection-string", re.compile(rf"(?i)\bAccountKey\s*=\s*{_NOT_PLACEHOLDER}[^;\s]{{20,}}")),
    (
        "connection-string-key",
        re.compile(rf"(?i)(?:\bSharedAccessKey|(?:^|[;\s])AccessKey)\s*=\s*{_NOT_PLACEHOLDER}[^;\s]{{10,}}"),
    ),
    (
        "sas-token",
        re.compile(
            r"(?is)^(?=.*(?:^|[?&;\s])(?:sv|se|sp|sr|srt|ss|spr|skn)=|.*SharedAccessSignature)"
            r".*(?:^|[?&;\s])sig=[A-Za-z0-9%+/=_-]{20,}"
        ),
    ),
    (
        "connection-string-password",
        re.compile(rf"(?i)(?:^|[;,\s])(?:password|pwd)\s*=\s*['\"]?{_NOT_PLACEHOLDER}[^;,&\s'\"]{{4,}}"),
    ),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("github-token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})")),
    ("gitlab-token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}")),
    ("aws-access-key", re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")),
    ("slack-token", re.compile(r"\bxox[bpas]-[A-Za-z0-9-]{10,}")),
    (
        "webhook-url",
        re.compile(
            r"(?i)https://(?:hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]{16,}"
            r"|[a-z0-9-]+\.webhook\.office\.com/webhookb2/\S{20,}"
            r"|(?:discord|discordapp)\.com/api/webhooks/\d+/[A-Za-z0-9_-]{20,})"
        ),
    ),
    ("stripe-key", re.compile(r"\b[sr]k_live_[A-Za-z0-9]{16,}")),
    ("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("npm-token", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b")),
    ("pypi-token", re.compile(r"\bpypi-AgE[A-Za-z0-9_-]{50,}")),
    ("sendgrid-key", re.compile(r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b")),
    # Microsoft Entra client secrets since 2021: three characters, a digit, "Q~", then 31-34 more.
    ("azure-client-secret", re.compile(r"(?<![\w~.-])[\w~.-]{3}\dQ~[\w~.-]{31,34}(?![\w~.-])", re.ASCII)),
    ("azure-function-key", re.compile(r"(?i)\.azurewebsites\.net/\S*[?&]code=[A-Za-z0-9_/+=%-]{20,}")),
    ("authorization-header", re.compile(r"(?i)\bauthorization:\s*(?:bearer|basic|token)\s+[\w.~+/=-]{8,}")),
    ("generic-api-key", re.compile(r"(?<![\w-])sk-(?:proj-|ant-[a-z0-9]+-)?[A-Za-z0-9_-]{32,}")),
)

# What each value pattern cannot match without: a text that holds none of its pattern's literals
# (sought in the lowered text for the case-insensitive patterns) is not searched with it. Only for
# ASCII text: re's case-insensitive matching also folds some other letters onto ASCII ones (the
# Kelvin sign onto k, the long s onto s), which lowering does not; other texts are searched with
# every pattern. Same verdicts (tests/test_credentials_differential.py).
_LITERALS: dict[str, tuple[tuple[str, ...], bool]] = {
    "private-key": (("PRIVATE KEY",), False),
    "storage-connection-string": (("accountkey",), True),
    "connection-string-key": (("accesskey",), True),  # SharedAccessKey too
    "sas-token": (("sig=",), True),
    "connection-string-password": (("password", "pwd"), True),
    "jwt": (("eyJ",), False),
    "github-token": (("gh", "github_pat_"), False),
    "gitlab-token": (("glpat-",), False),
    "aws-access-key": (("AKIA", "ASIA"), False),
    "slack-token": (("xox",), False),
    "webhook-url": (("https://",), True),
    "stripe-key": (("k_live_",), False),
    "google-api-key": (("AIza",), False),
    "npm-token": (("npm_",), False),
    "pypi-token": (("pypi-AgE",), False),
    "sendgrid-key": (("SG.",), False),
    "azure-client-secret": (("Q~",), False),
    "azure-function-key": ((".azurewebsites.net/",), True),
    "authorization-header": (("authorization:",), True),
    "generic-api-key": (("sk-",), False),
}
_GATED = tuple((kind, pattern, *_LITERALS[kind]) for kind, pattern in VALUE_PATTERNS)
# Any of those literals, lowered, sought in the lowered text at once: a short ASCII text without
# one passes no gate (an ASCII text's lowering is letter by letter, so a literal in the text is in
# the lowered text lowered). Short only: an alternation is tried at every position, where ``in``
# skips ahead, so a long text goes straight to the gates.
_ANY_LITERAL = re.compile(
    "|".join(re.escape(literal.lower()) for literals, _ in _LITERALS.values() for literal in literals)
)
_ANY_LITERAL_UP_TO = 64


def _pattern_kind(text: str) -> str | None:
    """The kind of the first of VALUE_PATTERNS that ``text`` matches, or None."""
    if not text.isascii():
        for kind, pattern in VALUE_PATTERNS:
            if pattern.search(text):
                return kind
        return None
    lowered = text.lower()
    if len(text) <= _ANY_LITERAL_UP_TO and _ANY_LITERAL.search(lowered) is None:
        return None
    for kind, pattern, literals, folded in _GATED:
        within = lowered if folded else text
        for literal in literals:
            if literal in within:
                if pattern.search(text):
                    return kind
                break
    return None


BASE64_PEM_PREFIX = "LS0tLS1CRUdJTi"  # base64 of "-----BEGIN"
STORAGE_KEY = re.compile(r"^[A-Za-z0-9+/]{86}==$")  # 64 bytes, base64: storage and Cosmos DB account keys
URL_WITH_PASSWORD = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#@:]*:([^\s/?#@]+)@[^\s/?#@]")
URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")

# --- What is not a credential ------------------------------------------------------------------

_WHOLE_PLACEHOLDER = re.compile(
    r"^(?:\$\{[^}]*\}|\$\([^)]*\)|\$[A-Za-z_][A-Za-z0-9_]*|\{\{.*\}\}|<[^<>]+>|%[A-Za-z_][A-Za-z0-9_]*%"
    r"|#\{[^}]*\}#?|__[A-Za-z0-9_.]+__|@[A-Za-z_][A-Za-z0-9_.]*@)$"
)
_EMBEDDED_TEMPLATE = re.compile(r"\$\{[^}]*\}|\$\([^)]*\)|\{\{.*?\}\}")
KEY_VAULT_REFERENCE = re.compile(
    r"(?i)^@Microsoft\.KeyVault\(|^https://[a-z0-9-]+\.(?:vault|managedhsm)\."
    r"(?:azure\.net|azure\.cn|usgovcloudapi\.net|microsoftazure\.de)(?::443)?(?:/|$)"
)
BOOLEAN = re.compile(r"(?i)^(?:true|false|yes|no|on|off|y|n|enabled|disabled)$")
NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
PATH = re.compile(r"^(?:/|\./|\.\./|~/|[A-Za-z]:[\\/]|\\\\)")
BASE64ISH = re.compile(r"^[A-Za-z0-9+/]{20,}={0,2}$")
KEY_VALUE_LIST = re.compile(r"^\s*[A-Za-z][\w .-]*=[^;]*(?:;\s*[A-Za-z][\w .-]*=[^;]*)+;?\s*$")
MASK = re.compile(r"^(.)\1*$")
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
SLUG = re.compile(r"^[a-z][a-z0-9]*(?:[-_.][a-z0-9]+)+$")
NULL_WORDS = _words("none null nil undefined empty unset notset not-set redacted")

# --- What a name says --------------------------------------------------------------------------

SECRET_WORDS = _words(
    "password passwd pwd pass passphrase secret secrets token apikey credential credentials creds pat sas"
)
COMPOUND_SECRET_ENDINGS = ("password", "passwd", "secret", "token", "apikey", "passphrase")  # PGPASSWORD
# Words that make a following KEY a secret (API_KEY, ACCESS_KEY...), and other two-word secrets.
KEY_QUALIFIERS = _words(
    "api access private secret account auth signing master shared encryption storage subscription "
    "primary secondary hmac jwt session client"
)
SECRET_PAIRS = frozenset({(word, "key") for word in KEY_QUALIFIERS}) | {
    ("connection", "string"),
    ("conn", "string"),
    ("conn", "str"),
    ("connection", "str"),
    ("access", "signature"),
}
API_KEY_HEADS = frozenset({("api", "key"), ("subscription", "key"), ("api", "token")})
# A last name token that describes a secret instead of holding it: PASSWORD_FILE, TOKEN_URL...
NOT_SECRET_SUFFIXES = _words(
    "file files path dir directory url uri urls name names id ids endpoint host hostname server "
    "port user username login email type kind mode format issuer audience scope scopes expiry "
    "expires expiration lifetime ttl timeout duration length size min max policy header version "
    "location region provider vault ref reference enabled disabled required rotation algorithm "
    "alg count limit interval field label hint mount env source stdin prompt days hours seconds "
    "level"
)
# Trailing tokens that qualify a name without changing what it holds: DB_PASSWORD_PROD, API_KEY_2.
QUALIFIERS = _words(
    "prod production dev test staging stage qa uat local old new current next prev previous b64 "
    "base64 enc encoded raw value val hex plain plaintext default override base"
)
ENV_MIN_LENGTH = 8  # shorter plain values under a secret-like name are not judged credentials
ARGUMENT_MIN_LENGTH = 4  # a value written after --password or in DB_PASSWORD= on purpose


_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
# Before the last capital of a run of capitals followed by a small letter (``APIKey``): where
# re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2") puts a space, in one pass (that pattern backtracks over
# each run of capitals from each of its letters: a name of 100,000 capitals took minutes).
_ACRONYM = re.compile(r"(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_ALPHANUMERIC = re.compile(r"[^A-Za-z0-9]+")
_VERSION = re.compile(r"v\d+")
_HEX = re.compile(r"[0-9a-fA-F]+")
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/]")
_SPACE = re.compile(r"\s")  # what str.isspace() is true of (the same Unicode table)


def _name_tokens(name: str) -> list[str]:
    """``MYSQL_ROOT_PASSWORD`` -> mysql, root, password; ``clientSecret`` -> client, secret;
    ``APIKey`` -> api, key. Split on ``_``, ``-``, ``.``, any other punctuation and camelCase."""
    spaced = _ACRONYM.sub(" ", _CAMEL.sub(r"\1 \2", name))
    return [token for token in _NOT_ALPHANUMERIC.split(spaced.lower()) if token]


def _without_qualifiers(tokens: list[str]) -> list[str]:
    kept = list(tokens)
    while len(kept) > 1 and (kept[-1] in QUALIFIERS or kept[-1].isdigit() or _VERSION.fullmatch(kept[-1])):
        kept.pop()
    return kept


def _is_secret_word(token: str) -> bool:
    return token in SECRET_WORDS or any(
        token.endswith(end) and len(token) > len(end) for end in COMPOUND_SECRET_ENDINGS
    )


def is_secret_name(name: str) -> bool:
    """Whether a name says it holds a secret: its last word (after qualifiers such as ``PROD`` or
    ``2``) is a secret word (``PASSWORD``, ``PWD``, ``SECRET``, ``TOKEN``, ``CREDENTIAL``...), a
    compound ending in one (``PGPASSWORD``), or a secret pair (``API_KEY``, ``ACCESS_KEY``,
    ``CONNECTION_STRING``, ``CONN_STR``). ``PASSWORD_FILE``, ``TOKEN_URL``, ``SECRET_NAME`` and
    ``TOKEN_ISSUER`` are not: their last word describes the secret instead of holding it."""
    return _is_secret_tokens(_name_tokens(name))


def _is_secret_tokens(name_tokens: list[str]) -> bool:
    """:func:`is_secret_name` of a name's tokens."""
    tokens = _without_qualifiers(name_tokens)
    if not tokens or tokens[-1] in NOT_SECRET_SUFFIXES:
        return False
    return _is_secret_word(tokens[-1]) or (len(tokens) > 1 and (tokens[-2], tokens[-1]) in SECRET_PAIRS)


def _mentions_secret(name: str) -> bool:
    """A weaker hint: a secret word somewhere else in the name (``SECRET_KEY_BASE``,
    ``PASSWORD_DB``) or a last word ``KEY`` (``STRIPE_KEY``), and no descriptive last word."""
    return _mentions_secret_tokens(_name_tokens(name))


def _mentions_secret_tokens(tokens: list[str]) -> bool:
    """:func:`_mentions_secret` of a name's tokens."""
    if not tokens or tokens[-1] in NOT_SECRET_SUFFIXES:
        return False
    return (
        tokens[-1] == "key"
        or any(_is_secret_word(token) for token in tokens)
        or any(pair in SECRET_PAIRS for pair in itertools.pairwise(tokens))
    )


def _is_api_key_tokens(name_tokens: list[str]) -> bool:
    tokens = _without_qualifiers(name_tokens)
    return bool(tokens) and (tokens[-1] == "apikey" or tuple(tokens[-2:]) in API_KEY_HEADS)


# --- Value tests -------------------------------------------------------------------------------


def _is_placeholder(value: str) -> bool:
    """A whole-value placeholder (``${X}``, ``$X``, ``<changeme>``, ``%X%``...): it points to a
    secret without carrying it."""
    return bool(_WHOLE_PLACEHOLDER.match(value.strip().strip("'\"")))


def _is_template(value: str) -> bool:
    """A value that embeds a substitution (``Bearer ${TOKEN}``, ``$(cat /run/secrets/x)``): what
    it carries is filled in at run time. Only for judging by name: a template can still hold a
    literal key elsewhere, which the value patterns find."""
    return bool(_EMBEDDED_TEMPLATE.search(value))


def _is_reference(value: str) -> bool:
    """A Key Vault reference or a placeholder."""
    return bool(KEY_VAULT_REFERENCE.match(value)) or _is_placeholder(value)


def _looks_base64_key(value: str) -> bool:
    """Base64 with the marks of random bytes (``+``, padding, or mixed case with digits): a key
    that happens to start with ``/`` is not a file path."""
    if not BASE64ISH.match(value) or len(value) % 4:
        return False
    return "+" in value or value.endswith("=") or _character_classes(value) >= 3


def _is_path(value: str) -> bool:
    return bool(PATH.match(value)) and not _looks_base64_key(value)


def _is_storage_key(value: str) -> bool:
    """88 base64 characters ending ``==`` that decode to 64 bytes of binary: an Azure storage or
    Cosmos DB account key. Base64 of text (such as a hex image digest) is not one."""
    if not STORAGE_KEY.match(value):
        return False
    decoded = base64.b64decode(value)
    return not all(32 <= byte < 127 for byte in decoded)


def _is_base64_private_key(value: str) -> bool:
    """A PEM private key, base64-encoded as a whole (a common way to fit one in a variable)."""
    if not value.startswith(BASE64_PEM_PREFIX):
        return False
    head = _NOT_BASE64.sub("", value)[:120]
    try:
        decoded = base64.b64decode(head[: len(head) - len(head) % 4]).decode("ascii", "replace")
    except (binascii.Error, ValueError):
        return False
    return bool(PEM_PRIVATE_KEY.search(decoded))


def _url_with_password(value: str) -> bool:
    """``scheme://user:password@host`` with a real password (not empty, not a placeholder)."""
    return any(not _is_placeholder(match.group(1)) for match in URL_WITH_PASSWORD.finditer(value))


def _url_with_secret_parameter(value: str) -> bool:
    """A URL whose query carries a secret-named parameter with a real value (``?api_key=...``)."""
    for match in URL.finditer(value):
        try:
            query = urlsplit(match.group(0)).query
        except ValueError:
            continue
        for name, parameter in parse_qsl(query, keep_blank_values=True):
            if is_secret_name(name) and len(parameter) >= ENV_MIN_LENGTH and not _is_reference(parameter):
                return True
    return False


def classify_value(value: str) -> str | None:
    """The kind of credential a value looks like, whatever its name; None when it does not.
    Key Vault references and placeholders never are."""
    text = value.strip()
    if not text or _is_reference(text):
        return None
    return _classify_text(text)


def _classify_text(text: str) -> str | None:
    """:func:`classify_value` of a stripped text that is neither empty nor a reference."""
    kind = _pattern_kind(text)
    if kind is not None:
        return kind
    if _is_base64_private_key(text):
        return "private-key"
    if _is_storage_key(text):
        return "azure-storage-key"
    if "://" in text and _url_with_password(text):
        return "url-with-password"
    if "://" in text and _url_with_secret_parameter(text):
        return "url-with-secret"
    return None


AZURE_DEVOPS_PAT = re.compile(r"^[a-z2-7]{52}$")  # the 52-character base32 form of a personal access token


def classify_url_user_info(url: str) -> str | None:
    """What credential the user information of a URL (``scheme://user:password@host``) carries,
    or None. A password that is not a placeholder is ``url-with-password``; a user name alone is a
    credential only when it looks like one (a token used as the user name, as in
    ``https://<token>@github.com/...``): its kind. A plain user name (``https://org@dev.azure.com``,
    ``ssh://git@host``) is not a secret."""
    _require_text(url, "a URL")
    text = url.strip()
    try:
        parts = urlsplit(text)
        password, user = parts.password, parts.username
    except ValueError:  # a malformed authority: judge the text itself
        return "url-with-password" if _url_with_password(text) else None
    if password and not _is_placeholder(unquote(password)):
        return "url-with-password"
    name = unquote(user or "")
    if not name or _is_reference(name):
        return None
    kind = classify_value(name)
    if kind is None and (_looks_random(name) or AZURE_DEVOPS_PAT.match(name)):
        kind = "token-as-user-name"
    return kind


def _is_trivial(value: str, min_length: int) -> bool:
    """Values that are not secrets even under a secret-like name: short, boolean, number, file
    path, plain URL, mask, null word, prose (spaces), a key=value list without a key or password
    (``Server=x;Database=y``), or the name of a secret (``db-password``)."""
    return bool(
        len(value) < min_length
        or BOOLEAN.match(value)
        or NUMBER.match(value)
        or _is_path(value)
        or URL.fullmatch(value)
        or MASK.match(value)
        or value.lower() in NULL_WORDS
        or _SPACE.search(value)
        or KEY_VALUE_LIST.match(value)
        or _is_template(value)
        or (SLUG.match(value) and _mentions_secret(value))
    )


def _character_classes(value: str) -> int:
    """How many of lower case, upper case, digits and other characters ``value`` mixes."""
    return sum(
        (
            any(c.islower() for c in value),
            any(c.isupper() for c in value),
            any(c.isdigit() for c in value),
            any(not c.isalnum() for c in value),
        )
    )


def _looks_random(value: str) -> bool:
    """At least 16 characters mixing three of lower case, upper case, digits and symbols (or 32+
    hex digits), and not a UUID: what generated secrets look like, and words and identifiers do not."""
    if len(value) < 16 or UUID.match(value):
        return False
    if len(value) >= 32 and _HEX.fullmatch(value):
        return True
    return _character_classes(value) >= 3


def _classify_named(name: str, value: str, min_length: int) -> str | None:
    """By value first, then by name: a secret name with a non-trivial value, or a name that only
    mentions a secret with a value that looks generated."""
    text = value.strip()
    if not text or _is_reference(text):
        return None
    kind = _classify_text(text)
    if kind is not None or _is_trivial(text, min_length):
        return kind
    tokens = _name_tokens(name)
    if _is_secret_tokens(tokens) or (_mentions_secret_tokens(tokens) and _looks_random(text)):
        return "generic-api-key" if _is_api_key_tokens(tokens) else "secret-named-variable"
    return None


def _require_text(value: object, what: str) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string, not {type(value).__name__}")


def classify_env_value(name: str, value: str | None) -> str | None:
    """What kind of credential the plain value of environment variable ``name`` looks like, or
    None. See the module docstring for the rules; values under 8 characters count only when
    they match a credential pattern."""
    _require_text(name, "an environment variable name")
    if value is None:
        return None
    _require_text(value, "an environment variable value")
    return _classify_named(name, value, ENV_MIN_LENGTH)


# --- Command lines -----------------------------------------------------------------------------

# Database clients whose -p/--password take a value only when attached (-pSECRET, --password=SECRET):
# `mysql -p mydb` prompts for the password and opens database mydb.
ATTACHED_ONLY_TOOLS = _words(
    "mysql mysqldump mysqladmin mysqlimport mysqlcheck mysqlshow mysqlpump mariadb mariadb-dump mariadb-admin"
)
MONGO_TOOLS = ("mongo", "mongosh", "mongodump", "mongorestore", "mongoexport", "mongoimport", "mongostat")
LDAP_TOOLS = ("ldapsearch", "ldapadd", "ldapmodify", "ldapdelete", "ldapwhoami", "ldappasswd")
# Short flags that take a password, by tool.
SHORT_PASSWORD_FLAGS: dict[str, frozenset[str]] = {
    "sshpass": frozenset({"-p"}),
    "redis-cli": frozenset({"-a"}),
    "sqlcmd": frozenset({"-P"}),
    "bcp": frozenset({"-P"}),
    **{tool: frozenset({"-p"}) for tool in (*ATTACHED_ONLY_TOOLS, *MONGO_TOOLS)},
    **{tool: frozenset({"-w"}) for tool in LDAP_TOOLS},
}
# Tools whose -p is a password only in their `login` subcommand (`docker run -p` publishes a port).
LOGIN_TOOLS = _words("docker podman nerdctl buildah skopeo helm oras az crane")
# Flags whose value is user:password.
USER_PASSWORD_FLAGS = frozenset({"--creds", "--src-creds", "--dest-creds"})
CURL_USER_FLAGS = frozenset({"-u", "--user", "-U", "--proxy-user"})
# Leading words that make a flag a switch (--no-password, --ask-pass), not a flag with a value.
SWITCH_VERBS = _words(
    "no ask prompt require requires skip disable enable with without show hide read generate gen use rotate"
)
PASSWORD_WORDS = _words("password passwd pass pwd passphrase")
WRAPPERS = _words("env sudo exec export nohup time command then do else if")
ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_.-]*)=(.*)$", re.DOTALL)
SHELL_OPERATOR = re.compile(r"^[();<>|&]+$")
_SHORT_WORD_FLAG = re.compile(r"-[a-z][a-z0-9-]+")  # -password, as some tools spell a long flag
_SHORT_FLAG = re.compile(r"-[A-Za-z]")
MAX_NESTING = 3  # sh -c "su -c 'mysql -p...'" and no deeper


class _Hit(NamedTuple):
    """What one argument carries: the credential's kind and the flag or name it follows."""

    kind: str
    flag: str | None


def _program(tokens: Sequence[str]) -> str:
    """The program a simple command runs: the first word that is not an assignment, an option
    or a wrapper (``env``, ``sudo``, ``exec``...), without its directory."""
    for token in tokens:
        if ASSIGNMENT.match(token) or token.startswith("-") or token in WRAPPERS or NUMBER.match(token):
            continue
        return token.rsplit("/", 1)[-1].lower()
    return ""


def _flag_words(flag: str) -> list[str]:
    return _name_tokens(flag.lstrip("-"))


def _is_secret_flag(flag: str) -> bool:
    """A long flag whose name says it takes a secret (``--password``, ``--db-password``,
    ``--client-secret``, ``--api-key``, ``--sas``, ``--connection-string``); not a switch such as
    ``--no-password`` or ``--password-stdin``, nor ``--password-file``."""
    if not (flag.startswith("--") or _SHORT_WORD_FLAG.fullmatch(flag)):
        return False
    words = _flag_words(flag)
    return bool(words) and words[0] not in SWITCH_VERBS and is_secret_name(flag.lstrip("-"))


def _flag_kind(flag: str) -> str:
    words = _without_qualifiers(_flag_words(flag))
    is_password = bool(words) and (words[-1] in PASSWORD_WORDS or len(flag) == 2)  # -p, -P, -a, -w
    return "password-argument" if is_password else "secret-argument"


def _argument_value_kind(value: str, flag: str) -> str | None:
    """What a value given to a secret flag is: its own pattern's kind, the flag's kind when it is
    a real value, None for placeholders, paths, booleans, plain URLs and keyless key=value lists."""
    text = value.strip()
    if not text or _is_reference(text):
        return None
    kind = classify_value(text)
    if kind is not None:
        return kind
    if (
        _is_template(text)
        or len(text) < ARGUMENT_MIN_LENGTH
        or BOOLEAN.match(text)
        or _is_path(text)
        or URL.fullmatch(text)
        or MASK.match(text)
        or KEY_VALUE_LIST.match(text)
    ):
        return None
    return _flag_kind(flag)


def _user_password_kind(value: str) -> str | None:
    """``user:password`` with a real password."""
    _, colon, password = value.partition(":")
    if not colon or not password or _is_reference(password) or _is_path(password):
        return None
    return "password-argument"


def _takes_value(flag: str, program: str, tokens: Sequence[str]) -> bool:
    """Whether ``flag`` (standing alone) is followed by a secret for this program."""
    if flag in USER_PASSWORD_FLAGS or (program == "curl" and flag in CURL_USER_FLAGS):
        return True
    if program in ATTACHED_ONLY_TOOLS:
        return False
    if flag in SHORT_PASSWORD_FLAGS.get(program, ()):
        return True
    if program in LOGIN_TOOLS and flag == "-p" and "login" in tokens:
        return True
    return _is_secret_flag(flag)


def _value_after(flag: str, value: str, program: str) -> str | None:
    """The kind of ``value`` given to a flag that takes a secret."""
    if flag in USER_PASSWORD_FLAGS or (program == "curl" and flag in CURL_USER_FLAGS):
        return classify_value(value) or _user_password_kind(value)
    return _argument_value_kind(value, flag)


def _attached_short(token: str, program: str) -> _Hit | None:
    """``-pSECRET`` for tools that take a password in a short flag."""
    if len(token) <= 2 or token.startswith("--") or not token.startswith("-"):
        return None
    flag, value = token[:2], token[2:]
    if flag in SHORT_PASSWORD_FLAGS.get(program, ()) or (program == "curl" and flag in CURL_USER_FLAGS):
        kind = _value_after(flag, value, program)
        return _Hit(kind, flag) if kind else None
    return None


def _flag_with_equals(token: str, program: str, tokens: Sequence[str]) -> _Hit | None:
    """``--password=SECRET``; ``--env=DB_PASSWORD=SECRET`` and Java's ``-Ddb.password=SECRET``
    are judged as the assignment they carry."""
    if token.startswith("-D"):
        return _assignment(token[2:])
    flag, _, value = token.partition("=")
    if _is_secret_flag(flag) or _takes_value(flag, program, tokens):  # mysql takes --password=x only
        kind = _value_after(flag, value, program)
        return _Hit(kind, flag) if kind else None
    return _assignment(value) or _pattern(value)


def _assignment(token: str) -> _Hit | None:
    """``DB_PASSWORD=SECRET`` (also ``export``-ed, or ``db.password=...`` for --set): a
    secret-like name with a real value, reported under the name."""
    match = ASSIGNMENT.match(token)
    if match is None:
        return None
    name, value = match.group(1), match.group(2)
    kind = _classify_named(name, value.strip("'\""), ARGUMENT_MIN_LENGTH)
    if kind is None:
        return None
    return _Hit(kind, name if is_secret_name(name) or _mentions_secret(name) else None)


def _pattern(token: str) -> _Hit | None:
    kind = classify_value(token)
    return _Hit(kind, None) if kind else None


def _token_hit(token: str, program: str, tokens: Sequence[str], depth: int) -> _Hit | None:
    """A credential carried by one token on its own (the flag-then-value case is the caller's).
    A token with spaces is a script of its own (``sh -c "..."``), including one that starts with
    a flag (``--db-password x`` as a single argument)."""
    spaced = any(c.isspace() for c in token.strip())
    if token.startswith("-") and "=" in token:
        hit = _flag_with_equals(token, program, tokens)
        if hit is not None or not spaced:
            return hit
    elif token.startswith("-") and not spaced:
        return _attached_short(token, program)
    if spaced and depth < MAX_NESTING:
        return _script_hit(token, depth + 1)
    return _assignment(token) or _pattern(token)


def _is_value(token: str) -> bool:
    """Whether a token can be a flag's value: not another flag or a shell operator."""
    return not (token.startswith("--") or _SHORT_FLAG.fullmatch(token) or SHELL_OPERATOR.match(token))


def _is_pending_flag(previous: str, token: str, program: str, tokens: Sequence[str]) -> bool:
    """Whether ``previous`` is a flag, standing alone, whose value ``token`` is a secret."""
    return (
        previous.startswith("-")
        and "=" not in previous
        and _is_value(token)
        and _takes_value(previous, program, tokens)
    )


def _scan(tokens: Sequence[str], depth: int) -> Iterator[tuple[int, _Hit]]:
    """Each (index, hit) in one simple command: the index is the token carrying the value."""
    program = _program(tokens)
    for index, token in enumerate(tokens):
        previous = tokens[index - 1] if index else None
        if previous is not None and _is_pending_flag(previous, token, program, tokens):
            kind = _value_after(previous, token, program)
            if kind is not None:
                yield index, _Hit(kind, previous)
            continue
        hit = _token_hit(token, program, tokens, depth)
        if hit is not None:
            yield index, hit


def _simple_commands(tokens: list[str]) -> Iterator[list[str]]:
    """Split shell tokens into simple commands at operators (``;``, ``&&``, ``|``...)."""
    current: list[str] = []
    for token in tokens:
        if SHELL_OPERATOR.match(token):
            if current:
                yield current
            current = []
        else:
            current.append(token)
    if current:
        yield current


def _shell_tokens(script: str) -> list[str]:
    lexer = shlex.shlex(script.replace("\n", " ; "), posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        return list(lexer)
    except ValueError:  # unbalanced quotes: fall back to words
        return script.split()


def _script_hit(script: str, depth: int) -> _Hit | None:
    """The first credential inside a shell string, else a pattern across the whole string
    (an ``Authorization:`` header or a PEM block spans several words)."""
    for command in _simple_commands(_shell_tokens(script)):
        for _, hit in _scan(command, depth):
            return hit
    return _pattern(script)


def classify_command(args: Sequence[str]) -> tuple[CommandCredential, ...]:
    """Where a container ``command`` carries a credential, at most one per argument.

    Found: a secret-named flag and its value (``--password x``, ``--password=x``, ``--token``,
    ``--api-key``, ``--client-secret``, ``--sas``, ``--connection-string``, ``--secret``...);
    tool-specific short flags (``sshpass -p``, ``redis-cli -a``, ``sqlcmd -P``, ``mongosh -p``,
    ``docker login -p``, ``mysql -pSECRET`` attached only); ``curl -u user:password``;
    secret-named assignments (``PGPASSWORD=x psql``, ``export DB_PASSWORD=x``); and any argument
    that looks like a credential. Shell strings (``sh -c "..."``) are split into commands and
    words. Placeholders (``$DB_PASSWORD``, ``${X}``, ``$(cat /run/secrets/x)``) and file paths
    are not credentials. ``position`` is the index of the argument that carries the value;
    ``flag`` is the flag or the assigned name, when there is one.
    """
    arguments = list(args)
    for argument in arguments:
        _require_text(argument, "a command argument")
    found: dict[int, _Hit] = {}
    for index, hit in _scan(arguments, depth=0):
        found.setdefault(index, hit)
    ordered = sorted(found.items())
    return tuple(CommandCredential(position=index, kind=hit.kind, flag=hit.flag) for index, hit in ordered)
