"""The subscriptions a management group holds, at any depth (``--management-group``).

One paged ``descendants`` list per group named; nested groups come with it. A group that cannot be
read is one clear line before anything is audited: auditing fewer subscriptions than the group
holds must never look like a clean result.
"""

from __future__ import annotations

from collections.abc import Sequence

from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

from azaudit.auth import first_line
from azaudit.clients import Clients
from azaudit.collect.sdk import text
from azaudit.errors import AuthError, UsageError

SUBSCRIPTION_TYPE = "/subscriptions"


def subscriptions_under(clients: Clients, groups: Sequence[str]) -> dict[str, str]:
    """subscription id (lower case) → the named group that holds it (the first, if several do)."""
    members: dict[str, str] = {}
    client = clients.management_groups()
    for group in groups:
        try:
            descendants = list(client.management_groups.get_descendants(group))
        except ClientAuthenticationError as exc:
            raise AuthError(
                f"Azure refused the credential for management group {group}: {first_line(exc.message)}"
            ) from None
        except HttpResponseError as exc:
            raise UsageError(
                f"cannot read management group {group!r} (HTTP {exc.status_code}): {first_line(exc.message or '')}; "
                "give its id (not its display name) and grant the identity Management Group Reader on it"
            ) from None
        for item in descendants:
            if (text(item.type) or "").lower() == SUBSCRIPTION_TYPE and item.name:
                members.setdefault(item.name.lower(), group)
    return members
