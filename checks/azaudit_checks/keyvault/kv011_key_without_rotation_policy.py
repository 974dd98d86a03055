from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.keyvault import Key
from azaudit.model import Outcome, Severity
from azaudit_checks.keyvault._secrets import certificate_key_names, judge_items


def _fault(key: Key) -> str | None:
    if "rotate" in key.rotation_actions:
        return None
    if key.rotation_actions:
        return f"key {key.name} has a rotation policy that only notifies"
    return f"key {key.name} has no rotation policy"


def _observed(key: Key) -> dict[str, str]:
    actions = ", ".join(sorted(set(key.rotation_actions))) if key.rotation_actions else "absent (no rotation policy)"
    return {"rotationPolicy.lifetimeActions[].action.type": actions}


@check(
    code="KV011",
    name="key-without-rotation-policy",
    title="Key vault keys rotate automatically",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.KeyVault/vaults",
    requires=(Dataset.VAULTS, Dataset.KEYS, Dataset.SECRETS),
    recommendations=("protect-credentials",),
    mcsb=("DP-6",),
    policies=("d8cf8476-a2ec-4916-896e-992351803c44",),
)
def key_without_rotation_policy(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Every enabled key, for a rotation policy with a `Rotate` lifetime action (the policy comes
    with the key's own GET; azaudit reads it only when the key list lacks it). A policy that
    only notifies does not rotate and fails. One FAIL per key; one PASS per vault with none.
    Keys a certificate backs are SKIPPED, naming the key: the certificate's own lifetime actions
    renew them.

    ## Why it matters
    Manual rotation is the rotation that does not happen. An automatic policy creates new
    key versions on schedule, so registries and container groups encrypted with customer-managed
    keys pick up fresh key material without an outage.

    ## How to fix
    ```bash
    az keyvault key rotation-policy update --vault-name <vault> --name <key> --value policy.json
    ```

    with a `lifetimeActions` entry whose action is `Rotate` (for example `timeAfterCreate: P11M`).

    ## Decisions
    Azure Policy "Keys should have a rotation policy ensuring that their rotation is scheduled
    within the specified number of days after creation" is non-compliant when a key has no
    scheduled rotation date, which only a `Rotate` action gives; azaudit asks for that action
    and leaves the number of days to the policy. A certificate creates a key and a secret of its
    own name, both `managed`; ARM's key list does not carry that flag, so a key is taken as
    certificate-backed when the vault's secret list has a managed secret of the same name (read
    from the data plane, or from its content type through the ARM fallback). This is why the
    check also needs the secret metadata: a vault whose secret list could not be read is ERROR.

    ## References
    - https://learn.microsoft.com/azure/key-vault/keys/how-to-configure-key-rotation
    - https://learn.microsoft.com/azure/key-vault/certificates/about-certificates#composition-of-a-certificate
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Key%20Vault/Keys_KeyRotationPolicy_MaximumDaysToRotate.json
    """
    for vault in ctx.inventory.vaults:
        certificates = certificate_key_names(ctx, vault)
        keys = [k for k in ctx.inventory.keys_of(vault.id) if k.enabled]
        judged = [k for k in keys if k.name.lower() not in certificates]
        for key in keys:
            if key.name.lower() in certificates:
                yield Outcome.skipped(
                    vault,
                    f"key {key.name} backs a certificate: the certificate's lifetime actions renew it, "
                    "not a key rotation policy",
                    item=key.name,
                )
        if judged or len(judged) == len(keys):
            yield from judge_items(
                vault,
                judged,
                _fault,
                "every enabled key rotates automatically",
                observed=_observed,
                observed_clean=lambda n: {"rotationPolicy.lifetimeActions[].action.type": f"rotate on all {n} key(s)"},
            )
