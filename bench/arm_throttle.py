"""Azure Resource Manager's read limits, as the fake Azure (``bench/tls_server.py``) enforces them.

Microsoft Learn, "Request limits and throttling" (azure-resource-manager/management/
request-limits-and-throttling): since 2024 ARM throttles with a token bucket per subscription, per
security principal and per region; reads have a bucket of 250 tokens refilled at 25 a second, and
tenant-level reads (no subscription in the path) a bucket of their own, of the same size and rate.
Every read answer says how many remain (``x-ms-ratelimit-remaining-subscription-reads``, or
``...-tenant-reads``); a read beyond the limit is answered ``429 Too Many Requests`` with a
``Retry-After`` in whole seconds and an error body whose code is ``SubscriptionRequestsThrottled``
(``TenantRequestsThrottled`` for the tenant's bucket).

The fake serves one principal in one region, so one bucket per subscription and one for the
tenant. Only reads (GET, HEAD) to the ARM host count: Key Vault and registry data planes have
limits of their own, and azaudit's only ARM POSTs are Resource Graph queries, which Resource
Graph throttles by its own quota. A throttled read takes no token. The ``Retry-After`` is the
time until the bucket holds a token again, rounded up to whole seconds (at least 1), as a
client that waits it out is then served.

Counts what a server sees: reads counted, and 429s by bucket kind.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from collections.abc import Callable

ARM_HOST = "management.azure.com"
CAPACITY = 250  # tokens
REFILL_PER_SECOND = 25.0
READS = frozenset({"GET", "HEAD"})
# Who the fake says was throttled (ARM names the principal's object id; the fake has one principal)
ACTOR = "00000000-0000-0000-0000-0000000000a2"
_SUBSCRIPTIONS = "/subscriptions/"


def scope_of(target: str) -> str:
    """The bucket a read of ``target`` (its path and query) spends: its subscription id (lower
    case), or ``""`` for the tenant's (``/subscriptions`` itself, ``/providers/...``)."""
    path = target.split("?", 1)[0]
    if path[: len(_SUBSCRIPTIONS)].lower() != _SUBSCRIPTIONS:
        return ""
    return path[len(_SUBSCRIPTIONS) :].split("/", 1)[0].lower()


class ArmThrottle:
    """One token bucket per subscription and one for the tenant, on ``clock`` (seconds)."""

    def __init__(
        self,
        capacity: int = CAPACITY,
        refill: float = REFILL_PER_SECOND,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._capacity = float(capacity)
        self._refill = refill
        self._clock = clock
        self._buckets: dict[str, list[float]] = {}  # scope -> [tokens, when last refilled]
        self.reads = 0  # ARM reads counted (throttled ones too)
        self.throttled: Counter[str] = Counter()  # 429s, by "subscription" / "tenant"

    def judge(self, method: str, host: str, target: str, keep: bool) -> tuple[bytes | None, bytes | None]:
        """For a request about to be answered: ``(refusal, header)``. ``refusal`` is the whole 429
        answer when the read is throttled; ``header`` the remaining-reads header line to add to
        the answer otherwise. ``(None, None)`` for anything that is not an ARM read."""
        if host != ARM_HOST or method.upper() not in READS:
            return None, None
        self.reads += 1
        scope = scope_of(target)
        now = self._clock()
        bucket = self._buckets.get(scope)
        if bucket is None:
            bucket = self._buckets[scope] = [self._capacity, now]
        tokens = min(self._capacity, bucket[0] + (now - bucket[1]) * self._refill)
        bucket[1] = now
        name = b"x-ms-ratelimit-remaining-subscription-reads" if scope else b"x-ms-ratelimit-remaining-tenant-reads"
        if tokens >= 1.0 - 1e-9:  # a token refilled to within float rounding is a token
            bucket[0] = max(0.0, tokens - 1.0)
            return None, b"%s: %d\r\n" % (name, int(bucket[0] + 1e-9))
        bucket[0] = tokens
        self.throttled["subscription" if scope else "tenant"] += 1
        retry_after = max(1, math.ceil((1.0 - tokens) / self._refill))
        return self._refusal(scope, name, retry_after, keep), None

    @staticmethod
    def _refusal(scope: str, name: bytes, retry_after: int, keep: bool) -> bytes:
        if scope:
            code = "SubscriptionRequestsThrottled"
            about = f"subscription '{scope}'"
        else:
            code = "TenantRequestsThrottled"
            about = "tenant"
        message = (
            f"Number of 'read' requests for {about} actor '{ACTOR}' exceeded. "
            f"Please try again after '{retry_after}' seconds."
        )
        content = json.dumps({"error": {"code": code, "message": message}}).encode()
        return (
            b"HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json; charset=utf-8\r\n"
            b"Retry-After: %d\r\n%s: 0\r\nContent-Length: %d\r\nConnection: %s\r\n\r\n%s"
            % (retry_after, name, len(content), b"keep-alive" if keep else b"close", content)
        )

    def counts(self) -> dict[str, int]:
        return {
            "arm_reads_counted": self.reads,
            "throttled_429": sum(self.throttled.values()),
            "throttled_429_subscription": self.throttled["subscription"],
            "throttled_429_tenant": self.throttled["tenant"],
        }


def with_header(answer: bytes, header: bytes) -> bytes:
    """``answer`` (a whole HTTP/1.1 answer) with ``header`` (a header line) after its status line."""
    at = answer.index(b"\r\n") + 2
    return answer[:at] + header + answer[at:]
