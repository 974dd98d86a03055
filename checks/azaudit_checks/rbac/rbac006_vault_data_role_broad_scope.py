from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.rbac import (
    KEY_VAULT_ADMINISTRATOR,
    KEY_VAULT_SECRETS_OFFICER,
    KEY_VAULT_SECRETS_USER,
    is_broad_scope,
)
from azaudit.model import Outcome, Severity
from azaudit_checks.rbac._assignments import judge_assignments

VAULT_DATA = {KEY_VAULT_ADMINISTRATOR, KEY_VAULT_SECRETS_OFFICER, KEY_VAULT_SECRETS_USER}


@check(
    code="RBAC006",
    name="vault-data-role-broad-scope",
    title="Key Vault secret roles are granted on vaults, not broadly",
    severity=Severity.HIGH,
    resource_type="Microsoft.Authorization/roleAssignments",
    requires=(Dataset.ROLE_ASSIGNMENTS,),
    recommendations=("protect-credentials",),
    mcsb=("PA-7",),
)
def vault_data_role_broad_scope(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Role assignments of Key Vault Administrator, Key Vault Secrets Officer or Key Vault Secrets
    User at subscription or resource-group scope (or wider) instead of on one vault. One FAIL
    per assignment; one PASS per subscription with none.

    ## Why it matters
    These roles read (and, for the first two, change) secret values. At a broad scope they open
    every RBAC vault there, including vaults created later for other workloads: one compromised
    identity reads every application's credentials.

    ## How to fix
    Grant the role on the one vault (or the one secret) the principal needs, then remove the
    broad assignment:

    ```bash
    az role assignment create --assignee <principal-id> --role "Key Vault Secrets User" --scope <vault-id>
    az role assignment delete --assignee <principal-id> --role "Key Vault Secrets User" --scope <broad-scope>
    ```

    ## References
    - https://learn.microsoft.com/azure/key-vault/general/rbac-guide
    - https://learn.microsoft.com/azure/key-vault/general/best-practices
    """
    yield from judge_assignments(
        ctx,
        lambda a: a.role_guid in VAULT_DATA and is_broad_scope(a.scope),
        "{role} opens every vault in {scope}",
        "Key Vault secret roles are granted on vaults only",
    )
