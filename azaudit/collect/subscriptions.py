"""The subscriptions to audit: every enabled one the credential can see, or those named."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

from azaudit.auth import first_line
from azaudit.clients import Clients
from azaudit.collect.sdk import text
from azaudit.errors import AuthError, UsageError
from azaudit.inventory.common import Subscription


def visible_subscriptions(clients: Clients) -> list[Subscription]:
    try:
        return [
            Subscription(
                subscription_id=s.subscription_id or "",
                display_name=s.display_name or "",
                state=text(s.state) or "",
                tenant_id=text(getattr(s, "tenant_id", None)) or "",
            )
            for s in clients.subscriptions().subscriptions.list()
        ]
    except ClientAuthenticationError as exc:
        raise AuthError(
            f"Azure refused the credential while listing subscriptions: {first_line(exc.message)}"
        ) from None
    except HttpResponseError as exc:
        raise AuthError(
            f"could not list subscriptions (HTTP {exc.status_code}): {first_line(exc.message)}; "
            "check that the identity has Reader on at least one subscription"
        ) from None


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
