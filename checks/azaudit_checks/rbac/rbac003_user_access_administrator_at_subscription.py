from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.rbac import USER_ACCESS_ADMINISTRATOR, scope_kind
from azaudit.model import Outcome, Severity
from azaudit_checks.rbac._assignments import judge_assignments


@check(
    code="RBAC003",
    name="user-access-administrator-at-subscription",
    title="No standing User Access Administrator on the subscription",
    severity=Severity.HIGH,
    resource_type="Microsoft.Authorization/roleAssignments",
    requires=(Dataset.ROLE_ASSIGNMENTS,),
    recommendations=("protect-credentials",),
    mcsb=("PA-7",),
)
def user_access_administrator_at_subscription(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Role assignments of User Access Administrator at exactly the subscription scope. One FAIL
    per assignment, naming the principal; one PASS per subscription with none.

    ## Why it matters
    User Access Administrator can grant any role, Owner included, to anyone: it is Owner one
    step removed, and often survives reviews that only look for Owner. Standing assignments
    of it should not exist; it is meant to be activated just in time.

    ## How to fix
    ```bash
    az role assignment delete --assignee <principal-id> --role "User Access Administrator" \\
      --scope /subscriptions/<subscription-id>
    ```

    Use Privileged Identity Management for the rare moments the role is needed.

    ## References
    - https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/privileged#user-access-administrator
    - https://learn.microsoft.com/azure/role-based-access-control/best-practices
    """
    yield from judge_assignments(
        ctx,
        lambda a: a.role_guid == USER_ACCESS_ADMINISTRATOR and scope_kind(a.scope) == "subscription",
        "User Access Administrator on the whole subscription can grant anyone any role",
        "no User Access Administrator assignment at subscription scope",
    )
