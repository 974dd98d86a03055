"""ARM JSON through an SDK client's own pipeline, and strict readers of its values.

:func:`arm_get` sends a GET through the management client's pipeline (its authentication, retry
and user-agent policies, the run's guarded transport and the secret guard), maps a failure to the
same exceptions the SDK's operations raise, and returns the body as JSON: no model is built, so a
mapper reads the same dict a REST body or a Resource Graph row gives. The readers refuse a value
of the wrong type with :class:`UnusableShape` (the resource's checks report ERROR), and say in one
place what an absent value means.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from azure.core.exceptions import (
    ClientAuthenticationError,
    DecodeError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    ResourceNotModifiedError,
    map_error,
)
from azure.core.rest import HttpRequest
from azure.mgmt.core.exceptions import ARMErrorFormat

from azaudit.collect.sdk import shape_of
from azaudit.collect.tasks import UnusableShape

# What the SDK's generated operations map these statuses to.
ERROR_MAP: dict[int, type[HttpResponseError]] = {
    401: ClientAuthenticationError,
    404: ResourceNotFoundError,
    409: ResourceExistsError,
    304: ResourceNotModifiedError,
}


def arm_get(client: Any, path: str, api_version: str) -> Any:
    """The JSON body of ``GET {path}?api-version=...``, sent by ``client``'s pipeline."""
    # Every generated management client keeps its ARMPipelineClient as ``_client`` (what its
    # ``_send_request`` uses; the multi-API clients such as Monitor's have no ``_send_request``).
    pipeline = client._client
    url = pipeline.format_url(path)
    request = HttpRequest("GET", url, params={"api-version": api_version}, headers={"Accept": "application/json"})
    response = pipeline.send_request(request)
    if response.status_code != 200:
        map_error(status_code=response.status_code, response=response, error_map=ERROR_MAP)
        raise HttpResponseError(response=response, error_format=ARMErrorFormat)
    try:
        return response.json()
    except ValueError:
        raise DecodeError("the answer is not JSON", response=response) from None


def listed(body: Any, what: str) -> list[Mapping[str, Any]]:
    """The items of an ARM list body (``{"value": [...]}``); an answer of another shape, or an
    item that is not an object, makes the whole answer unusable."""
    if not isinstance(body, Mapping):
        raise UnusableShape(f"the {what} answer is {shape_of(body)}, not an object")
    items = body.get("value") or []  # absent or null: no items, as the SDK reads it
    if not isinstance(items, list):
        raise UnusableShape(f"the value of the {what} answer is {shape_of(items)}, not a list")
    for item in items:
        if not isinstance(item, Mapping):
            raise UnusableShape(f"an item of the {what} answer is {shape_of(item)}, not an object")
    return items


def properties(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    """An ARM resource's ``properties``; null, missing or not an object is unusable."""
    if "properties" not in resource:
        raise UnusableShape("its properties are missing")
    props = resource["properties"]
    if not isinstance(props, Mapping):
        raise UnusableShape(f"its properties are {'null' if props is None else shape_of(props) + ', not an object'}")
    return props


def string(obj: Mapping[str, Any], key: str, default: str | None = None) -> str | None:
    """``obj[key]`` as a string; absent or null is ``default`` (Azure's default for the field)."""
    value = obj.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise UnusableShape(f"its {key} is {shape_of(value)}, not a string")
    return value


def boolean(obj: Mapping[str, Any], key: str, default: bool) -> bool:
    """``obj[key]`` as a boolean; absent or null is ``default`` (Azure's default for the field)."""
    value = obj.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise UnusableShape(f"its {key} is {shape_of(value)}, not a boolean")
    return value


def objects(obj: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    """``obj[key]`` as a list of objects; absent or null is an empty list."""
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise UnusableShape(f"its {key} is {shape_of(value)}, not a list of objects")
    return value
