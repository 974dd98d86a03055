from collections.abc import Iterator

from azaudit.applicability import ACCESS_POLICY_VAULTS
from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.keyvault import AccessPolicy
from azaudit.model import Outcome, Severity

BROAD = {"all", "purge"}


def _too_broad(policy: AccessPolicy) -> list[str]:
    """``secrets: all, purge`` style descriptions of the permissions that are too broad."""
    found = []
    for kind in ("secrets", "keys", "certificates", "storage"):
        granted = sorted({p.lower() for p in getattr(policy, kind)} & BROAD)
        if granted:
            found.append(f"{kind}: {', '.join(granted)}")
    return found


@check(
    code="KV004",
    name="broad-access-policy",
    title="Key vault access policies grant neither all nor purge",
    severity=Severity.HIGH,
    resource_type="Microsoft.KeyVault/vaults",
    requires=(Dataset.VAULTS,),
    recommendations=("protect-credentials",),
    mcsb=("PA-7",),
    applies_to=(ACCESS_POLICY_VAULTS,),
)
def broad_access_policy(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Each access policy of a vault still using the access-policy model, per principal: FAIL when
    it grants `all` or `purge` on secrets, keys, certificates or storage (managed storage account
    keys), naming the principal's object id and the permissions that are too broad; PASS for a
    policy with neither. Vaults using Azure RBAC ignore their access policies and are SKIPPED; a
    vault without `enableRbacAuthorization` uses its access policies (see KV003).

    ## Why it matters
    `all` includes every present and future permission (backup, restore, purge, set); `purge`
    destroys secrets and keys beyond recovery. A workload identity needs `get` (and maybe
    `list`), nothing more; broader policies turn one leaked identity into the loss of the vault.

    ## How to fix
    Replace the policy with the permissions the principal uses:

    ```bash
    az keyvault set-policy --name <vault> --object-id <object-id> --secret-permissions get list \\
      --key-permissions --certificate-permissions
    ```

    ## Decisions
    Azure Policy has no built-in definition for the permissions an access policy grants (its Key
    Vault definitions test the permission model, KV003, not the policies' contents), so this check
    names none. `storage` permissions count like the others: `purge` there destroys a managed
    storage account's definition beyond recovery, and `all` includes `regeneratekey` and `setsas`.

    ## References
    - https://learn.microsoft.com/azure/key-vault/general/assign-access-policy
    - https://learn.microsoft.com/rest/api/keyvault/keyvault/vaults/create-or-update
    - https://learn.microsoft.com/azure/key-vault/general/best-practices
    """
    for vault in ctx.inventory.vaults:
        for policy in vault.access_policies:
            broad = _too_broad(policy)
            who = f"object id {policy.object_id}"
            evidence = {
                "properties.accessPolicies[].objectId": policy.object_id,
                "properties.accessPolicies[].permissions": "; ".join(broad) if broad else "neither all nor purge",
            }
            if broad:
                yield Outcome.failed(
                    vault, f"{who} is granted {'; '.join(broad)}", item=policy.object_id, evidence=evidence
                )
            else:
                yield Outcome.passed(
                    vault, f"{who} has neither all nor purge", item=policy.object_id, evidence=evidence
                )
