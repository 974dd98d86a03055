"""A credential for replay: fixed fake tokens, no network, no secrets."""

from __future__ import annotations

import time
from typing import Any

from azure.core.credentials import AccessToken

REPLAY_TENANT_ID = "72f988bf-0000-4000-8000-00000000a0d1"


def replay_token(tenant_id: str | None) -> str:
    """The fake bearer token of ``tenant_id``: it names its tenant so that replayed Key Vault can
    refuse a token of the wrong tenant, as the service does."""
    return f"replay-token-not-a-secret;tenant={tenant_id or REPLAY_TENANT_ID}"


class ReplayCredential:
    """Issues an obviously fake bearer token valid for an hour."""

    def __init__(self) -> None:
        self.requests = 0

    def get_token(self, *scopes: str, tenant_id: str | None = None, **kwargs: Any) -> AccessToken:
        self.requests += 1
        return AccessToken(replay_token(tenant_id), int(time.time()) + 3600)

    def close(self) -> None:
        pass
