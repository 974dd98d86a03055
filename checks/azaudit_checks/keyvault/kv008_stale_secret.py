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
    title="Key vault secrets are not active longer than the rotation period",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.KeyVault/vaults",
    requires=(Dataset.VAULTS, Dataset.SECRETS),
    recommendations=("protect-credentials",),
    mcsb=("DP-6",),
    policies=("e8d99835-8a06-45ae-a8e0-87a91941ccfe",),
)
def stale_secret(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Every enabled, non-certificate secret, for how long its current version has been active:
    since its activation date (`attributes.nbf`, not-before) when one is set, else since the
    version was created (`attributes.created`). Older than `[keyvault] stale_secret_days`
    (default 365) before the run's clock fails. One FAIL per stale secret; one PASS per vault
    with none. A secret whose `nbf` or `created` is not a time is ERROR on its own.

    ## Why it matters
    A credential that has not changed in a year has had a year to leak through logs, laptops,
    pipelines and former staff. Regular rotation bounds how long a leaked secret stays useful.

    ## How to fix
    Rotate the secret at its source (database, storage account, partner API), then store the
    new value as a new version:

    ```bash
    az keyvault secret set --vault-name <vault> --name <secret> --file new-value.txt
    ```

    ## Decisions
    The age is measured as Azure Policy "Secrets should not be active for longer than the
    specified number of days" does: from `notBefore` when set, else `createdOn`. `updated` is not
    used: it moves whenever any attribute is edited (an expiry pushed back, a tag, enabling), so a
    secret whose value never changed would look fresh. A new version (a rotation) resets
    `created`. Certificate-backed secrets are not judged: they cannot be set directly, a new
    certificate version renews them, and KV009 reports their expiry.

    ## References
    - https://learn.microsoft.com/azure/key-vault/secrets/tutorial-rotation
    - https://learn.microsoft.com/azure/key-vault/secrets/secrets-best-practices
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Key%20Vault/Secrets_ActivePeriod.json
    """
    limit = ctx.settings.keyvault.stale_secret_days
    cutoff = ctx.now - dt.timedelta(days=limit)

    def fault(secret: Secret) -> str | None:
        since, start = ("its not-before date", secret.not_before) if secret.not_before else ("creation", secret.created)
        if start is None or start >= cutoff:
            return None
        age = (ctx.now - start).days
        return f"secret {secret.name} has been active for {age} days since {since} (limit {limit})"

    def observed(secret: Secret) -> dict[str, str]:
        if secret.not_before:
            return {"attributes.nbf": secret.not_before.isoformat()}
        return {"attributes.created": secret.created.isoformat() if secret.created else "absent"}

    for vault in ctx.inventory.vaults:
        clean = f"no enabled secret has been active longer than {limit} days"
        secrets = judged_secrets(ctx, vault)
        yield from judge_items(
            vault,
            secrets,
            fault,
            clean,
            source_note(ctx, vault),
            needs=("nbf", "created"),
            observed=observed,
            observed_clean=lambda n: {
                "attributes.nbf / attributes.created": f"none before {cutoff.date().isoformat()} ({n} secret(s))"
            },
        )
