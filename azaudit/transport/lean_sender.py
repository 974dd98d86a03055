"""A lean sender for the ARM reads azaudit sends itself (:func:`~azaudit.collect.arm.arm_get`,
:func:`~azaudit.collect.arm.arm_list`), beside the full pipeline of the run's ARM client
(:mod:`azaudit.arm_client`, configured as a generated management client configures its own).

That pipeline runs thirteen azure-core policies for every request. For a GET whose
answer azaudit reads as JSON, this sender does the work of each policy that changes what is sent or
what comes of it, in the same order, from the client's own configuration and policy objects:

- the client's request id (``x-ms-client-request-id``) and user agent: the same headers, set by the
  client's own header policies;
- redirects as the client's ``RedirectPolicy`` decides them (its statuses, methods and maximum), and
  the removal of the bearer token from a redirect to another host (``SensitiveHeaderCleanupPolicy``);
- retries as the client's ``RetryPolicy`` decides them (the run's settings: which statuses, the
  ``Retry-After`` honoured, exponential back-off, connection and read errors, the total count),
  waiting through the transport's ``sleep``, so the guarded transport's cap on waits applies;
- authentication by the client's own policy object (ARM bearer tokens with the run's credential and
  the client's scopes, continuous access evaluation challenges included; Key Vault's challenge
  policy for the vault's secret list);
- the client's transport: the run's guarded transport, so the host allow-list, the secret guard,
  the ``Retry-After`` cap, the deadline and paging-loop detection apply as to every request.

azure-core's ``Pipeline`` chains one policy object into the next and asks every one of them on every
request; most requests are answered ``200`` at once. This sender asks the redirect and retry policies
only about an answer they act on (a redirect status, a status of 400 or more, a transport error), so
a plain answer costs the header policies, the authentication policy and the transport alone.

Left out: the response's decoding into JSON (``arm_get`` parsed every body a second time), the
proxy policy (proxies are the session's), custom hooks, multipart bodies (azaudit sends none),
and the HTTP logging and tracing policies (azaudit configures no tracer, and shows no library record
below a warning).
"""

from __future__ import annotations

import copy
import functools
import itertools
import os
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, cast
from urllib.parse import urlparse

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    ResourceNotModifiedError,
    ServiceRequestError,
    TooManyRedirectsError,
    map_error,
)
from azure.core.pipeline import Pipeline, PipelineContext, PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import (
    HTTPPolicy,
    RedirectPolicy,
    RequestIdPolicy,
    RetryPolicy,
    SansIOHTTPPolicy,
    SensitiveHeaderCleanupPolicy,
    UserAgentPolicy,
)
from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy

from azaudit.transport.guarded import has_body
from azaudit.transport.rest_request import lacks

# What azure-core's transport runner removes from the options before they reach the transport.
_NOT_FOR_TRANSPORT = ("insecure_domain_change", "enable_cae", "tracing_options")


class LeanSender(Pipeline[Any, Any]):
    """Sends a request as azure-core's ``Pipeline`` of ``headers``, ``redirect``, ``retry``,
    ``auth`` and ``SensitiveHeaderCleanupPolicy`` over ``transport`` would (see the module
    docstring). ``headers`` are ``SansIOHTTPPolicy`` objects; ``auth`` is an ``HTTPPolicy``
    (its ``next`` is set here: one policy object serves one sender) or a ``SansIOHTTPPolicy``.
    A ``Pipeline`` for whoever holds one (its transport, ``with``), whose :meth:`run` is its own."""

    def __init__(
        self,
        transport: Any,
        headers: Sequence[Any],
        redirect: RedirectPolicy[Any, Any],
        retry: RetryPolicy[Any, Any],
        auth: Any,
    ) -> None:
        for policy in headers:
            if not isinstance(policy, SansIOHTTPPolicy):
                raise TypeError(f"{type(policy).__name__} is not a header (SansIOHTTPPolicy) policy")
        super().__init__(transport)
        self._headers = tuple(_lean_header(p) for p in headers)
        # Their answer and exception hooks, in the order a Pipeline calls them (the last first); the
        # header policies of the SDK have none.
        self._on_response = tuple(p for p in reversed(self._headers) if _overrides(p, "on_response"))
        self._on_exception = tuple(p for p in reversed(self._headers) if _overrides(p, "on_exception"))
        self._redirect = redirect
        self._retry = retry
        self._last = _ToTransport(transport, SensitiveHeaderCleanupPolicy())
        self._auth = self._chained(auth)

    def _chained(self, auth: Any) -> Any:
        if isinstance(auth, SansIOHTTPPolicy):
            auth = _SansIORunner(auth)
        auth.next = self._last
        return auth

    def with_auth(self, auth: Any) -> LeanSender:
        """A sender of the same header, redirect and retry policies over the same transport as this
        one, authenticated by ``auth`` (as the constructor takes it; its ``next`` is set here). The
        policies are shared as a ``Pipeline`` shares them between the threads that send through it:
        they keep a request's state in its own settings, never in themselves. Built at once, for
        the senders that differ only by their authentication (one per vault, ``vault_pipeline``)."""
        sender = LeanSender.__new__(LeanSender)
        vars(sender).update(vars(self))
        sender._auth = sender._chained(auth)
        return sender

    def run(self, request: Any, **options: Any) -> PipelineResponse[Any, Any]:
        """Send ``request`` (an ``azure.core.rest.HttpRequest``); its answer, as ``Pipeline.run``
        gives it. The one option is ``stream`` (the policies' per-call settings are not taken)."""
        stream = options.pop("stream", False)
        if options:
            raise TypeError(f"unexpected options for a lean sender: {', '.join(sorted(options))}")
        context = PipelineContext(self._transport, stream=stream)
        pipeline_request: PipelineRequest[Any] = PipelineRequest(request, context)
        for policy in self._headers:
            policy.on_request(pipeline_request)
        if not self._on_response and not self._on_exception:
            return self._follow_redirects(pipeline_request)
        try:
            response = self._follow_redirects(pipeline_request)
        except Exception:
            for policy in self._on_exception:
                policy.on_exception(pipeline_request)
            raise
        for policy in self._on_response:
            policy.on_response(pipeline_request, response)
        return response

    def _follow_redirects(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        """``RedirectPolicy.send``: the policy's own decisions, asked only of a redirect status."""
        policy = self._redirect
        allow = policy.allow
        original = request.http_request.url
        settings: dict[str, Any] | None = None
        while True:
            response = self._retry_attempts(request)
            status = response.http_response.status_code
            if not allow or (status not in (301, 302) and status not in policy._redirect_on_status_codes):
                return response
            if not _followable(request.http_request):
                # A form (a registry token exchange carries the run's Azure AD token) is never sent
                # again to where an answer points: the redirect is the answer.
                return response
            location = policy.get_redirect_location(response)
            if not location:
                return response
            if settings is None:
                settings = policy.configure_redirects({})
            more = policy.increment(settings, response, location)
            request.http_request = response.http_request
            if _domain_changed(original, request.http_request.url):
                request.context["insecure_domain_change"] = True
            if not more:
                raise TooManyRedirectsError(settings["history"])

    def _retry_attempts(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        """``RetryPolicy.send``: the policy's own decisions, asked only of an answer of 400 or more or
        of a transport error; its waits go through the transport's ``sleep``."""
        policy = self._retry
        transport: Any = request.context.transport
        # A body the policy rewinds between attempts is noted before the first (a GET has none).
        settings: dict[str, Any] | None = None if request.http_request.method == "GET" else self._settings(request)
        absolute_timeout: float = policy.timeout
        is_response_error = True
        while True:
            start = time.time()
            try:
                policy._configure_timeout(request, absolute_timeout, is_response_error)
                response: PipelineResponse[Any, Any] = self._auth.send(request)
                if response.http_response.status_code >= 400:  # below, is_retry is always False
                    settings = settings or self._settings(request)
                    if policy.is_retry(settings, response) and policy.increment(settings, response=response):
                        policy.sleep(settings, transport, response=response)
                        is_response_error = True
                        continue
                break
            except ClientAuthenticationError:
                raise
            except AzureError as err:
                settings = settings or self._settings(request)
                if (
                    absolute_timeout > 0
                    and policy._is_method_retryable(settings, request.http_request)
                    and policy.increment(settings, response=request, error=err)
                ):
                    policy.sleep(settings, transport)
                    is_response_error = not isinstance(err, ServiceRequestError)
                    continue
                raise err
            finally:
                if absolute_timeout:
                    absolute_timeout -= time.time() - start
        if settings is not None:
            policy.update_context(response.context, settings)
        return response

    def _settings(self, request: PipelineRequest[Any]) -> dict[str, Any]:
        settings: dict[str, Any] = self._retry.configure_retries(request.context.options)
        self._retry._configure_positions(request, settings)
        return settings


class _RequestId(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """A client's ``RequestIdPolicy``: with its defaults (a new GUID in ``x-ms-client-request-id``
    unless the request has one), the GUID is the next of this process's request ids
    (:func:`next_request_id`) rather than a version-1 UUID (Python's ``uuid1``: a clock read, random
    bits and a UUID object, about 2 % of the CPU of a request); with any other setting, the policy
    itself decides."""

    def __init__(self, policy: RequestIdPolicy) -> None:
        self._policy = policy

    def on_request(self, request: PipelineRequest[Any]) -> None:
        policy = self._policy
        if policy._request_id is _UNSET and policy._auto_request_id and "request_id" not in request.context.options:
            headers = request.http_request.headers
            name = policy._request_id_header_name
            if lacks(headers, name):
                headers[name] = next_request_id()
            return
        policy.on_request(request)


class _UserAgent(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """A client's ``UserAgentPolicy``: the same ``User-Agent`` header, its value read from the
    policy (its base value, ``overwrite`` and ``use_env`` as they are at each request) and from
    ``AZURE_HTTP_USER_AGENT`` as it was when the sender was built. azure-core reads that variable
    from ``os.environ`` on every request (a failed lookup through ``Mapping.get`` raising and
    catching a KeyError); azaudit never changes its environment while it runs. A request's own
    ``user_agent`` option (which a lean sender does not take) is left to the policy."""

    def __init__(self, policy: UserAgentPolicy) -> None:
        self._policy = policy
        self._env = os.environ.get(UserAgentPolicy._ENV_ADDITIONAL_USER_AGENT)

    def on_request(self, request: PipelineRequest[Any]) -> None:
        policy = self._policy
        if "user_agent" in request.context.options:
            policy.on_request(request)
            return
        if policy.overwrite or lacks(request.http_request.headers, "User-Agent"):
            value = policy._user_agent
            if self._env is not None and policy.use_env:
                value = f"{value} {self._env}"
            request.http_request.headers["User-Agent"] = value


def _lean_header(policy: Any) -> Any:
    """The lean form of an SDK header policy with the same effect, or the policy itself."""
    if type(policy) is RequestIdPolicy:
        return _RequestId(policy)
    if type(policy) is UserAgentPolicy and policy._USERAGENT == "User-Agent":
        return _UserAgent(policy)
    return policy


# What a RequestIdPolicy holds when no request id was set on it (azure-core's private marker).
_UNSET = RequestIdPolicy()._request_id


def next_request_id() -> str:
    """A request id no other request of any run shares, as a GUID (what Azure asks for in
    ``x-ms-client-request-id``): this process's random prefix, the first 24 characters of a
    version-4 UUID (74 random bits, drawn again in a forked child), then a count of its requests in
    the last 12 hex digits."""
    return _request_ids.prefix + format(next(_request_ids.count), "012x")


class _RequestIds:
    __slots__ = ("count", "prefix")

    def __init__(self) -> None:
        self.prefix = str(uuid.uuid4())[:24]  # "xxxxxxxx-xxxx-4xxx-yxxx-"
        self.count = itertools.count()  # next() on it is atomic: threads never share a number


_request_ids = _RequestIds()


def _new_request_ids() -> None:
    global _request_ids
    _request_ids = _RequestIds()


if hasattr(os, "register_at_fork"):
    # A forked collection process must not send its parent's ids again (os.fork runs this in the
    # child, multiprocessing's fork included).
    os.register_at_fork(after_in_child=_new_request_ids)


def _overrides(policy: Any, hook: str) -> bool:
    return getattr(type(policy), hook) is not getattr(SansIOHTTPPolicy, hook)


def _followable(request: Any) -> bool:
    """Whether a redirect of ``request`` may be followed: a GET or HEAD without a body."""
    return request.method in ("GET", "HEAD") and not has_body(request)


def _domain_changed(original: str, url: str) -> bool:
    """azure-core's ``domain_changed(get_domain(original), url)``."""
    before = urlparse(original).netloc.lower()
    return bool(before) and before != urlparse(url).netloc.lower()


class _SansIORunner(HTTPPolicy):  # type: ignore[type-arg]
    """A ``SansIOHTTPPolicy`` as a ``Pipeline`` runs one."""

    def __init__(self, policy: SansIOHTTPPolicy[Any, Any]) -> None:
        super().__init__()
        self._policy = policy

    def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        self._policy.on_request(request)
        try:
            response: PipelineResponse[Any, Any] = self.next.send(request)
        except Exception:
            self._policy.on_exception(request)
            raise
        self._policy.on_response(request, response)
        return response


class _ToTransport(HTTPPolicy):  # type: ignore[type-arg]
    """The last step: the bearer token removed after a redirect to another host, then the
    transport, as azure-core's ``SensitiveHeaderCleanupPolicy`` and transport runner do."""

    def __init__(self, transport: Any, cleanup: SensitiveHeaderCleanupPolicy[Any, Any]) -> None:
        super().__init__()
        self._transport = transport
        self._cleanup = cleanup

    def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        context = request.context
        if "insecure_domain_change" in context:
            self._cleanup.on_request(request)
        options = context.options
        for key in _NOT_FOR_TRANSPORT:
            options.pop(key, None)
        return PipelineResponse(request.http_request, self._transport.send(request.http_request, **options), context)


# re-entrant: a build may ask for another client's sender (a vault's is made from the shared one)
_lock = threading.RLock()
_senders: weakref.WeakKeyDictionary[Any, LeanSender] = weakref.WeakKeyDictionary()


def lean_pipeline(client: Any) -> LeanSender:
    """The lean sender of an ARM ``client`` (:class:`azaudit.arm_client.ArmClient`, or any client
    that keeps its configuration as ``_config`` and its pipeline client as ``_client``), built once
    per client."""
    return cached(client, _build)


def cached(client: Any, build: Callable[[Any], LeanSender]) -> LeanSender:
    """``build(client)``, made once per client (clients live as long as the run)."""
    sender = _senders.get(client)
    if sender is not None:
        return sender
    with _lock:
        sender = _senders.get(client)
        if sender is None:
            sender = _senders[client] = build(client)
        return sender


def assemble(config: Any, full: Any, first: list[Any], auth: Any) -> LeanSender:
    """A lean sender from a generated client's ``config`` and ``full`` pipeline: the ``first``
    (header) policies, the client's user agent, redirect and retry, the ``auth`` policy, the
    header cleanup, and the full pipeline's transport (the run's guarded one). Its
    ``run(request, stream=False)`` gives a ``PipelineResponse`` as ``Pipeline.run`` does."""
    # The full pipeline's transport is the run's guarded transport, behind azure-core's runner.
    transport = getattr(full._transport, "_sender", full._transport)
    return LeanSender(
        transport,
        [*first, config.user_agent_policy],
        # Copies, as the pipeline had them: its policies each held the next one.
        copy.copy(config.redirect_policy),
        copy.copy(config.retry_policy),
        auth,
    )


def _build(client: Any) -> LeanSender:
    config = client._config
    first = [getattr(config, "request_id_policy", None) or RequestIdPolicy()]
    auth = ARMChallengeAuthenticationPolicy(config.credential, *config.credential_scopes)
    return assemble(config, client._client._pipeline, first, auth)


def send(client: Any, request: Any) -> Any:
    """Send ``request`` (an ``azure.core.rest.HttpRequest``) through ``client``'s lean sender
    and return its response, its body not decoded."""
    return lean_pipeline(client).run(request, stream=False).http_response


# What the SDK's generated operations map these statuses to (any other: HttpResponseError).
ERROR_MAP: dict[int, type[HttpResponseError]] = {
    401: ClientAuthenticationError,
    404: ResourceNotFoundError,
    409: ResourceExistsError,
    304: ResourceNotModifiedError,
}


class _EveryStatus(dict[int, Callable[..., HttpResponseError]]):
    """:data:`ERROR_MAP`, and ``other`` for any other status."""

    def __init__(self, other: Callable[..., HttpResponseError]) -> None:
        super().__init__()
        self._other = other

    def __bool__(self) -> bool:  # map_error does nothing with an empty map
        return True

    def get(self, status: int, default: Any = None) -> Callable[..., HttpResponseError]:  # type: ignore[override]
        return ERROR_MAP.get(status) or self._other


def raise_for_status(response: Any, error_format: Any = None) -> NoReturn:
    """Raise for ``response`` (an answer that is not a success) what the SDK's generated operations
    raise: :data:`ERROR_MAP`'s exception, else an ``HttpResponseError`` (in ``error_format``, ARM's
    for ARM), the answer attached. Raised inside azure-core, as the SDK raises it: an exception
    raised in azaudit's own frames counts as azaudit's words (``tasks.describe_failure``) and would
    print the SDK's text instead of the service's error code and message."""
    other = (
        HttpResponseError if error_format is None else functools.partial(HttpResponseError, error_format=error_format)
    )
    map_error(status_code=response.status_code, response=response, error_map=cast(Any, _EveryStatus(other)))
    raise AssertionError("map_error raises for every status")  # pragma: no cover
