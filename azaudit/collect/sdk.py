"""Small helpers to read SDK models (msrest and hybrid) into plain values."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any

from azaudit.collect.tasks import UnusableShape
from azaudit.inventory.common import Identity, PrivateEndpointConnection, UserAssignedRef


def text(value: Any) -> str | None:
    """A string (enum values unwrapped) or None."""
    if value is None:
        return None
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def get(obj: Any, *path: str) -> Any:
    """``obj.a.b.c`` where any step may be None."""
    for name in path:
        if obj is None:
            return None
        obj = getattr(obj, name, None)
    return obj


def shape_of(value: Any) -> str:
    """What a JSON value is, in words, without quoting it."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, (list, tuple)):
        return "a list"
    return type(value).__name__


def properties_of(resource: Any) -> Any:
    """The ``properties`` object of an ARM resource read by a hybrid (Mapping) SDK model. A
    resource whose properties are null, missing or not an object has nothing a check could read:
    :class:`UnusableShape`, so its checks report ERROR instead of judging empty defaults."""
    if isinstance(resource, Mapping) and "properties" not in resource:
        raise UnusableShape("its properties are missing")
    props = getattr(resource, "properties", None)
    if not isinstance(props, Mapping):
        raise UnusableShape(f"its properties are {'null' if props is None else shape_of(props) + ', not an object'}")
    return props


def strings(values: Iterable[Any] | None) -> tuple[str, ...]:
    return tuple(t for t in (text(v) for v in values or ()) if t is not None)


def tags_of(tags: Any) -> tuple[tuple[str, str], ...]:
    """ARM ``tags`` (a name → value mapping) as sorted pairs."""
    return tuple(sorted((str(k), "" if v is None else str(v)) for k, v in (tags or {}).items()))


def identity_of(identity: Any) -> Identity:
    if identity is None:
        return Identity()
    assigned = get(identity, "user_assigned_identities") or {}
    return Identity(
        type=text(get(identity, "type")) or "None",
        principal_id=text(get(identity, "principal_id")) or "",
        user_assigned=tuple(
            UserAssignedRef(
                id=resource_id,
                principal_id=text(get(details, "principal_id")) or "",
                client_id=text(get(details, "client_id")) or "",
            )
            for resource_id, details in assigned.items()
        ),
    )


def private_endpoints(connections: Iterable[Any] | None) -> tuple[PrivateEndpointConnection, ...]:
    found = []
    for connection in connections or ():
        state = get(connection, "private_link_service_connection_state", "status") or get(
            connection, "properties", "private_link_service_connection_state", "status"
        )
        found.append(PrivateEndpointConnection(id=text(get(connection, "id")) or "", status=text(state) or "Unknown"))
    return tuple(found)
