"""The subscriptions a management group holds, at any depth (``--management-group``).

One paged ``descendants`` list per group named; nested groups come with it. A group that cannot be
read is one clear line before anything is audited: auditing fewer subscriptions than the group
holds must never look like a clean result.
"""

from __future__ import annotations

from collections.abc import Sequence

from azaudit.clients import Clients
from azaudit.collect.sdk import text
from azaudit.scope.subscriptions import LISTING_FAILURES, listing_failure
from azaudit.transport import request_scope

SUBSCRIPTION_TYPE = "/subscriptions"


def subscriptions_under(clients: Clients, groups: Sequence[str]) -> dict[str, str]:
    """subscription id (lower case) → the named group that holds it (the first, if several do)."""
    members: dict[str, str] = {}
    client = clients.management_groups()
    for group in groups:
        try:
            with request_scope():
                descendants = list(client.management_groups.get_descendants(group))
        except LISTING_FAILURES as exc:
            raise listing_failure(
                f"read management group {group!r}",
                exc,
                "give its id (not its display name) and grant the identity Management Group Reader on it",
            ) from None
        for item in descendants:
            if (text(item.type) or "").lower() == SUBSCRIPTION_TYPE and item.name:
                members.setdefault(item.name.lower(), group)
    return members
