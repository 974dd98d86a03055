"""The Key Vault data plane's secret list as JSON, through a lean sender of the vault's
``SecretClient``, beside the client's full pipeline.

``SecretClient.list_properties_of_secrets`` runs thirteen azure-core policies for every page, parses
each body twice (its decoding policy, then the pager) and builds two SDK models per secret. This
sends the same ``GET {vault}/secrets?api-version=...`` and its ``nextLink`` pages through a sender
built from the client's own configuration, as :mod:`~azaudit.transport.lean_sender` does for ARM:

- the client's request id and user agent: the same headers;
- redirects, and the removal of the bearer token from a redirect to another host;
- retries with the client's settings (the run's);
- the client's own Key Vault challenge policy (a copy: a policy holds the next step of its
  sender), so the vault's ``401`` challenge, the tenant and resource it names (checked against the
  vault's host, as the SDK checks it), the process-wide challenge cache that
  :mod:`~azaudit.collect.vault_challenge` seeds, and the run's credential work exactly as in the SDK;
- the client's transport: the run's guarded transport, so the host allow-list, the secret guard
  (no ``GET /secrets/{name}``, ever), the ``Retry-After`` cap, the deadline and paging-loop
  detection apply to every page.

Left out: the response's decoding (the body is parsed once, here), the proxy policy (proxies are the
session's), custom hooks, and the HTTP logging and tracing policies (no tracer, no library record
below a warning). Only the secret list is read this way: it is metadata, and nothing here can ask
for anything else (the paths are fixed, a ``nextLink`` must stay on the vault's own host).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import SplitResult, urlsplit

from azure.core.pipeline.policies import RequestIdPolicy

from azaudit.collect.arm import follow_next_links, get_request, json_answer
from azaudit.collect.tasks import UnusableShape
from azaudit.secret_guard import normalised_path
from azaudit.transport.lean_sender import LeanSender, assemble, cached

WHAT = "secrets.list"


def lean_pipeline(client: Any) -> LeanSender:
    """The lean sender of a ``SecretClient`` (built once per client)."""
    return cached(client, _build)


def _build(client: Any) -> LeanSender:
    generated = client._client  # the generated KeyVaultClient behind the SecretClient
    # Every vault's client shares one generated client (azaudit/clients.py), so its senders differ
    # only by their challenge policy: each is the shared one's with a policy of its own (a sender
    # built in full cost about 33 us of CPU a vault, its policies copied and wrapped again).
    # The client's own challenge policy (a vault's 401 names its tenant and resource) is copied:
    # one instance serves one sender, and it keeps the vault's token.
    return cached(generated, _shared).with_auth(copy.copy(generated._config.authentication_policy))


def _shared(generated: Any) -> LeanSender:
    """The sender every vault's is made from: the generated client's request id, headers, user
    agent, redirect and retry, over its transport (the run's guarded one)."""
    config = generated._config
    first = [RequestIdPolicy(), config.headers_policy]
    return assemble(config, generated._client._pipeline, first, copy.copy(config.authentication_policy))


def list_secrets(client: Any) -> list[Mapping[str, Any]]:
    """Every item of the vault's secret list (``GET {vault}/secrets``), then each ``nextLink`` in
    turn with the client's API version, as the SDK's pager follows it. A page that fails, a
    ``nextLink`` that is not a string or leads off the vault's host or its secret list (the guard
    below refuses a secret's value anyway), or more than ``arm.MAX_PAGES`` pages fail the whole list: a
    partial list is never judged."""
    vault = urlsplit(client.vault_url)

    def vet(parts: SplitResult, link: str) -> None:
        if not _same_origin(parts, vault):
            raise UnusableShape(f"the nextLink of the {WHAT} answer leads to {_shown(parts)}, not the vault's own host")
        if normalised_path(link).rstrip("/").lower() != "/secrets":
            raise UnusableShape(f"the nextLink of the {WHAT} answer leads to another route than the secret list")

    body = _get(client, f"{client.vault_url}/secrets", {})
    return follow_next_links(body, WHAT, lambda url, query: _get(client, url, query), vet)


def _same_origin(link: Any, vault: Any) -> bool:
    """Whether a link is ``https`` on the vault's host and port (443 written or not: Key Vault
    writes ``:443`` in its links)."""
    try:
        ports = (link.port or 443, vault.port or 443)
    except ValueError:  # a port that is not a number
        return False
    return (
        link.scheme.lower() == "https"
        and (link.hostname or "") == (vault.hostname or "")
        and ports[0] == ports[1]
        and not link.username
        and not link.password
    )


def _shown(link: Any) -> str:
    """Where a link leads, in words: its origin when it is plain (the link is the answer's, so
    anything else is not quoted)."""
    origin = f"{link.scheme}://{link.netloc.rpartition('@')[2]}".lower()  # never its user or password
    return origin if re.fullmatch(r"[a-z][a-z0-9+.-]{0,15}://[a-z0-9.:-]{1,253}", origin) else "an unusual address"


def _get(client: Any, url: str, params: dict[str, str]) -> Any:
    # the client's API version on every page, as the SDK sends it; values quoted as the SDK does
    request = get_request(url, {**params, "api-version": client.api_version})
    # json_answer raises the statuses the SDK's operation maps (401, 404, 409, 304) as it does, any
    # other as HttpResponseError carrying Key Vault's {"error": {"code", "message"}}.
    return json_answer(lean_pipeline(client).run(request, stream=False).http_response)
