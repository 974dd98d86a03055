"""A registry's data plane through ``azure-containerregistry``: tag and manifest metadata and the
OCI referrers of a digest, never content (the secret guard refuses blobs).

The SDK answers each request's ``401`` challenge by exchanging the run's Azure AD token for a
registry refresh token (``POST /oauth2/exchange``) and that for an access token of the challenge's
scope (``POST /oauth2/token``). As shipped it repeats the exchange for every request; here the
refresh token is exchanged once per registry per run (again only within five minutes of its
expiry) and each scope's access token is kept while valid. Tokens live in this object's memory
only: never logged, never recorded (``--record`` keeps no form body).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from azure.containerregistry import ContainerRegistryClient
from azure.containerregistry._exchange_client import ACRExchangeClient
from azure.containerregistry._helpers import _parse_challenge, _parse_exp_time
from azure.core.credentials import TokenCredential
from azure.core.rest import HttpRequest

from azaudit.transport import GuardedTransport

# Azure Container Registry's own Azure AD audience (accepted whatever the registry's
# azureADAuthenticationAsArmPolicy says, unlike the ARM audience).
AUDIENCE = "https://containerregistry.azure.net"
NOTARY_SIGNATURE = "application/vnd.cncf.notary.signature"
RENEW_BEFORE_SECONDS = 300
# A token whose expiry cannot be read (not a JWT) is kept this long.
UNREADABLE_EXPIRY_SECONDS = 600


def _expiry(token: str) -> float:
    try:
        exp = float(_parse_exp_time(token))
    except (ValueError, TypeError, UnicodeDecodeError):
        exp = 0.0
    now = time.time()
    return exp if exp > now else now + UNREADABLE_EXPIRY_SECONDS


class _OneExchange(ACRExchangeClient):  # type: ignore[misc]
    """The SDK's exchange client, with the refresh token exchanged once and access tokens kept."""

    def __init__(self, endpoint: str, credential: TokenCredential, **kwargs: Any) -> None:
        super().__init__(endpoint, credential, **kwargs)
        self._lock = threading.Lock()
        self._access: dict[str, tuple[str, float]] = {}
        self.exchanges = 0

    def get_refresh_token(self, service: str, **kwargs: Any) -> str:
        with self._lock:
            if not self._refresh_token or self._expiration_time - time.time() < RENEW_BEFORE_SECONDS:
                self._refresh_token = self.exchange_aad_token_for_refresh_token(service, **kwargs)
                self._expiration_time = _expiry(self._refresh_token)
                self.exchanges += 1
            return str(self._refresh_token)

    def get_acr_access_token(self, challenge: str, **kwargs: Any) -> str | None:
        scope = _parse_challenge(challenge).get("scope", "")
        with self._lock:
            kept = self._access.get(scope)
        if kept is not None and kept[1] - time.time() > RENEW_BEFORE_SECONDS:
            return kept[0]
        token: str | None = super().get_acr_access_token(challenge, **kwargs)
        if token:
            with self._lock:
                self._access[scope] = (token, _expiry(token))
        return token


class RegistryPlane:
    """The data-plane client of one audited registry, shared by the run's collector threads."""

    def __init__(
        self, login_server: str, credential: TokenCredential, transport: GuardedTransport, **retry: Any
    ) -> None:
        self.endpoint = f"https://{login_server}"
        scopes = [AUDIENCE + "/.default"]
        self.client = ContainerRegistryClient(
            self.endpoint, credential, audience=AUDIENCE, transport=transport, **retry
        )
        self.exchange = _OneExchange(self.endpoint, credential, credential_scopes=scopes, transport=transport, **retry)
        self.client._auth_policy._exchange_client = (
            self.exchange
        )  # exchanged once (module docstring)
        self.failure: str | None = None  # the first refusal: the registry's other images are not asked
        self.lock = threading.Lock()

    def signatures(self, repository: str, digest: str) -> int:
        """How many Notary Project signatures refer to ``digest`` (OCI 1.1 referrers API, which
        ACR serves; the ``artifactType`` filter is applied again here in case it is ignored)."""
        request = HttpRequest(
            "GET",
            f"{self.endpoint}/v2/{repository}/referrers/{digest}",
            params={"artifactType": NOTARY_SIGNATURE},
            headers={"Accept": "application/vnd.oci.image.index.v1+json"},
        )
        response = self.client._client.send_request(request)  # through its pipeline: the SDK has no referrers call
        response.raise_for_status()
        body = response.json()
        manifests = body.get("manifests") if isinstance(body, dict) else None
        if not isinstance(manifests, list):
            raise ValueError("the referrers answer holds no manifests list")
        return sum(1 for m in manifests if isinstance(m, dict) and m.get("artifactType") == NOTARY_SIGNATURE)
