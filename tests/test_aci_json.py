"""Container groups and their instance views read as ARM JSON (collect/aci.py, collect/images.py),
replayed through the Container Instance client's own pipeline: the sample tenant's records are the
ones the SDK's models gave, a value of the wrong type is ERROR for that group alone (the rest of
the audit is judged as before), an absent field takes Azure's default in the mapper, and a
Resource Graph row goes through the very same mapper."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from azaudit.audit import Audit
from azaudit.collect.aci import container_group_record
from azaudit.collect.tasks import UnusableShape
from azaudit.inventory.aci import SecurityContext
from azaudit.inventory.coverage import Dataset
from azaudit.model import Finding, Status
from azaudit.runconfig import Source
from tests.conftest import CANARY_MARK, SAMPLE_TENANT, audit_replay

PROD = "contoso-prod"
LIST = f"{PROD}/containerinstance.json"
VIEWS = f"{PROD}/containerinstance-views.json"
WORKER = "aci-prod-worker"  # a Standard group with a public IP address and two containers
API = "aci-prod-api"  # a Confidential group running an image from an audited registry
ACI = tuple(f"ACI{n:03d}" for n in range(1, 15))
IMG = ("IMG002", "IMG003", "IMG004", "IMG005")

Change = Callable[[dict[str, Any]], None]


def planted(tmp_path: Path, file: str, name: str, change: Change) -> Path:
    """A copy of the sample tenant where the group ``name`` in ``file``'s answers is ``change``d
    (a list's item, a GET's body or a Resource Graph row alike)."""
    tenant = tmp_path / "tenant"
    shutil.copytree(SAMPLE_TENANT, tenant)
    path = tenant / file
    document = json.loads(path.read_text(encoding="utf-8"))
    found = 0
    for interaction in document["interactions"]:
        body = interaction["response"].get("body")
        if not isinstance(body, dict):
            continue
        for item in [body, *body.get("value", ()), *body.get("data", ())]:
            if isinstance(item, dict) and item.get("name") == name and "properties" in item:
                change(item)
                found += 1
    assert found, f"{name} is not in {file}"
    path.write_text(json.dumps(document), encoding="utf-8")
    return tenant


def verdicts(findings: tuple[Finding, ...], codes: tuple[str, ...]) -> dict[tuple[str, str, str | None], Status]:
    return {(f.code, f.resource_name, f.item): f.status for f in findings if f.code in codes}


def others(audit: Audit, name: str, codes: tuple[str, ...]) -> dict[tuple[str, str, str | None], Status]:
    return {k: v for k, v in verdicts(audit.report.findings, codes).items() if k[1] != name}


def mine(audit: Audit, name: str, codes: tuple[str, ...]) -> list[Finding]:
    return [f for f in audit.report.findings if f.code in codes and f.resource_name == name]


def container(group: dict[str, Any], index: int = 0) -> dict[str, Any]:
    found: dict[str, Any] = group["properties"]["containers"][index]["properties"]
    return found


def test_the_sample_tenants_groups_are_the_records_the_sdk_models_gave(sample_audit: Audit) -> None:
    # numbers as floats, ports as ints, secure variables without a value, init containers marked
    api = next(g for g in sample_audit.inventory.container_groups if g.name == API)
    assert (api.sku, api.confidential, api.os_type, api.ip_address_type) == ("Confidential", True, "Linux", "Private")
    worker = next(g for g in sample_audit.inventory.container_groups if g.name == WORKER)
    assert [(c.resources.request_cpu, c.resources.limit_cpu, c.resources.has_limits) for c in worker.containers] == [
        (1.0, 2.0, True),
        (1.0, None, False),
    ]
    assert isinstance(worker.containers[0].resources.request_cpu, float)
    assert worker.ip_ports == (80,) and worker.containers[0].ports == (8080,)
    assert api.containers[0].security_context == SecurityContext(
        privileged=False,
        allow_privilege_escalation=False,
        capabilities_drop=("ALL",),
        run_as_user=10001,
        run_as_group=10001,
    )
    secure = {v.name: (v.secure, v.has_value) for v in api.containers[0].env}
    assert secure["DB_PASSWORD"] == (True, False) and secure["LOG_LEVEL"] == (False, True)
    assert CANARY_MARK not in repr(sample_audit.inventory.container_groups)


def test_instance_view_start_times_are_aware_datetimes(sample_audit: Audit) -> None:
    starts = [c.start_time for v in sample_audit.inventory.container_group_views for c in v.containers]
    assert starts and all(s is not None and s.utcoffset() == dt.timedelta(0) for s in starts)
    api = next(v for v in sample_audit.inventory.container_group_views if v.name == API)
    assert api.containers[0].start_time == dt.datetime(2026, 11, 10, 8, 0, tzinfo=dt.UTC)  # ...08:00:00.000Z


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda g: g["properties"].update(containers={"name": "worker"}), "its containers is"),
        (lambda g: container(g).update(securityContext="privileged"), "its securityContext is a string"),
        (lambda g: container(g).update(securityContext={"privileged": "true"}), "its privileged is a string"),
        (lambda g: container(g).update(securityContext={"runAsUser": "1000"}), "its runAsUser is a string"),
        (lambda g: container(g)["resources"]["requests"].update(cpu="1"), "its cpu is a string, not a number"),
        (lambda g: container(g)["environmentVariables"][1].update(value=42), "its value is a number"),
        (lambda g: container(g).update(command="sh -c run"), "its command is a string"),
        (lambda g: container(g)["ports"][0].update(port=True), "its port is a boolean, not an integer"),
        (lambda g: g["properties"].update(ipAddress="Public"), "its ipAddress is a string"),
        (lambda g: g["properties"]["ipAddress"].pop("type"), "its ipAddress has no type"),
        (lambda g: g["properties"].update(sku=["Standard"]), "its sku is a list"),
        (lambda g: g["properties"]["containers"][1].update(properties=None), "its properties are null"),
    ],
    ids=[
        "containers-an-object",
        "security-context-a-string",
        "privileged-a-string",
        "run-as-user-a-string",
        "cpu-a-string",
        "env-value-a-number",
        "command-a-string",
        "port-a-boolean",
        "ip-address-a-string",
        "ip-address-without-type",
        "sku-a-list",
        "container-properties-null",
    ],
)
def test_a_group_of_the_wrong_shape_is_error_for_that_group_alone(
    tmp_path: Path, sample_audit: Audit, change: Change, words: str
) -> None:
    audit = audit_replay(planted(tmp_path, LIST, WORKER, change), select=ACI)
    errored = mine(audit, WORKER, ACI)
    assert {f.code for f in errored} == set(ACI)
    assert {f.status for f in errored} == {Status.ERROR}
    assert all("unusable answer" in f.message and words in f.message for f in errored), errored[0].message
    assert others(audit, WORKER, ACI) == others(sample_audit, WORKER, ACI)
    assert not audit.report.complete


def test_absent_fields_take_azures_defaults(tmp_path: Path, sample_audit: Audit) -> None:
    def strip(group: dict[str, Any]) -> None:
        for key in ("sku", "ipAddress", "restartPolicy"):
            del group["properties"][key]
        del container(group, 1)["resources"]
        container(group)["securityContext"] = {}

    audit = audit_replay(planted(tmp_path, LIST, WORKER, strip), select=ACI)
    worker = next(g for g in audit.inventory.container_groups if g.name == WORKER)
    # sku absent: a Standard group, not confidential; no ipAddress: no IP address at all
    assert (worker.sku, worker.confidential) == ("Standard", False)
    assert (worker.ip_address_type, worker.ip_ports, worker.fqdn) == (None, (), None)
    # an empty securityContext sets nothing; a container without resources has no request or limit
    assert worker.containers[0].security_context == SecurityContext()
    sidecar = worker.containers[1].resources
    assert (sidecar.request_cpu, sidecar.request_memory_gb, sidecar.has_limits) == (None, None, False)
    assert not [e for e in audit.report.errors if e.dataset is Dataset.CONTAINER_GROUPS]
    # the Confidential-only checks say the group is Standard, as when Azure wrote the SKU
    before = {f.code: (f.status, f.message) for f in mine(sample_audit, WORKER, ("ACI005", "ACI006", "ACI007"))}
    after = {f.code: (f.status, f.message) for f in mine(audit, WORKER, ("ACI005", "ACI006", "ACI007"))}
    assert after == before and all("Standard" in message for _, message in after.values())
    (public,) = mine(audit, WORKER, ("ACI009",))
    assert public.status is not Status.FAIL and public.status is not Status.ERROR


def test_a_container_without_name_or_a_group_without_containers_is_unusable() -> None:
    group = {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerInstance/containerGroups/g"}
    group |= {"name": "g", "location": "westeurope"}
    with pytest.raises(UnusableShape, match="hold no containers"):
        container_group_record({**group, "properties": {"osType": "Linux"}}, "s")
    with pytest.raises(UnusableShape, match="a container of it has no name"):
        container_group_record({**group, "properties": {"containers": [{"properties": {"image": "a"}}]}}, "s")
    empty = container_group_record({**group, "properties": {"containers": []}}, "s")
    assert (empty.containers, empty.sku, empty.os_type, empty.identity.type) == ((), "Standard", None, "None")


@pytest.mark.parametrize(
    ("start", "words"),
    [
        ("2026-11-02", "its startTime is not an ISO 8601 date-time"),
        ("last tuesday", "its startTime is not an ISO 8601 date-time"),
        ("2026-13-02T06:00:00Z", "its startTime is not an ISO 8601 date-time"),
        (1793599200, "its startTime is a number, not a string"),
    ],
    ids=["date-only", "words", "month-13", "a-number"],
)
def test_an_unreadable_start_time_is_error_for_that_groups_images_only(
    tmp_path: Path, sample_audit: Audit, start: Any, words: str
) -> None:
    def edit(group: dict[str, Any]) -> None:
        container(group)["instanceView"]["currentState"]["startTime"] = start

    audit = audit_replay(planted(tmp_path, VIEWS, API, edit), select=(*IMG, *ACI))
    errored = mine(audit, API, IMG)
    assert errored and {f.status for f in errored} == {Status.ERROR}
    assert all(words in f.message for f in errored), errored[0].message
    views = [e for e in audit.report.errors if e.dataset is Dataset.CONTAINER_GROUP_VIEWS]
    assert [(e.resource_name, e.operation) for e in views] == [(API, "containerGroups.get")]
    # the group's own checks and every other group's image checks are judged as before
    assert verdicts(audit.report.findings, ACI) == verdicts(sample_audit.report.findings, ACI)
    assert others(audit, API, IMG) == others(sample_audit, API, IMG)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("2026-11-02T06:00:00.1234567Z", dt.datetime(2026, 11, 2, 6, 0, 0, 123456, tzinfo=dt.UTC)),
        ("2026-11-02T06:00:00", dt.datetime(2026, 11, 2, 6, 0, tzinfo=dt.UTC)),
        ("2026-11-02T08:00:00+02:00", dt.datetime(2026, 11, 2, 6, 0, tzinfo=dt.UTC)),
    ],
    ids=["seven-digit-fraction", "no-offset-is-utc", "an-offset"],
)
def test_start_times_read_as_the_sdk_read_them(tmp_path: Path, start: str, expected: dt.datetime) -> None:
    def edit(group: dict[str, Any]) -> None:
        container(group)["instanceView"]["currentState"]["startTime"] = start

    audit = audit_replay(planted(tmp_path, VIEWS, API, edit), select=IMG)
    view = next(v for v in audit.inventory.container_group_views if v.name == API)
    assert view.containers[0].start_time == expected
    assert view.containers[0].start_time is not None and view.containers[0].start_time.tzinfo is not None


def test_a_container_without_an_instance_view_has_no_state(tmp_path: Path) -> None:
    def edit(group: dict[str, Any]) -> None:
        del container(group)["instanceView"]
        group["properties"].pop("instanceView", None)

    audit = audit_replay(planted(tmp_path, VIEWS, API, edit), select=IMG)
    view = next(v for v in audit.inventory.container_group_views if v.name == API)
    assert view.state is None
    assert (view.containers[0].state, view.containers[0].start_time, view.containers[0].restart_count) == (
        None,
        None,
        None,
    )
    assert not [e for e in audit.report.errors if e.dataset is Dataset.CONTAINER_GROUP_VIEWS]


def test_a_resource_graph_row_goes_through_the_same_mapper(tmp_path: Path) -> None:
    def edit(group: dict[str, Any]) -> None:
        container(group).update(securityContext="privileged")

    tenant = planted(tmp_path, "resourcegraph.json", WORKER, edit)
    audit = audit_replay(tenant, source=Source.GRAPH, select=ACI)
    errors = [e for e in audit.report.errors if e.dataset is Dataset.CONTAINER_GROUPS]
    assert [(e.resource_name, e.reason) for e in errors] == [
        (WORKER, "unusable answer: its securityContext is a string, not an object")
    ]
    assert {f.status for f in mine(audit, WORKER, ACI)} == {Status.ERROR}
    arm = audit_replay(planted(tmp_path / "arm", LIST, WORKER, edit), select=ACI)
    assert verdicts(audit.report.findings, ACI) == verdicts(arm.report.findings, ACI)
