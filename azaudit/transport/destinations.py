"""The hosts a request may go to: the audited cloud's ARM host, its Key Vault hosts and the login
servers of the audited registries, over HTTPS on the default port."""

from __future__ import annotations

import functools
import re
from urllib.parse import SplitResult, urlsplit

from azaudit.clouds import Cloud


def destination_refusal(
    url: str,
    cloud: Cloud,
    registries: frozenset[str] = frozenset(),
    *,
    parts: SplitResult | None = None,
    host: str | None = None,
) -> str | None:
    """Why ``url`` is not a place azaudit sends requests (and its bearer token) to, or None.

    Allowed: ``https`` on the default port to the cloud's ARM host, or to one vault host under
    its Key Vault suffix (``kv-name.vault.azure.net``; a trailing dot names the same host).
    Private-link names (``*.privatelink.vaultcore.azure.net``) are not allowed: azaudit reaches
    a vault through the ``vaultUri`` ARM gives, which is always the public name (DNS takes it to
    the private endpoint), so such a name could only come from an answer. ``registries`` are the
    login servers of the audited registries (see :func:`registry_host`): no other registry.
    ``parts`` (``urlsplit(url)``) and ``host`` (its host name, lower case, no trailing dot) are
    given by a caller that has them already.
    """
    if parts is None:
        parts = urlsplit(url)
    if host is None:
        host = (parts.hostname or "").rstrip(".").lower()
    arm_host = _host_of(cloud.arm_endpoint)
    # https, no user info, the default port: the usual case, decided without what only shapes a refusal
    usual = parts.scheme == "https" and "@" not in parts.netloc and ":" not in parts.netloc
    if usual and (host == arm_host or host in registries or _vault_host(host, cloud.vault_suffix)):
        return None
    where = f"{arm_host} or *.{cloud.vault_suffix}"
    # The host comes from an answer: shown only when it is a plain DNS name or address.
    shown = host if re.fullmatch(r"[a-z0-9.:-]{1,253}", host) else "a host with unusual characters"
    if parts.scheme.lower() != "https":
        return f"{shown} is not reached over https (azaudit talks only to {where})"
    if parts.username is not None or parts.password is not None:
        return "the address carries a user name or password"
    try:
        port = parts.port
    except ValueError:
        return "the address has a malformed port"
    if port not in (None, 443):
        return f"port {port} is not the https port (azaudit talks only to {where})"
    if host == arm_host or _vault_host(host, cloud.vault_suffix) or host in registries:
        return None
    named = shown if host else "an empty host"
    return f"{named} is neither the audited cloud's ARM host nor one of its key vaults ({where})"


@functools.lru_cache(maxsize=8)
def _host_of(endpoint: str) -> str:
    return (urlsplit(endpoint).hostname or "").lower()


def registry_host(login_server: str, cloud: Cloud) -> str | None:
    """The login server ARM reported for a registry, as a host the transport may reach: a
    registry name (5-50 letters and digits, as ACR allows) under the cloud's registry suffix; None
    for anything else (a login server is tenant-reported data)."""
    host = login_server.strip().rstrip(".").lower()
    name, dot, rest = host.partition(".")
    if dot and rest == cloud.registry_suffix and re.fullmatch(r"[a-z0-9]{5,50}", name):
        return host
    return None


def _vault_host(host: str, suffix: str) -> bool:
    name, dot, rest = host.partition(".")
    return bool(dot) and rest == suffix and _VAULT_NAME.fullmatch(name) is not None


_VAULT_NAME = re.compile(r"[a-z0-9-]{1,63}")
