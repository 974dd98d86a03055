"""The one HTTP seam of a run, one job a module: the guarded transport every SDK client shares
(:mod:`.guarded`), the hosts it may reach (:mod:`.destinations`), the bounds on a unit of work's
pages and waits (:mod:`.bounds`), ARM reads paced to ARM's limits (:mod:`.pacing`), the
per-attempt deadline (:mod:`.deadline`), request counts
(:mod:`.stats`), the ``http.client`` transport of live runs (:mod:`.wire`, over :mod:`.connections`,
:mod:`.head`, :mod:`.body` and :mod:`.proxies`), the ``requests`` session under everything else
(:mod:`.session`), and above the transport, the lean sender azaudit's own reads go through
(:mod:`.lean_sender`: a client's request id, user agent, redirects, retries and authentication,
without azure-core's ``Pipeline``)."""

from azaudit.transport.bounds import RequestScope, Throttled, request_scope
from azaudit.transport.destinations import destination_refusal, registry_host
from azaudit.transport.guarded import GuardedTransport
from azaudit.transport.session import network_session, requests_transport
from azaudit.transport.stats import RequestCounts, RequestStats, request_kind
from azaudit.transport.wire import WireTransport

__all__ = [
    "GuardedTransport",
    "RequestCounts",
    "RequestScope",
    "RequestStats",
    "Throttled",
    "WireTransport",
    "destination_refusal",
    "network_session",
    "registry_host",
    "request_kind",
    "request_scope",
    "requests_transport",
]
