"""The subscriptions a management group holds, at any depth (``--management-group``).

One paged ``descendants`` list per group named (``GET /providers/Microsoft.Management/
managementGroups/{group}/descendants`` and its ``nextLink`` pages, through the run's ARM client);
nested groups come with it. A group that cannot be read, or whose answer is not a list of objects
with string fields, is one clear line before anything is audited: auditing fewer subscriptions
than the group holds must never look like a clean result.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from azaudit.clients import Clients
from azaudit.collect.arm import arm_list, string
from azaudit.scope.subscriptions import LISTING_FAILURES, listing_failure
from azaudit.transport import request_scope

SUBSCRIPTION_TYPE = "/subscriptions"
# The API version azure-mgmt-managementgroups 2's ``get_descendants`` sent (Management Groups - Get
# Descendants, https://learn.microsoft.com/rest/api/managementgroups/management-groups/get-descendants).
DESCENDANTS_API = "2023-04-01"


def descendants_path(group: str) -> str:
    """The path of ``group``'s descendants, the group's id quoted whole (a '/' or '?' in it stays
    part of the id), as the SDK quoted it."""
    return f"/providers/Microsoft.Management/managementGroups/{quote(group, safe='')}/descendants"


def subscriptions_under(clients: Clients, groups: Sequence[str]) -> dict[str, str]:
    """subscription id (lower case) → the named group that holds it (the first, if several do)."""
    members: dict[str, str] = {}
    client = clients.arm()
    for group in groups:
        try:
            with request_scope():
                found = arm_list(client, descendants_path(group), DESCENDANTS_API, "managementGroups.getDescendants")
                descendants = [(string(item, "type") or "", string(item, "name")) for item in found]
        except LISTING_FAILURES as exc:
            raise listing_failure(
                f"read management group {group!r}",
                exc,
                "give its id (not its display name) and grant the identity Management Group Reader on it",
            ) from None
        for kind, name in descendants:
            if kind.lower() == SUBSCRIPTION_TYPE and name:
                members.setdefault(name.lower(), group)
    return members
