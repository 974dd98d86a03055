from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity

RETIRED = (
    "Docker Content Trust is retired (no new registry can enable it since 2026-05-31; it is removed on 2028-03-31)"
)


@check(
    code="ACR005",
    name="content-trust-still-enabled",
    title="Registry does not depend on retired Docker Content Trust",
    severity=Severity.LOW,
    resource_type="Microsoft.ContainerRegistry/registries",
    requires=(Dataset.REGISTRIES,),
    recommendations=("approved-images", "image-integrity"),
    mcsb=("DS-6",),
)
def content_trust_still_enabled(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether the registry still depends on Docker Content Trust: its content trust policy
    (`policies.trustPolicy.status`) is `enabled`. That FAILs (low), with the move to Notary
    Project signing as the fix. A registry whose policy is `disabled` or absent (Azure's default)
    passes: not enabling a retired mechanism is never a finding. Basic and Standard registries,
    which cannot have content trust, are SKIPPED unless their policy says `enabled`.

    ## Why it matters
    Docker Content Trust is retired. Since 2026-05-31 it cannot be enabled on a registry that
    never had it, and Microsoft removes it on 2028-03-31: a registry and pipelines that rely on
    it will lose their signatures then. The registry setting itself enforces nothing: a signature
    is verified only by a client that opts in (`DOCKER_CONTENT_TRUST=1`), Azure Container
    Instances never verifies one, and content trust does not work at all with a customer-managed
    key. Keeping it on gives a feeling of signed images without their protection, and delays the
    move to a signing mechanism that will still exist. The container security guidance asks for
    approved, signed images only.

    ## How to fix
    Sign images with the Notary Project (`notation` and a signing certificate in Key Vault),
    verify the signatures where images are deployed (AKS with Ratify, or the pipeline), then turn
    Docker Content Trust off:

    ```bash
    az keyvault certificate create --vault-name <vault> --name <signing-cert> --policy @signing-policy.json
    notation sign --signature-format cose --plugin azure-kv \\
      --id "$(az keyvault certificate show --vault-name <vault> --name <signing-cert> --query kid --output tsv)" \\
      <registry>.azurecr.io/<repository>@<digest>
    az acr config content-trust update --registry <registry> --status disabled
    ```

    ## Decisions
    The check was turned round when Docker Content Trust was retired: it used to FAIL Premium
    registries that did not enable content trust, which Azure no longer lets a new registry do.
    Whether images are signed and verified is a property of what runs, not of this registry
    setting (Notary Project signatures are artifacts in the registry): it belongs to a later
    check of the images that container groups run. Premium registries with a customer-managed
    key, where content trust is unsupported, pass like any registry that does not depend on it.
    A Basic or Standard registry is SKIPPED (the setting needs Premium), but FAILs if ARM reports
    the policy enabled all the same, which is why this check skips by hand rather than declaring
    `applies_to` Premium registries (the engine would skip that FAIL). There is no Azure Policy
    built-in definition for content trust.

    ## References
    - https://learn.microsoft.com/azure/container-registry/container-registry-content-trust
    - https://aka.ms/acr/dctdeprecation
    - https://learn.microsoft.com/azure/container-registry/container-registry-tutorial-sign-build-push
    - https://learn.microsoft.com/cli/azure/acr/config/content-trust
    - https://notaryproject.dev/docs/
    """
    for registry in ctx.inventory.registries:
        evidence = {
            "properties.policies.trustPolicy.status": registry.trust_policy_status
            or "absent (Azure default: disabled)",
            "sku.name": registry.sku,
        }
        if (registry.trust_policy_status or "disabled").lower() == "enabled":
            yield Outcome.failed(
                registry,
                f"Docker Content Trust is still enabled: {RETIRED}, and the registry setting enforces nothing "
                "(clients verify, container instances never do): move to Notary Project signing",
                evidence=evidence,
            )
        elif not registry.is_premium:
            yield Outcome.skipped(
                registry, f"not applicable: content trust needs the Premium SKU (this registry is {registry.sku})"
            )
        else:
            yield Outcome.passed(registry, "the registry does not depend on Docker Content Trust", evidence=evidence)
