"""Two small readers left from the SDK-model collectors: a value as text (an SDK enum unwrapped), and
what a JSON value is, in words (for UnusableShape messages that never quote the value)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any


def text(value: Any) -> str | None:
    """A string (enum values unwrapped) or None."""
    if value is None:
        return None
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


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
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__
