from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity


@check(
    code="ACI011",
    name="registry-password-credential",
    title="Images are pulled with a managed identity, not a password",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.ContainerInstance/containerGroups",
    requires=(Dataset.CONTAINER_GROUPS,),
    recommendations=("protect-credentials",),
    mcsb=("IM-1", "IM-3"),
)
def registry_password_credential(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Every entry of the group's `imageRegistryCredentials`: an entry with a `username` and no
    managed `identity` authenticates with a password and FAILs, naming the registry server. A
    group without registry credentials, or whose credentials all use a managed identity, passes.

    ## Why it matters
    A registry password (an ACR admin password, a repository token, a service principal secret)
    is a long-lived secret that someone must store, rotate and keep out of templates and
    pipelines. A managed identity with `AcrPull` has no secret to leak and can be scoped to the
    one registry.

    ## How to fix
    Give the group a managed identity, grant it `AcrPull` on the registry, and reference it in
    `imageRegistryCredentials` instead of a username and password; then disable the ACR admin
    user or the token that was used:

    ```bash
    az container create --resource-group <rg> --name <group> --image <registry>.azurecr.io/<repo>:<tag> \\
      --assign-identity <identity-id> --acr-identity <identity-id>
    ```

    ## Decisions
    ARM never returns the password of an entry, only its `username`: an entry with a user name
    and no `identity` is a password entry. No Azure Policy built-in definition tests how
    container groups authenticate to registries, so the check names none.

    ## References
    - https://learn.microsoft.com/azure/container-instances/using-azure-container-registry-mi
    - https://learn.microsoft.com/azure/container-registry/container-registry-authentication-managed-identity
    """
    for group in ctx.inventory.container_groups:
        with_password = [c for c in group.registry_credentials if c.username and not c.identity]
        for credential in with_password:
            yield Outcome.failed(
                group,
                f"images from {credential.server} are pulled with a username and password, not a managed identity",
                item=credential.server,
                evidence={
                    "properties.imageRegistryCredentials[].server": credential.server,
                    "properties.imageRegistryCredentials[].username": "present",
                    "properties.imageRegistryCredentials[].identity": "absent",
                },
            )
        if not with_password:
            evidence = {
                "properties.imageRegistryCredentials": f"{len(group.registry_credentials)} credential(s), "
                "none with a username and no identity"
            }
            if group.registry_credentials:
                yield Outcome.passed(group, "registry credentials use a managed identity", evidence=evidence)
            else:
                yield Outcome.passed(group, "the group holds no registry password", evidence=evidence)
