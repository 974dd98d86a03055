"""A unit of collection work, what it yields, and how its failures become coverage records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class Task:
    """One collection step: usually one SDK list (all its pages) or one GET."""

    dataset: Dataset
    subscription_id: str  # '' for run-wide data (built-in role definitions)
    operation: str
    run: Callable[[], Collected]
    resource_id: str = ""
    resource_name: str = ""

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
