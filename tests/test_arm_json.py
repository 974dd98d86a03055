"""Collectors that read ARM JSON through the SDK client's own pipeline (no model built): the same
answers give the same records, and an answer of the wrong shape is ERROR for its resource only."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from azaudit.model import Status
from tests.conftest import SAMPLE_TENANT, audit_replay

SETTINGS = SAMPLE_TENANT / "contoso-prod" / "diagnostics-registries.json"
LOGGED = "contosoplatformacr"  # its registry logs through a diagnostic setting (LOG001 PASS)


def plant(tmp_path: Path, change: Any) -> Path:
    """A copy of the sample tenant whose answer for LOGGED's diagnostic settings is ``change``d."""
    tenant = tmp_path / "tenant"
    shutil.copytree(SAMPLE_TENANT, tenant)
    path = tenant / SETTINGS.relative_to(SAMPLE_TENANT)
    document = json.loads(path.read_text(encoding="utf-8"))
    for interaction in document["interactions"]:
        if f"/registries/{LOGGED}/" in interaction["request"]["url"]:
            interaction["response"]["body"] = change(interaction["response"]["body"])
    path.write_text(json.dumps(document), encoding="utf-8")
    return tenant


def log001(tenant: Path) -> dict[str, Status]:
    audit = audit_replay(tenant, select=("LOG001",))
    return {finding.resource_name: finding.status for finding in audit.report.findings}


def test_the_sample_tenant_reads_the_same_through_arm_json() -> None:
    assert log001(SAMPLE_TENANT)[LOGGED] is Status.PASS


def _null_properties(body: Any) -> Any:
    body["value"][0]["properties"] = None
    return body


def _logs_not_a_list(body: Any) -> Any:
    body["value"][0]["properties"]["logs"] = "allLogs"
    return body


def _enabled_not_a_boolean(body: Any) -> Any:
    body["value"][0]["properties"]["logs"][0]["enabled"] = "yes"
    return body


@pytest.mark.parametrize(
    "change",
    [_null_properties, _logs_not_a_list, _enabled_not_a_boolean, lambda body: {"value": "none"}, lambda body: []],
    ids=["properties-null", "logs-not-a-list", "enabled-not-a-boolean", "value-not-a-list", "body-not-an-object"],
)
def test_an_unusable_diagnostic_settings_answer_is_error_for_its_resource_only(tmp_path: Path, change: Any) -> None:
    statuses = log001(plant(tmp_path, change))
    assert statuses[LOGGED] is Status.ERROR
    assert statuses == {**log001(SAMPLE_TENANT), LOGGED: Status.ERROR}
