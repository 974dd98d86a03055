"""The ARM readers that every record builder calls most (string, boolean, optional_boolean,
objects) give the same value, or refuse with the same words, as the readers they replaced, kept
below as the reference: written out for speed, not changed in meaning."""

from __future__ import annotations

from collections import OrderedDict, UserDict, UserString
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import pytest

from azaudit.collect import arm
from azaudit.collect.sdk import shape_of
from azaudit.collect.tasks import UnusableShape

# --- the readers as they were (azaudit/collect/arm.py at f3cff51) ------------------------------


def _typed(obj: Mapping[str, Any], key: str, kind: type[Any], noun: str) -> Any:
    value = obj.get(key)
    if value is not None and not isinstance(value, kind):
        raise UnusableShape(f"its {key} is {shape_of(value)}, not {noun}")
    return value


def string_before(obj: Mapping[str, Any], key: str, default: str | None = None) -> str | None:
    value: str | None = _typed(obj, key, str, "a string")
    return default if value is None else value


def boolean_before(obj: Mapping[str, Any], key: str, default: bool) -> bool:
    value: bool | None = _typed(obj, key, bool, "a boolean")
    return default if value is None else value


def optional_boolean_before(obj: Mapping[str, Any], key: str) -> bool | None:
    value: bool | None = _typed(obj, key, bool, "a boolean")
    return value


def objects_before(obj: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(type(item) is dict or isinstance(item, Mapping) for item in value):
        raise UnusableShape(f"its {key} is {shape_of(value)}, not a list of objects")
    return value


# --- the comparison ------------------------------------------------------------------------------


class Text(str):
    pass


class Items(list[Any]):
    pass


class Sub(dict[str, Any]):
    pass


SCALARS: list[Any] = [None, "", "text", "Zq7CanaryV4lue", Text("sub"), True, False, 0, 1, -1, 2**70, 0.0, 1.5]
SCALARS += [float("nan"), b"bytes", UserString("u"), ("a",), {"a"}, object()]
OBJECTS: list[Any] = [{}, {"a": 1}, Sub(a=1), OrderedDict(a=1), MappingProxyType({"a": 1}), UserDict({"a": 1})]
LISTS: list[Any] = [[], [{}], [{"a": 1}, Sub()], [OrderedDict(), MappingProxyType({})], [UserDict()], [{}, None]]
LISTS += [[{}, "x"], [1], [[]], ["a"], Items([{}]), Items([1]), ({},), [{}] * 50 + [2]]
VALUES = SCALARS + OBJECTS + LISTS


def _outcome(read: Any, *args: Any) -> tuple[str, Any]:
    try:
        return "value", read(*args)
    except UnusableShape as error:
        return "unusable", str(error)


def _same(one: tuple[str, Any], other: tuple[str, Any]) -> bool:
    # the very object (a reader hands back what the answer holds), or the same words
    return one[0] == other[0] and (one[1] is other[1] if one[0] == "value" else one[1] == other[1])


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
@pytest.mark.parametrize("container", [dict, Sub, OrderedDict, MappingProxyType, UserDict])
def test_readers_read_every_value_as_before(value: Any, container: Any) -> None:
    for present in (True, False):
        obj = container({"k": value} if present else {"other": value})
        for default in (None, "default"):
            assert _same(_outcome(arm.string, obj, "k", default), _outcome(string_before, obj, "k", default))
        for flag in (True, False):
            assert _same(_outcome(arm.boolean, obj, "k", flag), _outcome(boolean_before, obj, "k", flag))
        assert _same(_outcome(arm.optional_boolean, obj, "k"), _outcome(optional_boolean_before, obj, "k"))
        new, old = _outcome(arm.objects, obj, "k"), _outcome(objects_before, obj, "k")
        # an absent list is a new empty list each time: equal, not the same object
        assert new[0] == old[0] and (new[1] == old[1] if value is None or not present else _same(new, old))
