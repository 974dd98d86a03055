"""ARM JSON through a lean pipeline of the run's ARM client, and strict readers of its values.

:func:`arm_get` sends a GET through the ARM client's lean pipeline (its authentication,
retry and user-agent policies, the run's guarded transport and the secret guard: see
:mod:`~azaudit.transport.lean_sender`), maps a failure to the same exceptions the SDK's operations
raise, and returns the body as JSON: no model is built, so a mapper reads the same dict a REST body
or a Resource Graph row gives. The readers refuse a value of the wrong type with
:class:`UnusableShape` (the resource's checks report ERROR), and say in one place what an absent
value means.
"""

from __future__ import annotations

import codecs
import functools
import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import SplitResult, parse_qs, quote, urljoin, urlparse, urlsplit

import msgspec
from azure.core.exceptions import (
    DecodeError,
)
from azure.core.pipeline.policies import ContentDecodePolicy
from azure.core.rest import HttpRequest
from azure.mgmt.core.exceptions import ARMErrorFormat

from azaudit.collect.sdk import shape_of
from azaudit.collect.tasks import UnusableShape
from azaudit.errors import ForeignHostError, PagingLoopError
from azaudit.inventory.common import Identity, PrivateEndpointConnection, UserAssignedRef
from azaudit.transport import lean_sender, rest_request

# Pages one list may have before azaudit stops following ``nextLink`` (the transport also refuses
# a page served twice and a foreign host): 10,000 pages of 1,000 items is ten million resources.
MAX_PAGES = 10_000


def arm_get(client: Any, path: str, api_version: str, params: Mapping[str, str] | None = None) -> Any:
    """The JSON body of ``GET {path}?api-version=...`` (and ``params``), sent by ``client``'s pipeline."""
    return _send(client, _url(client, path), {**(params or {}), "api-version": api_version})


def _url(client: Any, path: str) -> str:
    """``path`` under ``client``'s base URL, as its pipeline client's ``format_url`` writes it."""
    pipeline = client._client  # the ARMPipelineClient of the run's ARM client (azaudit/arm_client.py)
    # A path that starts with '/' and holds no template, query or fragment is appended to the base
    # URL's path, which is what format_url does with it, without parsing both again per request.
    if path[:1] == "/" and "{" not in path and "}" not in path and "?" not in path and "#" not in path:
        root = _root(pipeline._base_url)
        if root is not None:
            return root + "/" + path.lstrip("/")
    return str(pipeline.format_url(path))


@functools.lru_cache(maxsize=64)
def _root(base: str) -> str | None:
    """The base URL a path is appended to (its path's trailing '/' dropped), or None when the base
    URL has a query, parameters, a fragment (format_url then keeps them) or a template."""
    if "{" in base or "}" in base:
        return None
    parts = urlparse(base)
    if not parts.scheme or not parts.netloc or parts.query or parts.params or parts.fragment:
        return None
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def arm_list(
    client: Any, path: str, api_version: str, what: str, params: Mapping[str, str] | None = None
) -> list[Mapping[str, Any]]:
    """Every item of a paged ARM list: the first page, then each ``nextLink`` in turn, as the SDK's
    pagers follow it (the link's own query, the client's API version). A page that fails, or a
    ``nextLink`` that is not a string, fails the whole list: a partial list is never judged."""
    return arm_pages(client, arm_get(client, path, api_version, params), api_version, what)


def arm_pages(client: Any, body: Any, api_version: str, what: str) -> list[Mapping[str, Any]]:
    """Every item of a paged ARM list whose first page, already read, is ``body`` (see
    :func:`arm_list`): each ``nextLink`` is followed through ``client``'s pipeline."""

    # The link is sent as Azure wrote it (never through format_url's template expansion), with the
    # client's API version; the transport refuses a host outside the cloud's and a page it has
    # already served. The transport lets a request reach the cloud's vaults and the audited
    # registries too: an ARM list's next page is on ARM's own host, or it is not sent (the ARM
    # token would go to that host, and its answer would be read as this list's items).
    def vet(parts: SplitResult, link: str) -> None:
        host = (parts.hostname or "").rstrip(".")
        arm = _host(_url(client, "/"))  # the host of the client's base URL
        if parts.netloc and host != arm:
            shown = host if re.fullmatch(r"[a-z0-9.-]{1,253}", host) else "a host with unusual characters"
            raise ForeignHostError(
                f"refused to send a request: the nextLink of the {what} answer leads to {shown}, not to ARM's "
                f"host {arm}; azaudit's ARM token goes to no other host"
            )

    return follow_next_links(
        body, what, lambda url, query: _send(client, url, {**query, "api-version": api_version}), vet
    )


@functools.lru_cache(maxsize=8)
def _host(base: str) -> str:
    """The host of a base URL, lower case, without a trailing dot."""
    return (urlsplit(base).hostname or "").rstrip(".")


def follow_next_links(
    body: Any,
    what: str,
    fetch: Callable[[str, dict[str, str]], Any],
    vet: Callable[[SplitResult, str], None] = lambda parts, link: None,
) -> list[Mapping[str, Any]]:
    """The items of a paged answer whose first page is ``body``: each ``nextLink`` in turn is
    ``vet``-ted (it raises to refuse one) and fetched as ``fetch(url without query, its query)``,
    at most :data:`MAX_PAGES` pages. A ``nextLink`` that is not a string fails the whole list."""
    items = list(listed(body, what))
    for _ in range(MAX_PAGES):
        link = body.get("nextLink")
        if link is None or link == "":
            return items
        if not isinstance(link, str):
            raise UnusableShape(f"the nextLink of the {what} answer is {shape_of(link)}, not a string")
        parts = urlsplit(link)
        vet(parts, link)
        query = {name: values[-1] for name, values in parse_qs(parts.query, keep_blank_values=True).items()}
        body = fetch(urljoin(link, parts.path), query)
        items.extend(listed(body, what))
    raise PagingLoopError(f"more than {MAX_PAGES} pages in the {what} answer: the list never ends")


def _send(client: Any, url: str, params: dict[str, str]) -> Any:
    return json_answer(lean_sender.send(client, get_request(url, params)))


def get_request(url: str, params: Mapping[str, str]) -> HttpRequest:
    """A ``GET`` of ``url`` with ``params`` in its query, quoted as the SDK quotes them (a $filter's
    spaces and quotes, a skip token's '+' and '='), asking for JSON: azure-core's
    ``HttpRequest(params=...)``, built at once (:func:`~azaudit.transport.rest_request.bodyless`)."""
    return rest_request.bodyless("GET", url, _ACCEPT_JSON, {name: _quote(value) for name, value in params.items()})


# urllib's quote (about 0.9 us) remembered for the values read again and again: the API versions.
_quote = functools.lru_cache(maxsize=1024)(quote)


_ACCEPT_JSON = {"Accept": "application/json"}


# How azure-core's HttpResponse.text() decodes a body of these content types: a charset of exactly
# "utf-8" as "utf-8-sig" (a byte order mark dropped), none as UTF-8 with undecodable bytes replaced.
_JSON_DECODERS: dict[str | None, Callable[[bytes], str]] = {
    "application/json; charset=utf-8": lambda content: content.decode("utf-8-sig"),
    "application/json;charset=utf-8": lambda content: content.decode("utf-8-sig"),
    "application/json": lambda content: codecs.getincrementaldecoder("utf-8-sig")(errors="replace").decode(content),
}


def _loads(text: str) -> Any:
    """``json.loads(text)``, decoded by msgspec when it can (2 to 3 times faster on ARM's bodies).
    msgspec gives the same values (dicts in order, the last of duplicate keys, ints of any size,
    floats correctly rounded) and refuses what it does not read the same: NaN, Infinity, numbers
    that overflow to infinity, lone surrogate escapes; json.loads then reads those as before, and
    refuses what both refuse with its own error. Nesting is bounded by Python's recursion limit
    either way: a body nested about as deep as the limit raises RecursionError and its task fails
    (its checks say ERROR), as with json.loads alone. Where exactly is not fixed, and never was: it
    moves by a few levels with the caller's stack and the decoder's own frames (json.loads spends
    three before it counts, msgspec none), so a body within a few levels of the limit may be
    decoded by one and refused by the other; nothing is read differently. A text with a lone
    surrogate (none comes from the decoders above) cannot be encoded for msgspec and is read by
    json.loads too."""
    try:
        return msgspec.json.decode(text)
    except (msgspec.DecodeError, UnicodeEncodeError):
        return json.loads(text)


def json_answer(response: Any) -> Any:
    """The JSON of a 200 answer (ARM's GETs, Resource Graph's POST). Any other status is raised
    inside azure-core with ARM's error map, as the SDK's operations raise it: an exception raised in
    azaudit's own frames counts as azaudit's words (tasks.describe_failure) and would print the
    SDK's text instead of the service's error code and message."""
    if response.status_code != 200:
        lean_sender.raise_for_status(response, ARMErrorFormat)
    decode = _JSON_DECODERS.get(response.headers.get("Content-Type"))
    try:
        # The usual content types decoded as azure-core's response.json() decodes them (its
        # charset found by an email parser), the others (and no body) by response.json() itself.
        content = response.content if decode is not None else None
        return _loads(decode(content)) if decode is not None and content else response.json()
    except ValueError:
        pass
    # A body that says it is JSON and is not fails in azure-core's decoder, in its words, as it did
    # when every answer went through the SDK's decoding policy (the lean ARM pipeline has none).
    ContentDecodePolicy.deserialize_from_http_generics(response)
    raise DecodeError("the answer is not JSON", response=response)


def listed(body: Any, what: str) -> list[Mapping[str, Any]]:
    """The items of an ARM list body (``{"value": [...]}``); an answer of another shape, or an
    item that is not an object, makes the whole answer unusable."""
    if type(body) is not dict and not isinstance(body, Mapping):  # dict: what json.loads gives
        raise UnusableShape(f"the {what} answer is {shape_of(body)}, not an object")
    items = body.get("value") or []  # absent or null: no items, as the SDK reads it
    if not isinstance(items, list):
        raise UnusableShape(f"the value of the {what} answer is {shape_of(items)}, not a list")
    for item in items:
        if type(item) is not dict and not isinstance(item, Mapping):
            raise UnusableShape(f"an item of the {what} answer is {shape_of(item)}, not an object")
    return items


def properties(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    """An ARM resource's ``properties``; null, missing or not an object is unusable."""
    if "properties" not in resource:
        raise UnusableShape("its properties are missing")
    props = resource["properties"]
    if type(props) is not dict and not isinstance(props, Mapping):
        raise UnusableShape(f"its properties are {'null' if props is None else shape_of(props) + ', not an object'}")
    return props


def string(obj: Mapping[str, Any], key: str, default: str | None = None) -> str | None:
    """``obj[key]`` as a string; absent or null is ``default`` (Azure's default for the field)."""
    # the readers' most frequent call: the dict's own value checked at once (str first)
    value = obj.get(key)
    if value is None:
        return default
    if type(value) is str or isinstance(value, str):
        return value
    raise UnusableShape(f"its {key} is {shape_of(value)}, not a string")


def boolean(obj: Mapping[str, Any], key: str, default: bool) -> bool:
    """``obj[key]`` as a boolean; absent or null is ``default`` (Azure's default for the field)."""
    value = obj.get(key)
    if value is None:
        return default
    if value is True or value is False:  # bool has no subclass: isinstance(value, bool) exactly
        return value
    raise UnusableShape(f"its {key} is {shape_of(value)}, not a boolean")


def texts(obj: Mapping[str, Any], key: str) -> tuple[str, ...]:
    """``obj[key]`` as a list of strings; absent or null is an empty tuple."""
    value = obj.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise UnusableShape(f"its {key} is {shape_of(value)}, not a list of strings")
    return tuple(value)


def objects(obj: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    """``obj[key]`` as a list of objects; absent or null is an empty list."""
    value = obj.get(key)
    if value is None:
        return []
    if isinstance(value, list):
        for item in value:
            if type(item) is not dict and not isinstance(item, Mapping):
                break
        else:
            return value
    raise UnusableShape(f"its {key} is {shape_of(value)}, not a list of objects")


def timestamp(obj: Mapping[str, Any], key: str) -> str | None:
    """``obj[key]``, an ISO 8601 date-time, written as the SDK's models give it (``str`` of the
    parsed datetime: ``2025-01-20 09:00:00+00:00``, fractions beyond microseconds dropped); absent
    or null is None. A string that is not a date-time is unusable, as the SDK refused it."""
    value = string(obj, key)
    if value is None:
        return None
    try:
        return str(datetime.fromisoformat(value))
    except ValueError:
        raise UnusableShape(f"its {key} is not an ISO 8601 date-time") from None


def optional_boolean(obj: Mapping[str, Any], key: str) -> bool | None:
    """``obj[key]`` as a boolean, or None when absent or null (the record keeps "not set")."""
    value = obj.get(key)
    if value is None or value is True or value is False:
        return value
    raise UnusableShape(f"its {key} is {shape_of(value)}, not a boolean")


def integer(obj: Mapping[str, Any], key: str) -> int | None:
    """``obj[key]`` as a JSON integer, or None when absent or null (a boolean is not one)."""
    value = obj.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise UnusableShape(f"its {key} is {shape_of(value)}, not an integer")
    return value


def number(obj: Mapping[str, Any], key: str) -> float | None:
    """``obj[key]`` as a float (a JSON number, as the SDK's ``float`` fields give it), or None when
    absent or null (a boolean is not one)."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UnusableShape(f"its {key} is {shape_of(value)}, not a number")
    return float(value)


# The form the SDK's deserialiser accepts for a ``date-time`` (a date, 'T', a time; fractions and a
# UTC offset optional): a date alone or a time without seconds is refused, as the SDK refuses it.
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?", re.IGNORECASE)


def date_time(obj: Mapping[str, Any], key: str) -> datetime | None:
    """``obj[key]``, an ISO 8601 date-time string, as an aware datetime (no offset: UTC; fractions
    beyond microseconds dropped, as the SDK's models give it); absent or null is None. A string of
    another form is unusable."""
    value = string(obj, key)
    if value is None:
        return None
    if _DATE_TIME.fullmatch(value) is None:
        raise UnusableShape(f"its {key} is not an ISO 8601 date-time")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:  # a month 13, say
        raise UnusableShape(f"its {key} is not an ISO 8601 date-time") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def mapping(obj: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    """``obj[key]`` as an object, or None when absent or null."""
    value = obj.get(key)
    # dict first: what json.loads gives (an ABC's isinstance goes through ABCMeta.__instancecheck__)
    if value is None or type(value) is dict or isinstance(value, Mapping):
        return value
    raise UnusableShape(f"its {key} is {shape_of(value)}, not an object")


def tags(resource: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """ARM ``tags`` (name → value) as sorted pairs; absent or null is none, a null value is ''."""
    value = mapping(resource, "tags") or {}
    return tuple(sorted((str(name), "" if v is None else str(v)) for name, v in value.items()))


def identity(resource: Mapping[str, Any]) -> Identity:
    """A resource's managed identity (``identity``); absent or null is none (type "None")."""
    found = mapping(resource, "identity")
    if found is None:
        return Identity()
    assigned = mapping(found, "userAssignedIdentities") or {}
    refs = []
    for resource_id, details in assigned.items():
        details = details if details is not None else {}
        if type(details) is not dict and not isinstance(details, Mapping):
            raise UnusableShape(f"a user-assigned identity of it is {shape_of(details)}, not an object")
        refs.append(
            UserAssignedRef(
                id=str(resource_id),
                principal_id=string(details, "principalId") or "",
                client_id=string(details, "clientId") or "",
            )
        )
    return Identity(
        type=string(found, "type") or "None",
        principal_id=string(found, "principalId") or "",
        user_assigned=tuple(refs),
    )


def private_endpoints(props: Mapping[str, Any]) -> tuple[PrivateEndpointConnection, ...]:
    """``privateEndpointConnections``; a connection without a state is "Unknown", never approved."""
    found = []
    for connection in objects(props, "privateEndpointConnections"):
        state = mapping(mapping(connection, "properties") or {}, "privateLinkServiceConnectionState") or {}
        found.append(
            PrivateEndpointConnection(id=string(connection, "id") or "", status=string(state, "status") or "Unknown")
        )
    return tuple(found)
