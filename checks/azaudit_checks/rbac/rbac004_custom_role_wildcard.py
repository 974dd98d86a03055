from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity
from azaudit_checks.rbac._permissions import escalations, every_data_action


@check(
    code="RBAC004",
    name="custom-role-wildcard",
    title="Custom roles neither grant every action nor let their holders grant roles",
    severity=Severity.HIGH,
    resource_type="Microsoft.Authorization/roleDefinitions",
    requires=(Dataset.ROLE_DEFINITIONS,),
    recommendations=("protect-credentials",),
    mcsb=("PA-7",),
    policies=("10ee2ea2-fb4d-45b8-a7e9-a2e770044cd9",),
)
def custom_role_wildcard(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Every custom role definition visible in an audited subscription. FAIL when:

    - its `actions` hold exactly `*` (every action of every provider), whatever `notActions`
      remove, as Azure Policy's custom-owner-role definition judges it;
    - its actions grant `Microsoft.Authorization/roleAssignments/write` or
      `Microsoft.Authorization/roleDefinitions/write`, matched the way Azure RBAC matches
      them: `Microsoft.Authorization/*`, `*/write` and `Microsoft.Authorization/*/write` all
      cover them, and a `notActions` entry that covers the operation removes it (a role whose
      notActions remove both is not escalating);
    - its `dataActions` hold exactly `*` (every data-plane operation: secret values, blobs,
      queue messages of every service).

    Narrower wildcards such as `Microsoft.ContainerRegistry/registries/*/read` pass. Built-in
    roles are not judged.

    ## Why it matters
    A custom role with `*` is Owner under another name; one that can write role assignments or
    role definitions lets its holder grant themselves Owner (or add `*` to the role they hold).
    Both hide full control of the subscription behind an innocuous role name and escape reviews
    that look for Owner, Contributor and User Access Administrator. `*` in dataActions reads every
    secret and every blob the role's scope reaches.

    ## How to fix
    Replace the wildcards with the specific actions the role needs (or add the
    `Microsoft.Authorization/*/Write` and `Microsoft.Authorization/*/Delete` notActions, as the
    Contributor role does), and update the role:

    ```bash
    az role definition update --role-definition role.json
    ```

    ## Decisions
    `notActions` subtract from `actions`; they are not deny rules, and azaudit applies them as
    Azure does: `*` with notActions that remove the authorization writes is not escalating, but
    still grants every other action and still FAILs for `*`, as Azure Policy's definition
    10ee2ea2-fb4d-45b8-a7e9-a2e770044cd9 ("Custom subscription owner roles should not exist",
    now deprecated) does without looking at notActions. The permission blocks of a definition
    are read together. `Microsoft.Authorization/elevateAccess/action` is not listed: it is
    granted to Global Administrators by Microsoft Entra ID, not by an Azure role. The built-in
    definition a451c1ef-c6ca-483d-87ed-f49761e3ffb5 ("Audit usage of custom RBAC roles") flags
    every custom role whatever it grants, so it is not the same control and is not named.

    ## References
    - https://learn.microsoft.com/azure/role-based-access-control/custom-roles
    - https://learn.microsoft.com/azure/role-based-access-control/role-definitions#actions
    - https://learn.microsoft.com/azure/role-based-access-control/best-practices
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/General/CustomSubscription_OwnerRole_Audit.json
    """
    for role in ctx.inventory.role_definitions:
        if not role.is_custom:
            continue
        problems: list[str] = []
        if any(action.strip() == "*" for action in role.actions):
            problems.append("grants every action (`*`)")
        escalating = escalations(role)
        if escalating:
            problems.append(f"lets its holders grant roles ({', '.join(escalating)})")
        if every_data_action(role):
            problems.append("grants every data action (`*` in dataActions)")
        evidence = {
            "properties.roleName": role.name,
            "properties.type": role.role_type,
            "properties.permissions.actions": _listed(role.actions),
            "properties.permissions.notActions": _listed(role.not_actions),
            "properties.permissions.dataActions": _listed(role.data_actions),
        }
        if problems:
            yield Outcome.failed(role, f"custom role {role.name} {'; '.join(problems)}", evidence=evidence)
        else:
            yield Outcome.passed(
                role, f"custom role {role.name} grants specific actions and cannot grant roles", evidence=evidence
            )


def _listed(actions: tuple[str, ...], most: int = 5) -> str:
    """The actions as observed, the first few of a long list and how many more."""
    if not actions:
        return "none"
    shown = ", ".join(actions[:most])
    return shown if len(actions) <= most else f"{shown} and {len(actions) - most} more"
