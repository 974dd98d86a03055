from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.keyvault import Key
from azaudit.model import Outcome, Severity
from azaudit_checks.keyvault._secrets import judge_items


def _fault(key: Key) -> str | None:
    if "rotate" in key.rotation_actions:
        return None
    if key.rotation_actions:
        return f"key {key.name} has a rotation policy that only notifies"
    return f"key {key.name} has no rotation policy"


@check(
    code="KV011",
    name="key-without-rotation-policy",
    title="Key vault keys rotate automatically",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.KeyVault/vaults",
    requires=(Dataset.VAULTS, Dataset.KEYS),
    recommendations=("protect-credentials",),
    mcsb=("DP-6",),
)
def key_without_rotation_policy(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Every enabled key, for a rotation policy with a `Rotate` lifetime action (the policy comes
    with the key's own GET; azaudit reads it only when the key list lacks it). A policy that
    only notifies does not rotate and fails. One FAIL per key; one PASS per vault with none.

    ## Why it matters
    Manual rotation is the rotation that does not happen. An automatic policy creates new
    key versions on schedule, so registries and container groups encrypted with customer-managed
    keys pick up fresh key material without an outage.

    ## How to fix
    ```bash
    az keyvault key rotation-policy update --vault-name <vault> --name <key> --value policy.json
    ```

    with a `lifetimeActions` entry whose action is `Rotate` (for example `timeAfterCreate: P11M`).

    ## References
    - https://learn.microsoft.com/azure/key-vault/keys/how-to-configure-key-rotation
    - https://learn.microsoft.com/azure/key-vault/keys/about-keys-details
    """
    for vault in ctx.inventory.vaults:
        keys = [k for k in ctx.inventory.keys_of(vault.id) if k.enabled]
        yield from judge_items(vault, keys, _fault, "every enabled key rotates automatically")
