"""azure-core ``HttpRequest`` objects without a body, built as its constructor leaves them.

``HttpRequest("GET", url, params=..., headers=...)`` costs more than the request it describes: it
parses the URL again to merge a query that may be there (``urlparse``), sends each of its five
attribute assignments through the back-compat mixin's ``__setattr__`` (which builds and searches a
list of old attribute names), and fills its case-insensitive headers through ``MutableMapping.update``.
:func:`bodyless` gives the same object (same class, same attributes, same URL and headers) with its
attributes set at once; a URL that already holds a query or a fragment, or a parameter value that is
not a string, goes through the constructor itself. ``tests/test_rest_request.py`` compares the two.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from azure.core.rest import HttpRequest
from azure.core.utils import CaseInsensitiveDict


def bodyless(method: str, url: str, headers: Mapping[str, str], params: Mapping[str, str] | None = None) -> HttpRequest:
    """``HttpRequest(method, url, params=params, headers=headers)``: ``params`` are written into the
    query as given (azure-core quotes none of them), in order, after ``?``."""
    if params:
        joined = with_query(url, params)
        if joined is None:
            return HttpRequest(method, url, params=dict(params), headers=dict(headers))
        url = joined
    fields = CaseInsensitiveDict.__new__(CaseInsensitiveDict)  # its __init__ updates it with {}
    # the store's layout, as in lacks() and pairs(): (name as given, value) per lowered name
    fields._store = {name.lower(): (name, value) for name, value in headers.items()}
    request = HttpRequest.__new__(HttpRequest)
    vars(request).update(url=url, method=method, _files=None, _data=None, headers=fields)
    return request


def with_query(url: str, params: Mapping[str, str]) -> str | None:
    """The URL ``HttpRequest(params=params)`` writes for ``url`` (``params`` as given, in order,
    after ``?``), or None when only its constructor can say: ``url`` already holds a query (which
    it merges) or a fragment, or a value is not a string."""
    if "?" in url or "#" in url or not all(type(value) is str for value in params.values()):
        return None
    return url + "?" + "&".join(f"{name}={value}" for name, value in params.items())


def lacks(headers: Mapping[str, str], name: str) -> bool:
    """Whether ``headers`` has no ``name`` field (names compared without case in azure-core's
    CaseInsensitiveDict, whose store is read at once: ``in`` on the mapping goes through
    ``__getitem__`` and a KeyError when absent, as it usually is)."""
    if type(headers) is CaseInsensitiveDict:
        return name.lower() not in headers._store
    return name not in headers


def header_value(headers: Mapping[str, str], lowered: str) -> str | None:
    """The value of ``headers``' field ``lowered`` (its name in lower case), or None; azure-core's
    CaseInsensitiveDict read through its store at once, as :func:`lacks` reads it."""
    if type(headers) is CaseInsensitiveDict:
        found = headers._store.get(lowered)
        return None if found is None else found[1]  # type: ignore[no-any-return]
    return headers.get(lowered)


def pairs(headers: Mapping[str, str]) -> Iterable[tuple[str, str]]:
    """The (name as given, value) pairs of ``headers``: for azure-core's CaseInsensitiveDict, its
    store's values at once (its ``items()`` looks each name up again through two Python calls)."""
    if type(headers) is CaseInsensitiveDict:
        return headers._store.values()  # type: ignore[no-any-return]
    return headers.items()
