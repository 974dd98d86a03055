"""An attacker's review of the promises of docs/security.md, on the committed code.

Each test plants one attack (a URL a hostile answer can make azaudit send, a hostile display
name in a copy of the sample tenant) and asserts the safe outcome through the real code path.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from azaudit import secret_guard
from azaudit.cli import app
from azaudit.collect import graph
from azaudit.errors import SecretReadRefusedError
from azaudit.runconfig import Source
from tests.conftest import SAMPLE_TENANT, audit_replay

runner = CliRunner()


# ---------------------------------------------------------------------------- path parameters


# RFC 3986 lets a segment carry parameters after ';' (``/blobs;x=1``); servers built on the Servlet
# API, Spring, Jetty and several proxies drop them when they route, so ``blobs;x=1`` is ``blobs``
# there. The guard must judge the path such a server resolves, not only the literal one.
@pytest.mark.parametrize(
    "url",
    [
        "https://reg1.azurecr.io/v2/app/blobs;x=1/sha256:" + "a" * 64,
        "https://reg1.azurecr.io/v2/app/blobs;/sha256:" + "a" * 64,
        "https://reg1.azurecr.io/v2/app/blobs%3Bx/sha256:" + "a" * 64,
        "https://kv-prod.vault.azure.net/secrets;v=1/db-password",
        "https://kv-prod.vault.azure.net/secrets/db-password;v=1",
        "https://kv-prod.vault.azure.net/keys/..;/secrets/db-password",
        "https://kv-prod.vault.azure.net/keys/..;x=1/secrets/db-password/0123",
        "https://management.azure.com/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry"
        "/registries/reg1/listCredentials;x=1",
        "https://management.azure.com/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault"
        "/vaults/kv/secrets;x/db-password",
        "https://management.azure.com/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerInstance"
        "/containerGroups/g/containers/c/logs;tail=10",
    ],
)
def test_path_parameters_cannot_slip_a_secret_read_past_the_guard(url: str) -> None:
    with pytest.raises(SecretReadRefusedError):
        secret_guard.enforce("GET", url)


def test_metadata_reads_with_a_semicolon_stay_allowed() -> None:
    """Only what a parameter-stripping server would resolve to a secret read is refused."""
    secret_guard.enforce("GET", "https://reg1.azurecr.io/acr/v1/app/_tags/v1;x=1")
    secret_guard.enforce("GET", "https://kv-prod.vault.azure.net/secrets;x=1?api-version=7.5")


# ---------------------------------------------------------------------------- newer outputs

ATTACK = "##vso[task.setvariable variable=PWNED]1\x1b[31m\u202e"


def _plant_display_names(tenant: Path) -> None:
    """Every subscription and management group display name ends with the attack."""

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "displayName" and isinstance(item, str):
                    value[key] = item + ATTACK
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for path in (tenant / "subscriptions.json", tenant / "management-groups.json"):
        document = json.loads(path.read_text(encoding="utf-8"))
        walk(document)
        path.write_text(json.dumps(document), encoding="utf-8")


def _assert_not_obeyed(text: str) -> None:
    for line in re.split(r"\r\n|\r|\n", text):
        start = line.find("##vso[")
        ours = line.startswith(("##vso[task.logissue ", "##vso[task.uploadsummary]"))
        assert start < 0 or (start == 0 and ours), line
        assert "##[" not in line, line
    assert "\x1b" not in text and "\u202e" not in text


@pytest.mark.parametrize(
    "args",
    [
        ["-m", "contoso-landing-zones", "-f", "html", "--framework", "mcsb-v1"],
        ["--compact", "--framework", "cis-azure-3.0.0", "--source", "graph", "--verbose"],
    ],
    ids=["html-management-group", "compact-frameworks-graph"],
)
def test_hostile_display_names_in_the_newer_outputs(tmp_path: Path, args: list[str]) -> None:
    """Subscription display names reach the HTML report's scope, the framework views, the compact
    table and the verbose progress on stderr: shown, never obeyed by the agent or the terminal."""
    tenant = tmp_path / "tenant"
    shutil.copytree(SAMPLE_TENANT, tenant)
    _plant_display_names(tenant)
    result = runner.invoke(app, ["subscription", "--replay", str(tenant), *args], env={"TF_BUILD": "True"})
    assert result.exit_code == 1, result.output
    assert "**vso[task.setvariable variable=PWNED]1\\x1b[31m" in result.stdout  # the name reached the report
    _assert_not_obeyed(result.stdout)
    _assert_not_obeyed(result.stderr)


# ---------------------------------------------------------------------------- registry data plane


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("https://reg1.azurecr.io/v2/hub/blobs/nginx/referrers/sha256:" + "a" * 64, False),
        ("https://reg1.azurecr.io/v2/hub/blobs/nginx/manifests/1.27.3", False),
        ("https://reg1.azurecr.io/v2/hub/blobs/nginx/tags/list", False),
        ("https://reg1.azurecr.io/v2/hub/blobs/nginx/blobs/sha256:" + "a" * 64, True),
        ("https://reg1.azurecr.io/v2/blobs/blobs/sha256:" + "a" * 64, True),
        ("https://reg1.azurecr.io/v2/hub/nginx/blobs/uploads", True),
        ("https://reg1.azurecr.io/v2/hub/nginx/blobs/uploads/3f2a?_state=x", True),
    ],
)
def test_blobs_is_a_route_only_at_the_end_of_the_path(url: str, refused: bool) -> None:
    """``blobs`` is a valid repository path component: only ``.../blobs/{digest}`` (or an upload)
    is content."""
    assert (secret_guard.refusal("GET", url) is not None) is refused


def _tenant_with_repository(tmp_path: Path, repository: str) -> Path:
    """The sample tenant with contosodevacr's ``hub/nginx`` (run by aci-dev-jobs's container
    'proxy') pushed as ``repository`` instead: the registry's answers and the image reference."""
    tenant = tmp_path / "tenant"
    shutil.copytree(SAMPLE_TENANT, tenant)
    for path in (tenant / "registries" / "contosodevacr.json", tenant / "contoso-dev" / "containerinstance.json"):
        text = path.read_text(encoding="utf-8")
        assert "hub/nginx" in text or "hub%2Fnginx" in text
        text = text.replace("hub/nginx", repository).replace("hub%2Fnginx", repository.replace("/", "%2F"))
        path.write_text(text, encoding="utf-8")
    return tenant


def test_a_repository_named_blobs_does_not_end_the_audit(tmp_path: Path) -> None:
    """Anyone who can push ``hub/blobs/nginx`` to an audited registry and run it in a container
    group made the guard refuse its signature referrers, which ended the whole audit with exit 2
    and no report. Its metadata is read like any other image's."""
    tenant = _tenant_with_repository(tmp_path, "hub/blobs/nginx")
    report = tmp_path / "r.json"
    result = runner.invoke(app, ["subscription", "--replay", str(tenant), "-q", "-f", "json", "-o", str(report)])
    assert result.exit_code == 1, result.output
    document = json.loads(report.read_text(encoding="utf-8"))
    # the container 'proxy' of aci-dev-jobs runs contosodevacr.azurecr.io/hub/blobs/nginx:1.27.3
    images = {
        f["code"]: f
        for f in document["findings"]
        # (IMG001 is not assessed there: contoso-dev's Defender does not scan its registries)
        if f["code"].startswith("IMG")
        and f["code"] != "IMG001"
        and f["resource_name"] == "aci-dev-jobs"
        and f["item"] == "proxy"
    }
    assert images and all(f["status"] in ("PASS", "FAIL") for f in images.values()), images
    assert "2 Notary Project signature(s)" in images["IMG003"]["message"]


@pytest.mark.parametrize(
    "url",
    [
        "https://reg1.azurecr.io/acr/v1/team%2Fhub%2Flistings/_tags/1.0?api-version=2021-07-01",
        "https://reg1.azurecr.io/acr/v1/tools%2Fx%2Fresetter/_manifests/sha256%3A" + "a" * 64,
        "https://reg1.azurecr.io/v2/hub/rotatelogs/referrers/sha256:" + "a" * 64,
    ],
)
def test_repository_names_on_a_registry_are_not_arm_actions(url: str) -> None:
    """``listings`` or ``rotatelogs`` is an ordinary repository name; it is no ARM action there."""
    assert secret_guard.refusal("GET", url) is None


def test_arm_actions_stay_refused_whatever_the_host() -> None:
    for host in ("management.azure.com", "kv-prod.vault.azure.net"):
        assert secret_guard.refusal("GET", f"https://{host}/subscriptions/s/providers/Microsoft.X/y/z/listKeys")


def test_a_repository_named_like_an_action_does_not_end_the_audit(tmp_path: Path) -> None:
    """An image pushed as ``hub/listings`` (a name any team may choose) made the guard refuse its
    tag read as an ARM action, which ended the whole audit with exit 2 and no report."""
    tenant = _tenant_with_repository(tmp_path, "hub/listings")
    report = tmp_path / "r.json"
    result = runner.invoke(app, ["subscription", "--replay", str(tenant), "-q", "-f", "json", "-o", str(report)])
    assert result.exit_code == 1, result.output
    document = json.loads(report.read_text(encoding="utf-8"))
    proxy = [f for f in document["findings"] if f["code"] == "IMG003" and f["item"] == "proxy"]
    assert [f["status"] for f in proxy] == ["PASS"], proxy


# ---------------------------------------------------------------------------- Resource Graph


def test_a_skip_token_cycle_is_caught_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages whose ``$skipToken`` goes A, B, A, B... were only caught after MAX_PAGES pages (ten
    thousand POSTs, their rows all held in memory): any token seen before ends the list."""
    monkeypatch.setattr(graph, "MAX_PAGES", 40)
    tenant = tmp_path / "tenant"
    shutil.copytree(SAMPLE_TENANT, tenant)
    path = tenant / "resourcegraph.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    interactions = document["interactions"]
    first = next(i for i in interactions if i["response"]["body"].get("$skipToken"))
    token_a = first["response"]["body"]["$skipToken"]
    second = next(i for i in interactions if i["request"]["body"]["options"].get("$skipToken") == token_a)
    second["response"]["body"]["$skipToken"] = "cycle-token-b"
    third = json.loads(json.dumps(second))
    third["request"]["body"]["options"]["$skipToken"] = "cycle-token-b"
    third["response"]["body"]["$skipToken"] = token_a  # back to the second page
    interactions.append(third)
    path.write_text(json.dumps(document), encoding="utf-8")

    audit = audit_replay(tenant, source=Source.GRAPH)
    registries = [n.message for n in audit.inventory.notes if "Resource Graph" in n.message]
    assert any(
        "registries: Azure Resource Graph could not list them" in m and "same $skipToken twice" in m for m in registries
    ), registries
