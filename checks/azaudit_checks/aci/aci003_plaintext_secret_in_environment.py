from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity
from azaudit_checks.aci._paths import container_path


@check(
    code="ACI003",
    name="plaintext-secret-in-environment",
    title="No credential is passed in a plain environment variable",
    severity=Severity.CRITICAL,
    resource_type="Microsoft.ContainerInstance/containerGroups",
    requires=(Dataset.CONTAINER_GROUPS,),
    recommendations=("protect-credentials",),
    mcsb=("IM-8",),
)
def plaintext_secret_in_environment(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    The plain `value` of every environment variable of every container and init container. A
    variable FAILs when its value looks like a credential (connection strings with a key or
    password, storage account keys, SAS signatures, well-known token formats, JWTs, private
    keys, URLs with a password), or when its name is secret-like (`DB_PASSWORD`, `clientSecret`,
    `API_KEY`) and its value is non-trivial. Variables declared with `secureValue` pass: ARM never
    returns their value. One FAIL per variable, naming the container and the variable; the value
    is classified in memory during collection and never stored or shown.

    ## Why it matters
    Plain environment values are part of the container group's definition: anyone with read
    access to the resource (the Reader role, a deployment log, an exported template, the
    activity log) reads them in clear text. A credential there is a credential handed to every
    reader of the subscription. The container security guidance asks to keep secrets out of images
    and environment.

    ## How to fix
    Rotate the exposed credential first (it has been readable for as long as the group
    existed). Then pass it as a secure environment variable, or better, give the group a managed
    identity and have the application read the secret from Key Vault. Container groups cannot be
    updated in place for this: redeploy from corrected YAML where the variable uses
    `secureValue`.

    ```bash
    az container create --resource-group <rg> --name <group> --image <image> \\
      --assign-identity <identity-id> --secure-environment-variables DB_PASSWORD="$DB_PASSWORD"
    ```

    ## Decisions
    Key Vault references, placeholders (`${X}`, `$(X)`, `{{x}}`), booleans, numbers, file paths,
    URLs without credentials, masks and prose are not credentials, whatever the variable's name:
    they carry no secret. Under a secret-like name, a value shorter than 8 characters counts only
    when it matches a credential pattern. A value that looks like a credential FAILs whatever the
    name, and a default password such as `changeme` FAILs too: a running container uses it. The
    rules live in `azaudit.detect.credentials`, shared with ACI004 and with record mode. ARM
    returns a secure variable with its name only (never `secureValue`): a variable without a
    value is counted as secure. No Azure Policy built-in definition tests container group
    environment variables, so the check names none.

    ## References
    - https://learn.microsoft.com/azure/container-instances/container-instances-environment-variables#secure-values
    - https://learn.microsoft.com/azure/container-instances/container-instances-image-security#protect-credentials
    - https://learn.microsoft.com/azure/container-instances/container-instances-managed-identity
    """
    for group in ctx.inventory.container_groups:
        found = 0
        for container in group.containers:
            kind_of = "init container" if container.init else "container"
            for variable in container.env:
                if variable.secure or variable.credential_kind is None:
                    continue
                found += 1
                env = f"{container_path(container)}.properties.environmentVariables[]"
                evidence = {
                    f"{env}.name": variable.name,
                    f"{env}.value": "present, plain (value not shown)",
                    f"{env}.secureValue": "absent",
                }
                if variable.credential_kind == "secret-named-variable":
                    what = "a non-trivial value under a secret-like name"
                else:
                    what = f"it looks like a {variable.credential_kind.replace('-', ' ')}"
                yield Outcome.failed(
                    group,
                    f"{kind_of} {container.name} passes a credential in plain environment variable "
                    f"{variable.name} ({what}); use a secure value or Key Vault",
                    item=f"{container.name}/{variable.name}",
                    evidence=evidence,
                )
        if not found:
            secure = sum(1 for c in group.containers for v in c.env if v.secure)
            plain = sum(1 for c in group.containers for v in c.env if not v.secure)
            env = "properties.containers[].properties.environmentVariables[]"
            yield Outcome.passed(
                group,
                f"no plain environment variable carries a credential ({secure} secure variable(s))",
                evidence={
                    f"{env}.secureValue": f"{secure} variable(s)",
                    f"{env}.value": f"{plain} variable(s), none credential-like",
                },
            )
