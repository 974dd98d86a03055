"""What a role definition's actions grant: Azure's wildcard matching, with ``notActions`` removed.

An action pattern matches an operation the way Azure RBAC matches it: case-insensitively, with
``*`` standing for any run of characters (``/`` included), so ``Microsoft.Authorization/*`` and
``*/write`` both cover ``Microsoft.Authorization/roleAssignments/write``. An operation is granted
when an action matches it and no notAction does (notActions subtract; they never deny).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from azaudit.inventory.rbac import RoleDefinition

# Operations that let a role holder raise their own (or anyone's) privileges: grant any role
# (Owner included), or rewrite a role definition they already hold.
ESCALATING = (
    "Microsoft.Authorization/roleAssignments/write",
    "Microsoft.Authorization/roleDefinitions/write",
)


def _pattern(action: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if part == "*" else re.escape(part) for part in re.split(r"(\*)", action)), re.I)


def matches(patterns: Iterable[str], operation: str) -> bool:
    """Whether one of the action patterns covers the operation."""
    return any(_pattern(p.strip()).fullmatch(operation) for p in patterns if p.strip())


def grants(role: RoleDefinition, operation: str) -> bool:
    """Whether the role's actions grant the control-plane operation (notActions removed)."""
    return matches(role.actions, operation) and not matches(role.not_actions, operation)


def escalations(role: RoleDefinition) -> tuple[str, ...]:
    """The privilege-raising operations the role grants."""
    return tuple(operation for operation in ESCALATING if grants(role, operation))


def every_data_action(role: RoleDefinition) -> bool:
    """Whether ``dataActions`` holds a bare ``*``: every data-plane operation of every service
    (secret values, blobs, queues), whatever ``notDataActions`` then removes."""
    return any(action.strip() == "*" for action in role.data_actions)
