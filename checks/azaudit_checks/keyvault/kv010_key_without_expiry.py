from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.keyvault import Key
from azaudit.model import Outcome, Severity
from azaudit_checks.keyvault._secrets import judge_items


def _fault(key: Key) -> str | None:
    return None if key.expires else f"key {key.name} has no expiry date"


@check(
    code="KV010",
    name="key-without-expiry",
    title="Key vault keys have an expiry date",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.KeyVault/vaults",
    requires=(Dataset.VAULTS, Dataset.KEYS),
    recommendations=("protect-credentials",),
    mcsb=("DP-6",),
    policies=("152b15f7-8e1f-4c1f-ab71-8c010ba5dbc0",),
)
def key_without_expiry(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Every enabled key of each vault (read through ARM), for an expiry date. One FAIL per key,
    naming it; one PASS per vault with none. A key whose `exp` is not a time is ERROR on its own.

    ## Why it matters
    Keys sign images and tokens and wrap the encryption keys of registries and container
    groups. A key that never expires is never forced to rotate, so a compromised key stays
    trusted indefinitely.

    ## How to fix
    ```bash
    az keyvault key set-attributes --vault-name <vault> --name <key> --expires 2027-06-30T00:00:00Z
    ```

    ## Decisions
    Same rule as Azure Policy "Key Vault keys should have an expiration date" (non-compliant when
    `expiresOn` does not exist). Certificate-backed keys are judged too: they carry their
    certificate's expiry, so they pass. Disabled keys are not judged.

    ## References
    - https://learn.microsoft.com/azure/key-vault/keys/about-keys-details
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Key%20Vault/Keys_ExpirationSet.json
    - https://learn.microsoft.com/azure/key-vault/keys/how-to-configure-key-rotation
    """
    for vault in ctx.inventory.vaults:
        keys = [k for k in ctx.inventory.keys_of(vault.id) if k.enabled]
        yield from judge_items(
            vault,
            keys,
            _fault,
            "every enabled key has an expiry date",
            needs=("exp",),
            observed=lambda _key: {"attributes.exp": "absent"},
            observed_clean=lambda n: {"attributes.exp": f"set on all {n} enabled key(s)"},
        )
