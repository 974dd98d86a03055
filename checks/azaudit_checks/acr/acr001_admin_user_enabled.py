from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity


@check(
    code="ACR001",
    name="admin-user-enabled",
    title="Registry admin user is disabled",
    severity=Severity.HIGH,
    resource_type="Microsoft.ContainerRegistry/registries",
    requires=(Dataset.REGISTRIES,),
    recommendations=("protect-credentials",),
    mcsb=("IM-1",),
    policies=("dc921057-6b28-4fbe-9b83-f7bec05db6c2", "79fdfe03-ffcb-4e55-b4d0-b925b8241759"),
)
def admin_user_enabled(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether the registry's built-in admin account (`properties.adminUserEnabled`) is turned on.
    An absent value counts as disabled, as it does in Azure and in the Azure Policy definitions
    "Container registries should have local admin account disabled" (and its Modify twin),
    which test `adminUserEnabled` equal to `true`.

    ## Why it matters
    The admin account is one shared user name with two long-lived passwords that can push and
    pull every repository. It cannot be scoped, its use cannot be traced to a person or a
    workload, and it ends up copied into pipelines and container group definitions.

    ## How to fix
    Disable the admin user and grant `AcrPull` / `AcrPush` to Microsoft Entra identities
    (managed identities for container groups, workload identities for pipelines) instead.

    ```bash
    az acr update --name <registry> --admin-enabled false
    ```

    ## References
    - https://learn.microsoft.com/azure/container-registry/container-registry-authentication#admin-account
    - https://learn.microsoft.com/security/benchmark/azure/baselines/azure-container-registry-security-baseline
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Container%20Registry/ACR_AdminAccountDisabled_AuditDeny.json
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Container%20Registry/ACR_AdminAccountDisabled_Modify.json
    """
    for registry in ctx.inventory.registries:
        evidence = {"properties.adminUserEnabled": "true" if registry.admin_user_enabled else "false"}
        if registry.admin_user_enabled:
            yield Outcome.failed(
                registry, "the admin user is enabled: a shared password can push and pull everything", evidence=evidence
            )
        else:
            yield Outcome.passed(registry, "the admin user is disabled", evidence=evidence)
