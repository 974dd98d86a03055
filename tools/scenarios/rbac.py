"""RBAC scenarios of the sample tenant: each subscription's role assignments (with those inherited
from its management groups), custom roles and user-assigned identities, the built-in roles Azure
lists, and the outcome of every RBAC check.

tools/make_sample_tenant.py writes their bodies (role assignments, role definitions, identities;
the sandbox's with its empty lists); tests/test_checks_logging_rbac_defender.py asserts
``expected()``. A finding about an assignment is named ``<role> at <scope>/<principal>``, as
azaudit describes them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from azaudit.model import Status
from tools import armbodies
from tools.scenarios import DEV, FAIL, PASS, PROD, SANDBOX, TENANT, Expected, expectations

MG = "/providers/Microsoft.Management/managementGroups"
rg = armbodies.resource_group

# Azure's built-in roles the sample tenant assigns (their GUIDs are Azure's), with their actions.
BUILTIN = {
    "Owner": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "Contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "User Access Administrator": "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    "Role Based Access Control Administrator": "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
    "AcrPull": "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    "AcrPush": "8311e382-0749-4cb8-b61a-304f252e45ec",
    "AcrDelete": "c2f4ef07-c644-48eb-af81-4b1b4947fb11",
    "AcrImageSigner": "6cef56e8-d556-48e5-a04f-b8e64114680f",
    "AcrQuarantineWriter": "c8d4ff99-41c3-41a8-9f60-21dfdad59608",
    "Container Registry Repository Writer": "2a1e307c-b015-4ebd-883e-5b7698a07328",
    "Container Registry Repository Contributor": "2efddaa5-3f1f-4df3-97df-af3f13818f4c",
    "Key Vault Administrator": "00482a5a-887f-4fb3-b363-3b7fe8e74483",
    "Key Vault Secrets Officer": "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Key Vault Crypto Officer": "14b46e9e-c2b7-41b4-b07b-48a6ebf60603",
    "Key Vault Contributor": "f25e0fa2-a7c8-4377-a976-54943a77a395",
    "Key Vault Certificate User": "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba",
    "Key Vault Data Access Administrator": "8b54135c-b56d-4d72-a534-26097cfdc8d8",
}
BUILTIN_ACTIONS = {
    "Owner": ["*"],
    "Contributor": ["*"],
    "Reader": ["*/read"],
    "User Access Administrator": ["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"],
    "Role Based Access Control Administrator": [
        "Microsoft.Authorization/roleAssignments/write",
        "Microsoft.Authorization/roleAssignments/delete",
        "*/read",
    ],
    "AcrPull": ["Microsoft.ContainerRegistry/registries/pull/read"],
    "AcrPush": [
        "Microsoft.ContainerRegistry/registries/pull/read",
        "Microsoft.ContainerRegistry/registries/push/write",
    ],
    "AcrDelete": ["Microsoft.ContainerRegistry/registries/artifacts/delete"],
    "AcrImageSigner": ["Microsoft.ContainerRegistry/registries/sign/write"],
    "AcrQuarantineWriter": [
        "Microsoft.ContainerRegistry/registries/quarantine/read",
        "Microsoft.ContainerRegistry/registries/quarantine/write",
    ],
    # The ABAC-enabled repository roles are data-plane only (BUILTIN_DATA_ACTIONS).
    "Container Registry Repository Writer": [],
    "Container Registry Repository Contributor": [],
    "Key Vault Administrator": ["Microsoft.Authorization/*/read", "Microsoft.KeyVault/checkNameAvailability/read"],
    "Key Vault Secrets Officer": ["Microsoft.Authorization/*/read", "Microsoft.KeyVault/vaults/*/read"],
    "Key Vault Secrets User": [],
    "Key Vault Crypto Officer": ["Microsoft.Authorization/*/read", "Microsoft.KeyVault/vaults/*/read"],
    "Key Vault Contributor": ["Microsoft.KeyVault/*", "Microsoft.Authorization/*/read"],
    "Key Vault Certificate User": [],
    "Key Vault Data Access Administrator": [
        "Microsoft.Authorization/roleAssignments/write",
        "Microsoft.Authorization/roleAssignments/delete",
        "Microsoft.Authorization/*/read",
    ],
}

REPOSITORY_DATA = "Microsoft.ContainerRegistry/registries/repositories"
BUILTIN_DATA_ACTIONS = {
    "AcrQuarantineWriter": [
        "Microsoft.ContainerRegistry/registries/quarantinedArtifacts/read",
        "Microsoft.ContainerRegistry/registries/quarantinedArtifacts/write",
    ],
    "Container Registry Repository Writer": [
        f"{REPOSITORY_DATA}/metadata/read",
        f"{REPOSITORY_DATA}/content/read",
        f"{REPOSITORY_DATA}/metadata/write",
        f"{REPOSITORY_DATA}/content/write",
    ],
    "Container Registry Repository Contributor": [
        f"{REPOSITORY_DATA}/metadata/read",
        f"{REPOSITORY_DATA}/content/read",
        f"{REPOSITORY_DATA}/metadata/write",
        f"{REPOSITORY_DATA}/content/write",
        f"{REPOSITORY_DATA}/metadata/delete",
        f"{REPOSITORY_DATA}/content/delete",
    ],
}


def builtin_role_definitions() -> list[dict[str, Any]]:
    """The built-in roles, as a subscription's ``roleDefinitions.list`` (type BuiltInRole) gives them."""
    return [
        armbodies.role_definition(
            "/", guid, name, "BuiltInRole", BUILTIN_ACTIONS[name], data_actions=BUILTIN_DATA_ACTIONS.get(name)
        )
        for name, guid in BUILTIN.items()
    ]


SUBSCRIPTION_NAMES = {PROD: "contoso-prod", DEV: "contoso-dev", SANDBOX: "contoso-sandbox"}


@dataclass(frozen=True)
class Principal:
    """Who an assignment grants a role to; ``identity`` is how azaudit names a managed identity
    it finds in the inventory (a container group's or a user-assigned one)."""

    id: str
    type: str  # User, Group or ServicePrincipal
    identity: str | None = None

    @property
    def label(self) -> str:
        return f"{self.identity} (object id {self.id})" if self.identity else f"{self.type} {self.id}"


def scope_label(scope: str) -> str:
    """How a finding names an assignment's scope."""
    if scope.startswith(f"{MG}/"):
        return f"management group {scope.rsplit('/', 1)[-1]}"
    parts = scope.split("/")
    if len(parts) == 3:
        return f"subscription {SUBSCRIPTION_NAMES[parts[2]]}"
    if len(parts) == 5:
        return f"resource group {parts[4]}"
    raise ValueError(f"no finding is expected at a resource scope: {scope}")


@dataclass(frozen=True)
class Assignment:
    guid: str
    role: str  # a built-in role's name (BUILTIN)
    scope: str
    principal: Principal
    expect: Mapping[str, Status] = field(default_factory=dict)  # per check code, about this assignment

    def body(self, sub: str) -> dict[str, Any]:
        return armbodies.role_assignment(
            sub, self.scope, self.guid, BUILTIN[self.role], self.principal.id, self.principal.type
        )

    @property
    def finding(self) -> str:
        return f"{self.role} at {scope_label(self.scope)}/{self.principal.label}"


@dataclass(frozen=True)
class CustomRole:
    guid: str
    name: str
    actions: tuple[str, ...]
    expect: Mapping[str, Status]  # per check code, about the role (RBAC004)
    not_actions: tuple[str, ...] | None = None
    data_actions: tuple[str, ...] | None = None

    def body(self, scope: str) -> dict[str, Any]:
        return armbodies.role_definition(
            scope,
            self.guid,
            self.name,
            "CustomRole",
            self.actions,
            [scope],
            not_actions=self.not_actions,
            data_actions=self.data_actions,
        )


@dataclass(frozen=True)
class UserAssignedIdentity:
    group: str
    name: str
    principal: Principal
    client_id: str


@dataclass(frozen=True)
class RbacScenario:
    sub: str
    pages: tuple[tuple[Assignment, ...], ...]  # the role assignment list, page by page
    expect: Mapping[str, Status]  # per check code, about the subscription
    items: Mapping[str, Mapping[str, Status]] = field(default_factory=dict)  # item -> code -> status
    custom_roles: tuple[CustomRole, ...] = ()
    identities: tuple[UserAssignedIdentity, ...] = ()
    description: str = ""  # of its role assignments file (the sandbox's is written with its empty lists)
    identities_description: str = ""

    @property
    def subscription(self) -> str:
        return SUBSCRIPTION_NAMES[self.sub]

    @property
    def scope(self) -> str:
        return f"/subscriptions/{self.sub}"

    def assignment_pages(self) -> list[list[dict[str, Any]]]:
        return [[a.body(self.sub) for a in page] for page in self.pages]

    def custom_role_bodies(self) -> list[dict[str, Any]]:
        return [role.body(self.scope) for role in self.custom_roles]

    def identity_bodies(self) -> list[dict[str, Any]]:
        return [
            armbodies.user_assigned_identity(self.sub, i.group, i.name, i.principal.id, i.client_id, TENANT)
            for i in self.identities
        ]

    def outcomes(self) -> Iterator[tuple[str, Mapping[str, Status]]]:
        yield self.subscription, self.expect
        for item, by_code in self.items.items():
            yield f"{self.subscription}/{item}", by_code
        for page in self.pages:
            for assignment in page:
                if assignment.expect:
                    yield assignment.finding, assignment.expect
        for role in self.custom_roles:
            yield role.name, role.expect


def owners(*principals: Principal) -> str:
    """The item of an RBAC001 finding: the subscription's owners' object ids."""
    return ", ".join(p.id for p in principals)


# People and groups
PLATFORM_LEAD = Principal("5f7b9d1f-3b5d-4f7b-9d1f-3b5d7f9b1d3f", "User")
OPS_LEAD = Principal("6a8c0e2a-4c6e-4a8c-8e2a-4c6e8a0c2e4a", "User")
DEV_OWNER = Principal("8c0e2a4c-6e8a-4c0e-9a4c-6e8a0c2e4a6c", "User")
ACCESS_ADMIN = Principal("2b4d6f8b-0d2f-4b4d-8f6b-0d2f4b6d8f02", "User")
PLATFORM_TEAM = Principal("0e2a4c6e-8a0c-4e2a-9c6e-8a0c2e4a6c10", "Group")
DEV_OWNERS = Principal("9d1f3b5d-7f9b-4d1f-8b5d-7f9b1d3f5b7d", "Group")
SECRETS_TEAM = Principal("8f1b3d5f-7a9c-4e1b-8d3f-5a7c9e1b3d56", "Group")
VAULT_ADMINS = Principal("3b5d7f9b-1d3f-4b5d-9f7b-1d3f5b7d9f84", "Group")
# Service principals
AUDIT_SP = Principal("6d1f3b5a-8c2e-4f7a-9b1d-3e5f7a9b1c2d", "ServicePrincipal")  # azaudit's own identity
BUILD_SP = Principal("9c1e3a5c-7e9a-4c1e-8a5c-7e9a1c3e5a97", "ServicePrincipal")
ML_PIPELINE = Principal("5b7d9f1b-3d5f-4b7d-9f1b-3d5f7b9d1f0c", "ServicePrincipal")
# Managed identities the inventory knows (their container groups: tools/make_sample_tenant.py)
PROD_WORKER_MI = Principal(
    "1d3f5b7d-9f1b-4d3f-8b5d-7f9b1d3f5b73",
    "ServicePrincipal",
    "system-assigned identity of container group aci-prod-worker",
)
DEV_JOBS_MI = Principal(
    "4a6c8e0a-2c4e-4a6c-9e0a-2c4e6a8c0e95",
    "ServicePrincipal",
    "system-assigned identity of container group aci-dev-jobs",
)
PROD_API_IDENTITY = UserAssignedIdentity(
    "rg-prod-identity",
    "id-aci-prod-api",
    Principal("7e9a1c3e-5b7d-4f9a-8c2e-4a6c8e0a2c41", "ServicePrincipal", "user-assigned identity id-aci-prod-api"),
    "2c4e6a8c-0e2a-4c6e-8a0c-6e8a0c2e4a62",
)
PROD_API_MI = PROD_API_IDENTITY.principal

PROD_SCOPE, DEV_SCOPE, SANDBOX_SCOPE = f"/subscriptions/{PROD}", f"/subscriptions/{DEV}", f"/subscriptions/{SANDBOX}"
PROD_REGISTRY = f"{rg(PROD, 'rg-prod-containers')}/providers/Microsoft.ContainerRegistry/registries/contosoprodacr"
PROD_VAULT = f"{rg(PROD, 'rg-prod-security')}/providers/Microsoft.KeyVault/vaults/kv-prod-apps"
ML_REGISTRY = f"{rg(DEV, 'rg-dev-ml')}/providers/Microsoft.ContainerRegistry/registries/contosomlacr"


def _prod(n: int) -> str:
    return f"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c{n:02x}"


def _dev(n: int) -> str:
    return f"1b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d{n:02x}"


PROD_RBAC = RbacScenario(
    PROD,
    pages=(
        (
            Assignment(_prod(1), "Owner", PROD_SCOPE, PLATFORM_LEAD),
            Assignment(_prod(2), "Owner", PROD_SCOPE, OPS_LEAD),
            Assignment(_prod(3), "Contributor", PROD_SCOPE, PROD_WORKER_MI, {"RBAC002": FAIL}),
            Assignment(_prod(4), "Reader", PROD_SCOPE, AUDIT_SP),
        ),
        (
            Assignment(_prod(5), "AcrPush", rg(PROD, "rg-prod-containers"), BUILD_SP, {"RBAC005": FAIL}),
            Assignment(_prod(6), "AcrPull", PROD_REGISTRY, PROD_API_MI),
            Assignment(_prod(7), "Key Vault Secrets User", PROD_VAULT, PROD_API_MI),
            Assignment(
                _prod(8), "Key Vault Secrets Officer", rg(PROD, "rg-prod-security"), SECRETS_TEAM, {"RBAC006": FAIL}
            ),
            # Inherited from the production landing zone: the platform team's group owns prod too
            # (RBAC001 counts it: 2 users and 1 group, within 2 to 3).
            Assignment(_prod(9), "Owner", f"{MG}/contoso-prod-lz", PLATFORM_TEAM),
        ),
    ),
    expect={"RBAC001": PASS, "RBAC003": PASS},
    custom_roles=(
        CustomRole("e1a3c5e7-9b1d-4f3a-8c5e-7a9c1e3b5d70", "Contoso Ops Full Access", ("*",), {"RBAC004": FAIL}),
        CustomRole(
            "f2b4d6f8-0c2e-4a4b-9d6f-8b0d2f4c6e81",
            "Contoso Registry Operator",
            ("Microsoft.ContainerRegistry/registries/read", "Microsoft.ContainerRegistry/registries/pull/read"),
            {"RBAC004": PASS},
        ),
        # Can grant roles (Owner included) without any `*`.
        CustomRole(
            "a3c5e7a9-1b3d-4f5a-8e7c-9a1b3c5d7e92",
            "Contoso Access Delegator",
            (
                "*/read",
                "Microsoft.Authorization/roleAssignments/write",
                "Microsoft.Authorization/roleAssignments/delete",
            ),
            {"RBAC004": FAIL},
        ),
        # Microsoft.Authorization/*, with notActions that remove every write and delete: not escalating.
        CustomRole(
            "b4d6f8a0-2c4e-4a6b-9f8d-0b2c4d6e8fa3",
            "Contoso Access Auditor",
            ("*/read", "Microsoft.Authorization/*"),
            {"RBAC004": PASS},
            not_actions=("Microsoft.Authorization/*/write", "Microsoft.Authorization/*/delete"),
        ),
        # Every data action of every service.
        CustomRole(
            "c5e7a9b1-3d5f-4b7c-8a9e-1c3d5e7f9ab4",
            "Contoso Data Plane Operator",
            ("Microsoft.Resources/subscriptions/resourceGroups/read",),
            {"RBAC004": FAIL},
            data_actions=("*",),
        ),
    ),
    identities=(PROD_API_IDENTITY,),
    description="contoso-prod role assignments (two pages): owners, a Contributor managed identity, registry and vault roles.",
    identities_description="contoso-prod user-assigned managed identities.",
)

DEV_RBAC = RbacScenario(
    DEV,
    pages=(
        (
            Assignment(_dev(1), "Owner", DEV_SCOPE, PLATFORM_LEAD),
            Assignment(_dev(2), "User Access Administrator", DEV_SCOPE, ACCESS_ADMIN, {"RBAC003": FAIL}),
            Assignment(_dev(3), "Owner", rg(DEV, "rg-dev-containers"), DEV_JOBS_MI, {"RBAC002": FAIL}),
            Assignment(_dev(4), "Key Vault Administrator", DEV_SCOPE, VAULT_ADMINS, {"RBAC006": FAIL}),
            Assignment(_dev(5), "Owner", DEV_SCOPE, OPS_LEAD),
            Assignment(_dev(6), "Owner", DEV_SCOPE, DEV_OWNER),
            Assignment(_dev(7), "Owner", DEV_SCOPE, DEV_OWNERS),
            # Across subscriptions: prod's user-assigned identity (id-aci-prod-api) is Contributor
            # over a dev resource group. Recognising it takes prod's inventory, also in a --shard
            # job that audits contoso-dev alone.
            Assignment(_dev(8), "Contributor", rg(DEV, "rg-dev-containers"), PROD_API_MI, {"RBAC002": FAIL}),
            # Certificate (private key) reads for every vault in the group.
            Assignment(
                _dev(9), "Key Vault Certificate User", rg(DEV, "rg-dev-containers"), DEV_JOBS_MI, {"RBAC006": FAIL}
            ),
            # contosomlacr is in ABAC mode, where AcrPush means nothing and the repository roles
            # push. Granted on the resource group, the writer role reaches every registry there
            # (FAIL); the contributor role is granted on the registry itself (no finding).
            Assignment(
                _dev(10), "Container Registry Repository Writer", rg(DEV, "rg-dev-ml"), ML_PIPELINE, {"RBAC005": FAIL}
            ),
            Assignment(_dev(11), "Container Registry Repository Contributor", ML_REGISTRY, ML_PIPELINE),
        ),
    ),
    expect={},
    # too many owners (a group among them)
    items={owners(PLATFORM_LEAD, OPS_LEAD, DEV_OWNER, DEV_OWNERS): {"RBAC001": FAIL}},
    description="contoso-dev role assignments.",
    identities_description="contoso-dev has no user-assigned identities.",
)

# One Owner only (RBAC001: too few), and User Access Administrator inherited from the sandbox
# landing zone (RBAC003): the subscription's list returns assignments of the scopes above it.
SANDBOX_RBAC = RbacScenario(
    SANDBOX,
    pages=(
        (
            Assignment("2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e01", "Owner", SANDBOX_SCOPE, OPS_LEAD),
            Assignment(
                "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e02",
                "User Access Administrator",
                f"{MG}/contoso-sandbox-lz",
                ACCESS_ADMIN,
                {"RBAC003": FAIL},
            ),
        ),
    ),
    expect={"RBAC002": PASS, "RBAC005": PASS, "RBAC006": PASS},
    items={owners(OPS_LEAD): {"RBAC001": FAIL}},
)

SUBSCRIPTIONS = (PROD_RBAC, DEV_RBAC, SANDBOX_RBAC)


def expected() -> Expected:
    """code -> status -> finding names over the sample tenant's subscriptions."""
    return expectations(SUBSCRIPTIONS)
