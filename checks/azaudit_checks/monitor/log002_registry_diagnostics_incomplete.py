from collections.abc import Iterator

from azaudit.catalogue import CheckContext, check
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.monitor import covered, sending
from azaudit.model import Outcome, Severity
from azaudit_checks.monitor._destinations import categories_observed

CATEGORIES = frozenset({"ContainerRegistryLoginEvents", "ContainerRegistryRepositoryEvents"})
GROUPS = frozenset({"allLogs", "audit"})


@check(
    code="LOG002",
    name="registry-diagnostics-incomplete",
    title="Container registry logs logins and repository events",
    severity=Severity.MEDIUM,
    resource_type="Microsoft.ContainerRegistry/registries",
    requires=(Dataset.REGISTRIES, Dataset.DIAGNOSTIC_SETTINGS),
    recommendations=("log-admin-access",),
    mcsb=("LT-3",),
    policies=(
        "187242f4-89c6-4c43-9a4e-188c0efacc5f",
        "56288eb2-4350-461d-9ece-2bb242269dce",
        "9ba29e83-863d-4fec-81d0-16dd87067cc3",
        "106cd3bd-50a1-466c-869f-f9c2d310477b",
    ),
)
def registry_diagnostics_incomplete(ctx: CheckContext) -> Iterator[Outcome]:
    """
    ## What it checks
    For a registry that has diagnostic settings, whether its enabled logs, sent to a
    destination, cover both `ContainerRegistryLoginEvents` and
    `ContainerRegistryRepositoryEvents`. An enabled category group `allLogs` or `audit` covers
    both. Disabled entries and settings without a destination do not count. A registry with no
    setting at all is LOG001's finding and is SKIPPED here.

    ## Why it matters
    Login events say who authenticated to the registry and from where; repository events say
    who pushed, pulled or deleted which image. With only one of them an investigation cannot
    connect a credential to what it did.

    ## How to fix
    Send the `audit` category group (or both categories) in a diagnostic setting:

    ```bash
    az monitor diagnostic-settings update --name <setting> --resource <registry-id> \\
      --logs '[{"categoryGroup":"audit","enabled":true}]'
    ```

    ## Decisions
    Coverage may be split across settings: one setting sending login events and another
    sending repository events together pass, since both streams reach a destination. Both
    registry categories are audit logs ("Login Auditing Logs", "Repository Auditing Logs"), so
    the `audit` group counts as covering them.

    Azure Policy tests the same control with 187242f4-89c6-4c43-9a4e-188c0efacc5f ("Resource
    logs should be enabled for Audit on supported resources": an enabled `audit` or `allLogs`
    group, whatever the destination) and with the "Enable logging by category group for
    Container registries" definitions to Log Analytics (56288eb2-4350-461d-9ece-2bb242269dce),
    Event Hub (9ba29e83-863d-4fec-81d0-16dd87067cc3) and Storage
    (106cd3bd-50a1-466c-869f-f9c2d310477b), which also require the destination they name.
    azaudit accepts any destination, and categories named one by one.

    ## References
    - https://learn.microsoft.com/azure/azure-monitor/reference/supported-logs/microsoft-containerregistry-registries-logs
    - https://learn.microsoft.com/azure/container-registry/monitor-container-registry
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Monitoring/DiagnosticSettingsExistsAudit_Audit.json
    - https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Monitoring/DS_LA_containerregistry-registries_DINE.json
    """
    for registry in ctx.inventory.registries:
        settings = ctx.inventory.diagnostics_for(registry.id)
        if not settings:
            yield Outcome.skipped(registry, "no diagnostic setting at all (see LOG001)")
            continue
        sent = covered(sending(settings), CATEGORIES, GROUPS)
        missing = sorted(CATEGORIES - sent)
        evidence = categories_observed(sent, CATEGORIES)
        if missing:
            yield Outcome.failed(
                registry, f"not logged: {', '.join(missing)}", item=", ".join(missing), evidence=evidence
            )
        else:
            yield Outcome.passed(registry, "login and repository events are logged", evidence=evidence)
