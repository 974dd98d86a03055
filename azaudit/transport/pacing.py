"""Azure Resource Manager reads paced to ARM's own limits, so that a large subscription is read at
the rate ARM serves it instead of in a storm of ``429 Too Many Requests``.

ARM throttles with a token bucket (Microsoft Learn, "Request limits and throttling",
azure-resource-manager/management/request-limits-and-throttling): per subscription, per security
principal and per region, reads have a bucket of 250 tokens refilled at 25 a second, and reads
that name no subscription (the tenant's: ``/subscriptions`` itself, ``/providers/...``) a bucket of
their own of the same size and rate. A read beyond it is answered 429 with a ``Retry-After``. An
audit keeps 128 requests in flight (``--concurrency``): a subscription of 1,000 resources (about
2,200 ARM reads) empties its bucket in a few seconds, and the threads then retried on their own,
each after its own ``Retry-After``, into a bucket still empty, until some ran out of attempts and
their data was reported not collected (ERROR).

:class:`ArmPacer`, asked by the guarded transport before every attempt of a read (GET or HEAD) to
the cloud's ARM host, keeps a bucket for each subscription and one for the tenant, mirroring ARM's:

- a read takes a token, or waits (first come, first served) until the bucket has refilled one;
- every ARM answer says how many reads remain (``x-ms-ratelimit-remaining-subscription-reads``,
  ``x-ms-ratelimit-remaining-tenant-reads``). Another tool signed in as the same principal spends
  the same bucket, and so does an earlier run: when the header says fewer than the pacer counts
  (less the reads sent since that one), the pacer believes the header. A larger figure (a cloud
  that still counts reads per hour, 11,999) changes nothing;
- a 429 on a read pauses every read of its bucket until its ``Retry-After`` is over (not each
  thread on its own): the reads already waiting for a token wait out the pause, then take their
  turn again at the refill rate, from an empty bucket.

Waits are bounded as every wait between attempts is (:mod:`azaudit.transport.bounds`): a request
waits at most ``RETRY_WAIT_CAP_SECONDS`` in all, pacing and retries together. A pace longer than
what is left is waited up to the cap, noted on the task (``throttled: ...``, as a ``Retry-After``
azaudit cut short) and the read is sent; one that finds nothing left fails its task (ERROR).
Stopping the audit (Ctrl-C, SIGTERM, a fatal error) cuts every wait short
(:func:`azaudit.lifecycle.wait`).

What is not paced here: writes (azaudit sends none to ARM), Resource Graph queries (POSTs, which
Resource Graph limits by a quota of its own: :mod:`azaudit.transport.graph_pacing`), the Key Vault
and registry data planes (limits of their own, answered by the retry policy), and resource
providers' own limits
(``x-ms-ratelimit-remaining-resource``): their 429s pause the subscription's reads like ARM's do,
which costs one ``Retry-After`` and spares the herd. The requests in flight (``--concurrency``)
stay the bound on everything. In a run of several collection processes each subscription is read by one process
(``collect/pool.py`` splits the work by subscription), so each process paces its own
subscriptions in full and holds an equal share of the tenant's bucket (:meth:`ArmPacer.share`).
Replayed runs are not paced (recorded answers, no ARM to spare).

A waiting read holds its collection thread. So that the threads do not all wait on one
subscription's bucket while another's refills unused (and the data planes wait behind them), the
scheduler asks :meth:`ArmPacer.wait_for` before it gives a thread a task (``collect/scheduler.py``):
in a process collecting several subscriptions, a task whose bucket is dry yields to a task of a
subscription with tokens, or to one that reads no ARM, and when every ready task would wait, the
thread takes the one whose token comes soonest and waits for it here. With one subscription the
order is as it was. Benchmark under the fake Azure's ARM limits, subscriptions of 500 resources
collected in one process (ARM's floor: 35.3 s): 4 of them took 49-53 s, now 38 s; 2 of them 46 s,
now 38 s; complete, no 429, the same requests. What it cannot see: a task's later reads (the
pages of a list) take their turn in the bucket like any other, and between the scheduler's look
and the read's ask another thread may take the token.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

from azaudit.transport import bounds
from azaudit.transport.rest_request import header_value

CAPACITY = 250.0  # reads
REFILL_PER_SECOND = 25.0
# A Retry-After beyond this is taken as this, so that arithmetic on it stays finite (every wait is
# cut at the request's cap anyway).
MAX_PAUSE_SECONDS = 3600.0
# When a 429 names no wait it can read: one second, ARM's smallest.
DEFAULT_PAUSE_SECONDS = 1.0
# The fields a 429 names its wait in (lower case), with their unit in seconds, in the order read.
RETRY_AFTER_HEADERS = (("retry-after-ms", 0.001), ("x-ms-retry-after-ms", 0.001), ("retry-after", 1.0))
TENANT = ""  # the tenant's bucket; a subscription's is its id, lower case
_READS = frozenset({"GET", "HEAD"})
_SUBSCRIPTIONS = "/subscriptions/"
_SUBSCRIPTION_READS = "x-ms-ratelimit-remaining-subscription-reads"
_TENANT_READS = "x-ms-ratelimit-remaining-tenant-reads"

# (seconds, bucket) -> None: waits ``seconds`` for ``bucket`` in the sending thread
Wait = Callable[[float, str], None]


class _Bucket:
    __slots__ = ("capacity", "epoch", "last", "rate", "taken", "tokens")

    def __init__(self, capacity: float, rate: float, now: float) -> None:
        self.capacity = capacity
        self.rate = rate
        self.tokens = capacity  # below 0: reads promised tokens not refilled yet
        self.last = now  # when ``tokens`` was last refilled (in the future while paused)
        self.taken = 0  # reads sent, ever
        self.epoch = 0  # pauses, ever: a promise made before a pause is void

    def refill(self, now: float) -> None:
        if now > self.last:
            self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
            self.last = now


class ArmPacer:
    """Token buckets mirroring ARM's read limits for the reads sent to ``host`` (see the module
    docstring). ``clock`` gives seconds; ``wait(seconds, bucket)`` waits in the sending thread
    (by default :func:`azaudit.transport.bounds.wait_to_pace`: bounded, cut short by a stop)."""

    def __init__(
        self,
        host: str,
        *,
        capacity: float = CAPACITY,
        rate: float = REFILL_PER_SECOND,
        tenant_share: int = 1,
        clock: Callable[[], float] = time.monotonic,
        wait: Wait | None = None,
    ) -> None:
        self.host = host.rstrip(".").lower()
        self._capacity = capacity
        self._rate = rate
        self._tenant_share = max(1, tenant_share)
        self._clock = clock
        self._wait: Wait = wait if wait is not None else _bounded_wait
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}

    def share(self, parts: int) -> ArmPacer:
        """This pacer for one of ``parts`` collection processes forked from this one: the same
        subscriptions' buckets as they stand (each subscription is read by one process), and
        ``1/parts`` of the tenant's bucket (its size, rate and what it holds now)."""
        parts = max(1, parts)
        copy = ArmPacer(
            self.host,
            capacity=self._capacity,
            rate=self._rate,
            tenant_share=self._tenant_share * parts,
            clock=self._clock,
            wait=None if self._wait is _bounded_wait else self._wait,
        )
        with self._lock:
            for name, bucket in self._buckets.items():
                mine = copy._new_bucket(name, bucket.last)
                mine.tokens = bucket.tokens / parts if name == TENANT else bucket.tokens
                mine.last = bucket.last
                copy._buckets[name] = mine
        return copy

    def bucket_of(self, method: str, host: str, path: str) -> str | None:
        """The bucket a request spends: a subscription's id (lower case) or :data:`TENANT` for a
        read of the ARM host; None for anything else (not paced). ``host`` lower case, ``path``
        the URL's path."""
        if host != self.host or method not in _READS:
            return None
        if path[:15].lower() != _SUBSCRIPTIONS:
            return TENANT
        return path[15:].partition("/")[0].lower()

    def _new_bucket(self, name: str, now: float) -> _Bucket:
        share = self._tenant_share if name == TENANT else 1
        return _Bucket(self._capacity / share, self._rate / share, now)

    def before(self, name: str) -> int:
        """Wait until a read of bucket ``name`` may be sent, and take its token; the ticket to give
        :meth:`after` with its answer (the count of the bucket's reads sent, this one included)."""
        while True:
            with self._lock:
                now = self._clock()
                bucket = self._buckets.get(name)
                if bucket is None:
                    bucket = self._buckets[name] = self._new_bucket(name, now)
                bucket.refill(now)
                bucket.tokens -= 1.0
                bucket.taken += 1
                ticket, epoch = bucket.taken, bucket.epoch
                delay = max(0.0, bucket.last - now) + max(0.0, -bucket.tokens) / bucket.rate
            if delay <= 0.0:
                return ticket
            try:
                self._wait(delay, name)
            except BaseException:
                # not sent (the audit stops, or the request waited its fill): its token is free
                with self._lock:
                    if bucket.epoch == epoch:
                        bucket.tokens += 1.0
                raise
            with self._lock:
                if bucket.epoch == epoch:
                    return ticket
            # A 429 paused the bucket while this read waited: its token was promised from a bucket
            # ARM had emptied. Take a turn again after the pause.

    def now(self) -> float:
        """This pacer's clock."""
        return self._clock()

    def wait_for(self, name: str) -> tuple[float, float]:
        """(now, seconds): how long a read of bucket ``name`` asking now would wait for its token
        (0.0: it would be sent at once), by this pacer's clock; nothing is taken. The scheduler
        asks it before it gives a thread a task (``collect/scheduler.py``): about a microsecond."""
        with self._lock:
            now = self._clock()
            bucket = self._buckets.get(name)
            if bucket is None:  # not read yet: full
                return now, 0.0
            bucket.refill(now)
            return now, max(0.0, bucket.last - now) + max(0.0, 1.0 - bucket.tokens) / bucket.rate

    def after(self, name: str, ticket: int, status: int, headers: Mapping[str, str]) -> None:
        """The answer to the read of ``ticket`` in bucket ``name``: its remaining-reads header
        corrects the bucket down; a 429 pauses it for the answer's ``Retry-After``."""
        if status == 429:
            self.pause(name, retry_after(headers))
            return
        remaining = count(header_value(headers, _SUBSCRIPTION_READS if name else _TENANT_READS))
        if remaining is None:
            return
        with self._lock:
            bucket = self._buckets[name]
            bucket.refill(self._clock())
            # ARM counted this read; those sent after it are not in its figure yet.
            believed = remaining - (bucket.taken - ticket)
            if believed < bucket.tokens:
                bucket.tokens = float(believed)

    def pause(self, name: str, seconds: float) -> None:
        """Hold every read of bucket ``name`` for ``seconds`` from now, then refill it from empty."""
        with self._lock:
            now = self._clock()
            bucket = self._buckets.get(name)
            if bucket is None:
                bucket = self._buckets[name] = self._new_bucket(name, now)
            until = now + min(max(seconds, 0.0), MAX_PAUSE_SECONDS)
            if until > bucket.last or bucket.tokens > 0.0:
                bucket.last = max(bucket.last, until)
                bucket.tokens = 0.0
                bucket.epoch += 1

    def tokens(self, name: str) -> float:
        """What bucket ``name`` holds now (tests, diagnostics)."""
        with self._lock:
            bucket = self._buckets.get(name)
            if bucket is None:
                return self._new_bucket(name, 0.0).capacity
            bucket.refill(self._clock())
            return bucket.tokens


def _bounded_wait(seconds: float, name: str) -> None:
    limit = f"ARM's read limit for subscription {name}" if name else "ARM's read limit for the tenant"
    bounds.wait_to_pace(seconds, limit)


def count(value: str | None) -> int | None:
    """A header's whole count: ASCII digits, at most 9 of them (anything else is not read)."""
    if value is None:
        return None
    value = value.strip()
    if 0 < len(value) <= 9 and value.isascii() and value.isdigit():
        return int(value)
    return None


def retry_after(headers: Mapping[str, str]) -> float:
    """The wait a 429 asks for: ``retry-after-ms`` or ``x-ms-retry-after-ms`` (milliseconds), else
    ``Retry-After`` in seconds (ARM's whole seconds, or a decimal); an HTTP date or anything else
    unreadable: :data:`DEFAULT_PAUSE_SECONDS`."""
    for name, scale in RETRY_AFTER_HEADERS:
        value = header_value(headers, name)
        if value is None:
            continue
        seconds = _seconds(value)
        if seconds is not None:
            return min(seconds * scale, MAX_PAUSE_SECONDS)
    return DEFAULT_PAUSE_SECONDS


def _seconds(value: str) -> float | None:
    text = value.strip()
    if not text or len(text) > 20 or not text.isascii():
        return None
    try:
        seconds = float(text)
    except ValueError:
        return None
    return seconds if 0.0 <= seconds < float("inf") else None
