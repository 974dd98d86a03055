"""Write the bundled sample tenant (fixtures/tenants/contoso) as REST fixture files.

Run once to (re)generate; the JSON files are what tests and the demo read. An argument writes them
to another folder instead (tests/test_sample_tenant.py regenerates them and compares byte for
byte). Every body has the shape of the official Azure REST examples (../shared/azure-api-examples),
with fake ids; bodies come from tools/armbodies.py, and services converted to scenario tables
(tools/scenarios/) take their resources and expected outcomes from there.
Values containing the canary marker (tools/scenarios/aci.py) are planted secrets: no output may ever contain them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools import armbodies
from tools.scenarios import DEV, LEGACY, PROD, SANDBOX, TENANT, aci, acr, monitor
from tools.scenarios import defender as defender_scenarios
from tools.scenarios import images as image_scenarios
from tools.scenarios import keyvault as kv
from tools.scenarios import rbac as rbac_scenarios
from tools.scenarios import resource_graph as graph_scenarios

ARM = "https://management.azure.com"
OUT = Path(__file__).resolve().parents[1] / "fixtures" / "tenants" / "contoso"

API = {
    "subscriptions": "2022-12-01",
    "acr": "2025-11-01",
    "aci": "2023-05-01",
    "kv": "2026-05-15",
    "kvdp": "2026-04-01",
    "diag": "2021-05-01-preview",
    "auth": "2022-04-01",
    "msi": "2024-11-30",
    "security": "2024-01-01",
    "mg": "2023-04-01",
}


def url(path: str, api: str, **query: str) -> str:
    params = "&".join([f"api-version={API[api]}", *(f"{k}={v}" for k, v in query.items())])
    return f"{ARM}{path}?{params}"


def ok(request_url: str, body: object, status: int = 200, headers: dict[str, str] | None = None) -> dict[str, object]:
    response: dict[str, object] = {"status": status, "body": body}
    if headers:
        response["headers"] = headers
    return {"request": {"method": "GET", "url": request_url}, "response": response}


def forbidden(request_url: str, action: str, scope: str) -> dict[str, object]:
    message = (
        "The client 'audit-sp@contoso.example' with object id '6d1f3b5a-8c2e-4f7a-9b1d-3e5f7a9b1c2d' does not have "
        f"authorization to perform action '{action}' over scope '{scope}' or the scope is invalid. If access was "
        "recently granted, please refresh your credentials."
    )
    return ok(request_url, {"error": {"code": "AuthorizationFailed", "message": message}}, status=403)


FOLDERS = {PROD: "contoso-prod", DEV: "contoso-dev", SANDBOX: "contoso-sandbox"}
_destination = OUT  # where write() puts files: main() sets it


def write(name: str, description: str, interactions: list[dict[str, object]]) -> None:
    for sub, folder in FOLDERS.items():
        name = name.replace(sub, folder)
    path = _destination / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"description": description, "interactions": interactions}, indent=2) + "\n")


# ---------------------------------------------------------------------------------------- subscriptions


def subscriptions() -> None:
    def sub(sid: str, name: str, state: str) -> dict[str, object]:
        return {
            "id": f"/subscriptions/{sid}",
            "subscriptionId": sid,
            "tenantId": TENANT,
            "displayName": name,
            "state": state,
            "subscriptionPolicies": {
                "locationPlacementId": "Public_2014-09-01",
                "quotaId": "EnterpriseAgreement_2014-09-01",
                "spendingLimit": "Off",
            },
            "authorizationSource": "RoleBased",
            "managedByTenants": [],
            "tags": {"costCenter": "4711"},
        }

    body = {
        "value": [
            sub(PROD, "contoso-prod", "Enabled"),
            sub(DEV, "contoso-dev", "Enabled"),
            sub(SANDBOX, "contoso-sandbox", "Enabled"),
            sub(LEGACY, "contoso-legacy", "Disabled"),
        ]
    }
    write(
        "subscriptions.json",
        "Subscriptions the audit identity can see (contoso-legacy is disabled).",
        [ok(url("/subscriptions", "subscriptions"), body)],
    )


# ---------------------------------------------------------------------------------------- registries


def registries() -> None:
    # The registries, their tokens and expected outcomes are tools/scenarios/acr.py's table.
    prod_acr, legacy_acr, dev_acr = acr.PROD_ACR.body(), acr.LEGACY_ACR.body(), acr.DEV_ACR.body()
    platform_acr, ml_acr = acr.PLATFORM_ACR.body(), acr.ML_ACR.body()
    rid, platform_id, ml_id = acr.PROD_ACR.id, acr.PLATFORM_ACR.id, acr.ML_ACR.id
    cache_rule = armbodies.cache_rule

    def no_cache_rules(registry_id: str) -> dict[str, object]:
        return ok(url(f"{registry_id}/cacheRules", "acr"), {"value": []})

    # contosodevacr pulls through two cache rules (ACI001), listed over two pages: Docker Hub's
    # nginx (a public registry: not approved) and a mirror of Microsoft's Azure CLI (approved).
    dev_id = str(dev_acr["id"])
    dev_rules_page_two = url(f"{dev_id}/cacheRules", "acr", **{"$skipToken": "eyJuZXh0TWFya2VyIjoibWlycm9yIn0"})
    dev_cache_rules = [
        ok(
            url(f"{dev_id}/cacheRules", "acr"),
            {
                "value": [cache_rule(dev_id, "hub-nginx", "docker.io/library/nginx", "hub/nginx")],
                "nextLink": dev_rules_page_two,
            },
        ),
        ok(
            dev_rules_page_two,
            {"value": [cache_rule(dev_id, "mirror-azure-cli", "mcr.microsoft.com/azure-cli", "mirror/azure-cli")]},
        ),
    ]

    list_path = f"/subscriptions/{PROD}/providers/Microsoft.ContainerRegistry/registries"
    next_url = url(list_path, "acr", **{"$skipToken": "eyJuZXh0TWFya2VyIjoiY29udG9zb2xlZ2FjeWFjciJ9"})
    write(
        f"{PROD}/containerregistry.json",
        "contoso-prod registries: the list pages once (nextLink); a Premium hardened registry and a Basic legacy one.",
        [
            ok(url(list_path, "acr"), {"value": [prod_acr], "nextLink": next_url}),
            ok(next_url, {"value": [legacy_acr, platform_acr]}),
            ok(url(f"{rid}/tokens", "acr"), {"value": []}),
            no_cache_rules(rid),
            no_cache_rules(platform_id),
            no_cache_rules(str(legacy_acr["id"])),
            ok(url(f"{platform_id}/tokens", "acr"), {"value": acr.PLATFORM_ACR.token_bodies()}),
            ok(
                url(f"{legacy_acr['id']}/tokens", "acr"),
                {"value": acr.LEGACY_ACR.token_bodies()},
            ),
        ],
    )
    write(
        f"{DEV}/containerregistry.json",
        "contoso-dev registries: Standard with anonymous pull on; a Premium ML registry open to every network.",
        [
            ok(
                url(f"/subscriptions/{DEV}/providers/Microsoft.ContainerRegistry/registries", "acr"),
                {"value": [dev_acr, ml_acr]},
            ),
            ok(url(f"{dev_acr['id']}/tokens", "acr"), {"value": []}),
            *dev_cache_rules,
            no_cache_rules(ml_id),
            ok(
                url(f"{ml_id}/tokens", "acr"),
                {"value": acr.ML_ACR.token_bodies()},
            ),
        ],
    )
    # Their diagnostic settings and LOG001/LOG002 outcomes are tools/scenarios/monitor.py's table.
    diagnostic_settings(PROD, "registries", monitor.by_resource(PROD, monitor.REGISTRIES))
    diagnostic_settings(DEV, "registries", monitor.by_resource(DEV, monitor.REGISTRIES))


# ---------------------------------------------------------------------------------------- diagnostics


def diagnostic_settings(sub: str, what: str, by_resource: dict[str, list[dict[str, object]]]) -> None:
    write(
        f"{sub}/diagnostics-{what}.json",
        f"Diagnostic settings of the {what} (not paged).",
        [
            ok(url(f"{rid}/providers/Microsoft.Insights/diagnosticSettings", "diag"), {"value": settings})
            for rid, settings in by_resource.items()
        ],
    )


def activity_logs() -> None:
    # Each subscription's export and LOG005/LOG006 outcomes are tools/scenarios/monitor.py's table;
    # the sandbox's is written with its empty lists.
    for scenario in (monitor.PROD_ACTIVITY, monitor.DEV_ACTIVITY):
        settings = url(f"/subscriptions/{scenario.sub}/providers/Microsoft.Insights/diagnosticSettings", "diag")
        write(f"{scenario.sub}/activity-log.json", scenario.description, [ok(settings, {"value": scenario.bodies()})])


# ---------------------------------------------------------------------------------------- container groups


def container_groups() -> None:
    # The container groups, their diagnostic settings and ACI outcomes are tools/scenarios/aci.py's table.
    write(
        f"{PROD}/containerinstance.json",
        "contoso-prod container groups: a hardened confidential API, a public worker, a batch job with credentials.",
        [
            ok(
                url(f"/subscriptions/{PROD}/providers/Microsoft.ContainerInstance/containerGroups", "aci"),
                {"value": [g.body() for g in aci.PROD_GROUPS]},
            )
        ],
    )
    list_path = f"/subscriptions/{DEV}/providers/Microsoft.ContainerInstance/containerGroups"
    next_url = url(list_path, "aci", **{"$skiptoken": "cGFnZTI"})
    web, jobs, debug, tools = aci.DEV_GROUPS
    write(
        f"{DEV}/containerinstance.json",
        "contoso-dev container groups (the list pages once): a public web app, a private job runner, a privileged confidential debug box, tools in the VNet.",
        [
            ok(url(list_path, "aci"), {"value": [web.body(), jobs.body()], "nextLink": next_url}),
            ok(next_url, {"value": [debug.body(), tools.body()]}),
        ],
    )
    # The diagnostic settings of every container group, one file per subscription.
    for sub, groups in ((PROD, aci.PROD_GROUPS), (DEV, aci.DEV_GROUPS)):
        interactions: list[dict[str, object]] = []
        for group in groups:
            request = url(f"{group.id}/providers/Microsoft.Insights/diagnosticSettings", "diag")
            if group.diagnostics_denied:
                interactions.append(forbidden(request, "microsoft.insights/diagnosticSettings/read", group.id))
            else:
                interactions.append(ok(request, {"value": group.diagnostic_setting_bodies()}))
        refused = any(group.diagnostics_denied for group in groups)
        write(
            f"{sub}/diagnostics-containergroups.json",
            "Diagnostic settings of the container groups (not paged)"
            + ("; the audit identity may not read one group's." if refused else "."),
            interactions,
        )


# ---------------------------------------------------------------------------------------- key vaults


def vaults() -> None:
    # The vaults, their policies, secrets, keys and KV outcomes are tools/scenarios/keyvault.py's table.
    apps, legacy, locked = kv.APPS, kv.LEGACY, kv.LOCKED
    apps_keys, legacy_keys = apps.key_bodies(), legacy.key_bodies()
    write(
        f"{PROD}/keyvault.json",
        "contoso-prod vaults (RBAC hardened, legacy access policies behind a firewall), keys, ARM secret list fallback.",
        [
            ok(
                url(f"/subscriptions/{PROD}/providers/Microsoft.KeyVault/vaults", "kv"),
                {"value": [apps.body(), legacy.body(), locked.body()]},
            ),
            ok(url(f"{apps.id}/keys", "kv"), {"value": [armbodies.listed_key(k) for k in apps_keys]}),
            ok(url(f"{legacy.id}/keys", "kv"), {"value": [armbodies.listed_key(k) for k in legacy_keys]}),
            *[ok(url(f"{apps.id}/keys/{k['name']}", "kv"), k) for k in apps_keys],
            *[ok(url(f"{legacy.id}/keys/{k['name']}", "kv"), k) for k in legacy_keys],
            ok(url(f"{legacy.id}/secrets", "kv"), {"value": legacy.arm_secret_bodies()}),
        ],
    )
    write(
        f"{PROD}/keyvault-locked.json",
        "kv-prod-locked: the data plane refuses (private link only) and the ARM secret list is denied.",
        [
            ok(f"https://{locked.name}.vault.azure.net/secrets", locked.data_plane_refusal, status=403),
            forbidden(url(f"{locked.id}/secrets", "kv"), "Microsoft.KeyVault/vaults/secrets/read", locked.id),
            ok(url(f"{locked.id}/keys", "kv"), {"value": []}),
            ok(
                url(f"{locked.id}/providers/Microsoft.Insights/diagnosticSettings", "diag"),
                {"value": monitor.LOCKED_VAULT.bodies()},
            ),
        ],
    )
    second_page = "https://kv-prod-apps.vault.azure.net:443/secrets?api-version=2026-04-01&$skiptoken=eyJOZXh0TWFya2VyIjoiMiFNREF3TURJeUlYTmxZM0psZEM5UFRFUXRRVkJKTFV0RldTRXdNREF3TWpnaE9UazVPUzB4TWkwek1WUXlNem8xT1RvMU9TNDVPVGs1T1RrNVdpRXcifQ&maxresults=3"
    first, rest = apps.secret_page_bodies()
    write(
        f"{PROD}/keyvault-dataplane.json",
        "Key Vault data plane (secret metadata only; never a value). kv-prod-apps pages; kv-prod-legacy's firewall answers 403.",
        [
            ok(f"https://{apps.name}.vault.azure.net/secrets", {"value": first, "nextLink": second_page}),
            ok(second_page, {"value": rest, "nextLink": None}),
            ok(f"https://{legacy.name}.vault.azure.net/secrets", legacy.data_plane_refusal, status=403),
        ],
    )
    # The vaults' diagnostic settings and LOG003/LOG004 outcomes are tools/scenarios/monitor.py's table.
    diagnostic_settings(PROD, "vaults", monitor.by_resource(PROD, monitor.VAULTS))

    shared, rbac_vault = kv.SHARED, kv.RBAC_VAULT
    write(
        f"{DEV}/keyvault.json",
        "contoso-dev vaults: an access-policy vault with broad policies and soft delete off; an RBAC vault open to the internet.",
        [
            ok(
                url(f"/subscriptions/{DEV}/providers/Microsoft.KeyVault/vaults", "kv"),
                {"value": [shared.body(), rbac_vault.body()]},
            ),
            ok(url(f"{shared.id}/keys", "kv"), {"value": []}),
            ok(url(f"{rbac_vault.id}/keys", "kv"), {"value": []}),
        ],
    )
    write(
        f"{DEV}/keyvault-dataplane.json",
        "contoso-dev data plane secret lists.",
        [
            ok(f"https://{vault.name}.vault.azure.net/secrets", {"value": page, "nextLink": None})
            for vault in (shared, rbac_vault)
            for page in vault.secret_page_bodies()
        ],
    )
    diagnostic_settings(DEV, "vaults", monitor.by_resource(DEV, monitor.VAULTS))


# ---------------------------------------------------------------------------------------- RBAC


def rbac() -> None:
    # Role assignments, custom roles, identities and RBAC outcomes are tools/scenarios/rbac.py's table.
    builtins = rbac_scenarios.builtin_role_definitions()
    filt_builtin = "type%20eq%20%27BuiltInRole%27"
    filt_custom = "type%20eq%20%27CustomRole%27"
    for scenario in (rbac_scenarios.PROD_RBAC, rbac_scenarios.DEV_RBAC):
        sub, label = scenario.sub, scenario.subscription
        defs = f"{scenario.scope}/providers/Microsoft.Authorization/roleDefinitions"
        write(
            f"{sub}/roledefinitions.json",
            f"Role definitions visible in {label}: built-in (listed once per run, through whichever subscription comes first) and custom.",
            [
                ok(url(defs, "auth", **{"$filter": filt_builtin}), {"value": builtins}),
                ok(url(defs, "auth", **{"$filter": filt_custom}), {"value": scenario.custom_role_bodies()}),
            ],
        )
    for scenario in (rbac_scenarios.PROD_RBAC, rbac_scenarios.DEV_RBAC):
        list_path = f"{scenario.scope}/providers/Microsoft.Authorization/roleAssignments"
        first, *rest = scenario.assignment_pages()
        if rest:  # one more page
            (second,) = rest
            next_url = url(list_path, "auth", **{"$skipToken": "ZXlKMGIydGxiaUk2SWpFd01DSjk"})
            pages = [
                ok(url(list_path, "auth"), {"value": first, "nextLink": next_url}),
                ok(next_url, {"value": second}),
            ]
        else:
            pages = [ok(url(list_path, "auth"), {"value": first})]
        write(f"{scenario.sub}/roleassignments.json", scenario.description, pages)
    for scenario in (rbac_scenarios.PROD_RBAC, rbac_scenarios.DEV_RBAC):
        identities = url(f"{scenario.scope}/providers/Microsoft.ManagedIdentity/userAssignedIdentities", "msi")
        write(
            f"{scenario.sub}/identities.json",
            scenario.identities_description,
            [ok(identities, {"value": scenario.identity_bodies()})],
        )


# ---------------------------------------------------------------------------------------- Defender


def defender() -> None:
    # Each subscription's plans and expected outcomes are tools/scenarios/defender.py's table.
    for scenario in defender_scenarios.SUBSCRIPTIONS:
        pricings = url(f"/subscriptions/{scenario.sub}/providers/Microsoft.Security/pricings", "security")
        if scenario.plans is None:
            answer = forbidden(pricings, "Microsoft.Security/pricings/read", f"/subscriptions/{scenario.sub}")
        else:
            answer = ok(pricings, {"value": scenario.bodies()})
        write(f"{scenario.sub}/defender.json", scenario.description, [answer])


def not_registered(namespace: str) -> dict[str, object]:
    """ARM's 409 body for a namespace the subscription is not registered for (its shape: Microsoft
    Learn, "Resolve errors for resource provider registration"; Azure/msrestazure-for-python issue
    53 and Azure/azure-service-operator issue 2513 quote the whole body, details and target)."""
    message = (
        f"The subscription is not registered to use namespace '{namespace}'. "
        "See https://aka.ms/rps-not-found for how to register subscriptions."
    )
    code = "MissingSubscriptionRegistration"
    return {
        "error": {
            "code": code,
            "message": message,
            "details": [{"code": code, "target": namespace, "message": message}],
        }
    }


def sandbox() -> None:
    """contoso-sandbox: an empty subscription (every list empty) whose Defender pricings answer 403.
    It never registered Microsoft.ContainerInstance: its container group list answers 409
    MissingSubscriptionRegistration, which is no container group (a note), not an ERROR."""
    scope = f"/subscriptions/{SANDBOX}"
    empty = [
        f"{scope}/providers/Microsoft.ContainerRegistry/registries",
        f"{scope}/providers/Microsoft.KeyVault/vaults",
        f"{scope}/providers/Microsoft.ManagedIdentity/userAssignedIdentities",
    ]
    apis = ["acr", "kv", "msi"]
    interactions = [ok(url(path, api), {"value": []}) for path, api in zip(empty, apis, strict=True)]
    interactions.insert(
        1,
        ok(
            url(f"{scope}/providers/Microsoft.ContainerInstance/containerGroups", "aci"),
            not_registered("Microsoft.ContainerInstance"),
            status=409,
        ),
    )
    # One Owner, and User Access Administrator inherited from its management group (rbac.py).
    sandbox_assignments = rbac_scenarios.SANDBOX_RBAC.assignment_pages()[0]
    interactions.append(
        ok(url(f"{scope}/providers/Microsoft.Authorization/roleAssignments", "auth"), {"value": sandbox_assignments})
    )
    interactions.append(
        ok(
            url(f"{scope}/providers/Microsoft.Insights/diagnosticSettings", "diag"),
            {"value": monitor.SANDBOX_ACTIVITY.bodies()},
        )
    )
    definitions = f"{scope}/providers/Microsoft.Authorization/roleDefinitions"
    interactions.append(ok(url(definitions, "auth", **{"$filter": "type%20eq%20%27CustomRole%27"}), {"value": []}))
    # Built-in roles are listed through whichever audited subscription comes first: a run (or a
    # --shard job) that audits the sandbox alone lists them here.
    interactions.append(
        ok(
            url(definitions, "auth", **{"$filter": "type%20eq%20%27BuiltInRole%27"}),
            {"value": rbac_scenarios.builtin_role_definitions()},
        )
    )
    write(
        f"{SANDBOX}/empty-lists.json",
        "contoso-sandbox holds no audited resources and one Owner, with User Access Administrator inherited from its "
        "management group; its activity log export sends Administrative events only. It never registered "
        "Microsoft.ContainerInstance: its container group list answers 409 MissingSubscriptionRegistration.",
        interactions,
    )


# ------------------------------------------------------------------------------------ management groups

MG = "/providers/Microsoft.Management/managementGroups"
# A subscription a management group holds that the audit identity cannot see (no Reader on it).
HIDDEN = "c0ffee00-1d2e-4f3a-9b8c-7d6e5f4a3b21"


def management_groups() -> None:
    def group(name: str, display: str, parent: str) -> dict[str, object]:
        return {
            "id": f"{MG}/{name}",
            "type": "Microsoft.Management/managementGroups",
            "name": name,
            "properties": {"displayName": display, "parent": {"id": f"{MG}/{parent}"}},
        }

    def member(sid: str, display: str, parent: str) -> dict[str, object]:
        return {
            "id": f"/subscriptions/{sid}",
            "type": "/subscriptions",
            "name": sid,
            "properties": {"displayName": display, "parent": {"id": f"{MG}/{parent}"}},
        }

    def descendants(name: str, **query: str) -> str:
        return url(f"{MG}/{name}/descendants", "mg", **query)

    page_two = descendants("contoso-landing-zones", **{"$skiptoken": "bGFuZGluZy16b25lczoy"})
    write(
        "management-groups.json",
        "Management groups: contoso-landing-zones holds contoso-prod-lz (prod and the disabled legacy "
        "subscription) and contoso-dev-lz (dev), in two pages; contoso-sandbox-lz holds the sandbox; "
        "contoso-acquired holds a subscription the identity cannot see; contoso-finance refuses to be read.",
        [
            ok(
                descendants("contoso-landing-zones"),
                {
                    "value": [
                        group("contoso-prod-lz", "Contoso production landing zone", "contoso-landing-zones"),
                        member(PROD, "contoso-prod", "contoso-prod-lz"),
                        member(LEGACY, "contoso-legacy", "contoso-prod-lz"),
                    ],
                    "nextLink": page_two.replace(f"api-version={API['mg']}&", "") + f"&api-version={API['mg']}",
                },
            ),
            ok(
                page_two,
                {
                    "value": [
                        group("contoso-dev-lz", "Contoso development landing zone", "contoso-landing-zones"),
                        member(DEV, "contoso-dev", "contoso-dev-lz"),
                    ],
                    "nextLink": None,
                },
            ),
            ok(
                descendants("contoso-prod-lz"),
                {
                    "value": [
                        member(PROD, "contoso-prod", "contoso-prod-lz"),
                        member(LEGACY, "contoso-legacy", "contoso-prod-lz"),
                    ]
                },
            ),
            ok(
                descendants("contoso-sandbox-lz"), {"value": [member(SANDBOX, "contoso-sandbox", "contoso-sandbox-lz")]}
            ),
            ok(
                descendants("contoso-acquired"),
                {
                    "value": [
                        member(HIDDEN, "fabrikam-prod", "contoso-acquired"),
                        member(DEV, "contoso-dev", "contoso-acquired"),
                    ]
                },
            ),
            forbidden(
                descendants("contoso-finance"),
                "Microsoft.Management/managementGroups/descendants/read",
                f"{MG}/contoso-finance",
            ),
        ],
    )


def images() -> None:
    # What the container groups run (tools/scenarios/images.py): each listed group's GET with its
    # instance view, and the audited registries' data planes. Runs after the lists are written.
    for name, description, interactions in image_scenarios.fixtures(_destination, lambda gid: url(gid, "aci")):
        write(name, description, interactions)


def resource_graph() -> None:
    # Resource Graph's answers mirror the ARM lists (tools/scenarios/resource_graph.py): runs last.
    for name, description, interactions in graph_scenarios.fixtures(_destination, TENANT):
        write(name, description, interactions)


def main(out: Path = OUT) -> None:
    global _destination
    _destination = out
    subscriptions()
    management_groups()
    sandbox()
    registries()
    activity_logs()
    container_groups()
    vaults()
    rbac()
    defender()
    images()
    resource_graph()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
