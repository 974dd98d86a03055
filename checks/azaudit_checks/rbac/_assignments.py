"""What the RBAC checks share: judging role assignments per subscription, and naming them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from azaudit.catalogue import CheckContext
from azaudit.inventory.rbac import RoleAssignment
from azaudit.model import Outcome, Status


def assignment_evidence(ctx: CheckContext, assignment: RoleAssignment) -> dict[str, str]:
    """The assignment's properties a verdict rests on: its role (by name), scope and principal type."""
    return {
        "properties.roleDefinitionId": ctx.inventory.role_name(assignment.role_definition_id),
        "properties.scope": assignment.scope,
        "properties.principalType": assignment.principal_type or "absent",
    }


def assignment_outcome(ctx: CheckContext, assignment: RoleAssignment, status: Status, message: str) -> Outcome:
    """An outcome about one assignment, named as ``<role> at <scope>``, the principal in ``item``."""
    role = ctx.inventory.role_name(assignment.role_definition_id)
    return Outcome(
        status=status,
        resource_id=assignment.id,
        resource_name=f"{role} at {ctx.inventory.describe_scope(assignment.scope)}",
        subscription_id=assignment.subscription_id,
        message=message,
        item=ctx.inventory.principal_words(assignment.principal_id, assignment.principal_type),
        evidence=assignment_evidence(ctx, assignment),
    )


def judge_assignments(
    ctx: CheckContext,
    offends: Callable[[RoleAssignment], bool],
    why: str,
    clean: str,
) -> Iterator[Outcome]:
    """FAIL for every offending assignment, saying ``why`` (a template with ``{role}`` and
    ``{scope}``); one PASS per subscription that has none."""
    for sub in ctx.inventory.subscriptions:
        mine = ctx.inventory.role_assignments_of(sub.subscription_id)
        offending = [a for a in mine if offends(a)]
        for assignment in offending:
            message = why.format(
                role=ctx.inventory.role_name(assignment.role_definition_id),
                scope=ctx.inventory.describe_scope(assignment.scope),
            )
            yield assignment_outcome(ctx, assignment, Status.FAIL, message)
        if not offending:
            yield Outcome.passed(
                sub, clean, evidence={"roleAssignments": f"{len(mine)} read, none with such a role at such a scope"}
            )
