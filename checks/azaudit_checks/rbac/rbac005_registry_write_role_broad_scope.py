from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.rbac import (
    ACR_DELETE,
    ACR_IMAGE_SIGNER,
    ACR_PUSH,
    ACR_QUARANTINE_WRITER,
    ACR_REPOSITORY_CONTRIBUTOR,
    ACR_REPOSITORY_WRITER,
    ACR_TASKS_CONTRIBUTOR,
    is_broad_scope,
)
from azaudit.model import Outcome, Severity
from azaudit_checks.rbac._assignments import judge_assignments

# Registries in the default mode honour AcrPush and AcrDelete; registries in ABAC mode
# (roleAssignmentMode AbacRepositoryPermissions) ignore them and honour the repository roles.
# Both kinds can sit in one scope, so every role that writes in either mode counts.
REGISTRY_WRITE = {
    ACR_PUSH,
    ACR_DELETE,
    ACR_IMAGE_SIGNER,
    ACR_QUARANTINE_WRITER,
    ACR_REPOSITORY_WRITER,
    ACR_REPOSITORY_CONTRIBUTOR,
    ACR_TASKS_CONTRIBUTOR,
}


@check(
    code="RBAC005",
    name="registry-write-role-broad-scope",
    title="Registry write roles are granted on registries, not broadly",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.Authorization/roleAssignments",
    requires=(Dataset.ROLE_ASSIGNMENTS,),
    recommendations=("least-privilege-runtime", "image-integrity"),
    mcsb=("PA-7",),
)
def registry_write_role_broad_scope(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Role assignments of a registry write role at subscription or resource-group scope (or wider)
    instead of on one registry. The write roles are AcrPush, AcrDelete, AcrImageSigner and
    AcrQuarantineWriter (which marks quarantined images as fit to pull), the repository roles
    Container Registry Repository Writer and Container Registry Repository Contributor, and
    Container Registry Tasks Contributor (tasks run with full data-plane rights). One FAIL per
    assignment; one PASS per subscription with none.

    ## Why it matters
    Push, delete and sign rights decide what images production runs. Granted at a broad scope,
    they reach every registry there, including ones created later: a CI identity meant for one
    registry can replace images in all of them.

    ## How to fix
    Grant the role on the registry itself, then remove the broad assignment:

    ```bash
    az role assignment create --assignee <principal-id> --role AcrPush --scope <registry-id>
    az role assignment delete --assignee <principal-id> --role AcrPush --scope <broad-scope>
    ```

    ## Decisions
    A registry whose `roleAssignmentMode` is `AbacRepositoryPermissions` (Microsoft Entra ABAC
    repository permissions) ignores AcrPush, AcrDelete and the other Acr* data roles: there the
    repository roles push and delete. A subscription or resource group can hold registries of
    both modes, so the check counts the write roles of both, whatever mode the registries in
    scope are in today (a registry created tomorrow may be in the other). An ABAC condition on
    a broad assignment narrows the repositories, not the registries, and does not make it pass.
    Owner and Contributor also write to registries in the default mode (in ABAC mode they keep
    only control-plane rights); they are judged by the checks about privileged roles, not
    here. There is no Azure Policy built-in definition for the scope of role assignments.

    ## References
    - https://learn.microsoft.com/azure/container-registry/container-registry-roles
    - https://learn.microsoft.com/azure/container-registry/container-registry-rbac-built-in-roles-directory-reference
    - https://learn.microsoft.com/azure/container-registry/container-registry-rbac-abac-repository-permissions
    - https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/containers
    - https://learn.microsoft.com/azure/role-based-access-control/best-practices
    """
    yield from judge_assignments(
        ctx,
        lambda a: a.role_guid in REGISTRY_WRITE and is_broad_scope(a.scope),
        "{role} reaches every registry in {scope}",
        "registry write roles are granted on registries only",
    )
