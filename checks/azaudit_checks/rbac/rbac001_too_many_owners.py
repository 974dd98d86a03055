from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.rbac import OWNER, RoleAssignment, scope_kind
from azaudit.model import Outcome, Severity

# Owner at these scopes owns the whole subscription (inherited from above, or on it directly).
OVER_THE_SUBSCRIPTION = {"root", "management group", "subscription"}
# principalType values whose members are unknown without Microsoft Graph (a ForeignGroup is a
# group of another tenant, as in Azure Lighthouse).
GROUP_TYPES = {"group", "foreigngroup"}


def _owners_in_words(ctx: CheckContext, owners: list[RoleAssignment], bound: str) -> str:
    """``N principal(s) hold Owner ... (bound)``, then the inherited scopes and the groups (whose
    members are unknown) named."""
    principals = {a.principal_id.lower(): a for a in owners}
    words = f"{len(principals)} principal(s) hold Owner over the subscription ({bound})"
    inherited = sorted({ctx.inventory.describe_scope(a.scope) for a in owners if scope_kind(a.scope) != "subscription"})
    if inherited:
        words += f", inherited from {', '.join(inherited)} included"
    groups = sorted(a.principal_id for a in principals.values() if (a.principal_type or "").lower() in GROUP_TYPES)
    if groups:
        words += (
            f"; group(s) {', '.join(groups)} count as one principal each: their members own the subscription"
            " too and are unknown to azaudit (no Microsoft Graph call)"
        )
    return words


@check(
    code="RBAC001",
    name="too-many-owners",
    title="The subscription has at least 2 and at most 3 Owners",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.Resources/subscriptions",
    requires=(Dataset.ROLE_ASSIGNMENTS,),
    recommendations=("protect-credentials",),
    mcsb=("PA-1",),
    policies=("4f11b553-d42e-4e3a-89be-32ca364cad4c", "09024ccc-0c5f-475e-9457-b7c0d9ed487b"),
)
def too_many_owners(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    The principals holding Owner over the whole subscription: Owner assignments at the
    subscription and those it inherits from a management group or the tenant root (the
    subscription's role-assignment list returns both). Resource-group and resource assignments
    are not counted. FAIL when there are more than `[rbac] max_subscription_owners` (default 3),
    or fewer than `[rbac] min_subscription_owners` (default 2), with a different message for
    each; the counts follow Microsoft Defender for Cloud's recommendations "A maximum of 3
    owners should be designated for your subscription" and "There should be more than one
    owner assigned to your subscription" (Azure Policy audits both through Defender's
    assessments), and the CIS Microsoft Azure Foundations Benchmark v5.0.0, which asks for 2 to 3
    security principals (users, groups, service principals, managed identities) holding Owner.
    Group principals are named in the message.

    ## Why it matters
    Every Owner can grant anyone any role, read every setting and delete every resource,
    including the registries and vaults that hold the workload's images and credentials. Each
    extra Owner is one more account whose compromise is total. A single Owner is the opposite
    risk: when that account is lost, disabled or compromised, nobody can take the subscription
    back without a support case.

    ## How to fix
    Remove the Owner assignments that are not needed, and grant narrower roles (or eligible,
    just-in-time assignments through Privileged Identity Management) instead; with one Owner,
    add a second (a break-glass account or a small, reviewed group):

    ```bash
    az role assignment delete --assignee <principal-id> --role Owner --scope /subscriptions/<subscription-id>
    az role assignment create --assignee <second-owner> --role Owner --scope /subscriptions/<subscription-id>
    ```

    ## Decisions
    Principals are counted once however many Owner assignments they hold. A group counts as
    one principal, as the CIS benchmark counts it: azaudit makes no Microsoft Graph call, so its
    members are unknown and the message says so (a group of several people may already meet
    the minimum; Defender for Cloud's assessments, which see the members, are the cross-check). Owners inherited from a
    management group or the root own the subscription as fully as direct ones and are counted.
    Classic co-administrators are retired and not counted. `[rbac] min_subscription_owners` may
    not exceed `max_subscription_owners`; set both to 0 to require that no Owner assignment
    exists when the audit runs (eligible Privileged Identity Management assignments are not role
    assignments; an activated one is, and is counted).

    ## References
    - https://learn.microsoft.com/azure/defender-for-cloud/recommendations-reference-identity-access
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Security%20Center/ASC_DesignateLessThanXOwners_Audit.json
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Security%20Center/ASC_DesignateMoreThanOneOwner_Audit.json
    - https://learn.microsoft.com/azure/role-based-access-control/best-practices
    - https://learn.microsoft.com/entra/id-governance/privileged-identity-management/pim-configure
    """
    most = ctx.settings.rbac.max_subscription_owners
    least = ctx.settings.rbac.min_subscription_owners
    for sub in ctx.inventory.subscriptions:
        owners = [
            a
            for a in ctx.inventory.role_assignments_of(sub.subscription_id)
            if a.role_guid == OWNER and scope_kind(a.scope) in OVER_THE_SUBSCRIPTION
        ]
        count = len({a.principal_id.lower() for a in owners})
        principals = ", ".join(sorted({a.principal_id for a in owners}))
        types = sorted({(a.principal_type or "absent") for a in owners})
        evidence = {
            "properties.roleDefinitionId": "Owner",
            "properties.scope": ", ".join(sorted({scope_kind(a.scope) for a in owners})) or "none",
            "properties.principalType": ", ".join(types) or "none",
            "principals": str(count),
        }
        if count > most:
            yield Outcome.failed(
                sub,
                f"too many Owners: {_owners_in_words(ctx, owners, f'at most {most}')}",
                item=principals,
                evidence=evidence,
            )
        elif count < least:
            yield Outcome.failed(
                sub,
                f"too few Owners, and losing one account locks the subscription: "
                f"{_owners_in_words(ctx, owners, f'at least {least}')}",
                item=principals or None,
                evidence=evidence,
            )
        else:
            yield Outcome.passed(sub, _owners_in_words(ctx, owners, f"{least} to {most}"), evidence=evidence)
