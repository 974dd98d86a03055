"""Azure Resource Graph's query quota, as the fake Azure (``bench/tls_server.py``) enforces it.

Microsoft Learn, "Guidance for throttled requests in Azure Resource Graph"
(governance/resource-graph/concepts/guidance-for-throttled-requests): Resource Graph gives each
user a quota of queries per time window, for example at most 15 queries within every 5-second
window (the figure "is determined by many factors and is subject to change"); every query answer
carries ``x-ms-user-quota-remaining`` (queries left) and ``x-ms-user-quota-resets-after``
(``hh:mm:ss`` until the quota is whole again). The page's example, remaining 10 and resets-after
00:00:03, "in 3 seconds" reset to 15 and 00:00:05, reads as a fixed window: it starts with a
query when no window is open, lasts 5 s, and ends with the whole quota back (a sliding window
would give queries back one at a time). The fake keeps such a window for its one user; every
page of a query (``$skipToken``) is a query and takes one (the page's "Pagination" section).

A query beyond the quota is answered ``429 Too Many Requests`` with a ``Retry-After`` (whole
seconds until the window ends, at least 1), both quota headers (remaining 0), and Resource Graph's
error body, code ``RateLimiting`` with a detail of the same code, as Resource Graph answers it
(the shape quoted in Azure/azure-cli-extensions issue 3325, "Azure Graph Query RateLimiting").
A throttled query takes nothing from the quota. Every other request's answer is left as it is:
ARM's reads are :mod:`bench.arm_throttle`'s.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable

from bench.arm_throttle import ARM_HOST, ArmThrottle

QUERY_PATH = "/providers/microsoft.resourcegraph/resources"
QUOTA = 15  # queries per window
WINDOW_SECONDS = 5.0
_DETAIL = (
    "Client application has been throttled and should not attempt to repeat the request until an amount of "
    "time has elapsed. Please see https://aka.ms/resourcegraph-throttling for help."
)


def is_query(method: str, host: str, target: str) -> bool:
    """Whether a request is a Resource Graph query (``POST /providers/Microsoft.ResourceGraph/resources``)."""
    return host == ARM_HOST and method.upper() == "POST" and target.split("?", 1)[0].lower() == QUERY_PATH


def hms(seconds: float) -> bytes:
    """``seconds`` as Resource Graph writes a duration: ``hh:mm:ss``, rounded up to whole seconds."""
    whole = max(0, math.ceil(seconds - 1e-9))
    return b"%02d:%02d:%02d" % (whole // 3600, whole // 60 % 60, whole % 60)


class GraphQuota:
    """One user's Resource Graph quota: ``quota`` queries in a fixed window of ``window`` seconds."""

    def __init__(
        self, quota: int = QUOTA, window: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._quota = quota
        self._window = window
        self._clock = clock
        self._ends = -math.inf  # when the open window ends
        self._used = 0
        self.queries = 0  # Resource Graph queries counted (throttled ones too)
        self.throttled = 0

    def judge(self, method: str, host: str, target: str, keep: bool) -> tuple[bytes | None, bytes | None]:
        """As :meth:`bench.arm_throttle.ArmThrottle.judge`: ``(refusal, header lines)`` for a
        Resource Graph query, ``(None, None)`` for anything else."""
        if not is_query(method, host, target):
            return None, None
        self.queries += 1
        now = self._clock()
        if now >= self._ends:
            self._ends = now + self._window
            self._used = 0
        left = self._ends - now
        if self._used < self._quota:
            self._used += 1
            return None, self._headers(self._quota - self._used, left)
        self.throttled += 1
        return self._refusal(left, keep), None

    @staticmethod
    def _headers(remaining: int, left: float) -> bytes:
        return b"x-ms-user-quota-remaining: %d\r\nx-ms-user-quota-resets-after: %s\r\n" % (remaining, hms(left))

    def _refusal(self, left: float, keep: bool) -> bytes:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S.0000000Z", time.gmtime())
        message = (
            f"Please provide below info when asking for support: timestamp = {stamp}, "
            f"correlationId = 00000000-0000-0000-0000-{self.throttled:012d}."
        )
        error = {"code": "RateLimiting", "message": message, "details": [{"code": "RateLimiting", "message": _DETAIL}]}
        content = json.dumps({"error": error}).encode()
        return (
            b"HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json; charset=utf-8\r\n"
            b"Retry-After: %d\r\n%sContent-Length: %d\r\nConnection: %s\r\n\r\n%s"
            % (
                max(1, math.ceil(left - 1e-9)),
                self._headers(0, left),
                len(content),
                b"keep-alive" if keep else b"close",
                content,
            )
        )

    def counts(self) -> dict[str, int]:
        return {"graph_queries_counted": self.queries, "graph_throttled_429": self.throttled}


class AzureThrottle:
    """ARM's read limits and Resource Graph's query quota together (``--throttle azure``)."""

    def __init__(self, arm: ArmThrottle | None = None, graph: GraphQuota | None = None) -> None:
        self.arm = arm if arm is not None else ArmThrottle()
        self.graph = graph if graph is not None else GraphQuota()

    def judge(self, method: str, host: str, target: str, keep: bool) -> tuple[bytes | None, bytes | None]:
        if method == "POST":
            return self.graph.judge(method, host, target, keep)
        return self.arm.judge(method, host, target, keep)

    def counts(self) -> dict[str, int]:
        return {**self.arm.counts(), **self.graph.counts()}
