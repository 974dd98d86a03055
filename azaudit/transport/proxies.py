"""The machine's proxy settings for the wire transport (:mod:`azaudit.transport.wire`), read once
per origin, as the live ``requests`` session reads them (:class:`azaudit.transport.session`):
requests' own functions pick the proxy (``HTTPS_PROXY``, ``ALL_PROXY``..., ``NO_PROXY``
honoured), and no ``.netrc`` is read.

The wire transport goes through an ``http://`` proxy with a ``CONNECT`` tunnel (the proxy URL's
user info as ``Proxy-Authorization: Basic``); any other proxy (``https://``, ``socks5://``...),
or a plain-HTTP request through a proxy, is sent by the ``requests`` path, which knows them.
"""

from __future__ import annotations

import base64
import os
import threading
import urllib.request
from urllib.parse import urlsplit

import requests

from azaudit.errors import UsageError
from azaudit.transport.connections import Tunnel

# What a proxy setting means for a request: no proxy, a CONNECT tunnel, or the requests path.
DIRECT = None
ELSEWHERE = "requests"

Decision = Tunnel | str | None


class EnvironmentProxies:
    """The proxy each origin gets from the environment, worked out on first use and kept."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._decisions: dict[tuple[str, str], Decision] = {}
        # Whether the machine sets any proxy at all, read on first use: without one (the usual
        # case) no origin needs requests' per-origin work, which scans the whole environment
        # twice (about a third of a millisecond, for every vault and registry host of the run).
        self._none_set: bool | None = None

    def for_url(self, url: str, scheme: str, netloc: str) -> Decision:
        """The decision for ``url``'s origin (its ``scheme`` and ``netloc``, as split already)."""
        key = (scheme, netloc)
        found = self._decisions.get(key, _UNKNOWN)
        if found is not _UNKNOWN:
            return found  # type: ignore[return-value]
        if self._none_set is None:
            # urllib's getproxies: the environment's variables, and on Windows and macOS the
            # system's proxy settings, which requests reads too
            self._none_set = not urllib.request.getproxies()
        decision = DIRECT if self._none_set else decide(url, scheme)
        with self._lock:
            return self._decisions.setdefault(key, decision)


_UNKNOWN = object()


def decide(url: str, scheme: str) -> Decision:
    """What the environment's proxies mean for ``url`` (see the module docstring). A proxy setting
    that is not a URL (a port that is not a number, an unclosed ``[``) raises :class:`UsageError`
    naming the variables, never their value (a proxy URL may hold a password)."""
    try:
        return _decide(url, scheme)
    except ValueError:  # urllib3's LocationParseError, urlsplit's port and bracket errors
        raise UsageError(
            f"the proxy the environment sets for {scheme} requests ({' or '.join(_variables(scheme))}) is not a "
            "valid URL: correct or unset it"
        ) from None


def _variables(scheme: str) -> tuple[str, ...]:
    """The variables requests reads a ``scheme`` request's proxy from, as set in this process."""
    names = (f"{scheme}_proxy", f"{scheme.upper()}_PROXY", "all_proxy", "ALL_PROXY")
    found = tuple(name for name in names if os.environ.get(name))
    return found or names[1:2]


def _decide(url: str, scheme: str) -> Decision:
    proxies = requests.utils.get_environ_proxies(url, no_proxy=None)
    proxy = requests.utils.select_proxy(url, proxies) if proxies else None
    if not proxy:
        return DIRECT
    if scheme != "https":
        return ELSEWHERE
    proxy = requests.utils.prepend_scheme_if_needed(proxy, "http")  # type: ignore[no-untyped-call]
    parts = urlsplit(proxy)
    port = parts.port or 80  # a port that is not one raises ValueError
    if parts.scheme.lower() != "http" or not parts.hostname:
        return ELSEWHERE
    authorization = None
    username, password = requests.utils.get_auth_from_url(proxy)
    if username:
        authorization = _basic(username, password)
    return Tunnel(host=parts.hostname, port=port, authorization=authorization)


def _basic(username: str, password: str) -> str:
    """``Basic`` credentials as requests writes them (Latin-1, else UTF-8)."""
    pair = f"{username}:{password}"
    try:
        raw = pair.encode("latin-1")
    except UnicodeEncodeError:
        raw = pair.encode("utf-8")
    return "Basic " + base64.b64encode(raw).decode("ascii")
