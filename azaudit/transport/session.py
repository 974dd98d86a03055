"""The ``requests`` session of live runs and azure-core's transport over a session: connections
the per-attempt deadline can cut (:mod:`azaudit.transport.deadline`), the run's one TLS context,
the proxy settings read once per host and azure-core's requests prepared in fewer steps."""

from __future__ import annotations

import ssl
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from azure.core.pipeline.transport import RequestsTransport

from azaudit.tls import run_tls_context
from azaudit.transport.deadline import POOL_CLASSES


class _DeadlineAdapter(requests.adapters.HTTPAdapter):
    """requests' adapter over connections the deadline watchdog can cut, all wrapped with the
    run's one TLS context (:mod:`azaudit.tls`): no CA file is loaded per pool or connection."""

    def __init__(self, tls: ssl.SSLContext, **kwargs: Any) -> None:
        self.tls = tls  # before the pool manager is built
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, ssl_context=self.tls, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(POOL_CLASSES)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, ssl_context=self.tls, **proxy_kwargs)
        if isinstance(manager, urllib3.PoolManager):
            manager.pool_classes_by_scheme = dict(POOL_CLASSES)
        return manager

    def build_connection_pool_key_attributes(self, request: Any, verify: Any, cert: Any = None) -> Any:
        # requests hands REQUESTS_CA_BUNDLE over as ``verify``: the run's context already trusts
        # it, and a path here would be loaded into that shared context for every connection.
        if verify is False:
            raise ValueError("azaudit never turns certificate verification off")
        return super().build_connection_pool_key_attributes(request, True, cert)

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        super().cert_verify(conn, url, True, cert)  # type: ignore[no-untyped-call]
        conn.ca_certs = conn.ca_cert_dir = None  # the context decides what is trusted


class _LeanSession(requests.Session):
    """requests' session, preparing azure-core's requests in fewer steps.

    azure-core's transport calls :meth:`request` with a method, a URL (its query already in it),
    headers and perhaps a body, nothing else. ``Session.request`` builds a ``Request``, merges it
    with the session's empty params, auth, cookies and hooks (each merge a runtime ``Protocol``
    check, slow before Python 3.12) and then prepares it: about 15 % of a request's CPU here. This
    prepares the same ``PreparedRequest`` with requests' own steps, leaving out the merges of
    empty settings; anything else (params, cookies, files, auth, hooks, JSON, or a session that
    holds cookies) goes through ``Session.request`` unchanged."""

    def request(  # type: ignore[override]
        self,
        method: str | bytes,
        url: str | bytes,
        params: Any = None,
        data: Any = None,
        headers: Any = None,
        cookies: Any = None,
        files: Any = None,
        auth: Any = None,
        timeout: Any = None,
        allow_redirects: bool = True,
        proxies: Any = None,
        hooks: Any = None,
        stream: bool | None = None,
        verify: Any = None,
        cert: Any = None,
        json: Any = None,
    ) -> requests.Response:
        arguments = {"params": params, "cookies": cookies, "files": files, "auth": auth, "hooks": hooks}
        if any(arguments.values()) or json is not None or self.params or self.auth or len(self.cookies):
            return super().request(
                method,  # type: ignore[arg-type]
                url,
                data=data,
                headers=headers,
                timeout=timeout,
                allow_redirects=allow_redirects,
                proxies=proxies,
                stream=stream,
                verify=verify,
                cert=cert,
                json=json,
                **arguments,
            )
        if isinstance(url, bytes):
            url = url.decode("utf-8")
        prepared = requests.PreparedRequest()
        prepared.prepare_method(method.upper())
        prepared.prepare_url(url, None)
        # The session's headers, then the request's (a None value removes one), as merge_setting does.
        merged = requests.structures.CaseInsensitiveDict(self.headers)
        merged.update(headers or {})
        prepared.prepare_headers({name: value for name, value in merged.items() if value is not None})
        prepared.prepare_cookies(None)
        prepared.prepare_body(data or {}, None, None)
        prepared.prepare_auth(None, url)  # user info in the URL, as requests reads it
        if self.hooks["response"]:
            prepared.prepare_hooks(self.hooks)
        settings = self.merge_environment_settings(prepared.url, proxies or {}, stream, verify, cert)
        return self.send(prepared, timeout=timeout, allow_redirects=allow_redirects, **settings)


class _NetworkSession(_LeanSession):
    """requests' session, with the machine's proxy settings read once per origin, not per request.

    With ``trust_env`` on, requests reads the environment for every request: it scans every
    variable twice for the proxy ones (``HTTPS_PROXY``, ``NO_PROXY``...), reads
    ``REQUESTS_CA_BUNDLE`` and looks for a ``~/.netrc``: about a third of a live audit's CPU per
    request (a CI agent has hundreds of variables). Here the proxies requests would pick for a
    scheme, host and port are worked out once (by requests' own function) and kept for the
    session, which lives for one run; ``REQUESTS_CA_BUNDLE`` is read once, into the run's TLS
    context (:mod:`azaudit.tls`); and no ``.netrc`` password is sent: its entry for a host (or
    its ``default``) would replace the bearer token with a Basic password.
    """

    def __init__(self) -> None:
        super().__init__()
        self.trust_env = False  # what requests would read per request, read here once
        self._environment_proxies: dict[tuple[str, str, str | None], dict[str, str]] = {}

    def environment_proxies(self, url: str, no_proxy: str | None = None) -> dict[str, str]:
        """The proxies the environment gives ``url`` (none when ``NO_PROXY`` covers its host)."""
        parts = urlsplit(url)
        origin = (parts.scheme.lower(), parts.netloc.lower(), no_proxy)
        found = self._environment_proxies.get(origin)
        if found is None:
            found = self._environment_proxies[origin] = requests.utils.get_environ_proxies(url, no_proxy=no_proxy)
        return found

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any) -> Any:
        proxies = {} if proxies is None else proxies
        for scheme, proxy in self.environment_proxies(str(url), proxies.get("no_proxy")).items():
            proxies.setdefault(scheme, proxy)
        return super().merge_environment_settings(url, proxies, stream, verify, cert)


# Host pools kept besides one per request in flight: ARM's, and the last vaults' still open.
SPARE_HOST_POOLS = 8


def network_session(pool_size: int, tls: ssl.SSLContext | None = None) -> requests.Session:
    """A session for live runs over connections the per-attempt deadline can cut: up to
    ``pool_size`` kept-alive connections per host (the run's concurrency: requests' default of
    10 would serialise a wider run against ARM) and pools for as many hosts as requests can be in
    flight (each vault is its own host), every connection wrapped with ``tls`` (by default the
    run's one context, :func:`azaudit.tls.run_tls_context`), the proxy settings read once per host
    (:class:`_NetworkSession`)."""
    session = _NetworkSession()
    adapter = _DeadlineAdapter(
        tls or run_tls_context(), pool_connections=pool_size + SPARE_HOST_POOLS, pool_maxsize=pool_size
    )
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def requests_transport(session: requests.Session) -> RequestsTransport:
    """azure-core's requests transport over ``session`` (the network, or a replay session)."""
    return RequestsTransport(session=session, session_owner=True)
