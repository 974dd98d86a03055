"""A role assignment at a management group or the root is listed by every subscription below it,
and each of those subscriptions is judged with it: the inventory keeps one copy per subscription
(until 2026-11-30 it kept the first and the other subscriptions' RBAC checks never saw it)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from azaudit.audit import Audit
from azaudit.collect import assemble
from azaudit.collect.dedup import Ledger
from azaudit.collect.tasks import Collected, Task
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.rbac import RoleAssignment
from azaudit.model import Status
from tests.conftest import SAMPLE_TENANT, audit_replay

PROD, DEV = "contoso-prod", "contoso-dev"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
USER_ACCESS_ADMINISTRATOR = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
MG = "/providers/Microsoft.Management/managementGroups/contoso-landing-zones"
ROOT_OWNER = "/providers/Microsoft.Authorization/roleAssignments/7e1f0c2a-3b4d-4e5f-8a9b-0c1d2e3f4a51"
MG_UAA = f"{MG}/providers/Microsoft.Authorization/roleAssignments/7e1f0c2a-3b4d-4e5f-8a9b-0c1d2e3f4a52"
DEFINITIONS = "Microsoft.Authorization/roleDefinitions"
PLATFORM_ADMIN = "6a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"


def _assignment(identity: str, scope: str, role: str, subscription_id: str) -> dict[str, Any]:
    # As each subscription's roleAssignments list returns an inherited assignment: its own id and
    # scope, the role definition named under the listing subscription.
    return {
        "id": identity,
        "name": identity.rsplit("/", 1)[-1],
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "roleDefinitionId": f"/subscriptions/{subscription_id}/providers/{DEFINITIONS}/{role}",
            "principalId": PLATFORM_ADMIN,
            "principalType": "User",
            "scope": scope,
        },
    }


def _subscription_id(tenant: Path, name: str) -> str:
    listing = json.loads((tenant / name / "roleassignments.json").read_text(encoding="utf-8"))
    url: str = listing["interactions"][0]["request"]["url"]
    return url.split("/subscriptions/", 1)[1].split("/", 1)[0]


def _inherit(tenant: Path, name: str) -> str:
    """Add the root Owner and the management group's User Access Administrator to one
    subscription's first page of role assignments; the subscription's id."""
    path = tenant / name / "roleassignments.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    subscription_id = _subscription_id(tenant, name)
    page = document["interactions"][0]["response"]["body"]["value"]
    page.append(_assignment(ROOT_OWNER, "/", OWNER, subscription_id))
    page.append(_assignment(MG_UAA, MG, USER_ACCESS_ADMINISTRATOR, subscription_id))
    path.write_text(json.dumps(document), encoding="utf-8")
    return subscription_id


def _owners(audit: Audit, subscription_id: str) -> int:
    [finding] = [f for f in audit.report.findings if f.code == "RBAC001" and f.subscription_id == subscription_id]
    assert finding.evidence is not None and not isinstance(finding.evidence, type(None))
    return int(finding.evidence["principals"])  # type: ignore[index]


def test_each_subscription_is_judged_with_the_assignments_it_inherits(tmp_path: Path, sample_audit: Audit) -> None:
    tenant = tmp_path / "tenant"
    shutil.copytree(SAMPLE_TENANT, tenant)
    prod, dev = _inherit(tenant, PROD), _inherit(tenant, DEV)
    audit = audit_replay(tenant)

    for subscription_id in (prod, dev):
        kept = [a for a in audit.inventory.role_assignments if a.subscription_id == subscription_id]
        assert {ROOT_OWNER, MG_UAA} <= {a.id for a in kept}, subscription_id
        # the root Owner is one more principal owning each subscription
        assert _owners(audit, subscription_id) == _owners(sample_audit, subscription_id) + 1
        uaa = [
            f
            for f in audit.report.findings
            if f.code == "RBAC003" and f.subscription_id == subscription_id and f.resource_id == MG_UAA
        ]
        assert [f.status for f in uaa] == [Status.FAIL], subscription_id
    # no duplicate note: the same assignment listed by two subscriptions is expected
    assert not [n for n in audit.inventory.notes if ROOT_OWNER in n.resource_id or MG_UAA in n.resource_id]


def _record(subscription_id: str, identity: str = ROOT_OWNER) -> RoleAssignment:
    return RoleAssignment(
        id=identity,
        name=identity.rsplit("/", 1)[-1],
        subscription_id=subscription_id,
        scope="/",
        role_definition_id=f"/providers/Microsoft.Authorization/roleDefinitions/{OWNER}",
        principal_id=PLATFORM_ADMIN,
        principal_type="User",
    )


def test_one_copy_per_subscription_however_often_a_subscription_lists_it() -> None:
    ledger = Ledger()
    first = Task(Dataset.ROLE_ASSIGNMENTS, "a", "roleAssignments.listForSubscription", Collected)
    second = Task(Dataset.ROLE_ASSIGNMENTS, "b", "roleAssignments.listForSubscription", Collected)
    assert ledger.admit(_record("a"), first)
    assert ledger.admit(_record("b"), second), "another subscription's copy is that subscription's"
    assert not ledger.admit(_record("a"), first), "a page repeating the item is still one record"
    assert [n.message for n in ledger.notes] == [
        "role assignment 7e1f0c2a-3b4d-4e5f-8a9b-0c1d2e3f4a51 appears twice in the "
        "roleAssignments.listForSubscription answer: audited once, as first listed"
    ]
    inventory = assemble([], [_record("b"), _record("a"), _record("a")], [], [])
    assert [a.subscription_id for a in inventory.role_assignments] == ["a", "b"]
