"""Audit settings: thresholds, approved registries and suppressions, from a config file.

azaudit reads ``azaudit.toml`` in the working directory, or else the ``[tool.azaudit]`` table of
``pyproject.toml`` there, or the file named by ``--config``. Unknown keys and wrong types are
errors that name the file, the key and the expected form.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
import tomllib
import typing
from pathlib import Path

import msgspec

from azaudit.errors import ConfigError


class RegistrySettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    # Registries images may come from (ACI001). Empty: Azure Container Registry login servers of
    # the cloud in use, and mcr.microsoft.com.
    approved: tuple[str, ...] = ()


class KeyVaultSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    stale_secret_days: int = 365  # KV008
    expiring_soon_days: int = 30  # KV009


class RbacSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    max_subscription_owners: int = 3  # RBAC001


class Suppression(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Accept one known FAIL: the finding is reported as SKIPPED, with the reason, until
    ``expires``. ``resource`` is an ARM id or a glob on resource names (``acr-legacy-*``)."""

    check: str
    resource: str
    reason: str
    expires: dt.date

    def matches(self, code: str, resource_id: str, resource_name: str) -> bool:
        if not code.upper().startswith(self.check.upper()):
            return False
        wanted = self.resource.lower()
        return resource_id.lower() == wanted or fnmatch.fnmatchcase(resource_name.lower(), wanted)


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    registries: RegistrySettings = RegistrySettings()
    keyvault: KeyVaultSettings = KeyVaultSettings()
    rbac: RbacSettings = RbacSettings()
    suppress: tuple[Suppression, ...] = ()

    def check_suppressions(self, today: dt.date, source: str) -> None:
        """Refuse expired suppressions: an exception nobody renewed must not hide a finding."""
        for entry in self.suppress:
            if entry.expires < today:
                raise ConfigError(
                    f"{source}: the suppression of {entry.check} for {entry.resource!r} expired on "
                    f"{entry.expires.isoformat()}; renew its `expires` date or remove it"
                )


def _validate_numbers(settings: Settings, source: str) -> None:
    numbers = {
        "keyvault.stale_secret_days": settings.keyvault.stale_secret_days,
        "keyvault.expiring_soon_days": settings.keyvault.expiring_soon_days,
        "rbac.max_subscription_owners": settings.rbac.max_subscription_owners,
    }
    for key, value in numbers.items():
        if value < 0:
            raise ConfigError(f"{source}: `{key}` must be a whole number of at least 0, not {value}")


# An approved registry: a host name (``contoso.azurecr.io``), an optional port, or a ``*.`` wildcard.
REGISTRY_HOST = re.compile(
    r"^(?:\*\.)?[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::\d+)?$"
)


def _validate_registries(settings: Settings, source: str) -> None:
    for index, entry in enumerate(settings.registries.approved):
        if not REGISTRY_HOST.match(entry):
            raise ConfigError(
                f"{source}: `registries.approved[{index}]` ({entry!r}) is not a registry host; expected a host "
                "name with an optional port or a `*.` wildcard, "
                'e.g. approved = ["contosoacr.azurecr.io", "*.azurecr.io"]'
            )


# The expected form of each key, shown when a value is malformed (paths without list indices).
EXAMPLES = {
    "": "tables [registries], [keyvault], [rbac] and [[suppress]]",
    "registries": '[registries] with approved = ["contosoprodacr.azurecr.io", "mcr.microsoft.com"]',
    "registries.approved": 'approved = ["contosoprodacr.azurecr.io", "*.azurecr.io", "mcr.microsoft.com"]',
    "keyvault": "[keyvault] with stale_secret_days = 365",
    "keyvault.stale_secret_days": "stale_secret_days = 365",
    "keyvault.expiring_soon_days": "expiring_soon_days = 30",
    "rbac": "[rbac] with max_subscription_owners = 3",
    "rbac.max_subscription_owners": "max_subscription_owners = 3",
    "suppress": '[[suppress]] with check = "ACR004", resource = "<ARM id or name glob>", reason = "...", '
    "expires = 2027-03-31",
    "suppress.check": 'check = "ACR004"',
    "suppress.resource": 'resource = "contosolegacyacr"',
    "suppress.reason": 'reason = "decommissioned in Q1, ticket SEC-1234"',
    "suppress.expires": "expires = 2027-03-31 (a TOML date, unquoted)",
}
TOML_TYPES = {
    "array": "a list",
    "str": "a string",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "object": "a table",
    "null": "nothing",
    "date": "a date",
}
UNKNOWN_FIELD = re.compile(r"^Object contains unknown field `(?P<field>[^`]+)`$")
MISSING_FIELD = re.compile(r"^Object missing required field `(?P<field>[^`]+)`$")
WRONG_TYPE = re.compile(r"^Expected `(?P<expected>[^`]+)`, got `(?P<got>[^`]+)`$")


def _struct_at(path: str) -> type[msgspec.Struct] | None:
    """The settings table (Struct) found at a dotted path such as ``suppress[0]``."""
    current: object = Settings
    for part in [p for p in re.sub(r"\[\d+\]", "", path).split(".") if p]:
        assert isinstance(current, type) and issubclass(current, msgspec.Struct)
        types = {f.name: f.type for f in msgspec.structs.fields(current)}
        if part not in types:
            return None
        current = types[part]
        if typing.get_origin(current) is tuple:
            current = typing.get_args(current)[0]
    return current if isinstance(current, type) and issubclass(current, msgspec.Struct) else None


def _expected(path: str) -> str:
    example = EXAMPLES.get(re.sub(r"\[\d+\]", "", path))
    return f"expected {example}" if example else "see the Configuration section of the README for the expected form"


def _joined(path: str, field: str) -> str:
    return f"{path}.{field}" if path else field


def _explain(message: str, path: str, source: str) -> str:
    """One line naming the file, the key and the expected form."""
    if match := UNKNOWN_FIELD.match(message):
        struct = _struct_at(path)
        known = ", ".join(f.name for f in msgspec.structs.fields(struct)) if struct else ""
        key = _joined(path, match.group("field"))
        return f"{source}: unknown key `{key}`; expected one of: {known}" if known else f"{source}: unknown key `{key}`"
    if match := MISSING_FIELD.match(message):
        key = _joined(path, match.group("field"))
        return f"{source}: missing key `{key}`; {_expected(path)}"
    if match := WRONG_TYPE.match(message):
        expected = TOML_TYPES.get(match.group("expected"), match.group("expected"))
        got = TOML_TYPES.get(match.group("got"), match.group("got"))
        subject = f"`{path}`" if path else "the file"
        return f"{source}: {subject} must be {expected}, not {got}; {_expected(path)}"
    detail = message[0].lower() + message[1:] if message else "invalid value"
    subject = f"`{path}`" if path else "the file"
    return f"{source}: {subject}: {detail}; {_expected(path)}"


def parse_settings(table: object, source: str) -> Settings:
    """Turn a decoded TOML table into :class:`Settings`, with a one-line error naming the file,
    the key and the expected form."""
    try:
        settings = msgspec.convert(table, type=Settings)
    except msgspec.ValidationError as exc:
        message, _, where = str(exc).partition(" - at `$")
        path = where.rstrip("`").lstrip(".")
        raise ConfigError(_explain(message, path, source)) from None
    _validate_numbers(settings, source)
    _validate_registries(settings, source)
    return settings


def load_settings(explicit: Path | None, directory: Path) -> tuple[Settings, str | None]:
    """The settings in force and the file they came from (None: defaults)."""
    candidates: list[tuple[Path, bool]] = []
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"{explicit}: config file not found")
        candidates.append((explicit, explicit.name == "pyproject.toml"))
    else:
        candidates += [(directory / "azaudit.toml", False), (directory / "pyproject.toml", True)]
    for path, in_pyproject in candidates:
        if not path.is_file():
            continue
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc})") from None
        if in_pyproject:
            table = document.get("tool", {}).get("azaudit")
            if table is None:
                continue
            return parse_settings(table, f"{path} [tool.azaudit]"), str(path)
        return parse_settings(document, str(path)), str(path)
    return Settings(), None
