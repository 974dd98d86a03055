"""Custom checks shipped by an organisation as an installed package.

A package declares an entry point in the ``azaudit.checks`` group naming a module; importing that
module registers its checks with :func:`azaudit.catalogue.check`, exactly as the built-in ones
do (one documented function per check, codes with the organisation's prefix)::

    [project.entry-points."azaudit.checks"]
    contoso = "contoso_azaudit_checks"

A plugin that cannot be loaded is an error, never a silent omission: an audit that quietly
lost the organisation's own checks would report a clean result it did not earn. Setting
``AZAUDIT_NO_PLUGINS=1`` runs the built-in catalogue alone.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from importlib.metadata import EntryPoint, entry_points

from azaudit.errors import AzauditError

# The catalogue's two hooks, passed in by :func:`azaudit.catalogue.load` (this module does not
# import the catalogue, which imports it): the codes registered so far, and a block whose checks
# come from a given origin.
RegisteredCodes = Callable[[], Iterable[str]]
RegisteringAs = Callable[[str], AbstractContextManager[None]]

GROUP = "azaudit.checks"
DISABLE_VARIABLE = "AZAUDIT_NO_PLUGINS"


class PluginError(AzauditError):
    """An installed check plugin could not be loaded."""


def _origin(entry: EntryPoint) -> str:
    dist = entry.dist
    return f"{dist.name} {dist.version}" if dist is not None else entry.value


def _load(entry: EntryPoint, registered_codes: RegisteredCodes, registering_as: RegisteringAs) -> None:
    origin = _origin(entry)
    advice = f"fix or uninstall it, or set {DISABLE_VARIABLE}=1 to run the built-in checks only"
    before = set(registered_codes())
    try:
        with registering_as(origin):
            entry.load()
    except Exception as exc:  # any failure of third-party code: name it, never a traceback
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise PluginError(
            f"the check plugin {entry.name!r} ({origin}) could not be loaded: {detail}; {advice}"
        ) from exc
    if not set(registered_codes()) - before:
        raise PluginError(
            f"the check plugin {entry.name!r} ({origin}) registered no check: its entry point "
            f"{entry.value!r} must name the module that defines them; {advice}"
        )


def load_plugins(registered_codes: RegisteredCodes, registering_as: RegisteringAs) -> None:
    """Load every installed plugin, in the order of their entry-point names, into the catalogue
    whose hooks are given."""
    if os.environ.get(DISABLE_VARIABLE, "").strip() not in ("", "0"):
        return
    for entry in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        _load(entry, registered_codes, registering_as)
