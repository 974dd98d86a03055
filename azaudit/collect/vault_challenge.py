"""Spare each vault the unauthenticated round trip Key Vault's challenge protocol starts with.

The Key Vault SDK does not know which tenant and audience a vault wants until the vault tells it:
its first request to every vault goes out without a token, comes back ``401`` with a
``WWW-Authenticate`` challenge, and only then is sent again with a bearer token. In an audit that
is one wasted round trip per vault (12 % of all requests on a typical tenant), and ARM has
already told us both answers: the vault's ``tenantId``, and the audience, which is fixed per cloud.

So before the first data-plane call to a vault we put the challenge the vault would send into the
SDK's process-wide challenge cache. This is safe by construction:

- only for ``https`` vault hosts under the audited cloud's Key Vault suffix, so the token can
  only go to Key Vault, which is the audience it is issued for;
- if the seed is wrong (the vault moved tenant, or answers for another audience), Key Vault
  answers ``401`` with its real challenge, and the SDK's policy re-runs the protocol from it and
  replaces the cached entry, exactly as it does for a vault that moved tenant mid-run;
- an entry the SDK already holds (learned from the vault itself) is never overwritten.

The cache lives in a private module of ``azure-keyvault-secrets``. If a future release moves it,
seeding turns itself off and the SDK runs the full protocol: one extra request per vault, nothing
else changes (``tests/test_vault_challenge.py`` notices the loss).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from azaudit.clouds import Cloud

_TENANT_ID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")

try:  # the SDK's own cache and challenge parser: private, so optional
    from azure.keyvault.secrets._shared import http_challenge_cache as _cache
    from azure.keyvault.secrets._shared.http_challenge import HttpChallenge as _HttpChallenge
except ImportError:  # pragma: no cover - depends on the installed SDK release
    _cache: Any = None  # type: ignore[no-redef]
    _HttpChallenge: Any = None  # type: ignore[no-redef]


def seeding_available() -> bool:
    """Whether the installed Key Vault SDK still exposes the challenge cache this module seeds."""
    return _cache is not None and _HttpChallenge is not None


def challenge_header(cloud: Cloud, tenant_id: str) -> str:
    """The ``WWW-Authenticate`` value a vault of ``tenant_id`` in ``cloud`` answers with."""
    return f'Bearer authorization="https://{cloud.authority_host}/{tenant_id}", resource="https://{cloud.vault_suffix}"'


def seed_vault_challenge(vault_uri: str, tenant_id: str, cloud: Cloud) -> bool:
    """Cache the challenge of the vault at ``vault_uri``; ``True`` when an entry was added."""
    if not seeding_available() or not _TENANT_ID.match(tenant_id or ""):
        return False
    parts = urlsplit(vault_uri)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not host.endswith("." + cloud.vault_suffix):
        return False
    url = f"https://{host}/"
    if _cache.get_challenge_for_url(url) is not None:
        return False
    try:
        _cache.set_challenge_for_url(url, _HttpChallenge(url, challenge_header(cloud, tenant_id)))
    except (ValueError, TypeError, AttributeError):  # pragma: no cover - an SDK release that changed the shapes
        return False
    return True
