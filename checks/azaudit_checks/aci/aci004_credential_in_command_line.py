from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity
from azaudit_checks.aci._paths import container_path

# Kinds that say where the credential sits rather than what it looks like.
ARGUMENT_KINDS = {
    "password-argument": "a password given to a password option",
    "secret-argument": "a secret given to a credential option",
    "secret-named-variable": "a non-trivial value assigned to a secret-like name",
}


@check(
    code="ACI004",
    name="credential-in-command-line",
    title="No credential is passed on a container command line",
    severity=Severity.CRITICAL,
    resource_type="Microsoft.ContainerInstance/containerGroups",
    requires=(Dataset.CONTAINER_GROUPS,),
    recommendations=("protect-credentials",),
    mcsb=("IM-8",),
)
def credential_in_command_line(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    The `command` of every container and init container, argument by argument (and inside
    shell strings such as `sh -c "..."`): a credential-named flag followed by a real value
    (`--password x`, `--token=x`), a tool's own password option (`mysql -pX`, `docker login -p x`,
    `sshpass -p x`, `curl -u user:x`), a secret-named assignment (`DB_PASSWORD=x`), or any
    argument that looks like a credential (connection strings with keys, tokens, SAS signatures,
    URLs with a password). One FAIL per argument, naming the container and the argument's position (0 is
    the executable); the argument itself is classified in memory and never stored or shown.

    ## Why it matters
    The command line is part of the container group's definition, readable by anyone with read
    access to the resource, and it also appears in process listings inside the container. A
    credential there is exposed exactly like a plain environment variable (ACI003).

    ## How to fix
    Rotate the credential, then have the process read it from a secure environment variable, a
    secret volume, or Key Vault through the group's managed identity. Redeploy the group from
    corrected YAML:

    ```bash
    az container create --resource-group <rg> --file container-group.yaml
    ```

    ## Decisions
    Placeholders (`$DB_PASSWORD`, `${X}`), file paths (`--password-file /run/secrets/db`) and
    Key Vault references are not credentials: they point to a secret without carrying it. Options
    are read per tool, so that `docker run -p 8080:80` (a port) and `mysql -p mydb` (a prompt)
    do not FAIL. The rules live in `azaudit.detect.credentials`, shared with ACI003. No Azure
    Policy built-in definition tests container command lines, so the check names none.

    ## References
    - https://learn.microsoft.com/azure/container-instances/container-instances-start-command
    - https://learn.microsoft.com/azure/container-instances/container-instances-volume-secret
    - https://learn.microsoft.com/azure/container-instances/container-instances-image-security#protect-credentials
    """
    for group in ctx.inventory.container_groups:
        found = 0
        for container in group.containers:
            kind_of = "init container" if container.init else "container"
            for hit in container.command_credentials:
                found += 1
                after = f" (after {hit.flag})" if hit.flag and hit.flag.startswith("-") else ""
                named = f" (in {hit.flag}=...)" if hit.flag and not hit.flag.startswith("-") else ""
                flag = f" after {hit.flag}" if hit.flag else ""
                evidence = {
                    f"{container_path(container)}.properties.command[{hit.position}]": (
                        f"credential-like argument{flag} (value not shown)"
                    )
                }
                what = ARGUMENT_KINDS.get(hit.kind, f"it looks like a {hit.kind.replace('-', ' ')}")
                yield Outcome.failed(
                    group,
                    f"{kind_of} {container.name} passes a credential on its command line at argument "
                    f"{hit.position}{after}{named}: {what}",
                    item=f"{container.name}/command[{hit.position}]",
                    evidence=evidence,
                )
        if not found:
            yield Outcome.passed(
                group,
                "no command line carries a credential",
                evidence={
                    "properties.containers[].properties.command": (
                        f"{len(group.containers)} container(s), no credential-like argument"
                    )
                },
            )
