import datetime as dt
from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.keyvault import Secret
from azaudit.model import Outcome, Severity
from azaudit_checks.keyvault._secrets import judge_items, judged_secrets, source_note


@check(
    code="KV008",
    name="stale-secret",
    title="Key vault secrets were updated within the rotation period",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.KeyVault/vaults",
    requires=(Dataset.VAULTS, Dataset.SECRETS),
    recommendations=("protect-credentials",),
    mcsb=("DP-6",),
)
def stale_secret(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Every enabled, non-certificate secret, for its last update (`attributes.updated`, or
    `created` when there is no update) older than `[keyvault] stale_secret_days` (default 365)
    before the run's clock. One FAIL per stale secret; one PASS per vault with none.

    ## Why it matters
    A credential that has not changed in a year has had a year to leak through logs, laptops,
    pipelines and former staff. Regular rotation bounds how long a leaked secret stays useful.

    ## How to fix
    Rotate the secret at its source (database, storage account, partner API), then store the
    new value as a new version:

    ```bash
    az keyvault secret set --vault-name <vault> --name <secret> --file new-value.txt
    ```

    ## References
    - https://learn.microsoft.com/azure/key-vault/secrets/tutorial-rotation
    - https://learn.microsoft.com/azure/key-vault/secrets/secrets-best-practices
    """
    limit = ctx.settings.keyvault.stale_secret_days
    cutoff = ctx.now - dt.timedelta(days=limit)

    def fault(secret: Secret) -> str | None:
        changed = secret.updated or secret.created
        if changed is None or changed >= cutoff:
            return None
        age = (ctx.now - changed).days
        return f"secret {secret.name} was last updated {age} days ago (limit {limit})"

    for vault in ctx.inventory.vaults:
        clean = f"every enabled secret was updated within {limit} days"
        yield from judge_items(vault, judged_secrets(ctx, vault), fault, clean, source_note(ctx, vault))
