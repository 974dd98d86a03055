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
from importlib.metadata import EntryPoint, entry_points

from azaudit import catalogue
from azaudit.errors import AzauditError

GROUP = "azaudit.checks"
DISABLE_VARIABLE = "AZAUDIT_NO_PLUGINS"


class PluginError(AzauditError):
    """An installed check plugin could not be loaded."""


def _origin(entry: EntryPoint) -> str:
    dist = entry.dist
    return f"{dist.name} {dist.version}" if dist is not None else entry.value


def _load(entry: EntryPoint) -> None:
    origin = _origin(entry)
    advice = f"fix or uninstall it, or set {DISABLE_VARIABLE}=1 to run the built-in checks only"
    before = set(catalogue.registered_codes())
    try:
        with catalogue.registering_as(origin):
            entry.load()
    except Exception as exc:  # any failure of third-party code: name it, never a traceback
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise PluginError(
            f"the check plugin {entry.name!r} ({origin}) could not be loaded: {detail}; {advice}"
        ) from exc
    if not set(catalogue.registered_codes()) - before:
        raise PluginError(
            f"the check plugin {entry.name!r} ({origin}) registered no check: its entry point "
            f"{entry.value!r} must name the module that defines them; {advice}"
        )


def load_plugins() -> None:
    """Load every installed plugin, in the order of their entry-point names."""
    if os.environ.get(DISABLE_VARIABLE, "").strip() not in ("", "0"):
        return
    for entry in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        _load(entry)
