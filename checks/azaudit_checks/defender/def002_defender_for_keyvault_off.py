from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity
from azaudit_checks.defender._plans import judge_plan


@check(
    code="DEF002",
    name="defender-for-keyvault-off",
    title="Defender for Key Vault is on",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.Resources/subscriptions",
    requires=(Dataset.DEFENDER_PLANS,),
    recommendations=("defender", "protect-credentials"),
    mcsb=("LT-1",),
    policies=("0e6763cc-5078-4e64-889d-ff4d9a839047",),
)
def defender_for_keyvault_off(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    The `KeyVaults` Defender plan (pricing) of each audited subscription: FAIL unless its
    pricing tier is `Standard`. A subscription whose pricing list lacks the plan is not offered
    it (a sovereign cloud, or a plan not rolled out there): SKIPPED, not applicable.

    ## Why it matters
    Defender for Key Vault raises alerts on unusual access to vaults: reads from Tor exit nodes,
    a principal that suddenly lists every secret, access from an unfamiliar application. Those
    are the signs of a stolen workload credential being used.

    ## How to fix
    ```bash
    az security pricing create --name KeyVaults --tier standard
    ```

    ## Decisions
    The verdict is Azure Policy's: 0e6763cc-5078-4e64-889d-ff4d9a839047
    ("Azure Defender for Key Vault should be enabled") is compliant when the `KeyVaults` pricing's `pricingTier` is
    `Standard`. Azure lists every plan a cloud offers, Free ones included, so a plan missing from
    the list cannot be enabled there and is not a finding.

    ## References
    - https://learn.microsoft.com/azure/defender-for-cloud/defender-for-key-vault-introduction
    - https://learn.microsoft.com/azure/key-vault/general/security-features
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Security%20Center/ASC_EnableAdvancedThreatProtectionOnKeyVaults_Audit.json
    """
    yield from judge_plan(ctx, "KeyVaults", "Defender for Key Vault", "unusual vault access raises no alert")
