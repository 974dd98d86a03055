"""A unit of collection work, what it yields, and how its failures become coverage records."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    DeserializationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)

from azaudit.auth import first_line
from azaudit.inventory.coverage import CollectionError, CollectionNote, Dataset


class UnusableShape(ValueError):
    """One resource in an answer cannot be read: its ``properties`` are null, missing or not an
    object, or an attribute a record needs is not of its documented type. The message names the
    field and what was wrong with it, never its value."""


class CollectionFailure(Exception):
    """A collection failed for reasons a collector has already put into words (for example
    both the data plane and the ARM fallback refused)."""

    def __init__(self, status_code: int | None, reason: str) -> None:
        super().__init__(reason)
        self.status_code = status_code
        self.reason = reason


@dataclass
class Collected:
    """What a task produced: inventory records, notes, and further tasks it discovered."""

    records: list[object] = field(default_factory=list)
    notes: list[CollectionNote] = field(default_factory=list)
    followups: list[Task] = field(default_factory=list)
    # resources of the answer that could not be read: the rest of the answer still counts
    errors: list[CollectionError] = field(default_factory=list)


@dataclass(frozen=True)
class Task:
    """One collection step: usually one SDK list (all its pages) or one GET."""

    dataset: Dataset
    subscription_id: str  # '' for run-wide data (built-in role definitions)
    operation: str
    run: Callable[[], Collected]
    resource_id: str = ""
    resource_name: str = ""

    def each(
        self,
        items: Iterable[Any],
        build: Callable[[Any], object],
        scope: Callable[[Any], tuple[str, str]] | None = None,
    ) -> Collected:
        """``build`` applied to every item of a listing. An item whose shape ``build`` cannot read
        costs a collection error scoped to that item (its checks report ERROR for it), not the
        whole listing; a failure of the listing itself (a page that did not come) still fails the
        task. ``scope`` gives an item's resource id and name (default: its ARM ``id`` and ``name``)."""
        collected = Collected()
        for item in items:
            try:
                collected.records.append(build(item))
            except (ValueError, TypeError, AttributeError, KeyError) as exc:  # UnusableShape too
                collected.errors.append(self.unusable(item, exc, scope or arm_scope))
        return collected

    def unusable(self, item: Any, exc: BaseException, scope: Callable[[Any], tuple[str, str]]) -> CollectionError:
        """The collection error for one item of this task's answer that could not be read."""
        resource_id, name = scope(item)
        if not resource_id:
            # An item without an id cannot be scoped: the whole answer is unusable.
            raise UnusableShape(f"an item of the {self.operation} answer has no usable id") from exc
        # Our own words name the field; any other exception's text may quote tenant data.
        reason = (
            str(exc) if isinstance(exc, UnusableShape) else f"a field has an unexpected type ({type(exc).__name__})"
        )
        return CollectionError(
            dataset=self.dataset,
            subscription_id=self.subscription_id,
            resource_id=resource_id,
            resource_name=name or resource_id.rstrip("/").rsplit("/", 1)[-1],
            operation=self.operation,
            reason=f"unusable answer: {reason}",
        )

    def failed(self, exc: BaseException) -> CollectionError:
        status, reason = describe_failure(exc)
        return CollectionError(
            dataset=self.dataset,
            subscription_id=self.subscription_id,
            resource_id=self.resource_id,
            resource_name=self.resource_name,
            operation=self.operation,
            status_code=status,
            reason=reason,
        )


def arm_scope(item: Any) -> tuple[str, str]:
    """An ARM resource's id and name, or '' for what is not a string (a hostile answer's item)."""
    resource_id = getattr(item, "id", None)
    name = getattr(item, "name", None)
    return (
        resource_id if isinstance(resource_id, str) and resource_id.startswith("/") else "",
        name if isinstance(name, str) else "",
    )


def describe_failure(exc: BaseException) -> tuple[int | None, str]:
    """(HTTP status, one-line reason) for a failed request, without response bodies beyond the
    service's own error code and message."""
    if isinstance(exc, CollectionFailure):
        return exc.status_code, exc.reason
    if isinstance(exc, HttpResponseError) and exc.status_code is not None:
        error = getattr(exc, "error", None)
        code = getattr(error, "code", None) if error is not None else None
        message = getattr(error, "message", None) if error is not None else None
        text = message or exc.reason or exc.message or ""
        if isinstance(exc, DeserializationError) or exc.__class__.__name__ == "DecodeError":
            text = f"malformed response body: {text}"
        return exc.status_code, first_line(f"{code}: {text}" if code else text)
    if isinstance(exc, ClientAuthenticationError):
        return None, first_line(f"authentication failed: {exc.message}")
    if isinstance(exc, ServiceResponseError):
        return None, first_line(f"no usable answer (timeout or broken connection): {exc.message}")
    if isinstance(exc, ServiceRequestError):
        return None, first_line(f"could not reach the service: {exc.message}")
    if isinstance(exc, (DeserializationError, ValueError)):
        return None, first_line(f"malformed response: {exc}")
    if isinstance(exc, AzureError):
        return None, first_line(exc.message)
    return None, first_line(f"unexpected response shape ({type(exc).__name__}: {exc})")
