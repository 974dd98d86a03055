from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity


@check(
    code="ACR009",
    name="repository-tokens-enabled",
    title="Registry has no enabled repository token that can authenticate",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.ContainerRegistry/registries",
    requires=(Dataset.REGISTRIES, Dataset.REGISTRY_TOKENS),
    recommendations=("protect-credentials",),
    mcsb=("IM-1",),
    policies=("ff05e24e-195c-447e-b322-5e90c9f9f366", "a9b426fe-8856-4945-8600-18c5dd1cca2a"),
)
def repository_tokens_enabled(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    The repository-scoped access tokens of each registry (`registries/tokens`): one FAIL per
    token that is enabled and can still authenticate, naming the token. A token authenticates
    with a password or with a certificate (`credentials.passwords`, `credentials.certificates`),
    each of which may carry an `expiry`; one that expired no longer counts. An enabled token
    whose credentials have all expired cannot authenticate: it PASSes, and the finding says so.
    A registry with no such token passes. azaudit reads only the names and expiry dates the token
    list returns, never a password (it does not call `generateCredentials` or any `list*`
    credential operation, and a recording drops any password value).

    ## Why it matters
    A token password is a long-lived shared secret outside Microsoft Entra ID: it is not tied to
    a person or a workload, conditional access and sign-in logs do not see it, and it is copied
    into pipelines and container definitions where it leaks. Managed identities with `AcrPull` /
    `AcrPush` (or repository permissions through Entra ABAC) give the same scoping without a
    password.

    ## How to fix
    Move the token's users to Entra identities, then disable the token or delete its credentials:

    ```bash
    az acr token update --name <token> --registry <registry> --status disabled
    az acr token credential delete --name <token> --registry <registry> --password1 --password2
    ```

    ## Decisions
    A token without a live password or certificate (none generated, all deleted, or all
    expired) cannot be used and passes, as does a disabled token. A token whose status is absent
    counts as enabled, Azure's default. A credential without an expiry never expires. The Azure
    Policy definitions "Container registries should have repository scoped access token
    disabled" (and its Modify twin) flag every token whose status is not `disabled`, even one
    that cannot authenticate; azaudit FAILs only tokens that can, and names the expired ones in
    a PASS so that they can be cleaned up.

    ## References
    - https://learn.microsoft.com/azure/container-registry/container-registry-repository-scoped-permissions
    - https://learn.microsoft.com/azure/container-registry/container-registry-authentication
    - https://learn.microsoft.com/azure/templates/microsoft.containerregistry/registries/tokens
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Container%20Registry/ACR_TokenDisabled_AuditDeny.json
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Container%20Registry/ACR_TokenDisabled_Modify.json
    """
    for registry in ctx.inventory.registries:
        judged = False
        for token in ctx.inventory.tokens_of(registry.id):
            if (token.status or "enabled").lower() != "enabled":
                continue
            passwords = [p for p in token.passwords if p.live(ctx.now)]
            certificates = [c for c in token.certificates if c.live(ctx.now)]
            expired = len(token.passwords) - len(passwords) + len(token.certificates) - len(certificates)
            evidence = {
                "tokens[].name": token.name,
                "tokens[].properties.status": token.status or "absent (Azure default: enabled)",
                "tokens[].properties.credentials.passwords": f"{len(passwords)} live of {len(token.passwords)}",
                "tokens[].properties.credentials.certificates": (
                    f"{len(certificates)} live of {len(token.certificates)}"
                ),
            }
            if passwords or certificates:
                judged = True
                what = [f"{len(passwords)} password(s)"] if passwords else []
                what += [f"{len(certificates)} certificate(s)"] if certificates else []
                yield Outcome.failed(
                    registry,
                    f"repository token {token.name} is enabled and can authenticate with {' and '.join(what)}",
                    item=token.name,
                    evidence=evidence,
                )
            elif expired:
                judged = True
                yield Outcome.passed(
                    registry,
                    f"repository token {token.name} is enabled but cannot authenticate: "
                    f"its {expired} credential(s) expired",
                    item=token.name,
                    evidence=evidence,
                )
        if not judged:
            yield Outcome.passed(
                registry,
                "no enabled repository token can authenticate",
                evidence={"tokens[].properties.status": "no enabled token with a live credential"},
            )
