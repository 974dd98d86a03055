"""One credential per run: build it from the chosen mode, share its tokens, check it early.

This is the only module that imports :mod:`azure.identity`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from azure.core.credentials import AccessToken, TokenCredential
from azure.core.exceptions import AzureError, ClientAuthenticationError

from azaudit.clouds import Cloud
from azaudit.errors import AuthError
from azaudit.runconfig import AuthMode
from azaudit.sign_in import SignInTransport, keeps_own_transport

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
    transport: SignInTransport | None = None,
) -> TokenCredential:
    """The azure-identity credential for ``mode``. ``notify`` shows the device-code prompt.
    ``transport`` carries its sign-in requests (:mod:`azaudit.sign_in`: the run's TLS context, and
    only sign-in hosts); the az CLI signs in in its own process, and on Service Fabric the
    credential keeps azure-identity's transport."""
    import azure.identity as identity

    authority = cloud.authority_host
    sending: dict[str, Any] = {"transport": transport} if transport is not None and not keeps_own_transport() else {}
    if mode is AuthMode.CLI:
        return identity.AzureCliCredential(tenant_id=tenant_id or "")
    if mode is AuthMode.ENV:
        return identity.EnvironmentCredential(authority=authority, **sending)
    if mode is AuthMode.MSI:
        client_id = os.environ.get("AZURE_CLIENT_ID")
        return (
            identity.ManagedIdentityCredential(client_id=client_id, **sending)
            if client_id
            else identity.ManagedIdentityCredential(**sending)
        )
    if mode is AuthMode.DEVICE_CODE:

        def prompt(uri: str, code: str, _expires: Any) -> None:
            notify(f"To sign in, open {uri} and enter the code {code}")

        return identity.DeviceCodeCredential(
            tenant_id=tenant_id or "organizations", authority=authority, prompt_callback=prompt, **sending
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
            **sending,
        )
    return identity.DefaultAzureCredential(
        authority=authority,
        exclude_interactive_browser_credential=True,
        **({"tenant_id": tenant_id} if tenant_id else {}),
        **sending,
    )


@dataclass
class _Held:
    """A token shared by the run, and when to ask for its successor."""

    token: AccessToken
    refresh_at: float


class SharedTokenCredential:
    """Wraps a credential so that every client of the run shares one token per audience.

    azure-core caches a token per client pipeline; an audit builds hundreds of clients, and
    some credentials (the az CLI one) spawn a process per token. Here a token is requested once
    per (scopes, tenant, CAE) and renewed before it expires:

    - when it is due: five minutes before it expires, or halfway through its life for a token
      that lives less than ten minutes (a federated pipeline token near its end lives about a
      minute; renewing it five minutes ahead would mean renewing it for every request);
    - by one caller only (single flight): while that caller waits for the credential, the others
      go on with the current token, which is still valid; only a token that has expired (or none
      yet) makes callers wait, and then for one request to the credential, not one each;
    - a renewal that fails while the current token is still valid is tried again a little later,
      and the current token is used meanwhile.

    Claims challenges bypass the cache. ``acquired`` counts the requests made to the credential
    per audience (``--verbose`` shows them).
    """

    REFRESH_MARGIN_SECONDS = 300
    # A token this close to its expiry is not handed out: a request could outlive it.
    EXPIRY_SKEW_SECONDS = 5
    RETRY_FAILED_REFRESH_SECONDS = 10
    MIN_RENEWAL_INTERVAL_SECONDS = 1

    def __init__(self, inner: TokenCredential, clock: Callable[[], float] = time.time) -> None:
        self._inner = inner
        self._clock = clock
        self._held: dict[tuple[Any, ...], _Held] = {}
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
        held = self._held.get(key)
        now = self._clock()
        if held is not None and now < held.refresh_at:
            return held.token
        if held is not None and self._usable(held.token, now):
            # Due, still valid: one caller renews, the others keep the current token meanwhile.
            if not lock.acquire(blocking=False):
                return held.token
            try:
                return self._renew(key, scopes, tenant_id, enable_cae, kwargs, fallback=held)
            finally:
                lock.release()
        with lock:  # none yet, or expired: wait for the one caller that asks the credential
            held = self._held.get(key)
            now = self._clock()
            if held is not None and (now < held.refresh_at or self._usable(held.token, now)):
                return held.token
            return self._renew(key, scopes, tenant_id, enable_cae, kwargs, fallback=None)

    def _usable(self, token: AccessToken, now: float) -> bool:
        return token.expires_on - self.EXPIRY_SKEW_SECONDS > now

    def _renew(
        self,
        key: tuple[Any, ...],
        scopes: tuple[str, ...],
        tenant_id: str | None,
        enable_cae: bool,
        kwargs: dict[str, Any],
        fallback: _Held | None,
    ) -> AccessToken:
        current = self._held.get(key)
        if fallback is not None and current is not fallback:
            return current.token if current is not None else fallback.token  # renewed meanwhile
        started = self._clock()
        try:
            token = self._acquire(scopes, tenant_id=tenant_id, enable_cae=enable_cae, **kwargs)
        except Exception:
            if fallback is None:
                raise
            fallback.refresh_at = min(started + self.RETRY_FAILED_REFRESH_SECONDS, fallback.token.expires_on)
            return fallback.token
        lifetime = max(0.0, token.expires_on - started)
        refresh_at = token.expires_on - min(self.REFRESH_MARGIN_SECONDS, lifetime / 2)
        # A credential that answers with a token about to expire is not asked again at once.
        refresh_at = max(refresh_at, started + self.MIN_RENEWAL_INTERVAL_SECONDS)
        self._held[key] = _Held(token=token, refresh_at=refresh_at)
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
    except AzureError as exc:  # the sign-in service could not be reached, or answered unusably
        raise AuthError(
            f"could not authenticate ({mode.value}): the sign-in failed ({type(exc).__name__}: "
            f"{first_line(exc.message or '')}); {HINTS[mode]}"
        ) from None
