from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity


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
    Every `gitRepo` volume of the group: a repository URL that embeds a user name or a password
    (`https://user:token@host/repo.git`) FAILs, naming the volume and the host. The URL is
    inspected during collection; only the fact that it carries credentials and its host are
    kept.

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
    A user name alone (`https://build-bot@host/...`) also FAILs: ARM does not say whether a
    password follows it elsewhere, and such URLs are most often tokens used as user names.

    ## References
    - https://learn.microsoft.com/azure/container-instances/container-instances-volume-gitrepo
    - https://learn.microsoft.com/azure/container-instances/container-instances-volume-secret
    """
    for group in ctx.inventory.container_groups:
        leaking = [v for v in group.volumes if v.kind == "gitRepo" and v.git_repository_has_credentials]
        for volume in leaking:
            host = f" from {volume.git_repository_host}" if volume.git_repository_host else ""
            yield Outcome.failed(
                group,
                f"gitRepo volume {volume.name} clones{host} with credentials embedded in the repository URL",
                item=volume.name,
            )
        if not leaking:
            git = sum(1 for v in group.volumes if v.kind == "gitRepo")
            yield Outcome.passed(group, f"no gitRepo volume embeds credentials ({git} gitRepo volume(s))")
