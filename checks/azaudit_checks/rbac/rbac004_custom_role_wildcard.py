from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity


@check(
    code="RBAC004",
    name="custom-role-wildcard",
    title="Custom roles do not grant every action",
    severity=Severity.HIGH,
    resource_type="Microsoft.Authorization/roleDefinitions",
    requires=(Dataset.ROLE_DEFINITIONS,),
    recommendations=("protect-credentials",),
    mcsb=("PA-7",),
)
def custom_role_wildcard(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Every custom role definition visible in an audited subscription, for an `actions` entry of
    exactly `*` (every action of every provider). Provider-scoped wildcards such as
    `Microsoft.ContainerRegistry/registries/*/read` are not flagged here. Built-in roles are not
    judged.

    ## Why it matters
    A custom role with `*` is Owner under another name (minus whatever `notActions` removes):
    it hides full control of the subscription behind an innocuous role name, and escapes reviews
    that look for Owner and Contributor.

    ## How to fix
    Replace `*` with the specific actions the role needs, and update the role:

    ```bash
    az role definition update --role-definition role.json
    ```

    ## References
    - https://learn.microsoft.com/azure/role-based-access-control/custom-roles
    - https://learn.microsoft.com/azure/role-based-access-control/best-practices
    """
    for role in ctx.inventory.role_definitions:
        if not role.is_custom:
            continue
        if "*" in role.actions:
            yield Outcome.failed(role, f"custom role {role.name} grants every action (`*`)")
        else:
            yield Outcome.passed(role, f"custom role {role.name} lists specific actions")
