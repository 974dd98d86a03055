"""Azure Resource Graph queries paced to Resource Graph's own quota, so that an audit through
Resource Graph (``--source graph``) sends its queries at the rate Resource Graph serves them
instead of in a burst that is answered ``429`` and then falls back to ARM's lists.

Resource Graph does not count its queries in ARM's read buckets (:mod:`azaudit.transport.pacing`
leaves them alone). Microsoft Learn, "Guidance for throttled requests in Azure Resource Graph"
(governance/resource-graph/concepts/guidance-for-throttled-requests): each user has a quota of
queries per time window, for example at most 15 queries within every 5-second window (the figure
"is determined by many factors and is subject to change"); every answer says what is left
(``x-ms-user-quota-remaining``, queries) and when the quota is whole again
(``x-ms-user-quota-resets-after``, ``hh:mm:ss``); every page of a query (``$skipToken``) is a query.
The page's example (remaining 10, resets-after 00:00:03; after 3 s, 15 and 00:00:05) is a fixed
window. azaudit sends one query per enumeration, for all the subscriptions of a collection process
(``collect/graph.py``: up to 1,000 subscriptions a request), and Defender's image findings in
chunks of 200 subscriptions (``collect/vulnerabilities.py``, whatever ``--source`` says): a run of
1,000 subscriptions through Resource Graph sends about 60 queries, their pages included, grouped
as the page recommends, but most at the start.

:class:`GraphPacer`, asked by the guarded transport before every attempt of a query
(``POST /providers/Microsoft.ResourceGraph/resources`` on the cloud's ARM host), keeps a window
budget:

- until an answer says otherwise, 15 queries per 5-second window: the first query opens a window,
  a query finding the window's budget spent waits for the window's end, and the next window
  starts whole;
- every answer's ``x-ms-user-quota-remaining`` corrects the window's budget down (less the queries
  sent since that one: Resource Graph had not counted them), and its
  ``x-ms-user-quota-resets-after`` sets when the window ends. An answer from an earlier window, a
  larger figure, or a value that is not a count or a duration changes nothing; a resets-after
  beyond :data:`MAX_RESET_SECONDS` is taken as that;
- a ``429`` pauses every query (not each thread on its own) until its ``Retry-After`` is over
  (``retry-after-ms``, ``Retry-After``; without one, its resets-after; without either, one
  window), and the window after the pause starts whole.

Waits are bounded as every wait between attempts is (:mod:`azaudit.transport.bounds`): a request
waits at most ``RETRY_WAIT_CAP_SECONDS`` in all, pacing and retries together; a query that would
wait longer is not sent (ThrottledError: its enumeration falls back to ARM's lists, with a note,
as on any Resource Graph failure). Stopping the audit (Ctrl-C, SIGTERM, a fatal error) cuts every
wait short (:func:`azaudit.lifecycle.wait`). In a run of several collection processes each part
queries for its own subscriptions (``collect/pool.py``; nothing is queried before the fork), all
as the same user: each process holds an equal share of the quota (:meth:`GraphPacer.share`) and
reads the remaining count as its share of it. Replayed runs are not paced.

The answer to a query naming more than 10,000 subscriptions at a tenant or management-group scope
is limited to the first 10,000 (``x-ms-tenant-subscription-limit-hit: true``): azaudit names its
subscriptions in every query, and ``collect/graph.py`` takes that header as a partial answer all
the same (the enumeration falls back to ARM, with a note).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping

from azaudit.transport import bounds
from azaudit.transport.pacing import RETRY_AFTER_HEADERS, count, retry_after
from azaudit.transport.rest_request import header_value

QUOTA = 15.0  # queries per window, until an answer says otherwise
WINDOW_SECONDS = 5.0
# A resets-after beyond this is taken as this (a query waits at most the request's cap anyway).
MAX_RESET_SECONDS = 300.0
QUERY_PATH = "/providers/microsoft.resourcegraph/resources"
REMAINING = "x-ms-user-quota-remaining"
RESETS_AFTER = "x-ms-user-quota-resets-after"
LIMIT = "Resource Graph's query quota"

# (seconds) -> None: waits ``seconds`` in the sending thread
Wait = Callable[[float], None]


class GraphPacer:
    """A window budget mirroring Resource Graph's query quota for the queries sent to ``host``
    (see the module docstring). ``clock`` gives seconds; ``wait(seconds)`` waits in the sending
    thread (by default :func:`azaudit.transport.bounds.wait_to_pace`: bounded, cut short by a stop)."""

    def __init__(
        self,
        host: str,
        *,
        quota: float = QUOTA,
        window: float = WINDOW_SECONDS,
        parts: int = 1,
        clock: Callable[[], float] = time.monotonic,
        wait: Wait | None = None,
    ) -> None:
        self.host = host.rstrip(".").lower()
        self._quota = quota
        self._window = window
        self._parts = max(1, parts)
        self._clock = clock
        self._wait: Wait = wait if wait is not None else _bounded_wait
        self._lock = threading.Lock()
        self._budget = quota / self._parts  # this process's queries per window
        self._left = self._budget  # in the open window
        self._ends = -math.inf  # when the open window ends (none open yet)
        self._taken = 0  # queries sent, ever
        self._opened = 0  # ``_taken`` when the open window opened
        self._paused = -math.inf  # when the latest 429's pause ends

    def share(self, parts: int) -> GraphPacer:
        """This pacer for one of ``parts`` collection processes forked from this one: ``1/parts``
        of the quota, and of what the open window has left, the window ending as it does."""
        parts = max(1, parts)
        copy = GraphPacer(
            self.host,
            quota=self._quota,
            window=self._window,
            parts=self._parts * parts,
            clock=self._clock,
            wait=None if self._wait is _bounded_wait else self._wait,
        )
        with self._lock:
            copy._left = self._left / parts
            copy._ends = self._ends
            copy._paused = self._paused
        return copy

    def is_query(self, method: str, host: str, path: str) -> bool:
        """Whether a request is a Resource Graph query (``host`` lower case, ``path`` the URL's)."""
        return method == "POST" and host == self.host and path.rstrip("/").lower() == QUERY_PATH

    def before(self) -> int:
        """Wait until a query may be sent and count it; the ticket to give :meth:`after`."""
        while True:
            with self._lock:
                now = self._clock()
                if now >= self._ends:  # the window is over (or the pause): a whole one opens
                    self._ends = now + self._window
                    self._left = self._budget
                    self._opened = self._taken
                if self._left >= 1.0 - 1e-9:
                    self._left -= 1.0
                    self._taken += 1
                    return self._taken
                delay = self._ends - now
            self._wait(delay)  # then look again: the threads woken together take the new window in turn

    def after(self, ticket: int, status: int, headers: Mapping[str, str]) -> None:
        """The answer to the query of ``ticket``: a 429 pauses every query; another answer's quota
        headers correct the open window, when the query was sent in it."""
        if status == 429:
            self.pause(_pause_of(headers, self._window))
            return
        remaining = count(header_value(headers, REMAINING))
        resets = duration(header_value(headers, RESETS_AFTER))
        if remaining is None and resets is None:
            return
        with self._lock:
            if ticket <= self._opened:
                return  # sent in an earlier window: its figures are that window's
            now = self._clock()
            if resets is not None:
                self._ends = max(now + resets, self._paused)
            if remaining is not None:
                # Resource Graph counted this query; those sent after it are not in its figure yet.
                believed = remaining / self._parts - (self._taken - ticket)
                if believed < self._left:
                    self._left = believed

    def pause(self, seconds: float) -> None:
        """Hold every query for ``seconds`` from now; the window after it starts whole."""
        with self._lock:
            now = self._clock()
            until = now + min(max(seconds, 0.0), MAX_RESET_SECONDS)
            # the service's word on when its quota is back, however the window looked; never
            # earlier than a pause already set
            self._paused = max(self._paused, until)
            self._ends = self._paused
            self._left = 0.0
            self._opened = self._taken  # answers to queries sent before the pause are stale

    def wait_for(self) -> float:
        """How long a query asking now would wait (0.0: sent at once); nothing is taken (tests)."""
        with self._lock:
            now = self._clock()
            if now >= self._ends or self._left >= 1.0 - 1e-9:
                return 0.0
            return self._ends - now

    def left(self) -> float:
        """What the open window has left for this process (tests, diagnostics)."""
        with self._lock:
            return self._budget if self._clock() >= self._ends else self._left


def _bounded_wait(seconds: float) -> None:
    bounds.wait_to_pace(seconds, LIMIT)


def duration(value: str | None) -> float | None:
    """Seconds of a ``hh:mm:ss`` duration (a ``d.`` day prefix or a fraction of a second as .NET
    writes a TimeSpan, at most :data:`MAX_RESET_SECONDS`); None for anything else (a negative or
    malformed value, another number format, non-ASCII digits)."""
    if value is None:
        return None
    text = value.strip()
    if not 0 < len(text) <= 32 or not text.isascii():
        return None
    days = 0
    head, dot, fraction = text.partition(".")
    if head.count(":") != 2:  # "d.hh:mm:ss[.fffffff]"
        if not (dot and 0 < len(head) <= 3 and head.isdigit()):
            return None
        days = int(head)
        head, dot, fraction = fraction.partition(".")
    if dot and not fraction:
        return None
    fields = head.split(":")
    if len(fields) != 3 or not all(0 < len(f) <= 2 and f.isdigit() for f in fields):
        return None
    if fraction and not (len(fraction) <= 7 and fraction.isdigit()):
        return None
    hours, minutes, seconds = (int(f) for f in fields)
    if hours > 23 or minutes > 59 or seconds > 59:
        return None
    total = float(((days * 24 + hours) * 60 + minutes) * 60 + seconds)
    if fraction:
        total += int(fraction) / 10 ** len(fraction)
    return min(total, MAX_RESET_SECONDS)


def _pause_of(headers: Mapping[str, str], window: float) -> float:
    """How long a 429 holds every query: its Retry-After, else its resets-after, else a window."""
    if any(header_value(headers, name) is not None for name, _ in RETRY_AFTER_HEADERS):
        return retry_after(headers)
    resets = duration(header_value(headers, RESETS_AFTER))
    return window if resets is None else resets
