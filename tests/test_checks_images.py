"""The image checks over the sample tenant (replayed through the real SDKs: container group GETs,
the registries' token exchange and data planes), and their decisions on hand-made inventories."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

import msgspec
import pytest
from azure.core.pipeline.transport import RequestsTransport

from azaudit import catalogue
from azaudit.audit import Audit
from azaudit.catalogue import CheckContext
from azaudit.clouds import CLOUDS, CloudName
from azaudit.engine import evaluate
from azaudit.inventory import Inventory
from azaudit.inventory.aci import Container, ContainerGroup, Resources
from azaudit.inventory.acr import Registry
from azaudit.inventory.common import Identity
from azaudit.inventory.images import ContainerGroupView, ContainerRuntime, ImageArtifact
from azaudit.model import Status
from azaudit.registry_plane import RegistryPlane
from azaudit.replay import ReplayCredential
from azaudit.replay.adapter import ReplayAdapter, replay_session
from azaudit.replay.fixtures import load_fixture_dir
from azaudit.settings import ImageSettings, Settings
from azaudit.transport import GuardedTransport
from tests.conftest import CANARY_MARK, NOW, SAMPLE_TENANT, assert_expected
from tools.scenarios import images as image_scenarios
from tools.scenarios.images import digest as digest_of

EXPECTED = image_scenarios.expectations()


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_expectations_in_the_sample_tenant(code: str, sample_audit: Audit) -> None:
    expected = EXPECTED[code]
    assert_expected(sample_audit.report.findings, code, expected)


def test_every_image_check_has_a_fail_and_a_pass_in_the_sample_tenant() -> None:
    checks = {code for code in catalogue.load() if code.startswith("IMG")}
    assert checks == set(EXPECTED)
    for code in checks:
        assert EXPECTED[code].get(Status.FAIL) and EXPECTED[code].get(Status.PASS), code


def test_messages_say_why(sample_audit: Audit) -> None:
    by_item = {(f.code, f.resource_name, f.item): f.message for f in sample_audit.report.findings}
    assert "not a registry in the audited subscriptions" in by_item[("IMG003", "aci-dev-jobs", "uploader")]
    refused = by_item[("IMG003", "aci-dev-jobs", "jobs")]
    assert "Container Registry Repository Reader" in refused and "401" in refused
    assert "updated 2026-11-20 03:00 UTC" in by_item[("IMG002", "aci-prod-batch", "batch")]
    assert "267 days old" in by_item[("IMG005", "aci-dev-web", "web")]
    assert "no longer in registry contosodevacr.azurecr.io" in by_item[("IMG004", "aci-dev-web", "cli")]


def test_one_token_exchange_per_registry_and_a_token_per_repository() -> None:
    """The SDK as shipped exchanges the Azure AD token again for every request; azaudit's plane
    exchanges once per registry and keeps each repository's access token (of both actions), over
    the sample tenant's own fixtures (which hold one exchange per registry)."""
    sent: list[tuple[str, str]] = []

    class Counting(ReplayAdapter):
        def answer(self, method: str, url: str, headers: Any, body: Any = None) -> Any:
            sent.append((method, urlsplit(url).path))
            return super().answer(method, url, headers, body)

    adapter = Counting(load_fixture_dir(SAMPLE_TENANT), "sample tenant")
    inner = RequestsTransport(session=replay_session(adapter), session_owner=False)
    transport = GuardedTransport(inner, cloud=CLOUDS[CloudName.PUBLIC], connection_timeout=5, read_timeout=5)
    transport.allow_registries(["contosodevacr.azurecr.io"])
    plane = RegistryPlane("contosodevacr.azurecr.io", ReplayCredential(), transport)
    for repository, tag in (("web/frontend", "1.8.0"), ("hub/nginx", "1.27.3"), ("web/frontend", "1.8.0")):
        props = plane.tag_properties(repository, tag)
        plane.manifest_properties(repository, props["tag"]["digest"])
    assert plane.signatures("hub/nginx", digest_of("hub/nginx:1.27.3")) == 2
    assert sent.count(("POST", "/oauth2/exchange")) == 1 == plane.tokens.exchanges
    # one per repository, for its metadata and pull reads (was 3: metadata_read of two, pull of one)
    assert sent.count(("POST", "/oauth2/token")) == 2


def test_no_registry_token_in_any_output(sample_audit: Audit) -> None:
    text = msgspec.json.encode(sample_audit.report).decode() + msgspec.json.encode(sample_audit.inventory).decode()
    assert "replay-acr-refresh" not in text and "replay-acr-access" not in text and CANARY_MARK not in text


# ---------------------------------------------------------------------------------------- decisions

SUB = "sub-1"
REGISTRY = Registry(
    id=f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acrone1",
    name="acrone1",
    subscription_id=SUB,
    resource_group="rg",
    location="westeurope",
    sku="Premium",
    login_server="acrone1.azurecr.io",
    admin_user_enabled=False,
    anonymous_pull_enabled=False,
    public_network_access="Enabled",
    network_default_action=None,
    ip_rule_count=0,
    private_endpoints=(),
    trust_policy_status=None,
    quarantine_policy_status=None,
    retention_policy_status=None,
    retention_days=None,
    export_policy_status=None,
    arm_audience_policy_status=None,
    encryption_status=None,
    identity=Identity(),
)
GROUP_ID = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.ContainerInstance/containerGroups/g1"
DIGEST = "sha256:" + "b" * 64


def _inventory(image: str, artifact: dict[str, object], started: dt.datetime | None) -> Inventory:
    group = ContainerGroup(
        id=GROUP_ID,
        name="g1",
        subscription_id=SUB,
        resource_group="rg",
        location="westeurope",
        os_type="Linux",
        sku="Standard",
        ip_address_type=None,
        ip_ports=(),
        fqdn=None,
        subnet_ids=(),
        registry_credentials=(),
        log_analytics_workspace_id=None,
        encryption_key_vault=None,
        volumes=(),
        identity=Identity(),
        containers=(
            Container(
                name="app",
                image=image,
                init=False,
                env=(),
                command_credentials=(),
                security_context=None,
                resources=Resources(),
            ),
        ),
    )
    view = ContainerGroupView(
        id=GROUP_ID,
        name="g1",
        subscription_id=SUB,
        containers=(ContainerRuntime(name="app", init=False, image=image, state="Running", start_time=started),),
    )
    base = ImageArtifact(
        id=f"{REGISTRY.id}/images/web:1.0@",
        name="acrone1.azurecr.io/web:1.0",
        subscription_id=SUB,
        registry_id=REGISTRY.id,
        login_server="acrone1.azurecr.io",
        repository="web",
        reference="1.0",
    )
    return Inventory(
        registries=(REGISTRY,),
        container_groups=(group,),
        container_group_views=(view,),
        image_artifacts=(msgspec.structs.replace(base, **artifact),),
    )


def _status(code: str, inventory: Inventory, settings: Settings | None = None) -> Status:
    check = catalogue.load()[code]
    context = CheckContext(inventory=inventory, settings=settings or Settings(), now=NOW)
    (finding,) = evaluate(check, context)
    return finding.status


FOUND = {
    "tag_found": True,
    "tag_digest": DIGEST,
    "tag_updated_on": dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
    "manifest_digest": DIGEST,
    "manifest_found": True,
    "manifest_created_on": dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
    "signatures": 0,
}
AFTER = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
BEFORE = dt.datetime(2026, 10, 30, tzinfo=dt.UTC)


def test_a_tag_updated_after_the_container_started_is_out_of_date_and_its_digest_unknown() -> None:
    inventory = _inventory("acrone1.azurecr.io/web:1.0", FOUND, BEFORE)
    assert _status("IMG002", inventory) is Status.FAIL
    assert _status("IMG003", inventory) is Status.SKIPPED  # the digest it runs is not the tag's now
    assert _status("IMG002", _inventory("acrone1.azurecr.io/web:1.0", FOUND, AFTER)) is Status.PASS


def test_no_start_time_is_not_assessed_never_pass() -> None:
    assert _status("IMG002", _inventory("acrone1.azurecr.io/web:1.0", FOUND, None)) is Status.ERROR


def test_a_registry_that_refused_is_error_for_every_image_check() -> None:
    inventory = _inventory("acrone1.azurecr.io/web:1.0", {"failure": "HTTP 403"}, AFTER)
    for code in ("IMG002", "IMG003", "IMG004", "IMG005"):
        assert _status(code, inventory) is Status.ERROR


def test_stale_threshold_is_configurable() -> None:
    inventory = _inventory("acrone1.azurecr.io/web:1.0", FOUND, AFTER)  # pushed 23 days before NOW
    assert _status("IMG005", inventory) is Status.PASS
    strict = Settings(images=ImageSettings(max_age_days=10))
    assert _status("IMG005", inventory, strict) is Status.FAIL


def test_a_pinned_digest_whose_tag_moved_is_out_of_date() -> None:
    other = "sha256:" + "c" * 64
    inventory = _inventory(f"acrone1.azurecr.io/web:1.0@{other}", {**FOUND, "signatures": 1}, AFTER)
    # the artifact is looked up by (registry, repository, tag, digest): key it on the pinned digest
    artifact = msgspec.structs.replace(inventory.image_artifacts[0], id=f"{REGISTRY.id}/images/web:1.0@{other}")
    inventory = msgspec.structs.replace(inventory, image_artifacts=(artifact,))
    assert _status("IMG002", inventory) is Status.FAIL


def _finding(code: str, inventory: Inventory) -> Any:
    [finding] = evaluate(catalogue.load()[code], CheckContext(inventory=inventory, settings=Settings(), now=NOW))
    return finding


def test_image_evidence_records_tags_digests_and_times_never_a_token() -> None:
    stale = _inventory("acrone1.azurecr.io/web:1.0", FOUND, BEFORE)
    failed = _finding("IMG002", stale)
    assert failed.status is Status.FAIL
    assert failed.evidence == {
        "tag": "1.0",
        "tag.digest": DIGEST,
        "tag.lastUpdateTime": "2026-11-01 00:00 UTC",
        "properties.containers[].properties.instanceView.currentState.startTime": "2026-10-30 00:00 UTC",
    }
    fresh = _inventory("acrone1.azurecr.io/web:1.0", FOUND, AFTER)
    passed = _finding("IMG005", fresh)
    assert passed.status is Status.PASS
    assert set(passed.evidence) == {"tag", "manifest.digest", "manifest.createdTime", "age"}
    unsigned = _finding("IMG003", fresh)
    assert unsigned.status is Status.FAIL and unsigned.evidence["referrers[notation signature]"] == "0"
    present = _finding("IMG004", fresh)
    assert present.status is Status.PASS and present.evidence["manifest.found"] == "found"
    assert not any("token" in value.lower() for value in failed.evidence.values())
