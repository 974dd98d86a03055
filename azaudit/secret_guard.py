"""Refuse, before it leaves the process, any request that could return a secret value.

azaudit is read-only and never reads a secret. This guard sits in the one transport every client
uses, in every mode (live, replay, benchmark), so no code path can read a value by mistake:

- only ``GET`` requests are sent (``POST`` is allowed for the Resource Graph query endpoint alone,
  which reads inventory), so no ``listCredentials``, ``listKeys``, ``regenerate``, ``exec`` or
  other action can run;
- Key Vault data-plane reads of one secret (``GET /secrets/{name}`` and
  ``/secrets/{name}/{version}``) are refused, while listing metadata (``/secrets``,
  ``/secrets/{name}/versions``) is allowed;
- the ARM read of one secret (``…/vaults/{vault}/secrets/{name}``) is refused; the list is
  metadata only;
- container logs are refused: they can carry anything a program printed.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from azaudit.errors import SecretReadRefusedError

_DATA_PLANE_SECRET = re.compile(r"^/(deleted)?secrets/[^/]+(/(?!versions/?$)[^/]+)?/?$", re.IGNORECASE)
_ARM_SECRET = re.compile(r"/providers/microsoft\.keyvault/vaults/[^/]+/secrets/[^/]+/?$", re.IGNORECASE)
_CONTAINER_LOGS = re.compile(r"/containers/[^/]+/logs/?$", re.IGNORECASE)
_RESOURCE_GRAPH = re.compile(r"^/providers/microsoft\.resourcegraph/resources/?$", re.IGNORECASE)


def refusal(method: str, url: str, vault_suffixes: tuple[str, ...]) -> str | None:
    """Why this request must not be sent, or None when it is safe."""
    parts = urlsplit(url)
    path = unquote(parts.path)
    host = (parts.hostname or "").lower()
    verb = method.upper()
    if verb not in ("GET", "HEAD") and not (verb == "POST" and _RESOURCE_GRAPH.match(path)):
        return f"azaudit only reads: {verb} is not allowed"
    if any(host.endswith("." + suffix) for suffix in vault_suffixes) and _DATA_PLANE_SECRET.match(path):
        return "reading a Key Vault secret value is never allowed"
    if _ARM_SECRET.search(path):
        return "reading one Key Vault secret through ARM is never allowed (the list gives metadata)"
    if _CONTAINER_LOGS.search(path):
        return "container logs may hold secrets and are never read"
    return None


def enforce(method: str, url: str, vault_suffixes: tuple[str, ...]) -> None:
    reason = refusal(method, url, vault_suffixes)
    if reason:
        safe = urlsplit(url)._replace(query="").geturl()
        raise SecretReadRefusedError(f"refused {method.upper()} {safe}: {reason}")
