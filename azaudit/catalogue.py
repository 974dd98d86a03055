"""The check catalogue: registration by decorator, docstring parsing, and selection.

A check is a pure function ``CheckContext -> Iterable[Outcome]`` in its own module under
``checks/azaudit_checks/<service>/``. The :func:`check` decorator registers it with typed
metadata; its docstring, in fixed Markdown sections, is its documentation.

Organisations add their own checks as installed packages (see :mod:`azaudit.plugins`). Their codes
carry the organisation's prefix (``CONTOSO-ACI101``), so a custom check can never take the code of
a built-in one, and ``--select CONTOSO`` picks them out.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager

import msgspec

from azaudit.applicability import RECORDS, Selector
from azaudit.clouds import CLOUDS, Cloud, CloudName
from azaudit.errors import UsageError
from azaudit.inventory import Inventory
from azaudit.inventory.coverage import Dataset
from azaudit.model import BUILTIN_ORIGIN, CheckDocs, CheckMeta, Outcome, Severity
from azaudit.plugins import load_plugins
from azaudit.recommendations import RECOMMENDATIONS
from azaudit.settings import Settings

CHECKS_PACKAGE = "azaudit_checks"

SERVICES: dict[str, str] = {
    "ACR": "Container Registry",
    "ACI": "Container Instances",
    "KV": "Key Vault",
    "LOG": "Monitor",
    "RBAC": "Authorization",
    "DEF": "Defender for Cloud",
    "IMG": "Running images",
}

SECTIONS = {
    "what it checks": "what",
    "why it matters": "why",
    "how to fix": "fix",
    "references": "references",
    "decisions": "decisions",
}

POLICY_ID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
CODE_PATTERN = re.compile(r"^(?:(?P<org>[A-Z][A-Z0-9]{1,11})-)?(?P<prefix>[A-Z]+)(?P<number>\d{3})$")


class CatalogueError(Exception):
    """The catalogue itself is broken (a programming error, caught by the meta-tests)."""


class CheckContext(msgspec.Struct, frozen=True, kw_only=True):
    """What a check may read: the inventory, the audit settings, the cloud audited (for its DNS
    suffixes) and the run's clock."""

    inventory: Inventory
    settings: Settings
    now: dt.datetime
    cloud: Cloud = CLOUDS[CloudName.PUBLIC]


CheckFunction = Callable[[CheckContext], Iterable[Outcome]]


class Check(msgspec.Struct, frozen=True):
    meta: CheckMeta
    run: CheckFunction
    # the engine skips resources failing one of these before ``run`` sees them
    applies_to: tuple[Selector, ...] = ()


_REGISTRY: dict[str, Check] = {}
_origin = BUILTIN_ORIGIN  # who is registering checks right now
_plugins_loaded = False


@contextmanager
def registering_as(origin: str) -> Iterator[None]:
    """Checks registered inside this block come from ``origin`` (a plugin distribution)."""
    global _origin
    previous, _origin = _origin, origin
    try:
        yield
    finally:
        _origin = previous


def parse_docs(code: str, docstring: str | None) -> CheckDocs:
    """Split a check's docstring into its ``## Heading`` sections."""
    if not docstring:
        raise CatalogueError(f"{code}: a check needs a docstring")
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in inspect.cleandoc(docstring).splitlines():
        heading = re.match(r"^##\s+(.+?)\s*$", line)
        if heading:
            key = SECTIONS.get(heading.group(1).lower())
            if key is None:
                raise CatalogueError(f"{code}: unknown docstring section {heading.group(1)!r}")
            current = found.setdefault(key, [])
        elif current is not None:
            current.append(line)
    text = {key: "\n".join(lines).strip() for key, lines in found.items()}
    missing = [title for title, key in SECTIONS.items() if key != "decisions" and not text.get(key)]
    if missing:
        raise CatalogueError(f"{code}: docstring lacks section(s) {', '.join(missing)}")
    references = tuple(line.lstrip("-* ").strip() for line in text["references"].splitlines() if line.strip())
    return CheckDocs(
        what=text["what"],
        why=text["why"],
        fix=text["fix"],
        references=references,
        decisions=text.get("decisions", ""),
    )


def check(
    *,
    code: str,
    name: str,
    title: str,
    severity: Severity,
    resource_type: str,
    requires: Sequence[Dataset],
    recommendations: Sequence[str],
    mcsb: Sequence[str] = (),
    policies: Sequence[str] = (),
    applies_to: Sequence[Selector] = (),
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check. Duplicate codes or names, and unknown recommendation tags, are refused
    loudly. Built-in codes are a service prefix and three digits (``ACI005``); a plugin's codes put
    the organisation's prefix first (``CONTOSO-ACI101``).

    ``applies_to`` lists selectors (:mod:`azaudit.applicability`) over the records of
    ``resource_type``: a resource failing one is SKIPPED by the engine as not applicable, once,
    and the check never sees it."""
    origin = _origin
    match = CODE_PATTERN.match(code)
    if not match or match.group("prefix") not in SERVICES:
        raise CatalogueError(f"{code}: codes are a known service prefix and three digits")
    org = match.group("org")
    if origin == BUILTIN_ORIGIN and org:
        raise CatalogueError(f"{code}: built-in check codes have no organisation prefix")
    if origin != BUILTIN_ORIGIN and (not org or org in SERVICES):
        raise CatalogueError(
            f"{code}: a custom check's code starts with its organisation's prefix, e.g. CONTOSO-{code[-6:]}"
        )
    malformed = [p for p in policies if not POLICY_ID.match(p)]
    if malformed:
        raise CatalogueError(f"{code}: Azure Policy definitions are named by their GUID, not {malformed[0]!r}")
    unknown = sorted(set(recommendations) - set(RECOMMENDATIONS))
    if unknown:
        raise CatalogueError(f"{code}: unknown recommendation tag(s) {', '.join(unknown)}")
    if applies_to and resource_type not in RECORDS:
        raise CatalogueError(f"{code}: applies_to selects {', '.join(RECORDS)} records, not {resource_type}")

    def register(function: CheckFunction) -> CheckFunction:
        if code in _REGISTRY:
            raise CatalogueError(f"duplicate check code {code}")
        service = SERVICES[match.group("prefix")]
        # Names are unique within a service: the catalogue names the same bad state alike for
        # registries and vaults (`public-network-unrestricted`), and codes disambiguate.
        if any(c.meta.name == name and c.meta.service == service for c in _REGISTRY.values()):
            raise CatalogueError(f"duplicate check name {name} in {service} ({code})")
        meta = CheckMeta(
            code=code,
            name=name,
            title=title,
            severity=severity,
            service=service,
            resource_type=resource_type,
            requires=tuple(Dataset(d) for d in requires),
            recommendations=tuple(recommendations),
            mcsb=tuple(mcsb),
            policies=tuple(p.lower() for p in policies),
            applies_to=tuple(selector.label for selector in applies_to),
            docs=parse_docs(code, function.__doc__),
            origin=origin,
        )
        _REGISTRY[code] = Check(meta=meta, run=function, applies_to=tuple(applies_to))
        return function

    return register


def registered_codes() -> list[str]:
    return list(_REGISTRY)


def load() -> dict[str, Check]:
    """Import the catalogue package (which imports every check module) and the installed plugins,
    and return all checks: built-in ones by service then number, then custom ones."""
    global _plugins_loaded
    importlib.import_module(CHECKS_PACKAGE)
    if not _plugins_loaded:
        load_plugins(registered_codes, registering_as)
        _plugins_loaded = True
    order = list(SERVICES)

    def sort_key(code: str) -> tuple[bool, int, str]:
        match = CODE_PATTERN.match(code)
        assert match is not None
        return bool(match.group("org")), order.index(match.group("prefix")), code

    return {code: _REGISTRY[code] for code in sorted(_REGISTRY, key=sort_key)}


def _matches(code: str, patterns: Iterable[str]) -> bool:
    return any(code.startswith(p.strip().upper()) for p in patterns if p.strip())


def select(checks: dict[str, Check], include: Sequence[str] = (), exclude: Sequence[str] = ()) -> list[Check]:
    """The checks whose code starts with one of ``include`` (all when empty) and with none of
    ``exclude``. A pattern that matches no check is an error: a typo must not silently audit
    nothing. So is an empty pattern (``--select ""``, often an unset pipeline variable): it would
    select nothing and exit 0 on an audit that checked nothing."""
    for pattern in [*include, *exclude]:
        if not pattern.strip():
            option = "--select" if pattern in include else "--ignore"
            raise UsageError(f"{option} {pattern!r}: an empty check code; name a code or prefix, e.g. {option} ACR")
        if not _matches_any(checks, pattern):
            raise UsageError(f"no check code starts with {pattern!r}; see `azaudit checks`")
    chosen = [
        chk for code, chk in checks.items() if (not include or _matches(code, include)) and not _matches(code, exclude)
    ]
    if not chosen:
        raise UsageError("--select and --ignore leave no check to run; see `azaudit checks`")
    return chosen


def _matches_any(checks: dict[str, Check], pattern: str) -> bool:
    return any(_matches(code, [pattern]) for code in checks)
