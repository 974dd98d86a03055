from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity


@check(
    code="ACR009",
    name="repository-tokens-enabled",
    title="Registry has no enabled repository token with a password",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.ContainerRegistry/registries",
    requires=(Dataset.REGISTRIES, Dataset.REGISTRY_TOKENS),
    recommendations=("protect-credentials",),
    mcsb=("IM-1",),
)
def repository_tokens_enabled(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    The repository-scoped access tokens of each registry (`registries/tokens`): one FAIL per
    token that is enabled and has at least one password, naming the token. A registry with no
    such token passes. azaudit reads only the password *names* the token list returns, never a
    password (it does not call `generateCredentials` or any `list*` credential operation).

    ## Why it matters
    A token password is a long-lived shared secret outside Microsoft Entra ID: it is not tied to
    a person or a workload, conditional access and sign-in logs do not see it, and it is copied
    into pipelines and container definitions where it leaks. Managed identities with `AcrPull` /
    `AcrPush` (or repository permissions through Entra ABAC) give the same scoping without a
    password.

    ## How to fix
    Move the token's users to Entra identities, then disable the token or delete its passwords:

    ```bash
    az acr token update --name <token> --registry <registry> --status disabled
    az acr token credential delete --name <token> --registry <registry> --password1 --password2
    ```

    ## Decisions
    A token without a password (none generated yet, or all deleted) cannot be used and passes,
    as does a disabled token. A token whose status is absent counts as enabled, Azure's default.

    ## References
    - https://learn.microsoft.com/azure/container-registry/container-registry-repository-scoped-permissions
    - https://learn.microsoft.com/azure/container-registry/container-registry-authentication
    """
    for registry in ctx.inventory.registries:
        offending = [
            token
            for token in ctx.inventory.tokens_of(registry.id)
            if (token.status or "enabled").lower() == "enabled" and token.password_names
        ]
        for token in offending:
            count = len(token.password_names)
            yield Outcome.failed(
                registry,
                f"repository token {token.name} is enabled and has {count} password(s)",
                item=token.name,
            )
        if not offending:
            yield Outcome.passed(registry, "no enabled repository token has a password")
