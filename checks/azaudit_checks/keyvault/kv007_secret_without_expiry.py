from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.keyvault import Secret
from azaudit.model import Outcome, Severity
from azaudit_checks.keyvault._secrets import judge_items, judged_secrets, source_note


def _fault(secret: Secret) -> str | None:
    return None if secret.expires else f"secret {secret.name} has no expiry date"


@check(
    code="KV007",
    name="secret-without-expiry",
    title="Key vault secrets have an expiry date",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.KeyVault/vaults",
    requires=(Dataset.VAULTS, Dataset.SECRETS),
    recommendations=("protect-credentials",),
    mcsb=("DP-6",),
    policies=("98728c90-32c7-4049-8429-847dc0f4fe37",),
)
def secret_without_expiry(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Every enabled secret of each vault, for an expiry date (`attributes.exp`). Secrets that back
    certificates (`managed: true`) follow their certificate and are not judged; disabled secrets
    are not judged. Metadata comes from the data plane, or from ARM when the data plane refuses
    (the finding says so). One FAIL per secret, naming it; one PASS per vault with none. A vault
    whose secret metadata could not be read is ERROR, never PASS; so is a secret whose `exp` is
    not a time (that secret alone).

    ## Why it matters
    A secret without an expiry date is never forced to rotate: the same password or key lives
    on in every copy ever made of it, and a leak stays useful forever.

    ## How to fix
    Set an expiry on the secret (and rotate it before then):

    ```bash
    az keyvault secret set-attributes --vault-name <vault> --name <secret> --expires 2027-06-30T00:00:00Z
    ```

    ## Decisions
    Same rule as Azure Policy "Key Vault secrets should have an expiration date" (non-compliant
    when `expiresOn` does not exist), with two exclusions. A certificate-backed secret always
    carries its certificate's expiry and cannot be given another, so it cannot fail here (KV009
    judges its expiry). A disabled secret cannot be read, so it is not judged. The data plane
    flags certificate secrets (`managed`); ARM's secret list does not, so through the ARM fallback
    a secret whose content type is PKCS#12 or PEM is taken as one.

    ## References
    - https://learn.microsoft.com/azure/key-vault/secrets/secrets-best-practices
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Key%20Vault/Secrets_ExpirationSet.json
    - https://learn.microsoft.com/azure/key-vault/keys/how-to-configure-key-rotation
    """
    for vault in ctx.inventory.vaults:
        yield from judge_items(
            vault,
            judged_secrets(ctx, vault),
            _fault,
            "every enabled secret has an expiry date",
            source_note(ctx, vault),
            needs=("exp",),
            observed=lambda _secret: {"attributes.exp": "absent"},
            observed_clean=lambda n: {"attributes.exp": f"set on all {n} enabled secret(s)"},
        )
