from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.rbac import OWNER, scope_kind
from azaudit.model import Outcome, Severity


@check(
    code="RBAC001",
    name="too-many-owners",
    title="Few principals own the subscription",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.Resources/subscriptions",
    requires=(Dataset.ROLE_ASSIGNMENTS,),
    recommendations=("protect-credentials",),
    mcsb=("PA-1",),
)
def too_many_owners(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    The number of Owner role assignments at exactly the subscription scope (inherited
    management-group assignments and resource-group assignments are not counted). FAIL when it
    exceeds the threshold, `[rbac] max_subscription_owners` in the config file (default 3).

    ## Why it matters
    Every Owner can grant anyone any role, read every setting and delete every resource,
    including the registries and vaults that hold the workload's images and credentials. Each
    extra Owner is one more account whose compromise is total.

    ## How to fix
    Remove the Owner assignments that are not needed, and grant narrower roles (or eligible,
    just-in-time assignments through Privileged Identity Management) instead:

    ```bash
    az role assignment delete --assignee <principal-id> --role Owner --scope /subscriptions/<subscription-id>
    ```

    ## References
    - https://learn.microsoft.com/azure/role-based-access-control/best-practices
    - https://learn.microsoft.com/entra/id-governance/privileged-identity-management/pim-configure
    """
    limit = ctx.settings.rbac.max_subscription_owners
    for sub in ctx.inventory.subscriptions:
        owners = [
            a
            for a in ctx.inventory.role_assignments
            if a.subscription_id.lower() == sub.subscription_id.lower()
            and a.role_guid == OWNER
            and scope_kind(a.scope) == "subscription"
        ]
        principals = sorted({a.principal_id for a in owners})
        if len(owners) > limit:
            yield Outcome.failed(
                sub,
                f"{len(owners)} Owner assignments at subscription scope (at most {limit})",
                item=", ".join(principals),
            )
        else:
            yield Outcome.passed(sub, f"{len(owners)} Owner assignment(s) at subscription scope (at most {limit})")
