"""Every vault's data-plane client shares one generated Key Vault client (azaudit/clients.py):
its pipeline does not depend on the vault, and building one per vault cost about 0.34 ms of CPU
each (2,500 vaults at 10,000 resources). What does depend on the vault stays the vault's own: its
URL, and the challenge policy of its lean sender, which learns the vault's tenant and holds the
token for it. A vault never receives a token asked for another vault's tenant."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
from azure.core.credentials import AccessToken
from azure.keyvault.secrets._shared import http_challenge_cache
from requests.adapters import BaseAdapter

from azaudit.backend import guarded_transport
from azaudit.clients import Clients
from azaudit.clouds import CLOUDS, CloudName
from azaudit.collect.vault_pipeline import lean_pipeline, list_secrets
from azaudit.runconfig import RunConfig
from tests.conftest import scripted_response

TENANTS = {
    "alpha": "00000000-0000-0000-0000-0000000000a1",
    "beta": "00000000-0000-0000-0000-0000000000b2",
}


class Vaults(BaseAdapter):
    """Each vault answers a request without a token with its challenge (naming its tenant), and
    one with a token with an empty secret list; it notes the tokens it receives."""

    def __init__(self) -> None:
        super().__init__()
        self.received: dict[str, list[str]] = {name: [] for name in TENANTS}

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        name = str(request.url).split("//", 1)[1].split(".", 1)[0]
        token = request.headers.get("Authorization")
        if token is None:
            challenge = (
                f'Bearer authorization="https://login.microsoftonline.com/{TENANTS[name]}", '
                'resource="https://vault.azure.net"'
            )
            return scripted_response(request, 401, {}, {"WWW-Authenticate": challenge})
        self.received[name].append(token)
        return scripted_response(request, 200, {"value": []}, {"Content-Type": "application/json"})

    def close(self) -> None:
        pass


class ByTenant:
    """A credential whose token names the tenant it was asked for."""

    def get_token(self, *scopes: str, tenant_id: str | None = None, **kwargs: Any) -> AccessToken:
        return AccessToken(f"for-{tenant_id}", 4_102_444_800)


def test_vaults_share_a_pipeline_and_each_keeps_its_own_tenants_token(tmp_path: Path) -> None:
    http_challenge_cache.clear()
    adapter = Vaults()
    session = requests.Session()
    session.mount("https://", adapter)
    transport = guarded_transport(RunConfig(working_directory=tmp_path), session)
    clients = Clients(ByTenant(), CLOUDS[CloudName.PUBLIC], transport, retry={"retry_total": 0})  # type: ignore[arg-type]
    alpha, beta = (clients.secrets(f"https://{name}.vault.azure.net/") for name in TENANTS)

    assert alpha._client is beta._client  # one pipeline for every vault
    assert (alpha.vault_url, beta.vault_url) == ("https://alpha.vault.azure.net", "https://beta.vault.azure.net")
    assert lean_pipeline(alpha)._auth is not lean_pipeline(beta)._auth  # type: ignore[attr-defined]

    for _ in range(2):  # in turn: a policy shared between them would send one's token to the other
        assert list_secrets(alpha) == [] and list_secrets(beta) == []
    assert adapter.received == {name: [f"Bearer for-{tenant}"] * 2 for name, tenant in TENANTS.items()}
    http_challenge_cache.clear()
