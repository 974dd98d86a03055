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
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Annotated

import msgspec

from azaudit.errors import ConfigError


class RegistrySettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    # Registries images may come from (ACI001). Empty: the login servers of the registries in the
    # audited subscriptions, and mcr.microsoft.com (never `*.azurecr.io`: anyone can create one).
    approved: tuple[str, ...] = ()


# Ranges of the numeric settings: a value outside them is a config error naming file and key, not
# a crash in the check that reads it (``10**23`` days overflows a datetime) or a silent no-op.
# A secret cannot be "stale" after zero days; zero days of warning (only expired secrets) and zero
# standing Owners (PIM only) are meaningful policies. Ten years bounds both day counts.
DAYS = 3650
StaleDays = Annotated[int, msgspec.Meta(ge=1, le=DAYS)]
WarningDays = Annotated[int, msgspec.Meta(ge=0, le=DAYS)]
OwnerCount = Annotated[int, msgspec.Meta(ge=0, le=1000)]


class KeyVaultSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    stale_secret_days: StaleDays = 365  # KV008
    expiring_soon_days: WarningDays = 30  # KV009


class RbacSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    # RBAC001: Microsoft Defender for Cloud asks for at most 3 Owners and more than one (someone
    # must be able to act when one is unavailable).
    max_subscription_owners: OwnerCount = 3
    min_subscription_owners: OwnerCount = 2


ImageAgeDays = Annotated[int, msgspec.Meta(ge=1, le=DAYS)]


# IMG001: the least severity of a fixable finding that fails a running image (Defender for Cloud's
# severities of registry image findings, worst first: critical, high, medium, low).
VulnerabilitySeverity = typing.Literal["critical", "high", "medium", "low"]


class ImageSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    # IMG005: a running manifest created longer ago than this is stale (its base misses patches).
    max_age_days: ImageAgeDays = 90
    # IMG001: findings of this severity or worse, with a fix available, fail the image.
    vulnerability_min_severity: VulnerabilitySeverity = "high"


class Suppression(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Accept one known FAIL: the finding is reported as SKIPPED, with the reason, until
    ``expires``. ``resource`` is an ARM id or a glob on resource names (``acr-legacy-*``).
    ``owner`` (who accepted the risk) and ``ticket`` (where it is tracked) are shown in the
    report's exceptions register."""

    check: str
    resource: str
    reason: str
    expires: dt.date
    owner: str | None = None
    ticket: str | None = None

    def matches(self, code: str, resource_id: str, resource_name: str) -> bool:
        if code.upper() != self.check.strip().upper():
            return False
        wanted = self.resource.lower()
        return resource_id.lower() == wanted or fnmatch.fnmatchcase(resource_name.lower(), wanted)


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    registries: RegistrySettings = RegistrySettings()
    keyvault: KeyVaultSettings = KeyVaultSettings()
    rbac: RbacSettings = RbacSettings()
    images: ImageSettings = ImageSettings()
    suppress: tuple[Suppression, ...] = ()

    def expired(self, today: dt.date) -> tuple[Suppression, ...]:
        return tuple(entry for entry in self.suppress if entry.expires < today)

    def check_suppressions(
        self, today: dt.date, source: str, known_codes: Collection[str], *, expired_fail: bool = True
    ) -> None:
        """Refuse expired suppressions (an exception nobody renewed must not hide a finding)
        unless ``expired_fail`` is False (``--expired-suppressions warn``: the caller lists them
        and does not apply them), and suppressions of checks the catalogue does not have (a typo
        would hide nothing and look like an accepted risk)."""
        known = {code.upper() for code in known_codes}
        for index, entry in enumerate(self.suppress):
            if entry.check.strip().upper() not in known:
                raise ConfigError(
                    f"{source}: `suppress[{index}].check` names no check ({entry.check!r}); "
                    'expected one check code from `azaudit checks`, e.g. check = "ACR004"'
                )
            if expired_fail and entry.expires < today:
                raise ConfigError(
                    f"{source}: the suppression of {entry.check} for {entry.resource!r} expired on "
                    f"{entry.expires.isoformat()}; renew its `expires` date or remove it "
                    "(or list it as expired with --expired-suppressions warn)"
                )

    def in_force(
        self,
        today: dt.date,
        source: str,
        known_codes: Collection[str],
        *,
        expired_fail: bool,
        warn: Callable[[str], None],
    ) -> Settings:
        """These settings with only the suppressions in force ``today``. Refuses what
        :meth:`check_suppressions` refuses; with ``expired_fail`` False (``--expired-suppressions
        warn``) an expired suppression is named through ``warn`` and not applied."""
        self.check_suppressions(today, source, known_codes, expired_fail=expired_fail)
        expired = self.expired(today)
        for entry in expired:
            warn(
                f"warning: the suppression of {entry.check} for {entry.resource!r} expired on "
                f"{entry.expires.isoformat()}; it is not applied (--expired-suppressions warn)"
            )
        return msgspec.structs.replace(self, suppress=tuple(s for s in self.suppress if s not in expired))


# A suppression's resource glob made only of these matches every resource: it would hide a check
# everywhere, which is disabling the check (``--ignore``), not accepting one known finding.
WILDCARDS = set("*?") | set(" \t")


def _validate_suppressions(settings: Settings, source: str) -> None:
    for index, entry in enumerate(settings.suppress):
        key = f"suppress[{index}]"
        if not entry.check.strip() or set(entry.check) <= WILDCARDS:
            raise ConfigError(
                f"{source}: `{key}.check` must name one check code, not {entry.check!r}; "
                'expected check = "ACR004" (to skip a check everywhere, use --ignore)'
            )
        if set(entry.resource) <= WILDCARDS:
            raise ConfigError(
                f"{source}: `{key}.resource` matches every resource ({entry.resource!r}); "
                'name one resource by its ARM id or a glob on names, e.g. resource = "contosolegacyacr" '
                "(to skip a check everywhere, use --ignore)"
            )
        if not entry.reason.strip():
            raise ConfigError(
                f"{source}: `{key}.reason` is empty; say why the finding is accepted, "
                'e.g. reason = "decommissioned in Q1, ticket SEC-1234"'
            )
        for name in ("owner", "ticket"):
            value = getattr(entry, name)
            if value is not None and not value.strip():
                raise ConfigError(
                    f"{source}: `{key}.{name}` is empty; name {EXAMPLES[f'suppress.{name}']} or leave the key out"
                )


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
                'e.g. approved = ["contosoacr.azurecr.io", "*.cr.contoso.example"]'
            )


# The expected form of each key, shown when a value is malformed (paths without list indices).
EXAMPLES = {
    "": "tables [registries], [keyvault], [rbac], [images] and [[suppress]]",
    "registries": '[registries] with approved = ["contosoprodacr.azurecr.io", "mcr.microsoft.com"]',
    "registries.approved": 'approved = ["contosoprodacr.azurecr.io", "*.cr.contoso.example", "mcr.microsoft.com"]',
    "keyvault": "[keyvault] with stale_secret_days = 365",
    "keyvault.stale_secret_days": "stale_secret_days = 365",
    "keyvault.expiring_soon_days": "expiring_soon_days = 30",
    "rbac": "[rbac] with max_subscription_owners = 3 and min_subscription_owners = 2",
    "rbac.max_subscription_owners": "max_subscription_owners = 3",
    "rbac.min_subscription_owners": "min_subscription_owners = 2",
    "images": '[images] with max_age_days = 90 and vulnerability_min_severity = "high"',
    "images.max_age_days": "max_age_days = 90",
    "images.vulnerability_min_severity": 'vulnerability_min_severity = "high" (one of "critical", "high", '
    '"medium", "low")',
    "suppress": '[[suppress]] with check = "ACR004", resource = "<ARM id or name glob>", reason = "...", '
    'expires = 2027-03-31 and optionally owner = "..." and ticket = "..."',
    "suppress.check": 'check = "ACR004"',
    "suppress.resource": 'resource = "contosolegacyacr"',
    "suppress.reason": 'reason = "decommissioned in Q1, ticket SEC-1234"',
    "suppress.expires": "expires = 2027-03-31 (a TOML date, unquoted)",
    "suppress.owner": 'who accepted the risk, e.g. owner = "platform-security@contoso.example"',
    "suppress.ticket": 'where it is tracked, e.g. ticket = "SEC-1234"',
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
OUT_OF_RANGE = re.compile(r"^Expected `int` [<>]=? -?\d+$")


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


def _bounds(path: str) -> tuple[int, int] | None:
    """The (min, max) of the ranged whole number at a dotted path such as ``keyvault.stale_secret_days``."""
    table, _, field = path.rpartition(".")
    struct = _struct_at(table)
    types = {f.name: f.type for f in msgspec.structs.fields(struct)} if struct else {}
    metas = [m for m in typing.get_args(types.get(field)) if isinstance(m, msgspec.Meta)]
    if not metas or metas[0].ge is None or metas[0].le is None:
        return None
    return int(metas[0].ge), int(metas[0].le)


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
    if OUT_OF_RANGE.match(message) and (bounds := _bounds(path)):
        return f"{source}: `{path}` must be a whole number from {bounds[0]} to {bounds[1]}; {_expected(path)}"
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
    _validate_suppressions(settings, source)
    _validate_registries(settings, source)
    _validate_owner_range(settings, source)
    return settings


def _validate_owner_range(settings: Settings, source: str) -> None:
    low, high = settings.rbac.min_subscription_owners, settings.rbac.max_subscription_owners
    if low > high:
        raise ConfigError(
            f"{source}: `rbac.min_subscription_owners` ({low}) is above `rbac.max_subscription_owners` ({high}); "
            "no subscription could pass RBAC001. To allow no Owner assignment at all (eligible-only, through PIM), "
            "set both to 0"
        )


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
