from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity

KINDS = {"token-as-user-name": "token"}  # the detector's kinds, in the words of a message


@check(
    code="ACI014",
    name="git-repo-volume-credential",
    title="No gitRepo volume embeds credentials in its URL",
    severity=Severity.CRITICAL,
    resource_type="Microsoft.ContainerInstance/containerGroups",
    requires=(Dataset.CONTAINER_GROUPS,),
    recommendations=("protect-credentials",),
    mcsb=("IM-8",),
)
def git_repo_volume_credential(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Every `gitRepo` volume of the group: a repository URL that embeds a password
    (`https://user:token@host/repo.git`), or whose user name is itself a credential (a token used
    as the user name, `https://<token>@github.com/...`), FAILs, naming the volume, the host and
    which of the two it is. A plain user name (`https://org@dev.azure.com/...`,
    `ssh://git@host/...`) passes. The URL is inspected during collection; only the kind of
    credential and the host are kept, never the user name, password or token.

    ## Why it matters
    The repository URL is part of the group's definition, readable by anyone with read access to
    the resource. A personal access token in it usually grants far more than this one
    repository: every repository of its owner, often with write access.

    ## How to fix
    Revoke the token, then stop cloning with embedded credentials: build the content into the
    image, or clone in an init container that reads a token from a secret volume or Key Vault.
    The `gitRepo` volume type is deprecated; an Azure file share or a secret volume replaces it.

    ```bash
    az container create --resource-group <rg> --file container-group.yaml
    ```

    ## Decisions
    A user name alone is not a secret: Azure DevOps puts the organisation in clone URLs
    (`https://org@dev.azure.com/org/project/_git/repo`) and SSH URLs name the `git` user. It
    FAILs only when it looks like a credential to the detector shared with ACI003 and ACI004
    (`azaudit.detect.credentials`: well-known token formats, or a generated-looking value such as
    an Azure DevOps personal access token); this check used to FAIL every user name. A password
    that is a placeholder (`${TOKEN}`) is not a credential. No Azure Policy built-in definition
    tests gitRepo volumes, so the check names none.

    ## References
    - https://learn.microsoft.com/azure/container-instances/container-instances-volume-gitrepo
    - https://learn.microsoft.com/azure/container-instances/container-instances-volume-secret
    - https://learn.microsoft.com/azure/devops/repos/git/clone
    """
    for group in ctx.inventory.container_groups:
        leaking = [v for v in group.volumes if v.kind == "gitRepo" and v.git_repository_has_credentials]
        for volume in leaking:
            host = f" from {volume.git_repository_host}" if volume.git_repository_host else ""
            if volume.git_repository_credential == "url-with-password":
                what = "a password embedded in the repository URL"
            else:
                kind = KINDS.get(volume.git_repository_credential or "", volume.git_repository_credential or "")
                kind = (kind or "credential").replace("-", " ")
                what = f"a credential as the user name of the repository URL (it looks like a {kind})"
            yield Outcome.failed(
                group,
                f"gitRepo volume {volume.name} clones{host} with {what}",
                item=volume.name,
                evidence={
                    "properties.volumes[].name": volume.name,
                    "properties.volumes[].gitRepo.repository": "credential in the URL (value not shown)",
                },
            )
        if not leaking:
            git = sum(1 for v in group.volumes if v.kind == "gitRepo")
            yield Outcome.passed(
                group,
                f"no gitRepo volume embeds credentials ({git} gitRepo volume(s))",
                evidence={
                    "properties.volumes[].gitRepo.repository": f"{git} gitRepo volume(s), none with a credential"
                },
            )
