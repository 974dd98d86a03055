"""A subscription not registered for a resource provider (azaudit/collect/registration.py): ARM's
409 MissingSubscriptionRegistration to a subscription-level list of that provider's own resources
is no resource and a note, never an ERROR; any other 409 (another namespace, another code, a detail
of another error, a later page, a per-resource list) stays an ERROR, and a partial audit never
exits 0. Over copies of the sample tenant replayed through the real SDK at the transport seam."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from azaudit.audit import Audit
from azaudit.inventory.coverage import Dataset
from azaudit.model import Severity, Status
from azaudit.reports.gate import ExitCode, exit_code_for
from tests.conftest import SAMPLE_TENANT, audit_replay

SANDBOX = "e7a9c1e3-5f7b-4c9e-8a1c-5f7b9d1e3a57"
PROD = "3f8a6c1e-5b7d-4e2a-9c11-7d2e0f4a8b51"
CODE = "MissingSubscriptionRegistration"
ACI_LIST = f"/subscriptions/{SANDBOX}/providers/Microsoft.ContainerInstance/containerGroups?"


def _body(namespace: str, code: str = CODE, detail_code: str = CODE, target: str | None = None) -> dict[str, Any]:
    message = (
        f"The subscription is not registered to use namespace '{namespace}'. "
        "See https://aka.ms/rps-not-found for how to register subscriptions."
    )
    detail = {"code": detail_code, "target": target or namespace, "message": message}
    return {"error": {"code": code, "message": message, "details": [detail]}}


def _tenant(tmp_path: Path, change: Callable[[list[dict[str, Any]]], None], file: str) -> Path:
    """A copy of the sample tenant whose ``file`` interactions ``change`` edits."""
    tenant = tmp_path / "contoso"
    shutil.copytree(SAMPLE_TENANT, tenant)
    path = tenant / file
    document = json.loads(path.read_text())
    change(document["interactions"])
    path.write_text(json.dumps(document, indent=2))
    return tenant


def _answer(url_part: str, status: int, body: Any) -> Callable[[list[dict[str, Any]]], None]:
    def change(interactions: list[dict[str, Any]]) -> None:
        found = [i for i in interactions if url_part in i["request"]["url"]]
        assert found, url_part
        for interaction in found:
            interaction["response"] = {"status": status, "body": body}

    return change


def _sandbox_aci(audit: Audit) -> tuple[list[Any], list[Any]]:
    errors = [
        e for e in audit.inventory.errors if e.subscription_id == SANDBOX and e.dataset is Dataset.CONTAINER_GROUPS
    ]
    notes = [n for n in audit.inventory.notes if n.subscription_id == SANDBOX and n.dataset is Dataset.CONTAINER_GROUPS]
    return errors, notes


def _aci_only(tenant: Path) -> Audit:
    """The sandbox alone, the container group checks alone: it holds no group, so nothing fails."""
    return audit_replay(tenant, subscriptions=(SANDBOX,), select=("ACI",))


def test_sample_sandbox_answers_409_for_its_own_namespace() -> None:
    """The generated fixture holds ARM's real 409 body for the sandbox's container group list."""
    document = json.loads((SAMPLE_TENANT / "contoso-sandbox" / "empty-lists.json").read_text())
    answer = next(i["response"] for i in document["interactions"] if ACI_LIST in i["request"]["url"])
    assert answer["status"] == 409
    assert answer["body"] == _body("Microsoft.ContainerInstance")


def test_own_namespace_is_no_resource_and_a_note(sample_audit: Audit) -> None:
    errors, notes = _sandbox_aci(sample_audit)
    assert errors == []
    (note,) = notes
    assert note.resource_name == "contoso-sandbox"
    assert SANDBOX in note.message and "Microsoft.ContainerInstance" in note.message
    assert CODE in note.message
    assert not [g for g in sample_audit.inventory.container_groups if g.subscription_id == SANDBOX]
    # the note reaches the report, and the audit's figures are the demo's
    assert note in sample_audit.report.notes


def test_own_namespace_keeps_the_audit_complete() -> None:
    audit = _aci_only(SAMPLE_TENANT)
    assert audit.report.complete
    assert not [f for f in audit.report.findings if f.status is Status.ERROR]
    assert exit_code_for(audit.report, Severity.LOW) is ExitCode.OK


@pytest.mark.parametrize(
    ("namespace", "code", "detail_code", "target"),
    [
        ("Microsoft.ContainerRegistry", CODE, CODE, None),  # another namespace named
        ("Microsoft.ContainerInstance", "Conflict", CODE, None),  # another code
        ("Microsoft.ContainerInstance", CODE, "Conflict", None),  # a detail of another error
        ("Microsoft.ContainerInstance", CODE, CODE, "Microsoft.Network"),  # a detail names another
        ("Microsoft.ContainerInstanceX", CODE, CODE, None),  # a longer name is another namespace
    ],
)
def test_any_other_409_stays_an_error(
    tmp_path: Path, namespace: str, code: str, detail_code: str, target: str | None
) -> None:
    body = _body(namespace, code, detail_code, target)
    tenant = _tenant(tmp_path, _answer(ACI_LIST, 409, body), "contoso-sandbox/empty-lists.json")
    audit = _aci_only(tenant)
    errors, notes = _sandbox_aci(audit)
    assert notes == []
    (error,) = errors
    assert error.status_code == 409
    assert not audit.report.complete
    assert exit_code_for(audit.report, Severity.LOW) is ExitCode.ERROR


def test_a_message_that_names_no_namespace_stays_an_error(tmp_path: Path) -> None:
    body = {"error": {"code": CODE, "message": "The subscription is not registered."}}
    tenant = _tenant(tmp_path, _answer(ACI_LIST, 409, body), "contoso-sandbox/empty-lists.json")
    errors, notes = _sandbox_aci(_aci_only(tenant))
    assert notes == [] and len(errors) == 1


def test_another_status_with_the_code_stays_an_error(tmp_path: Path) -> None:
    body = _body("Microsoft.ContainerInstance")
    tenant = _tenant(tmp_path, _answer(ACI_LIST, 400, body), "contoso-sandbox/empty-lists.json")
    errors, notes = _sandbox_aci(_aci_only(tenant))
    assert notes == [] and [e.status_code for e in errors] == [400]


def test_a_later_page_answering_409_stays_an_error(tmp_path: Path) -> None:
    """A list that began (its first page came) is not read as empty when a later page says 409."""
    next_url = f"https://management.azure.com{ACI_LIST}api-version=2023-05-01&$skiptoken=page2"

    def change(interactions: list[dict[str, Any]]) -> None:
        first = next(i for i in interactions if ACI_LIST in i["request"]["url"])
        first["response"] = {"status": 200, "body": {"value": [], "nextLink": next_url}}
        interactions.append(
            {
                "request": {"method": "GET", "url": next_url},
                "response": {"status": 409, "body": _body("Microsoft.ContainerInstance")},
            }
        )

    tenant = _tenant(tmp_path, change, "contoso-sandbox/empty-lists.json")
    audit = _aci_only(tenant)
    errors, notes = _sandbox_aci(audit)
    assert notes == [] and [e.status_code for e in errors] == [409]
    assert not audit.report.complete


@pytest.mark.parametrize(
    ("file", "url_part", "namespace", "dataset"),
    [
        (
            "contoso-sandbox/empty-lists.json",
            f"/subscriptions/{SANDBOX}/providers/Microsoft.ContainerRegistry/registries?",
            "Microsoft.ContainerRegistry",
            Dataset.REGISTRIES,
        ),
        (
            "contoso-sandbox/empty-lists.json",
            f"/subscriptions/{SANDBOX}/providers/Microsoft.KeyVault/vaults?",
            "Microsoft.KeyVault",
            Dataset.VAULTS,
        ),
        (
            "contoso-sandbox/empty-lists.json",
            f"/subscriptions/{SANDBOX}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?",
            "Microsoft.ManagedIdentity",
            Dataset.IDENTITIES,
        ),
    ],
)
def test_every_resource_list_reads_its_own_namespace_as_none(
    tmp_path: Path, file: str, url_part: str, namespace: str, dataset: Dataset
) -> None:
    tenant = _tenant(tmp_path, _answer(url_part, 409, _body(namespace)), file)
    audit = audit_replay(tenant, subscriptions=(SANDBOX,))
    assert not [e for e in audit.inventory.errors if e.dataset is dataset]
    notes = [n for n in audit.inventory.notes if n.dataset is dataset]
    assert len(notes) == 1 and namespace in notes[0].message and SANDBOX in notes[0].message


def test_a_per_resource_list_answering_409_stays_an_error(tmp_path: Path) -> None:
    """A registry's token list is not a subscription's list of a provider's resources: a 409 there,
    even MissingSubscriptionRegistration for its own namespace, is an ERROR for that registry."""
    tenant = _tenant(
        tmp_path,
        _answer("/registries/contosoprodacr/tokens?", 409, _body("Microsoft.ContainerRegistry")),
        "contoso-prod/containerregistry.json",
    )
    audit = audit_replay(tenant, subscriptions=(PROD,), select=("ACR",))
    tokens = [e for e in audit.inventory.errors if e.dataset is Dataset.REGISTRY_TOKENS]
    assert [(e.resource_name, e.status_code) for e in tokens] == [("contosoprodacr", 409)]
    assert not [n for n in audit.inventory.notes if n.dataset is Dataset.REGISTRY_TOKENS]
    assert not audit.report.complete


def test_defender_pricings_answering_409_stay_an_error(tmp_path: Path) -> None:
    """Microsoft.Security's pricings are not a list of resources: no Microsoft page found says an
    unregistered Microsoft.Security means every plan off, so the plans stay unknown (ERROR)."""
    tenant = _tenant(
        tmp_path,
        _answer(f"/subscriptions/{SANDBOX}/providers/Microsoft.Security/pricings?", 409, _body("Microsoft.Security")),
        "contoso-sandbox/defender.json",
    )
    audit = audit_replay(tenant, subscriptions=(SANDBOX,), select=("DEF",))
    assert [e.status_code for e in audit.inventory.errors if e.dataset is Dataset.DEFENDER_PLANS] == [409]
    assert not [f for f in audit.report.findings if f.status is Status.PASS]
    assert exit_code_for(audit.report, Severity.CRITICAL) is not ExitCode.OK


def test_activity_log_settings_answering_409_stay_an_error(tmp_path: Path) -> None:
    """The activity log's diagnostic settings are not a list of Microsoft.Insights resources: no
    Microsoft page found says an unregistered Microsoft.Insights means no export, so LOG005 and
    LOG006 stay unknown (ERROR), never PASS."""
    tenant = _tenant(
        tmp_path,
        _answer(
            f"/subscriptions/{SANDBOX}/providers/Microsoft.Insights/diagnosticSettings?",
            409,
            _body("Microsoft.Insights"),
        ),
        "contoso-sandbox/empty-lists.json",
    )
    audit = audit_replay(tenant, subscriptions=(SANDBOX,), select=("LOG005", "LOG006"))
    assert [e.status_code for e in audit.inventory.errors if e.dataset is Dataset.ACTIVITY_LOG] == [409]
    assert {f.status for f in audit.report.findings} == {Status.ERROR}
    assert not audit.report.complete
