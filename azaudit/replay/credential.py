"""A credential for replay: fixed fake tokens, no network, no secrets."""

from __future__ import annotations

import time
from typing import Any

from azure.core.credentials import AccessToken

REPLAY_TENANT_ID = "72f988bf-0000-4000-8000-00000000a0d1"


class ReplayCredential:
    """Issues an obviously fake bearer token valid for an hour."""

    def __init__(self) -> None:
        self.requests = 0

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.requests += 1
        return AccessToken("replay-token-not-a-secret", int(time.time()) + 3600)

    def close(self) -> None:
        pass
