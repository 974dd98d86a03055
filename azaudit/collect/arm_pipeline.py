"""A lean pipeline for the ARM reads azaudit sends itself (:func:`~azaudit.collect.arm.arm_get`,
:func:`~azaudit.collect.arm.arm_list`), beside each management client's full one.

A generated management client runs fourteen azure-core policies for every request. For a GET whose
answer azaudit reads as JSON, this pipeline keeps each policy that changes what is sent or what
comes of it, built from the client's own configuration:

- the client's request id (``x-ms-client-request-id``) and user agent: the same headers;
- redirects, and the removal of the bearer token from a redirect to another host;
- retries with the client's settings (the run's: ``Retry-After`` honoured, the waits made and
  capped by the guarded transport);
- ARM bearer authentication with the client's credential (the run's shared one) and scopes,
  continuous access evaluation challenges included;
- the client's transport: the run's guarded transport, so the host allow-list, the secret guard,
  the ``Retry-After`` cap, the deadline and paging-loop detection apply as to every request.

Left out: the response's decoding into JSON (``arm_get`` parsed every body a second time), the
automatic registration of a resource provider (a ``POST``, which the secret guard refuses and which
ended the run: a ``409 MissingSubscriptionRegistration`` is now Azure's error for that read alone),
the proxy policy (proxies are the session's), custom hooks, and the HTTP logging and tracing
policies (azaudit configures no tracer, and shows no library record below a warning).
"""

from __future__ import annotations

import copy
import threading
import weakref
from collections.abc import Callable
from typing import Any

from azure.core.pipeline import Pipeline
from azure.core.pipeline.policies import RequestIdPolicy, SensitiveHeaderCleanupPolicy
from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy

_lock = threading.Lock()
_pipelines: weakref.WeakKeyDictionary[Any, Pipeline[Any, Any]] = weakref.WeakKeyDictionary()


def lean_pipeline(client: Any) -> Pipeline[Any, Any]:
    """The lean pipeline of a generated management ``client`` (built once per client)."""
    return cached(client, _build)


def cached(client: Any, build: Callable[[Any], Pipeline[Any, Any]]) -> Pipeline[Any, Any]:
    """``build(client)``, made once per client (clients live as long as the run)."""
    with _lock:
        pipeline = _pipelines.get(client)
        if pipeline is None:
            pipeline = _pipelines[client] = build(client)
        return pipeline


def assemble(config: Any, full: Pipeline[Any, Any], first: list[Any], auth: Any) -> Pipeline[Any, Any]:
    """A lean pipeline from a generated client's ``config`` and ``full`` pipeline: the ``first``
    (header) policies, the client's user agent, redirect and retry, the ``auth`` policy, the
    header cleanup, and the full pipeline's transport (the run's guarded one)."""
    # The full pipeline's transport is the run's guarded transport, behind azure-core's runner.
    transport = getattr(full._transport, "_sender", full._transport)
    policies = [
        *first,
        config.user_agent_policy,
        # Policies that send (and hold the next one) are copied: one instance serves one pipeline.
        copy.copy(config.redirect_policy),
        copy.copy(config.retry_policy),
        auth,
        SensitiveHeaderCleanupPolicy(),
    ]
    return Pipeline(transport=transport, policies=policies)


def _build(client: Any) -> Pipeline[Any, Any]:
    config = client._config
    first = [getattr(config, "request_id_policy", None) or RequestIdPolicy()]
    auth = ARMChallengeAuthenticationPolicy(config.credential, *config.credential_scopes)
    return assemble(config, client._client._pipeline, first, auth)


def send(client: Any, request: Any) -> Any:
    """Send ``request`` (an ``azure.core.rest.HttpRequest``) through ``client``'s lean pipeline
    and return its response, its body not decoded."""
    return lean_pipeline(client).run(request, stream=False).http_response
