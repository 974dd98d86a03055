"""A unit of collection work, what it yields, and how its failures become coverage records."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import Any

import msgspec
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    DecodeError,
    DeserializationError,
    HttpResponseError,
    SerializationError,
    ServiceRequestError,
    ServiceResponseError,
)

from azaudit.auth import first_line
from azaudit.inventory.coverage import CollectionError, CollectionNote, Dataset
from azaudit.tls import untrusted_certificate


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


# Collected and Task are msgspec structs, not dataclasses: a task and its answer are built for
# every request (3,300 of each at 1,000 resources), and a frozen dataclass's __init__ sets each
# field through object.__setattr__ (5.7 us a Task against 0.8 us, 2.4 us a Collected against 1.0
# on a loaded machine). Same fields, defaults, equality, hashing (Task) and repr.


class Collected(msgspec.Struct, weakref=True):
    """What a task produced: inventory records, notes, and further tasks it discovered."""

    records: list[object] = msgspec.field(default_factory=list)
    notes: list[CollectionNote] = msgspec.field(default_factory=list)
    followups: list[Task] = msgspec.field(default_factory=list)
    # resources of the answer that could not be read: the rest of the answer still counts
    errors: list[CollectionError] = msgspec.field(default_factory=list)


class Task(msgspec.Struct, frozen=True):
    """One collection step: usually one SDK list (all its pages) or one GET.

    ``ahead``: how far ahead of the ready tasks that came before it the scheduler starts this one
    (the highest first, in the order they came among equals). 0, the order they came, for every
    task that sends a request; above it only the image joins, which send none and hand out the
    registry lookups (see ``images.JOIN_AHEAD``).

    ``paced``: the task's first request is an ARM read paced in the bucket of ``subscription_id``
    (the tenant's for '', :mod:`azaudit.transport.pacing`). False for a task whose first request
    goes elsewhere (a Key Vault or registry data plane, a Resource Graph query) or that sends
    none: the scheduler gives it a thread while the subscriptions' buckets are dry."""

    dataset: Dataset
    subscription_id: str  # '' for run-wide data (built-in role definitions)
    operation: str
    run: Callable[[], Collected]
    resource_id: str = ""
    resource_name: str = ""
    ahead: int = 0
    paced: bool = True

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
    """An ARM resource's id and name (an SDK model or its ARM JSON), or '' for what is not a
    string (a hostile answer's item)."""
    if isinstance(item, Mapping):
        resource_id, name = item.get("id"), item.get("name")
    else:
        resource_id, name = getattr(item, "id", None), getattr(item, "name", None)
    return (
        resource_id if isinstance(resource_id, str) and resource_id.startswith("/") else "",
        name if isinstance(name, str) else "",
    )


def describe_failure(exc: BaseException) -> tuple[int | None, str]:
    """(HTTP status, one-line reason) for a failed request.

    The reason is built only from what cannot carry response data: the exception's class, the
    HTTP status, and the service's error code and message (Azure's ``{"error": {"code",
    "message"}}``, written by the service; renderers escape it like all tenant text). Never from
    the SDK's exception text: a DeserializationError quotes the data it could not read (an
    environment value, say), and a connection error quotes the URL, which a ``nextLink`` chose.
    Text azaudit wrote itself is kept (see :func:`_written_by_azaudit`).
    """
    kind = type(exc).__name__
    if isinstance(exc, CollectionFailure):
        return exc.status_code, exc.reason
    if _written_by_azaudit(exc):
        status = getattr(exc, "status_code", None)
        return (status if isinstance(status, int) else None), first_line(str(exc))
    if isinstance(exc, HttpResponseError) and exc.status_code is not None:
        status = exc.status_code
        if isinstance(exc, DecodeError):
            return status, f"malformed response body: not JSON ({kind})"
        code, message = _service_error(exc)
        if code or message:
            return status, first_line(f"{code}: {message}" if code and message else code or message)
        return status, f"{_phrase(status)} ({kind}; no error code in the answer)"
    if isinstance(exc, ClientAuthenticationError):  # raised by the credential, not by a resource's answer
        return None, first_line(f"authentication failed: {exc.message}")
    if isinstance(exc, ServiceResponseError):
        return None, first_line(f"no usable answer (timeout or broken connection): {_detail(exc)}")
    if isinstance(exc, ServiceRequestError):
        untrusted = untrusted_certificate(exc)
        if untrusted is not None:
            return None, untrusted
        return None, first_line(f"could not reach the service: {_detail(exc)}")
    if isinstance(exc, (DeserializationError, SerializationError, ValueError)):
        return None, f"malformed response: its data does not have the shape the SDK expects ({kind})"
    if isinstance(exc, AzureError):
        return None, first_line(f"request failed: {_detail(exc)}")
    return None, f"unexpected response shape ({kind})"


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and what it wraps (azure-core's ``inner_exception``, else ``__cause__``)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 5:
        chain.append(current)
        inner = getattr(current, "inner_exception", None)
        current = inner if isinstance(inner, BaseException) else current.__cause__
    return chain


def _detail(exc: BaseException) -> str:
    """azaudit's own words about a failure when it wrote any (the transport's deadline, a refused
    host), else the chain of exception classes (``ServiceResponseError < ReadTimeout``)."""
    chain = _chain(exc)
    for error in chain:
        if _written_by_azaudit(error):
            return str(error)
    return " < ".join(type(error).__name__ for error in chain)


def _written_by_azaudit(exc: BaseException) -> bool:
    """True for azaudit's own exception classes, and for an azure-core error that azaudit's code
    raised itself (the transport's deadline, say): their text is azaudit's words. A builtin error
    raised in azaudit's code is not (``int(value)`` quotes the value)."""
    if type(exc).__module__.split(".")[0] == "azaudit":
        return True
    if not isinstance(exc, AzureError):
        return False
    frame = exc.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    return frame is not None and str(frame.tb_frame.f_globals.get("__name__", "")).split(".")[0] == "azaudit"


def _service_error(exc: HttpResponseError) -> tuple[str, str]:
    """The ARM error's code and message, when the answer had them as strings."""
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None)
    message = getattr(error, "message", None)
    return (code if isinstance(code, str) else ""), (message if isinstance(message, str) else "")


def _phrase(status: int) -> str:
    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"
