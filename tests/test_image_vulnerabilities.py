"""IMG001 and the runtime block's vulnerabilities: Defender for Cloud's registry image findings read
through Azure Resource Graph (replayed through azure-mgmt-resourcegraph's pipeline), joined with the
digests the containers run; and the check's decisions on hand-made inventories."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import msgspec
import pytest

from azaudit import catalogue
from azaudit.audit import Audit
from azaudit.catalogue import CheckContext
from azaudit.collect.tasks import Task
from azaudit.collect.vulnerabilities import QUERY, fold
from azaudit.engine import evaluate
from azaudit.errors import ConfigError
from azaudit.inventory import Inventory
from azaudit.inventory.coverage import CollectionError, CollectionNote, Dataset
from azaudit.inventory.defender import DefenderPlan, PlanExtension
from azaudit.inventory.images import MAX_PLATFORMS
from azaudit.inventory.vulnerabilities import KEPT, SCANNING, ImageVulnerabilities, VulnerabilityFinding
from azaudit.model import Finding, Severity, Status
from azaudit.render import Format, renderer
from azaudit.reports.gate import ExitCode, exit_code_for
from azaudit.reports.runtime import running_containers
from azaudit.settings import ImageSettings, Settings, parse_settings
from tests.conftest import NOW, SAMPLE_TENANT, audit_replay, names
from tests.test_checks_images import AFTER, DIGEST, FOUND, REGISTRY, SUB, _inventory
from tests.test_reports import fixed_report
from tools import armbodies
from tools.scenarios import vulnerabilities

VULNERABILITY_FILE = "resourcegraph-image-vulnerabilities.json"
IMAGE = "acrone1.azurecr.io/web:1.0"
NOTE = CollectionNote(
    dataset=Dataset.IMAGE_VULNERABILITIES, subscription_id="", resource_id="", resource_name="", message="read"
)


def _findings(audit: Audit, code: str = "IMG001") -> dict[str, Finding]:
    return {
        f"{f.resource_name}/{f.item}" if f.item else f.resource_name: f for f in audit.report.findings if f.code == code
    }


# ---------------------------------------------------------------------------------------- sample tenant


def test_a_running_digest_with_fixable_critical_and_high_findings_fails_naming_cves_and_fixes(
    sample_audit: Audit,
) -> None:
    finding = _findings(sample_audit)["aci-prod-api/migrate"]
    assert finding.status is Status.FAIL
    message = finding.message
    assert "3 fixable finding(s) of high severity or worse" in message
    assert "all findings: 1 critical, 2 high, 1 medium; with a fix: 1 critical, 2 high" in message
    # worst first, with the package, the installed and the fixed version
    assert message.index("CVE-2024-45491") < message.index("CVE-2023-44487") < message.index("CVE-2024-2961")
    assert "fixed in '2.5.0-1+deb12u1'" in message and "'libexpat1'" in message
    assert "CVE-2024-26462" not in message  # medium, no fix: counted, never named as failing
    assert finding.evidence["subassessments[Unhealthy, fixStatus FixAvailable] by severity"] == "1 critical, 2 high"


def test_a_digest_whose_findings_are_below_the_threshold_or_unfixable_passes(sample_audit: Audit) -> None:
    finding = _findings(sample_audit)["aci-prod-api/api"]
    assert finding.status is Status.PASS
    assert "all findings: 1 high, 1 medium, 1 low" in finding.message


def test_registry_scanning_off_is_not_assessed_never_pass(sample_audit: Audit) -> None:
    findings = _findings(sample_audit)
    for name in ("aci-dev-web/web", "aci-dev-jobs/proxy", "aci-dev-tools/migrate"):
        assert findings[name].status is Status.ERROR, name
        assert f"the {SCANNING} extension of Defender for Containers is off" in findings[name].message
    # the subscription whose plans answered 403 cannot say whether its registries are scanned
    assert findings["contoso-sandbox"].status is Status.ERROR


def test_findings_of_digests_nobody_runs_are_kept_but_never_judged(sample_audit: Audit) -> None:
    records = {r.digest: r for r in sample_audit.inventory.image_vulnerabilities}
    assert len(records) == 3  # api, migrate, and an older api digest that no container runs
    assert sum(r.findings for r in records.values()) == 8
    running = {  # the digest each judged container runs, or its platform manifest's (a multi-platform image)
        f.evidence.get("platform manifest.digest") or f.evidence.get("manifest.digest")
        for f in sample_audit.report.findings
        if f.code == "IMG001" and isinstance(f.evidence, dict)
    }
    assert set(records) - running == {next(d for d in records if records[d].by_severity == {"critical": 1})}


# ---------------------------------------------------------------------------------------- replayed failures


def _tenant(tmp_path: Path, edit: Any) -> Path:
    tenant = tmp_path / "contoso"
    shutil.copytree(SAMPLE_TENANT, tenant)
    path = tenant / VULNERABILITY_FILE
    document = json.loads(path.read_text())
    edit(document["interactions"])
    path.write_text(json.dumps(document))
    return tenant


def _whole_scope(interactions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    assert all(i["request"]["body"]["query"] == QUERY for i in interactions)
    widest = max(len(i["request"]["body"]["subscriptions"]) for i in interactions)
    return [i for i in interactions if len(i["request"]["body"]["subscriptions"]) == widest]


def test_resource_graph_refusing_is_error_with_the_reason_never_pass(tmp_path: Path) -> None:
    def refuse(interactions: list[dict[str, Any]]) -> None:
        for interaction in interactions:
            interaction["response"] = {
                "status": 403,
                "body": {"error": {"code": "AuthorizationFailed", "message": "no read access to security resources"}},
            }

    audit = audit_replay(_tenant(tmp_path, refuse), select=("IMG001",))
    statuses = {f.status for f in audit.report.findings if f.code == "IMG001"}
    assert Status.PASS not in statuses and Status.FAIL not in statuses and Status.ERROR in statuses
    (error,) = [e for e in audit.report.errors if e.dataset is Dataset.IMAGE_VULNERABILITIES]
    assert error.status_code == 403 and "AuthorizationFailed" in error.reason
    assert exit_code_for(audit.report, Severity.CRITICAL) is ExitCode.ERROR  # a partial audit never exits 0
    runtime = {(c.container_group, c.container): c for c in audit.report.runtime or ()}
    assert "AuthorizationFailed" in runtime[("aci-prod-api", "api")].not_assessed["vulnerabilities"]


NEXT = "ew0KICAiJGlkIjogIjEiLA0KICAiTWF4Um93cyI6IDQsDQogICJSb3dzVG9Ta2lwIjogNA0KfQ=="


def _paged(following: str | None) -> Any:
    """An edit that splits the whole scope's answer into two pages joined by ``$skipToken``; the
    second page's own ``$skipToken`` is ``following``."""

    def edit(interactions: list[dict[str, Any]]) -> None:
        (whole,) = _whole_scope(interactions)
        body = whole["response"]["body"]
        rows, total = body["data"], body["totalRecords"]
        assert len(rows) > 4
        whole["response"]["body"] = armbodies.graph_page(rows[:4], total, NEXT)
        request = armbodies.graph_request(QUERY, whole["request"]["body"]["subscriptions"], NEXT)
        interactions.append(
            {
                "request": {"method": "POST", "url": whole["request"]["url"], "body": request},
                "response": {"status": 200, "body": armbodies.graph_page(rows[4:], total, following)},
            }
        )

    return edit


def test_every_page_of_the_answer_is_read(tmp_path: Path, sample_audit: Audit) -> None:
    audit = audit_replay(_tenant(tmp_path, _paged(None)), select=("IMG001",))
    assert audit.inventory.image_vulnerabilities == sample_audit.inventory.image_vulnerabilities
    for status in Status:
        assert names(audit.report.findings, "IMG001", status) == names(sample_audit.report.findings, "IMG001", status)


def test_a_skip_token_given_twice_is_an_error_not_a_partial_list(tmp_path: Path) -> None:
    audit = audit_replay(_tenant(tmp_path, _paged(NEXT)), select=("IMG001",))
    (error,) = [e for e in audit.report.errors if e.dataset is Dataset.IMAGE_VULNERABILITIES]
    assert "same $skipToken twice" in error.reason
    assert not names(audit.report.findings, "IMG001", Status.PASS)
    assert not names(audit.report.findings, "IMG001", Status.FAIL)


def test_an_unreadable_finding_makes_its_registry_images_error(tmp_path: Path) -> None:
    def unreadable(interactions: list[dict[str, Any]]) -> None:
        for interaction in interactions:
            for row in interaction["response"]["body"]["data"]:
                if row["digest"] == vulnerabilities.MIGRATE_AMD64:
                    row["digest"] = {"not": "a string"}

    audit = audit_replay(_tenant(tmp_path, unreadable), select=("IMG001",))
    assert "aci-prod-api/migrate" not in names(audit.report.findings, "IMG001", Status.FAIL)
    assert "aci-prod-api/api" not in names(audit.report.findings, "IMG001", Status.PASS)
    errors = [e for e in audit.report.errors if e.dataset is Dataset.IMAGE_VULNERABILITIES]
    assert [e.resource_name for e in errors] == ["contosoprodacr"]


def test_a_run_without_img001_says_the_findings_were_not_read() -> None:
    audit = audit_replay(select=("IMG002",))
    runtime = {(c.container_group, c.container): c for c in audit.report.runtime or ()}
    api = runtime[("aci-prod-api", "api")]
    assert api.vulnerabilities is None
    assert api.not_assessed["vulnerabilities"] == (
        "not assessed: Defender for Cloud's findings were not read (no selected check needs them)"
    )


# ---------------------------------------------------------------------------------------- decisions


def _plans(
    *, containers: str = "Standard", scanning: bool | None = True, posture: bool = False
) -> tuple[DefenderPlan, ...]:
    extensions = () if scanning is None else (PlanExtension(name=SCANNING, enabled=scanning),)
    plans = [
        DefenderPlan(
            id=f"/subscriptions/{SUB}/pricings/Containers",
            name="Containers",
            subscription_id=SUB,
            pricing_tier=containers,
            extensions=extensions,
        )
    ]
    if posture:
        plans.append(
            DefenderPlan(
                id=f"/subscriptions/{SUB}/pricings/CloudPosture",
                name="CloudPosture",
                subscription_id=SUB,
                pricing_tier="Standard",
                extensions=(PlanExtension(name=SCANNING, enabled=True),),
            )
        )
    return tuple(plans)


def _finding(cve: str, severity: str, fix: bool, **extra: str) -> VulnerabilityFinding:
    return VulnerabilityFinding(cve=cve, severity=severity, fix_available=fix, **extra)  # type: ignore[arg-type]


def _record(*findings: VulnerabilityFinding) -> ImageVulnerabilities:
    by: dict[str, int] = {}
    fixable: dict[str, int] = {}
    for f in findings:
        by[f.severity] = by.get(f.severity, 0) + 1
        if f.fix_available:
            fixable[f.severity] = fixable.get(f.severity, 0) + 1
    return ImageVulnerabilities(
        id=f"acrone1.azurecr.io/web@{DIGEST}",
        subscription_id=SUB,
        login_server="acrone1.azurecr.io",
        repository="web",
        digest=DIGEST,
        findings=len(findings),
        by_severity=by,
        fixable=fixable,
        worst=findings,
    )


def _with(
    records: tuple[ImageVulnerabilities, ...] = (),
    plans: tuple[DefenderPlan, ...] | None = None,
    errors: tuple[CollectionError, ...] = (),
    artifact: dict[str, object] | None = None,
) -> Inventory:
    base = _inventory(IMAGE, artifact or FOUND, AFTER)
    return msgspec.structs.replace(
        base,
        image_vulnerabilities=records,
        defender_plans=_plans() if plans is None else plans,
        errors=errors,
        notes=(NOTE,),
    )


def _judge(inventory: Inventory, settings: Settings | None = None) -> Finding:
    check = catalogue.load()["IMG001"]
    (finding,) = evaluate(check, CheckContext(inventory=inventory, settings=settings or Settings(), now=NOW))
    return finding


def test_the_threshold_is_configurable() -> None:
    inventory = _with((_record(_finding("CVE-2024-0001", "medium", True)),))
    assert _judge(inventory).status is Status.PASS  # default: high and critical
    medium = Settings(images=ImageSettings(vulnerability_min_severity="medium"))
    assert _judge(inventory, medium).status is Status.FAIL
    critical = Settings(images=ImageSettings(vulnerability_min_severity="critical"))
    assert _judge(_with((_record(_finding("CVE-2024-0002", "high", True)),)), critical).status is Status.PASS


def test_a_finding_without_a_fix_is_counted_never_failed() -> None:
    finding = _judge(_with((_record(_finding("CVE-2024-0003", "critical", False)),)))
    assert finding.status is Status.PASS and "all findings: 1 critical" in finding.message


@pytest.mark.parametrize(
    ("plans", "reason"),
    [
        (_plans(containers="Free"), "Defender for Containers is off"),
        (_plans(scanning=False), f"the {SCANNING} extension of Defender for Containers is off"),
        ((), "Defender for Containers is off"),
    ],
)
def test_scanning_off_is_error_whatever_the_findings(plans: tuple[DefenderPlan, ...], reason: str) -> None:
    finding = _judge(_with(plans=plans))
    assert finding.status is Status.ERROR and reason in finding.message


def test_defender_cspm_registry_access_or_an_older_enablement_counts_as_scanning() -> None:
    assert _judge(_with(plans=_plans(scanning=False, posture=True))).status is Status.PASS
    assert _judge(_with(plans=_plans(scanning=None))).status is Status.PASS  # no extension listed, as DEF001


def test_no_finding_passes_unless_the_digest_was_pushed_too_recently_to_be_scanned() -> None:
    assert _judge(_with()).status is Status.PASS  # pushed 2026-11-01, audited 2026-11-24
    fresh = FOUND | {"manifest_created_on": NOW - dt.timedelta(hours=3)}
    finding = _judge(_with(artifact=fresh))
    assert finding.status is Status.ERROR and "no result for it yet" in finding.message


def _started(inventory: Inventory, started: dt.datetime, restarts: int) -> Inventory:
    view = inventory.container_group_views[0]
    runtime = msgspec.structs.replace(view.containers[0], start_time=started, restart_count=restarts)
    return msgspec.structs.replace(
        inventory, container_group_views=(msgspec.structs.replace(view, containers=(runtime,)),)
    )


def test_no_finding_counts_as_clean_only_while_defender_still_rescans_the_image() -> None:
    """Defender rescans daily only the images pushed or pulled in the last 30 days: older, with no
    fresh pull, an image without findings may simply no longer be scanned."""
    long_ago = NOW - dt.timedelta(days=45)
    old = FOUND | {"manifest_created_on": long_ago, "tag_updated_on": long_ago}
    stale = _judge(_started(_with(artifact=old), NOW - dt.timedelta(days=40), 0))
    assert stale.status is Status.ERROR
    assert "rescans only images pushed or pulled in the last 30 days" in stale.message
    assert "last pulled when its container started 2026-10-15" in stale.message
    assert _judge(_started(_with(artifact=old), NOW - dt.timedelta(days=3), 0)).status is Status.PASS
    # a restart in place may reuse the host's copy: its start time is no pull
    restarted = _judge(_started(_with(artifact=old), NOW - dt.timedelta(days=3), 2))
    assert restarted.status is Status.ERROR and "no pull time known" in restarted.message
    # findings Defender holds are judged however old the image
    vulnerable = _with((_record(_finding("CVE-2024-0004", "critical", True)),), artifact=old)
    assert _judge(_started(vulnerable, NOW - dt.timedelta(days=40), 0)).status is Status.FAIL


def test_unreadable_plans_or_findings_are_error_never_pass() -> None:
    plans_error = CollectionError(dataset=Dataset.DEFENDER_PLANS, subscription_id=SUB, reason="HTTP 403")
    assert _judge(_with(errors=(plans_error,))).status is Status.ERROR
    graph_error = CollectionError(dataset=Dataset.IMAGE_VULNERABILITIES, subscription_id="", reason="HTTP 403")
    check = catalogue.load()["IMG001"]
    findings = evaluate(check, CheckContext(inventory=_with(errors=(graph_error,)), settings=Settings(), now=NOW))
    assert [f.status for f in findings] == [Status.ERROR]


def test_hostile_cve_and_package_text_stays_one_escaped_line() -> None:
    hostile = _finding(
        "CVE-2024-9999<script>alert(1)</script>\n| injected | row |",
        "critical",
        True,
        package="pkg\n## heading <img src=x onerror=alert(1)>",
        fixed_version="1.0`rm -rf`",
    )
    finding = _judge(_with((_record(hostile),)))
    assert finding.status is Status.FAIL and "\n" not in finding.message
    report = msgspec.structs.replace(fixed_report(), findings=(finding,))
    html = renderer(Format.HTML)(report)
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    markdown = renderer(Format.MARKDOWN)(report)
    assert "\n## heading" not in markdown and "| injected | row |" not in markdown


def test_the_runtime_block_counts_by_severity() -> None:
    record = _record(_finding("CVE-1", "critical", True), _finding("CVE-2", "low", False))
    (entry,) = running_containers(_with((record,)), NOW)
    assert entry.vulnerabilities == {"critical": 1, "high": 0, "medium": 0, "low": 1, "unknown": 0}
    assert entry.fixable_vulnerabilities == {"critical": 1, "high": 0, "medium": 0, "low": 0, "unknown": 0}
    (off,) = running_containers(_with(plans=_plans(containers="Free")), NOW)
    assert off.vulnerabilities is None and "Defender for Containers is off" in off.not_assessed["vulnerabilities"]


# ---------------------------------------------------------------------------------------- memory bound


def test_an_image_keeps_its_counts_and_only_its_worst_findings() -> None:
    task = Task(Dataset.IMAGE_VULNERABILITIES, "", "test", lambda: None)  # type: ignore[arg-type,return-value]
    registry = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acrone1"
    severities = ["Low", "Medium", "High", "Critical"]
    rows = [
        {
            "id": f"{registry}/providers/Microsoft.Security/assessments/x/subassessments/{n}",
            "subscriptionId": SUB,
            "registryHost": "ACRONE1.azurecr.io",
            "repositoryName": "web",
            "digest": DIGEST,
            "cveId": f"CVE-2024-{n:05d}",
            "severity": severities[n % 4],
            "fixStatus": "FixAvailable" if n % 3 else "NoFixAvailable",
            "fixedVersion": "",
        }
        for n in range(1000)
    ]
    images: dict[str, Any] = {}
    assert fold(rows, images, task) == []
    (record,) = [image.record() for image in images.values()]
    assert record.findings == 1000 and sum(record.by_severity.values()) == 1000
    assert record.by_severity["critical"] == 250 and record.login_server == "acrone1.azurecr.io"
    assert len(record.worst) == KEPT
    assert all(f.severity == "critical" and f.fix_available for f in record.worst)
    assert record.worst[0].fixed_version is None  # '' in Azure's answer: no version named
    assert REGISTRY.login_server == "acrone1.azurecr.io"


def test_the_threshold_setting_accepts_only_defender_severities() -> None:
    assert parse_settings({"images": {"vulnerability_min_severity": "critical"}}, "azaudit.toml").images == (
        ImageSettings(vulnerability_min_severity="critical")
    )
    with pytest.raises(ConfigError) as raised:
        parse_settings({"images": {"vulnerability_min_severity": "severe"}}, "azaudit.toml")
    message = str(raised.value)
    assert "azaudit.toml" in message and "vulnerability_min_severity" in message and "\n" not in message


# ---------------------------------------------------------------------------------------- multi-platform images

REGISTRY_FILE = "registries/contosoprodacr.json"


def _registry(tenant: Path, edit: Any) -> None:
    """Edit the manifest properties contosoprodacr answers for orders/migrate's image index."""
    path = tenant / REGISTRY_FILE
    document = json.loads(path.read_text())
    (manifest,) = [
        i["response"]["body"]["manifest"]
        for i in document["interactions"]
        if f"/_manifests/{vulnerabilities.MIGRATE.replace(':', '%3A')}" in i["request"]["url"]
    ]
    edit(manifest)
    path.write_text(json.dumps(document))


def _migrate_rows(edit: Any) -> Any:
    def rows(interactions: list[dict[str, Any]]) -> None:
        for interaction in interactions:
            body = interaction["response"]["body"]
            body["data"] = [r for r in (edit(row) for row in body["data"]) if r is not None]
            body["totalRecords"] = body["count"] = len(body["data"])

    return rows


def test_a_multi_platform_image_is_judged_on_the_platform_manifest_it_runs(sample_audit: Audit) -> None:
    """orders/migrate's tag names an image index; Defender keys the findings by its linux/amd64
    manifest. Joined by the index digest alone it read clean (a false PASS)."""
    (artifact,) = [a for a in sample_audit.inventory.image_artifacts if a.repository == "orders/migrate"]
    assert artifact.manifest_digest == vulnerabilities.MIGRATE
    assert [(p.digest, p.os, p.architecture) for p in artifact.platforms] == [
        (vulnerabilities.MIGRATE_AMD64, "linux", "amd64"),
        (vulnerabilities.MIGRATE_ARM64, "linux", "arm64"),
    ]
    assert not artifact.platforms_cut
    finding = _findings(sample_audit)["aci-prod-api/migrate"]
    assert finding.status is Status.FAIL
    assert f"an image index, judged on its amd64 platform manifest {vulnerabilities.MIGRATE_AMD64}" in finding.message
    assert isinstance(finding.evidence, dict)
    assert finding.evidence["manifest.digest"] == vulnerabilities.MIGRATE
    assert finding.evidence["platform manifest.digest"] == vulnerabilities.MIGRATE_AMD64
    (entry,) = [
        e
        for e in running_containers(sample_audit.inventory, NOW)
        if (e.container_group, e.container) == ("aci-prod-api", "migrate")
    ]
    assert entry.vulnerabilities == {"critical": 1, "high": 2, "medium": 1, "low": 0, "unknown": 0}
    # a single-platform manifest lists no platform
    (api,) = [a for a in sample_audit.inventory.image_artifacts if a.repository == "orders/api"]
    assert api.platforms == () and not api.platforms_cut


def test_an_index_without_findings_under_either_digest_is_error_not_pass(tmp_path: Path) -> None:
    tenant = _tenant(tmp_path, _migrate_rows(lambda row: None if row["repositoryName"] == "orders/migrate" else row))
    audit = audit_replay(tenant, select=("IMG001",))
    finding = _findings(audit)["aci-prod-api/migrate"]
    assert finding.status is Status.ERROR  # pushed 25 days ago: a single-platform digest would PASS
    assert "multi-platform image" in finding.message
    assert vulnerabilities.MIGRATE_AMD64 in finding.message
    assert "no finding does not mean a clean scan" in finding.message
    (entry,) = [
        e
        for e in running_containers(audit.inventory, NOW)
        if (e.container_group, e.container) == ("aci-prod-api", "migrate")
    ]
    assert entry.vulnerabilities is None
    assert "multi-platform image" in entry.not_assessed["vulnerabilities"]
    assert _findings(audit)["aci-prod-api/api"].status is Status.PASS  # single-platform: unchanged


def test_an_index_whose_findings_are_keyed_by_the_index_digest_uses_them(tmp_path: Path) -> None:
    def to_index(row: dict[str, Any]) -> dict[str, Any]:
        return {**row, "digest": vulnerabilities.MIGRATE} if row["digest"] == vulnerabilities.MIGRATE_AMD64 else row

    audit = audit_replay(_tenant(tmp_path, _migrate_rows(to_index)), select=("IMG001",))
    finding = _findings(audit)["aci-prod-api/migrate"]
    assert finding.status is Status.FAIL
    assert "platform manifest" not in finding.message
    assert isinstance(finding.evidence, dict) and "platform manifest.digest" not in finding.evidence


def test_an_index_without_the_groups_platform_and_without_findings_is_error(tmp_path: Path) -> None:
    tenant = _tenant(tmp_path, _migrate_rows(lambda row: None if row["repositoryName"] == "orders/migrate" else row))

    def arm_only(manifest: dict[str, Any]) -> None:
        for reference in manifest["references"]:
            reference["architecture"] = "arm64"

    _registry(tenant, arm_only)
    audit = audit_replay(tenant, select=("IMG001",))
    finding = _findings(audit)["aci-prod-api/migrate"]
    assert finding.status is Status.ERROR
    assert "with no manifest for linux/amd64" in finding.message


def test_hostile_platform_lists_are_bounded_and_kept_as_text(tmp_path: Path) -> None:
    """A registry's references are a pusher's text: a non-digest is left out, an os that is not a
    plain name is unknown, and no more than MAX_PLATFORMS are kept (the rest cut, said so)."""
    tenant = _tenant(tmp_path, lambda interactions: None)
    junk = [{"digest": f"sha256:{n:064x}", "architecture": "amd64", "os": "plan9"} for n in range(MAX_PLATFORMS)]

    def hostile(manifest: dict[str, Any]) -> None:
        amd64 = manifest["references"][0]
        manifest["references"] = [
            {"digest": "../../blobs/uploads", "architecture": "amd64", "os": "linux"},
            {"digest": vulnerabilities.MIGRATE_ARM64, "architecture": "arm64", "os": "linux\u202e<script>"},
            *junk,
            amd64,  # beyond the bound: never read
        ]

    _registry(tenant, hostile)
    audit = audit_replay(tenant, select=("IMG001",))
    (artifact,) = [a for a in audit.inventory.image_artifacts if a.repository == "orders/migrate"]
    assert len(artifact.platforms) == MAX_PLATFORMS - 1  # the non-digest left out of the first MAX_PLATFORMS
    assert artifact.platforms_cut
    assert artifact.platforms[0].digest == vulnerabilities.MIGRATE_ARM64 and artifact.platforms[0].os is None
    assert all("blobs" not in p.digest for p in artifact.platforms)
    finding = _findings(audit)["aci-prod-api/migrate"]
    assert finding.status is Status.ERROR
    assert f"the registry listed more than {MAX_PLATFORMS}" in finding.message
    assert "<script>" not in finding.message
