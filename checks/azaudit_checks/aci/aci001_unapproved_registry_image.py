from collections.abc import Iterator, Sequence
from typing import NamedTuple

import msgspec

from azaudit.catalogue import CheckContext, check
from azaudit.detect.image_ref import DOCKER_HUB, ApprovedRegistries, default_approved_registries
from azaudit.inventory.aci import ContainerGroup
from azaudit.inventory.acr import CacheRule
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity, Status
from azaudit_checks._images import ImageUse, image_uses, unparsable
from azaudit_checks.aci._paths import container_path


@check(
    code="ACI001",
    name="unapproved-registry-image",
    title="Images come only from approved registries",
    severity=Severity.HIGH,
    resource_type="Microsoft.ContainerInstance/containerGroups",
    requires=(Dataset.CONTAINER_GROUPS, Dataset.REGISTRIES, Dataset.REGISTRY_CACHE_RULES),
    recommendations=("approved-registries", "private-registry"),
    mcsb=("DS-6",),
)
def unapproved_registry_image(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    The image of every container and init container: the registry it comes from must be on the
    approved list. One FAIL per container, naming it, its image and the registry. By default the
    approved registries are the login servers of the registries in the audited subscriptions and
    `mcr.microsoft.com`; the config file (`[registries] approved = [...]`) or
    `--approved-registry` replaces that list with exact host names or `*.` wildcards. A bare
    name such as `nginx` means Docker Hub (`docker.io`).

    An approved registry can still serve someone else's image: a pull-through cache rule
    (`registries/cacheRules`) makes the registry fetch a repository from an upstream registry
    (`docker.io/library/nginx`) the first time it is pulled. When an image's repository is the
    target of a cache rule whose source registry is not approved itself, the container FAILs,
    naming the rule and its source; when the source is approved (a mirror of
    `mcr.microsoft.com`), the PASS says which images come through a cache rule.

    ## Why it matters
    An image from a public or unknown registry is code that nobody in the organisation built,
    scanned or approved, pulled at run time from a place you do not control: a typosquatted or
    hijacked repository, or a tag that changes under you, runs with the group's identity and
    network access. The container security guidance asks to permit only approved registries and
    to keep production images in a private registry. Any Azure subscription can create a
    registry under `azurecr.io`, so the suffix proves nothing; and a cache rule turns a
    private registry into a proxy for public content.

    ## How to fix
    Import the image into your own registry (where it is scanned), and point the container at it:

    ```bash
    az acr import --name <registry> --source docker.io/library/nginx:1.27 --image nginx:1.27
    az container create --resource-group <rg> --file container-group.yaml
    ```

    Replace a cache rule from a public registry with imports you review, or delete it:
    `az acr cache delete --registry <registry> --name <rule>`. To approve a registry on purpose
    (a partner's, in a subscription you do not audit), list it in the config file
    (`[registries] approved`).

    ## Decisions
    The default list is the audited registries' exact login servers, never `*.azurecr.io`.
    A registry in a subscription outside the audit (or, with `--shard`, outside this job's
    slice) is not approved unless configured. An image pulled through a cache rule whose source
    registry is not approved FAILs: the guidance asks for images only from approved
    registries, and the content is the public registry's, not the organisation's. If the cache
    rules of a registry cannot be read (403, 404), the containers using it are ERROR rather
    than PASS, as is the registry. A cache rule's target with a trailing `*` matches every
    repository under it. An image reference that cannot be parsed FAILs with a message that
    says so: its registry cannot be shown to be approved. Registry host names are compared
    case-insensitively, with the port when the reference has one. A configured list replaces
    the default entirely. Azure Policy has no built-in definition for the registries Container
    Instances may pull from (the allowed-images definitions are for Kubernetes); "Container
    registries should prevent cache rule creation" audits cache rules themselves.

    ## References
    - https://learn.microsoft.com/azure/container-instances/container-instances-image-security#use-a-private-registry
    - https://learn.microsoft.com/azure/container-registry/artifact-cache-overview
    - https://learn.microsoft.com/azure/container-registry/container-registry-import-images
    - https://learn.microsoft.com/azure/container-instances/using-azure-container-registry-mi
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Container%20Registry/ACR_PTCDisabled_AuditDeny.json
    """
    known = audited_registries(ctx)
    configured = ctx.settings.registries.approved
    approved = configured or default_approved_registries(known)
    matcher = ApprovedRegistries(approved)
    # The same words for every group: made once, one string shared by every PASS.
    every_approved = f"every image comes from an approved registry ({_first_of(approved)})"
    for group in ctx.inventory.container_groups:
        judged = 0
        notes: list[str] = []
        hosts: set[str] = set()
        for use in image_uses(group):
            image = f"{container_path(use.container)}.properties.image"
            if use.reference is None:
                judged += 1
                yield msgspec.structs.replace(
                    unparsable(group, use, "its registry cannot be shown to be approved"),
                    evidence={image: "not a parsable image reference"},
                )
                continue
            host = use.reference.registry
            hosts.add(host)
            if not matcher.matches(host):
                judged += 1
                outside = "" if configured else " (not a registry of the audited subscriptions)"
                yield Outcome.failed(
                    group,
                    f"{use.kind} {use.container.name} runs {use.container.image} from {host}, "
                    f"which is not an approved registry{outside}",
                    item=use.container.name,
                    evidence={image: use.container.image},
                )
                continue
            if host not in known:
                continue  # approved, and not a registry of the audit: nothing more to know
            registry = known[host]
            if registry.rules is None:
                judged += 1
                yield Outcome.errored(
                    group,
                    f"{use.kind} {use.container.name} runs {use.container.image}: the cache rules of registry "
                    f"{registry.name} could not be read, so whether it serves public content is unknown",
                    item=use.container.name,
                )
                continue
            rule = cache_rule_for(registry.rules, use.reference.repository)
            if rule is None:
                continue
            source = source_registry(rule.source_repository)
            if matcher.matches(source):
                notes.append(f"{use.container.name} through cache rule {rule.name} from {source}")
                continue
            judged += 1
            outcome = _through_cache_rule(group, use, host, rule, source)
            if outcome.status is Status.FAIL:
                outcome = msgspec.structs.replace(
                    outcome,
                    evidence={
                        f"{container_path(use.container)}.properties.image": use.container.image,
                        "cacheRules[].properties.sourceRepository": rule.source_repository,
                    },
                )
            yield outcome
        if not judged:
            yield Outcome.passed(
                group,
                f"{every_approved}; {', '.join(notes)} (approved)" if notes else every_approved,
                evidence={
                    "properties.containers[].properties.image": f"from {', '.join(sorted(hosts)) or 'no registry'}"
                },
            )


NAMED_APPROVED = 10  # approved registries a PASS names; the configuration or the audit lists the rest


def _first_of(approved: Sequence[str]) -> str:
    """The approved registries as a PASS names them: all of them up to :data:`NAMED_APPROVED`, else
    the first ones and how many more. The list is every audited registry by default, so naming all
    1,500 of a 10,000-resource tenant in each group's PASS made the report grow with the tenant
    squared (200 MB of its 260 MB of JSON) for a list no reader goes through."""
    if len(approved) <= NAMED_APPROVED:
        return ", ".join(approved)
    return f"{', '.join(approved[:NAMED_APPROVED])} and {len(approved) - NAMED_APPROVED:,} more"


class Audited(NamedTuple):
    name: str
    rules: tuple[CacheRule, ...] | None  # None: the cache rules could not be read


def audited_registries(ctx: CheckContext) -> dict[str, Audited]:
    """login server → the registry of the audit and its cache rules: the registries collected, a
    registry listed but unreadable (its rules unknown), and, in a ``--shard`` job, those of the
    subscriptions other jobs audit."""
    suffix = ctx.cloud.registry_suffix
    known: dict[str, Audited] = {}
    for error in ctx.inventory.errors_for([Dataset.REGISTRIES]):
        if error.resource_id and error.resource_name:
            known[f"{error.resource_name}.{suffix}".lower()] = Audited(error.resource_name, None)
    for other in ctx.inventory.registry_directory:
        server = (other.login_server or f"{other.name}.{suffix}").lower()
        known[server] = Audited(other.name, other.cache_rules if other.cache_rules_read else None)
    lost = {e.resource_id.lower() for e in ctx.inventory.errors_for([Dataset.REGISTRY_CACHE_RULES])}
    for registry in ctx.inventory.registries:
        server = (registry.login_server or f"{registry.name}.{suffix}").lower()
        rules = None if registry.id.lower() in lost else ctx.inventory.cache_rules_of(registry.id)
        known[server] = Audited(registry.name, rules)
    return known


def _through_cache_rule(group: ContainerGroup, use: ImageUse, host: str, rule: CacheRule, source: str) -> Outcome:
    return Outcome.failed(
        group,
        f"{use.kind} {use.container.name} runs {use.container.image} from {host}, an approved "
        f"registry, but its cache rule {rule.name} pulls it from {rule.source_repository} on {source}, "
        "which is not an approved registry",
        item=use.container.name,
    )


def cache_rule_for(rules: Sequence[CacheRule], repository: str) -> CacheRule | None:
    """The cache rule whose target is ``repository``: an exact name, or a prefix ending in ``*``
    (``library/*``, or ``*`` for every repository). The most specific rule wins."""
    wanted = repository.lower()
    matches = []
    for rule in rules:
        target = rule.target_repository.strip().lower()
        if target == wanted or (target.endswith("*") and wanted.startswith(target[:-1])):
            matches.append(rule)
    return max(matches, key=lambda r: (not r.target_repository.endswith("*"), len(r.target_repository)), default=None)


def source_registry(source_repository: str) -> str:
    """The upstream registry of a cache rule's source (``docker.io/library/nginx`` → ``docker.io``);
    a source without a host is on Docker Hub, as Docker reads it."""
    first, slash, _ = source_repository.strip().partition("/")
    if slash and ("." in first or ":" in first or first.lower() == "localhost"):
        return first.lower()
    return DOCKER_HUB
