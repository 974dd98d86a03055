from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.rbac import ACR_DELETE, ACR_IMAGE_SIGNER, ACR_PUSH, is_broad_scope
from azaudit.model import Outcome, Severity
from azaudit_checks.rbac._assignments import judge_assignments

REGISTRY_WRITE = {ACR_PUSH, ACR_DELETE, ACR_IMAGE_SIGNER}


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
    Role assignments of AcrPush, AcrDelete or AcrImageSigner at subscription or resource-group
    scope (or wider) instead of on one registry. One FAIL per assignment; one PASS per
    subscription with none.

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

    ## References
    - https://learn.microsoft.com/azure/container-registry/container-registry-roles
    - https://learn.microsoft.com/azure/role-based-access-control/best-practices
    """
    yield from judge_assignments(
        ctx,
        lambda a: a.role_guid in REGISTRY_WRITE and is_broad_scope(a.scope),
        "{role} reaches every registry in {scope}",
        "registry write roles are granted on registries only",
    )
