from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.rbac import USER_ACCESS_ADMINISTRATOR, scope_kind
from azaudit.model import Outcome, Severity
from azaudit_checks.rbac._assignments import judge_assignments

# The scopes whose User Access Administrator controls access to the whole subscription.
OVER_THE_SUBSCRIPTION = {"root", "management group", "subscription"}


@check(
    code="RBAC003",
    name="user-access-administrator-at-subscription",
    title="No User Access Administrator over the whole subscription",
    severity=Severity.HIGH,
    resource_type="Microsoft.Authorization/roleAssignments",
    requires=(Dataset.ROLE_ASSIGNMENTS,),
    recommendations=("protect-credentials",),
    mcsb=("PA-7",),
)
def user_access_administrator_at_subscription(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Role assignments of User Access Administrator that reach the whole subscription: at the
    subscription itself, at a management group above it, or at the tenant root (`/`). The
    subscription's role-assignment list (`roleAssignments` listed for the subscription) returns
    the assignments inherited from those scopes too, so they are judged in every subscription
    they reach. One FAIL per assignment, naming the principal and the scope; one PASS per
    subscription with none. Assignments on resource groups and resources are not judged here.

    ## Why it matters
    User Access Administrator can grant any role, Owner included, to anyone: it is Owner one
    step removed, and often survives reviews that only look for Owner. At the tenant root it is
    what a Global Administrator gets by "elevating access", over every subscription and
    management group; the CIS Microsoft Azure Foundations benchmark (5.3.3, "use of the User
    Access Administrator role is restricted") asks for it to be removed once the task that
    needed it is done. It is meant to be granted just in time, never left in
    place.

    ## How to fix
    ```bash
    az role assignment delete --assignee <principal-id> --role "User Access Administrator" \\
      --scope <scope>    # /subscriptions/<id>, the management group's id, or /
    ```

    For elevated access at the root, the Global Administrator turns it off in Microsoft Entra ID
    (Properties, "Access management for Azure resources"). Use eligible assignments in Privileged
    Identity Management for the rare moments the role is needed.

    ## Decisions
    The role-assignment list cannot tell a permanent assignment from one that Privileged
    Identity Management created for an activation: ARM lists an activated eligible role as an
    ordinary role assignment, with no end date or origin (only the separate
    `roleAssignmentScheduleInstances` API, which azaudit does not read, says `Activated` or
    `Assigned`). So the message calls it an assignment that exists now and says that it may be
    an activation; it never calls it standing. Eligible assignments that are not active are not
    role assignments and are not seen. Azure Policy has no built-in definition for User Access
    Administrator assignments.

    ## References
    - https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/privileged#user-access-administrator
    - https://learn.microsoft.com/azure/role-based-access-control/elevate-access-global-admin
    - https://learn.microsoft.com/rest/api/authorization/role-assignments/list-for-subscription
    - https://learn.microsoft.com/rest/api/authorization/role-assignment-schedule-instances/list-for-scope
    - https://learn.microsoft.com/azure/role-based-access-control/best-practices
    """
    yield from judge_assignments(
        ctx,
        lambda a: a.role_guid == USER_ACCESS_ADMINISTRATOR and scope_kind(a.scope) in OVER_THE_SUBSCRIPTION,
        "{role} assigned over {scope} can grant anyone any role in this subscription (a current assignment: permanent, "
        "or a Privileged Identity Management activation, which the role-assignment list does not tell apart)",
        "no User Access Administrator assignment over the subscription (subscription, management group or root)",
    )
