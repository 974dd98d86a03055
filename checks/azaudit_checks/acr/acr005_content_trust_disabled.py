from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Outcome, Severity

RETIREMENT = "Docker Content Trust is being retired (removal announced for 2028-03-31)"


@check(
    code="ACR005",
    name="content-trust-disabled",
    title="Premium registry enforces signed images",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.ContainerRegistry/registries",
    requires=(Dataset.REGISTRIES,),
    recommendations=("approved-images", "image-integrity"),
    mcsb=("DS-6",),
)
def content_trust_disabled(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    Whether a Premium registry's content trust policy (`policies.trustPolicy.status`) is
    `enabled`. Basic and Standard registries cannot enable it and are SKIPPED, as are Premium
    registries encrypted with a customer-managed key, which do not support content trust.

    ## Why it matters
    Signed images let the consumer prove who published an image and that it was not changed
    since. Without signatures, anyone able to push (a leaked token, a compromised pipeline) can
    replace a tag that production pulls. The seeds ask for approved, signed images only.

    ## How to fix
    Docker Content Trust, the mechanism behind this registry setting, is being retired: Microsoft
    announced its removal for 2028-03-31 and the `az acr config content-trust` commands are
    deprecated. Do not start new work on it. Sign images with the Notary Project (`notation` and
    a signing certificate in Key Vault) and verify the signatures where images are deployed:

    ```bash
    az keyvault certificate create --vault-name <vault> --name <signing-cert> --policy @signing-policy.json
    notation sign --signature-format cose --plugin azure-kv \
      --id "$(az keyvault certificate show --vault-name <vault> --name <signing-cert> --query kid --output tsv)" \
      <registry>.azurecr.io/<repository>@<digest>
    ```

    Registries that still rely on Docker Content Trust until the move can keep it enabled:
    `az acr config content-trust update --registry <registry> --status enabled`.

    ## Decisions
    This check reads the registry's content trust setting, the only signing control ARM shows.
    A registry that has moved to Notary Project signing (whose signatures are artifacts in the
    registry, not a registry setting) still FAILs here: record that with a suppression in the
    config file (`[[suppress]]` with a reason and an expiry) rather than enabling a retired
    mechanism. Basic and Standard registries are SKIPPED (the feature needs Premium), and so are
    Premium registries with a customer-managed key, where content trust cannot be enabled.

    ## References
    - https://learn.microsoft.com/azure/container-registry/container-registry-content-trust
    - https://learn.microsoft.com/azure/container-registry/container-registry-tutorial-sign-build-push
    - https://learn.microsoft.com/cli/azure/acr/config/content-trust
    - https://notaryproject.dev/docs/
    """
    for registry in ctx.inventory.registries:
        status = (registry.trust_policy_status or "disabled").lower()
        if not registry.is_premium:
            yield Outcome.skipped(
                registry, f"not applicable: content trust needs the Premium SKU (this registry is {registry.sku})"
            )
        elif status == "enabled":
            yield Outcome.passed(
                registry, f"content trust is enabled; {RETIREMENT}: plan the move to Notary Project signing"
            )
        elif (registry.encryption_status or "").lower() == "enabled":
            yield Outcome.skipped(
                registry,
                "not applicable: content trust is not supported with a customer-managed key; "
                "sign images with the Notary Project instead",
            )
        else:
            yield Outcome.failed(
                registry,
                f"content trust is disabled: image signatures are not enforced; {RETIREMENT}: "
                "sign images with the Notary Project",
            )
