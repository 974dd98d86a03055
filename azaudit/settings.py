"""Audit settings: thresholds, approved registries and suppressions, from a config file.

azaudit reads ``azaudit.toml`` in the working directory, or else the ``[tool.azaudit]`` table of
``pyproject.toml`` there, or the file named by ``--config``. Unknown keys and wrong types are
errors that name the file, the key and the expected form.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import tomllib
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


def parse_settings(table: object, source: str) -> Settings:
    """Turn a decoded TOML table into :class:`Settings`, with a one-line error naming the key."""
    try:
        settings = msgspec.convert(table, type=Settings)
    except msgspec.ValidationError as exc:
        message = str(exc)
        key = ""
        if " - at `$." in message:
            message, _, where = message.partition(" - at `$.")
            key = where.rstrip("`")
        detail = message[0].lower() + message[1:] if message else "invalid value"
        at = f" at `{key}`" if key else ""
        raise ConfigError(
            f"{source}: {detail}{at}; see the Configuration section of the README for the expected form"
        ) from None
    _validate_numbers(settings, source)
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
