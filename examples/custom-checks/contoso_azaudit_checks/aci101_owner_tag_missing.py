import re
from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity

MAILBOX = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@check(
    code="CONTOSO-ACI101",
    name="owner-tag-missing",
    title="Every container group names its owning team in an `owner` tag",
    severity=Severity.LOW,
    resource_type="Microsoft.ContainerInstance/containerGroups",
    requires=(Dataset.CONTAINER_GROUPS,),
    recommendations=("monitor-activity",),
)
def owner_tag_missing(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Every container group, for an `owner` tag (any case) whose value is a team mailbox
    (`name@domain`). A group without the tag, or with a value that is not a mailbox, fails.

    ## Why it matters
    Contoso's incident runbook pages the owner of a workload when Defender raises an alert on
    it. A container group nobody owns is a container group nobody patches and nobody answers for.

    ## How to fix
    Tag the group with its team's mailbox:

    ```bash
    az resource tag --ids <container-group-id> --tags owner=<team>@contoso.example --is-incremental
    ```

    ## References
    - https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources
    """
    for group in ctx.inventory.container_groups:
        owner = group.tag("owner")
        if owner is None:
            yield Outcome.failed(group, "the container group has no owner tag")
        elif not MAILBOX.match(owner):
            yield Outcome.failed(group, f"the owner tag is {owner!r}, not a team mailbox")
        else:
            yield Outcome.passed(group, f"owned by {owner}")
