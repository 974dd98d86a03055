"""A simulated network under azure-core's transport: latency with jitter, and injected faults.

Wraps the replay adapter, so the whole SDK stack (retry policy, Retry-After, timeouts, paging,
deserialisation) meets the latency and failures as it would meet them on the wire.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import BaseAdapter

from azaudit.replay import ReplayAdapter
from azaudit.replay.fixtures import RecordedResponse

# A fault rule sees (method, url, attempt number of that URL) and returns what to do instead of
# answering normally: a response to send, "hang" (never answer), or None (answer normally).
Fault = Callable[[str, str, int], "RecordedResponse | str | None"]


@dataclass
class Traffic:
    """What the simulated network saw: when each URL was asked, to check Retry-After gaps."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    times: dict[str, list[float]] = field(default_factory=dict)

    def saw(self, url: str) -> int:
        with self.lock:
            stamps = self.times.setdefault(url, [])
            stamps.append(time.monotonic())
            return len(stamps)


class SimulatedNetwork(BaseAdapter):  # type: ignore[misc]
    def __init__(
        self,
        inner: ReplayAdapter,
        latency: float = 0.0,
        jitter: float = 0.0,
        fault: Fault | None = None,
        seed: int = 1,
    ) -> None:
        super().__init__()
        self._inner = inner
        self._latency = latency
        self._jitter = jitter
        self._fault = fault
        self._rng = random.Random(seed)
        self._rng_lock = threading.Lock()
        self.traffic = Traffic()

    def _delay(self) -> float:
        with self._rng_lock:
            return max(0.0, self._latency + self._rng.uniform(-self._jitter, self._jitter))

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        url = str(request.url)
        attempt = self.traffic.saw(url)
        action = self._fault(str(request.method), url, attempt) if self._fault else None
        if action == "hang":
            timeout = kwargs.get("timeout")
            read_timeout = timeout[1] if isinstance(timeout, tuple) else timeout
            time.sleep(float(read_timeout or 1.0))
            raise requests.exceptions.ReadTimeout(f"simulated: no answer from {request.url}")
        time.sleep(self._delay())
        if isinstance(action, RecordedResponse):
            return self._inner.build(request, action)
        return self._inner.send(request, *args, **kwargs)

    def close(self) -> None:
        pass


def simulated_session(adapter: SimulatedNetwork) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.mount("https://", adapter)
    return session
