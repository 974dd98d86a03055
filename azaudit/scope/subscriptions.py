"""The subscriptions to audit: every enabled one the credential can see, or those named."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    DecodeError,
    DeserializationError,
    HttpResponseError,
    SerializationError,
)

from azaudit.clients import Clients
from azaudit.collect.arm import arm_list, string
from azaudit.collect.tasks import UnusableShape, describe_failure
from azaudit.errors import AuthError, AzauditError, NetworkError, TransportRefusal, UsageError
from azaudit.inventory.common import Subscription
from azaudit.transport import request_scope

# Every failure a listing made before the audit can meet: azure-core's classes (network,
# timeouts, HTTP answers, bodies that are not JSON, redirect loops), models and JSON answers that
# cannot be read, and the transport's refusals (a nextLink to another host, a paging loop, endless
# throttling), and a body nested too deep to decode (RecursionError, as a collection task's
# failure is: collect/arm.py's _loads).
LISTING_FAILURES = (
    AzureError,
    DeserializationError,
    SerializationError,
    UnusableShape,
    TransportRefusal,
    RecursionError,
)

# The API version azure-mgmt-resource-subscriptions 1's ``subscriptions.list`` sent (Subscriptions -
# List, https://learn.microsoft.com/rest/api/resources/subscriptions/list), which azaudit was tested with.
SUBSCRIPTIONS_API = "2022-12-01"


def listing_failure(what: str, exc: BaseException, hint: str) -> AzauditError:
    """The one-line error (exit 2) for a listing that must succeed before anything is audited.

    A credential that could not get a token, or a refusal (401, 403), is an authentication error
    with ``hint``; another answer of the service about the request (a 4xx) is a usage error with
    ``hint``; everything else (no connection, a timeout, a 5xx after the retries, an unreadable
    answer, a refusal of the transport) is a network error. The reason comes from
    :func:`describe_failure`, the one mapping of failures to words, so it reads as it does in a
    report's coverage.
    """
    status, reason = describe_failure(exc)
    where = f" (HTTP {status})" if status and not reason.startswith("HTTP ") else ""
    if isinstance(exc, ClientAuthenticationError) and status is None:
        return AuthError(f"could not {what}: {reason}; {hint}")
    if status in (401, 403):
        return AuthError(f"cannot {what}{where}: {reason}; {hint}")
    if isinstance(exc, HttpResponseError) and not isinstance(exc, DecodeError) and status and 400 <= status < 500:
        return UsageError(f"cannot {what}{where}: {reason}; {hint}")
    return NetworkError(f"could not {what}{where}: {reason}; nothing was audited")


def visible_subscriptions(clients: Clients) -> list[Subscription]:
    """Every subscription the credential sees (``GET /subscriptions`` and its ``nextLink`` pages,
    through the run's ARM client), or one clear line: a failure, or an answer that is not a list of
    objects, ends the run before anything is audited."""
    try:
        with request_scope():
            found = arm_list(clients.arm(), "/subscriptions", SUBSCRIPTIONS_API, "subscriptions.list")
            return [subscription_record(item) for item in found]
    except LISTING_FAILURES as exc:
        raise listing_failure(
            "list the subscriptions", exc, "check that the identity has Reader on at least one subscription"
        ) from None


def subscription_record(item: Mapping[str, Any]) -> Subscription:
    """One subscription of the list, its fields as Azure wrote them (a state's case kept, as the
    SDK's model kept it); absent or null is ''. A field that is not a string makes the whole list
    unusable (the SDK's model wrote any JSON value as a string, a number or a list's Python text)."""
    return Subscription(
        subscription_id=string(item, "subscriptionId") or "",
        display_name=string(item, "displayName") or "",
        state=string(item, "state") or "",
        tenant_id=string(item, "tenantId") or "",
    )


def _find(visible: Sequence[Subscription], requested: str) -> Subscription | None:
    """The subscription ``requested`` names: its id (case-insensitive) always wins; else the one
    subscription with that exact display name (case-insensitive). Display names are written by
    anyone who can rename a subscription, so a name equal to another subscription's id must never
    redirect the audit, and a name two subscriptions share is ambiguous, never a silent pick."""
    wanted = requested.strip().lower()
    for sub in visible:
        if sub.subscription_id.lower() == wanted:
            return sub
    named = [s for s in visible if s.display_name and s.display_name.lower() == wanted]
    if len(named) > 1:
        ids = ", ".join(s.subscription_id for s in named)
        raise UsageError(
            f"subscription name {requested!r} is ambiguous: {len(named)} subscriptions have it ({ids}); "
            "name the one to audit by its id"
        )
    return named[0] if named else None


def choose(visible: Sequence[Subscription], requested: Sequence[str]) -> list[Subscription]:
    """The named subscriptions (by id or exact display name), or every enabled one.

    A named subscription the credential cannot see is an error naming it: auditing fewer
    subscriptions than asked must never look like a clean result.
    """
    if not requested:
        enabled = [s for s in visible if s.state.lower() == "enabled"]
        if not enabled:
            raise UsageError("the credential sees no enabled subscription; check its role assignments or --tenant")
        return enabled
    if any(not r.strip() for r in requested):
        raise UsageError("an empty subscription id or name was given (an unset variable?); name each subscription")
    found = {r: _find(visible, r) for r in requested}
    missing = [r for r, sub in found.items() if sub is None]
    if missing:
        raise UsageError(
            f"subscription(s) not visible to this credential: {', '.join(missing)}; "
            "check the id, the tenant (--tenant) and the identity's Reader role"
        )
    chosen: list[Subscription] = []
    for sub in found.values():
        if sub is not None and sub not in chosen:
            chosen.append(sub)
    return chosen


def choose_under(
    visible: Sequence[Subscription], members: Mapping[str, str], groups: Sequence[str]
) -> list[Subscription]:
    """The enabled subscriptions that the named management groups hold (``members``: id → group).

    A subscription a group holds that the credential cannot see is an error naming it and its
    group, like a named subscription that is not visible.
    """
    by_id = {s.subscription_id.lower(): s for s in visible}
    hidden = sorted(sid for sid in members if sid not in by_id)
    if hidden:
        where = ", ".join(f"{sid} (in {members[sid]})" for sid in hidden)
        raise UsageError(
            f"subscription(s) not visible to this credential: {where}; "
            "grant the identity Reader on the management group, or audit named subscriptions instead"
        )
    chosen = [s for s in visible if s.subscription_id.lower() in members and s.state.lower() == "enabled"]
    if not chosen:
        raise UsageError(f"management group(s) {', '.join(groups)} hold no enabled subscription")
    return chosen
