"""One credential per run: build it from the chosen mode, share its tokens, check it early.

This is the only module that imports :mod:`azure.identity`.
"""

from __future__ import annotations

import enum
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from azure.core.credentials import AccessToken, TokenCredential
from azure.core.exceptions import ClientAuthenticationError

from azaudit.clouds import Cloud
from azaudit.errors import AuthError


class AuthMode(enum.Enum):
    DEFAULT = "default"  # DefaultAzureCredential: environment, workload identity, managed identity, az CLI...
    CLI = "cli"  # the account of `az login`
    ENV = "env"  # a service principal from AZURE_CLIENT_ID / AZURE_TENANT_ID / AZURE_CLIENT_SECRET
    MSI = "msi"  # the managed identity of the machine
    DEVICE_CODE = "device-code"  # an interactive sign-in on another device
    PIPELINES = "pipelines"  # an Azure Pipelines service connection with workload identity federation


HINTS: dict[AuthMode, str] = {
    AuthMode.DEFAULT: "run `az login`, or set AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET, "
    "or pick a mode with --auth",
    AuthMode.CLI: "run `az login` (add --tenant TENANT when the subscriptions live in another tenant)",
    AuthMode.ENV: "set AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET "
    "(or AZURE_CLIENT_CERTIFICATE_PATH) for the service principal",
    AuthMode.MSI: "run on an Azure host with a managed identity, and set AZURE_CLIENT_ID for a user-assigned one",
    AuthMode.DEVICE_CODE: "complete the sign-in at the address shown, within the time it gives",
    AuthMode.PIPELINES: "run inside an AzureCLI@2 or similar task bound to a workload-identity service "
    "connection, with SYSTEM_ACCESSTOKEN and AZURESUBSCRIPTION_* variables mapped",
}

PIPELINE_VARIABLES = (
    "AZURESUBSCRIPTION_TENANT_ID",
    "AZURESUBSCRIPTION_CLIENT_ID",
    "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID",
    "SYSTEM_ACCESSTOKEN",
)


def build_credential(
    mode: AuthMode,
    cloud: Cloud,
    tenant_id: str | None,
    notify: Callable[[str], None],
) -> TokenCredential:
    """The azure-identity credential for ``mode``. ``notify`` shows the device-code prompt."""
    import azure.identity as identity

    authority = cloud.authority_host
    if mode is AuthMode.CLI:
        return identity.AzureCliCredential(tenant_id=tenant_id or "")
    if mode is AuthMode.ENV:
        return identity.EnvironmentCredential(authority=authority)
    if mode is AuthMode.MSI:
        client_id = os.environ.get("AZURE_CLIENT_ID")
        return (
            identity.ManagedIdentityCredential(client_id=client_id)
            if client_id
            else identity.ManagedIdentityCredential()
        )
    if mode is AuthMode.DEVICE_CODE:

        def prompt(uri: str, code: str, _expires: Any) -> None:
            notify(f"To sign in, open {uri} and enter the code {code}")

        return identity.DeviceCodeCredential(
            tenant_id=tenant_id or "organizations", authority=authority, prompt_callback=prompt
        )
    if mode is AuthMode.PIPELINES:
        missing = [name for name in PIPELINE_VARIABLES if not os.environ.get(name)]
        if missing:
            raise AuthError(f"--auth pipelines needs {', '.join(missing)}: {HINTS[mode]}")
        return identity.AzurePipelinesCredential(
            tenant_id=tenant_id or os.environ["AZURESUBSCRIPTION_TENANT_ID"],
            client_id=os.environ["AZURESUBSCRIPTION_CLIENT_ID"],
            service_connection_id=os.environ["AZURESUBSCRIPTION_SERVICE_CONNECTION_ID"],
            system_access_token=os.environ["SYSTEM_ACCESSTOKEN"],
            authority=authority,
        )
    return identity.DefaultAzureCredential(
        authority=authority,
        exclude_interactive_browser_credential=True,
        **({"tenant_id": tenant_id} if tenant_id else {}),
    )


class SharedTokenCredential:
    """Wraps a credential so that every client of the run shares one token per audience.

    azure-core caches a token per client pipeline; an audit builds hundreds of clients, and
    some credentials (the az CLI one) spawn a process per token. Here a token is requested once
    per (scopes, tenant, CAE) and renewed five minutes before it expires, under a lock so that
    concurrent clients never request it twice. Claims challenges bypass the cache.
    """

    REFRESH_MARGIN_SECONDS = 300

    def __init__(self, inner: TokenCredential, clock: Callable[[], float] = time.time) -> None:
        self._inner = inner
        self._clock = clock
        self._tokens: dict[tuple[Any, ...], AccessToken] = {}
        self._locks: dict[tuple[Any, ...], threading.Lock] = {}
        self._guard = threading.Lock()
        self.acquired: dict[str, int] = {}  # audience → tokens requested from the inner credential

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        if claims:
            return self._acquire(scopes, claims=claims, tenant_id=tenant_id, enable_cae=enable_cae, **kwargs)
        key = (scopes, tenant_id, enable_cae)
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            token = self._tokens.get(key)
            if token is None or token.expires_on - self.REFRESH_MARGIN_SECONDS <= self._clock():
                token = self._acquire(scopes, tenant_id=tenant_id, enable_cae=enable_cae, **kwargs)
                self._tokens[key] = token
            return token

    def _acquire(self, scopes: tuple[str, ...], **kwargs: Any) -> AccessToken:
        audience = " ".join(scopes)
        with self._guard:
            self.acquired[audience] = self.acquired.get(audience, 0) + 1
        kwargs = {k: v for k, v in kwargs.items() if v is not None and v is not False}
        return self._inner.get_token(*scopes, **kwargs)

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if callable(close):
            close()


def first_line(message: str) -> str:
    text = " ".join(message.split("\n", 1)[0].split())
    return text if len(text) <= 300 else text[:297] + "..."


def verify_credential(credential: TokenCredential, cloud: Cloud, mode: AuthMode) -> None:
    """Ask for the ARM token once, before any collection, so a missing or expired login is one
    clear line instead of a hundred failed requests."""
    try:
        credential.get_token(cloud.arm_scope)
    except ClientAuthenticationError as exc:
        raise AuthError(
            f"could not authenticate ({mode.value}): {first_line(exc.message or str(exc))}; {HINTS[mode]}"
        ) from None
    except ValueError as exc:  # azure-identity raises ValueError for malformed settings
        raise AuthError(f"could not authenticate ({mode.value}): {first_line(str(exc))}; {HINTS[mode]}") from None
