from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.rbac import (
    CONTRIBUTOR,
    OWNER,
    RBAC_ADMINISTRATOR,
    USER_ACCESS_ADMINISTRATOR,
    is_broad_scope,
)
from azaudit.model import Outcome, Severity
from azaudit_checks.rbac._assignments import judge_assignments

PRIVILEGED = {OWNER, CONTRIBUTOR, USER_ACCESS_ADMINISTRATOR, RBAC_ADMINISTRATOR}


@check(
    code="RBAC002",
    name="privileged-role-on-managed-identity",
    title="Managed identities hold no privileged role over a subscription or resource group",
    severity=Severity.HIGH,
    resource_type="Microsoft.Authorization/roleAssignments",
    requires=(
        Dataset.ROLE_ASSIGNMENTS,
        Dataset.IDENTITIES,
        Dataset.CONTAINER_GROUPS,
        Dataset.REGISTRIES,
        Dataset.VAULTS,
    ),
    recommendations=("least-privilege-runtime", "protect-credentials"),
    mcsb=("PA-7",),
)
def privileged_role_on_managed_identity(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Role assignments of Owner, Contributor, User Access Administrator or Role Based Access
    Control Administrator at subscription or resource-group scope (or wider: management group,
    root) whose principal is a managed identity. Managed identities are recognised without
    Microsoft Graph, by joining the assignment's principal id with the identities in the
    inventory: user-assigned identities and the system-assigned identities of container groups,
    registries and vaults. One FAIL per assignment; one PASS per subscription with none.

    ## Why it matters
    A managed identity is the credential of a running workload. Whoever gets code execution in
    a container whose identity is Contributor on the subscription can take over every resource
    in it; with Owner or an access-administration role, they can also grant themselves more.

    ## How to fix
    Give the workload's identity only the data-plane or resource-scoped roles it needs (for
    example `AcrPull` on one registry, `Key Vault Secrets User` on one vault), then remove the
    broad assignment:

    ```bash
    az role assignment delete --assignee <principal-id> --role Contributor --scope <scope>
    ```

    ## Decisions
    Identities the inventory does not know (managed identities of resources outside the audited
    services or subscriptions) cannot be recognised without Microsoft Graph and are not judged.
    A `--shard` job also lists the identity holders of the other jobs' subscriptions, so that the
    merged report judges exactly what an unsharded audit does.
    Assignments inherited from management groups are broader than a subscription and count.

    ## References
    - https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/managed-identity-best-practice-recommendations
    - https://learn.microsoft.com/azure/role-based-access-control/best-practices
    """
    yield from judge_assignments(
        ctx,
        lambda a: (
            a.role_guid in PRIVILEGED
            and is_broad_scope(a.scope)
            and ctx.inventory.managed_identity(a.principal_id) is not None
        ),
        "a managed identity holds {role} over {scope}",
        "no managed identity holds a privileged role over a subscription or resource group",
    )
