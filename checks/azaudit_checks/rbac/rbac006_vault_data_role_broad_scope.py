from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.rbac import (
    KEY_VAULT_ADMINISTRATOR,
    KEY_VAULT_CERTIFICATE_USER,
    KEY_VAULT_CERTIFICATES_OFFICER,
    KEY_VAULT_DATA_ACCESS_ADMINISTRATOR,
    KEY_VAULT_SECRETS_OFFICER,
    KEY_VAULT_SECRETS_USER,
    is_broad_scope,
)
from azaudit.model import Outcome, Severity
from azaudit_checks.rbac._assignments import judge_assignments

# The built-in roles that read or change secret values and certificates' private keys, or hand
# those roles out (GUIDs from Microsoft's built-in roles reference, Security category).
VAULT_DATA = {
    KEY_VAULT_ADMINISTRATOR,
    KEY_VAULT_SECRETS_OFFICER,
    KEY_VAULT_SECRETS_USER,
    KEY_VAULT_CERTIFICATE_USER,
    KEY_VAULT_CERTIFICATES_OFFICER,
    KEY_VAULT_DATA_ACCESS_ADMINISTRATOR,
}


@check(
    code="RBAC006",
    name="vault-data-role-broad-scope",
    title="Key Vault data roles are granted on vaults, not broadly",
    severity=Severity.HIGH,
    resource_type="Microsoft.Authorization/roleAssignments",
    requires=(Dataset.ROLE_ASSIGNMENTS,),
    recommendations=("protect-credentials",),
    mcsb=("PA-7",),
)
def vault_data_role_broad_scope(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Role assignments at subscription or resource-group scope (or wider: management group, root)
    instead of on one vault, of the built-in roles that open vault contents:

    - Key Vault Administrator (every data action on keys, secrets and certificates);
    - Key Vault Secrets Officer and Key Vault Secrets User (secret values);
    - Key Vault Certificate User (`secrets/getSecret/action`: the certificate's private key,
      which Key Vault serves as a secret);
    - Key Vault Certificates Officer (every certificate operation, backup and import included);
    - Key Vault Data Access Administrator (assigns the roles above, and Crypto Officer, to
      anyone: data access one step removed).

    One FAIL per assignment; one PASS per subscription with none.

    ## Why it matters
    These roles read, change or hand out secret values and certificate keys. At a broad scope
    they open every RBAC vault there, including vaults created later for other workloads: one
    compromised identity reads every application's credentials.

    ## How to fix
    Grant the role on the one vault (or the one secret) the principal needs, then remove the
    broad assignment:

    ```bash
    az role assignment create --assignee <principal-id> --role "Key Vault Secrets User" --scope <vault-id>
    az role assignment delete --assignee <principal-id> --role "Key Vault Secrets User" --scope <broad-scope>
    ```

    ## Decisions
    Roles are recognised by their built-in role-definition GUIDs, the same in every tenant;
    custom roles with vault data actions are not judged here (RBAC004 judges a custom role's
    `*` data actions). The crypto roles (Crypto Officer, Crypto User, Crypto Service
    Encryption User) use keys without reading secret values and are not counted. Only vaults
    using the RBAC permission model honour these roles; a broad assignment still reaches every
    such vault created later. Azure Policy has no built-in definition for the scope of a Key
    Vault data-role assignment.

    ## References
    - https://learn.microsoft.com/azure/key-vault/general/rbac-guide
    - https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/security
    - https://learn.microsoft.com/azure/key-vault/general/best-practices
    """
    yield from judge_assignments(
        ctx,
        lambda a: a.role_guid in VAULT_DATA and is_broad_scope(a.scope),
        "{role} opens every vault in {scope}",
        "Key Vault data roles are granted on vaults only",
    )
