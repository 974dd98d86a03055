"""The ARM readers (azaudit/collect/arm.py) take a dict (what json.loads gives) at once and any
other Mapping through the ABC, as before: the same verdict for objects of every kind."""

from __future__ import annotations

from collections import OrderedDict, UserDict
from types import MappingProxyType
from typing import Any

import pytest

from azaudit.collect import arm
from azaudit.collect.sdk import shape_of
from azaudit.collect.tasks import UnusableShape


class Sub(dict[str, Any]):
    pass


OBJECTS = [{}, {"a": 1}, Sub(a=1), OrderedDict(a=1), MappingProxyType({"a": 1}), UserDict({"a": 1})]
NOT_OBJECTS = [[], [{"a": 1}], "text", 1, 1.5, True, (("a", 1),), {("a", 1)}]


def _verdict(read: Any, *args: Any) -> Any:
    try:
        return ("value", read(*args))
    except UnusableShape as error:
        return ("unusable", str(error))


@pytest.mark.parametrize("value", OBJECTS + NOT_OBJECTS + [None], ids=repr)
def test_every_reader_takes_a_mapping_of_any_kind_and_only_a_mapping(value: Any) -> None:
    is_object = value is not None and not isinstance(value, (list, str, int, float, tuple, set))
    assert _verdict(arm.mapping, {"k": value}, "k") == (
        ("value", value) if is_object or value is None else _verdict_of(value)
    )
    listed = _verdict(arm.listed, {"value": [value]}, "x")
    assert (listed[0] == "value") == is_object
    assert (_verdict(arm.listed, value, "x")[0] == "value") == is_object
    assert (_verdict(arm.objects, {"k": [value]}, "k")[0] == "value") == is_object
    assert (_verdict(arm.properties, {"properties": value})[0] == "value") == is_object
    identity = {"identity": {"type": "UserAssigned", "userAssignedIdentities": {"/id": value}}}
    assert (_verdict(arm.identity, identity)[0] == "value") == (is_object or value is None)


def _verdict_of(value: Any) -> Any:
    return ("unusable", f"its k is {shape_of(value)}, not an object")
