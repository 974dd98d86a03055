"""The transport of azure-identity's sign-in traffic: the run's TLS context, and only sign-in hosts.

Left to itself, each azure-identity credential sends its token requests through a
``RequestsTransport`` of its own, which trusts certifi's bundle (or ``REQUESTS_CA_BUNDLE``) and
not the machine's trust store: behind a TLS-inspecting proxy whose CA is installed on the machine,
the audit's ARM traffic works and its sign-in fails. :class:`SignInTransport` sends it over a
session of the run (:func:`azaudit.transport.network_session`: the run's one TLS context, the
proxy variables read once) and refuses, before anything is sent, a request to any host but:

- the audited cloud's sign-in host (``login.microsoftonline.com`` and its sovereign equivalents),
  and ``login.microsoftonline.com`` itself, where MSAL looks up the other clouds' instances;
- the endpoints the machine names for a managed identity, a workload identity or an Azure
  Pipelines service connection: ``IDENTITY_ENDPOINT``, ``MSI_ENDPOINT``, ``IMDS_ENDPOINT``,
  ``AZURE_POD_IDENTITY_AUTHORITY_HOST``, ``AZURE_AUTHORITY_HOST``, ``SYSTEM_OIDCREQUESTURI``
  (scheme, host and port as written there), and the instance metadata service
  (``http://169.254.169.254``);

so a client secret, a certificate assertion or a federated token goes nowhere else.

Service Fabric's managed identity endpoint presents a certificate that azure-identity checks by
thumbprint, with TLS verification off: azaudit never turns verification off, so on Service Fabric
(``IDENTITY_SERVER_THUMBPRINT`` set) the credential keeps azure-identity's own transport.
"""

from __future__ import annotations

import os
import re
import threading
from typing import Any
from urllib.parse import urlsplit

from azure.core.pipeline.transport import HttpTransport, RequestsTransport

from azaudit.clouds import Cloud
from azaudit.errors import ForeignHostError
from azaudit.transport import network_session, requests_transport

# What azure-identity reads to find a sign-in endpoint other than the cloud's authority.
ENDPOINT_VARIABLES = (
    "IDENTITY_ENDPOINT",
    "MSI_ENDPOINT",
    "IMDS_ENDPOINT",
    "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    "AZURE_AUTHORITY_HOST",
    "SYSTEM_OIDCREQUESTURI",
)
INSTANCE_METADATA = ("http", "169.254.169.254", 80)
GLOBAL_AUTHORITY = "login.microsoftonline.com"
# Pooled connections per sign-in host: token requests are few (one per audience, renewed hourly).
POOL_SIZE = 4

Origin = tuple[str, str, int]


# The authority part a sign-in address may have: a host name or IP address and a port, nothing
# else. A user name, a backslash or a control character is where parsers disagree:
# ``https://evil.example\@login.microsoftonline.com/`` is login.microsoftonline.com to urlsplit
# and evil.example to urllib3, which requests connects to.
_PLAIN_AUTHORITY = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]*)?")


def _origin(url: str) -> Origin | None:
    """(scheme, host, port) of ``url``; a bare host name (as AZURE_AUTHORITY_HOST may be) is https.
    None for an address whose authority is more than a host and a port (see :data:`_PLAIN_AUTHORITY`)."""
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        return None
    parts = urlsplit(url if "://" in url else f"https://{url}")
    if _PLAIN_AUTHORITY.fullmatch(parts.netloc) is None:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    return scheme, parts.hostname.rstrip(".").lower(), port or (443 if scheme == "https" else 80)


def allowed_origins(cloud: Cloud, environ: dict[str, str] | None = None) -> frozenset[Origin]:
    """Where sign-in requests may go for ``cloud`` on this machine (see the module docstring)."""
    environ = dict(os.environ) if environ is None else environ
    found: set[Origin] = {
        ("https", cloud.authority_host.lower(), 443),
        ("https", GLOBAL_AUTHORITY, 443),
        INSTANCE_METADATA,
    }
    for variable in ENDPOINT_VARIABLES:
        value = (environ.get(variable) or "").strip()
        origin = _origin(value) if value else None
        if origin is not None:
            found.add(origin)
    return frozenset(found)


def keeps_own_transport(environ: dict[str, str] | None = None) -> bool:
    """Service Fabric's managed identity (see the module docstring)."""
    environ = dict(os.environ) if environ is None else environ
    return bool(environ.get("IDENTITY_SERVER_THUMBPRINT"))


class SignInTransport(HttpTransport):  # type: ignore[misc,type-arg]
    """azure-identity's transport for one run: every credential of the run shares it."""

    def __init__(self, cloud: Cloud, origins: frozenset[Origin] | None = None) -> None:
        self._origins = allowed_origins(cloud) if origins is None else origins
        self._lock = threading.Lock()
        self._inner: RequestsTransport | None = None
        self._pid = 0

    def _transport(self) -> RequestsTransport:
        # A forked collection process renewing a token opens its own connections: pooled sockets
        # are never shared across a fork.
        with self._lock:
            if self._inner is None or self._pid != os.getpid():
                self._inner = requests_transport(network_session(POOL_SIZE))
                self._pid = os.getpid()
            return self._inner

    def send(self, request: Any, **kwargs: Any) -> Any:
        origin = _origin(str(request.url))
        if origin is None or origin not in self._origins:
            host = origin[1] if origin is not None else "an unusable address"
            raise ForeignHostError(
                f"refused to send a sign-in request to {host}: azaudit signs in only at the cloud's sign-in "
                "host or an identity endpoint the machine names"
            )
        return self._transport().send(request, **kwargs)

    def open(self) -> None:
        pass

    def close(self) -> None:
        # Shared by every credential of the run (DefaultAzureCredential's chain closes it once per
        # member): only the run closes it (see :meth:`shutdown`).
        pass

    def shutdown(self) -> None:
        with self._lock:
            inner, self._inner = self._inner, None
        if inner is not None:
            inner.close()

    def __enter__(self) -> SignInTransport:
        return self

    def __exit__(self, *args: Any) -> None:
        pass
