import datetime as dt
from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.keyvault import Secret
from azaudit.model import Outcome, Severity
from azaudit_checks.keyvault._secrets import judge_items, judged_secrets, source_note


@check(
    code="KV009",
    name="secret-expiring-soon",
    title="No Key vault secret is expired or about to expire",
    severity=Severity.LOW,
    resource_type="Microsoft.KeyVault/vaults",
    requires=(Dataset.VAULTS, Dataset.SECRETS),
    recommendations=("protect-credentials",),
    mcsb=("DP-6",),
    policies=("b0eb591a-5e70-4534-a8bf-04b9c489584a",),
)
def secret_expiring_soon(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Every enabled secret with an expiry date, certificate-backed ones included (their `exp` is
    the certificate's expiry), for one that has passed or falls within `[keyvault]
    expiring_soon_days` (default 30) of the run's clock. One FAIL per secret; one PASS per vault
    with none. Secrets without expiry are KV007's finding; a secret whose `exp` is not a time is
    ERROR on its own.

    ## Why it matters
    An expired secret breaks the workload that reads it (often at night); one about to expire
    needs its rotation scheduled now, not after the outage.

    ## How to fix
    Rotate the secret and give the new version a later expiry (for a certificate-backed secret,
    renew the certificate: `az keyvault certificate create` with its policy, or an `AutoRenew`
    lifetime action):

    ```bash
    az keyvault secret set --vault-name <vault> --name <secret> --file new-value.txt --expires 2027-06-30T00:00:00Z
    ```

    ## Decisions
    Same rule as Azure Policy "Secrets should have more than the specified number of days before
    expiration" (an existing `expiresOn` earlier than now plus the window). Certificate-backed
    secrets are judged: a certificate about to expire breaks the workload that reads its secret
    just the same. Disabled secrets are not judged.

    ## References
    - https://learn.microsoft.com/azure/key-vault/secrets/secrets-best-practices
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Key%20Vault/Secrets_Expiry_ByDays.json
    - https://learn.microsoft.com/azure/key-vault/certificates/about-certificates#composition-of-a-certificate
    - https://learn.microsoft.com/azure/key-vault/general/event-grid-overview
    """
    window = ctx.settings.keyvault.expiring_soon_days
    horizon = ctx.now + dt.timedelta(days=window)

    def fault(secret: Secret) -> str | None:
        if secret.expires is None or secret.expires > horizon:
            return None
        days = (secret.expires - ctx.now).days
        if secret.expires <= ctx.now:
            return f"secret {secret.name} expired {-days} day(s) ago"
        return f"secret {secret.name} expires in {days} day(s) (window {window})"

    for vault in ctx.inventory.vaults:
        clean = f"no enabled secret expires within {window} days"
        secrets = judged_secrets(ctx, vault, certificates=True)
        yield from judge_items(
            vault,
            secrets,
            fault,
            clean,
            source_note(ctx, vault),
            needs=("exp",),
            observed=lambda secret: {"attributes.exp": secret.expires.isoformat() if secret.expires else "absent"},
            observed_clean=lambda n: {"attributes.exp": f"none before {horizon.date().isoformat()} ({n} secret(s))"},
        )
