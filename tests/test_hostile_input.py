"""Careless input and hostile tenant text: one clear line and exit 2, never a wrong audit.

Attacks are planted in a copy of the sample tenant's recorded answers under ``tmp_path``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from azaudit.cli import app
from tests.conftest import SAMPLE_TENANT

runner = CliRunner()

PROD_ID = "3f8a6c1e-5b7d-4e2a-9c11-7d2e0f4a8b51"
DEV_ID = "9b2d4e6f-1a3c-4d5e-8f70-2a4b6c8d0e13"
SANDBOX_ID = "e7a9c1e3-5f7b-4c9e-8a1c-5f7b9d1e3a57"


def run_cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def one_clear_line(code: int, err: str) -> str:
    assert code == 2, err
    line = err.strip()
    assert line.startswith("azaudit: ") and "\n" not in line and "Traceback" not in err, err
    return line


def tenant_copy(tmp_path: Path) -> Path:
    tenant = tmp_path / "tenant"
    shutil.copytree(SAMPLE_TENANT, tenant)
    return tenant


def edit_fixture(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Apply ``change`` to every response body of one fixture file."""
    document = json.loads(path.read_text(encoding="utf-8"))
    for interaction in document["interactions"]:
        body = interaction["response"].get("body")
        if isinstance(body, dict):
            change(body)
    path.write_text(json.dumps(document), encoding="utf-8")


def rename_subscriptions(tenant: Path, names: dict[str, str]) -> None:
    def change(body: dict[str, Any]) -> None:
        for sub in body.get("value", []):
            sub["displayName"] = names.get(sub["subscriptionId"], sub["displayName"])

    edit_fixture(tenant / "subscriptions.json", change)


# --- item 3: a display name must never redirect the audit --------------------------------------


def audited_subscriptions(tenant: Path, *requested: str) -> tuple[int, list[str], str]:
    code, out, err = run_cli("subscription", *requested, "--replay", str(tenant), "--select", "ACR001", "-f", "json")
    ids = [s["subscription_id"] for s in json.loads(out)["run"]["subscriptions"]] if out else []
    return code, ids, err


def test_a_subscription_named_like_another_ones_id_does_not_hijack_the_selection(tmp_path: Path) -> None:
    tenant = tenant_copy(tmp_path)
    rename_subscriptions(tenant, {DEV_ID: PROD_ID, SANDBOX_ID: PROD_ID.upper()})
    for requested in (PROD_ID, PROD_ID.upper()):
        code, ids, err = audited_subscriptions(tenant, requested)
        assert ids == [PROD_ID], (requested, err)


def test_a_name_two_subscriptions_share_is_an_ambiguity_error_naming_both(tmp_path: Path) -> None:
    tenant = tenant_copy(tmp_path)
    rename_subscriptions(tenant, {SANDBOX_ID: "Contoso-Dev"})
    code, _, err = audited_subscriptions(tenant, "contoso-dev")
    line = one_clear_line(code, err)
    assert "ambiguous" in line and DEV_ID in line and SANDBOX_ID in line
    # an id still picks exactly one of them
    code, ids, _ = audited_subscriptions(tenant, SANDBOX_ID)
    assert ids == [SANDBOX_ID]


def test_an_empty_subscription_argument_is_refused() -> None:
    for requested in ("", "  "):
        code, _, err = run_cli("subscription", PROD_ID, requested, "--replay", str(SAMPLE_TENANT))
        assert "empty subscription id or name" in one_clear_line(code, err)


# --- numbers on the command line -------------------------------------------------------------------


def test_a_timeout_out_of_range_is_refused() -> None:
    for value in ("inf", "nan", "1e308", "0.5"):
        result = runner.invoke(app, ["subscription", "--replay", str(SAMPLE_TENANT), "--timeout", value])
        assert result.exit_code == 2, (value, result.output)
        assert "--timeout" in result.output and "Traceback" not in result.output
