"""Container Instances checks: an expectation table over the sample tenant (real SDK, replayed),
edge cases on records built directly, and the demo output."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from azaudit import catalogue
from azaudit.audit import Audit
from azaudit.catalogue import CheckContext
from azaudit.cli import app
from azaudit.collect.aci import container_group_record
from azaudit.engine import evaluate
from azaudit.inventory import Inventory
from azaudit.inventory.aci import (
    CommandCredential,
    Container,
    ContainerGroup,
    EnvVar,
    RegistryCredential,
    Resources,
    SecurityContext,
)
from azaudit.inventory.acr import CacheRule, KnownRegistry, Registry
from azaudit.inventory.common import Identity
from azaudit.inventory.coverage import CollectionError, Dataset
from azaudit.inventory.monitor import DiagnosticSetting, LogEntry
from azaudit.model import Finding, Status
from azaudit.render import FORMATS
from azaudit.settings import RegistrySettings, Settings
from tests.conftest import (
    CANARY_MARK,
    NOW,
    SAMPLE_TENANT,
    assert_expected,
    audit_replay,
    names,
    registry_record,
)
from tools.scenarios import aci as aci_scenarios

CHECKS = catalogue.load()

API = aci_scenarios.API.name  # hardened and Confidential: ACR image pinned by digest, VNet, identity, logs, CMK
WORKER = aci_scenarios.WORKER.name  # nginx:latest public, storage key in env, a limit above its request
BATCH = aci_scenarios.BATCH.name  # untagged image, password in env and command, registry password, git token
WEB = aci_scenarios.WEB.name  # public web app, runAsUser 1000
JOBS = aci_scenarios.JOBS.name  # private, untagged image, no security context
DEBUG = aci_scenarios.DEBUG.name  # Confidential: ghcr.io image, GitHub token, privileged root with capabilities
TOOLS = aci_scenarios.TOOLS.name  # image shapes; Key Vault reference and placeholder under secret names
GROUPS = {API, WORKER, BATCH, WEB, JOBS, DEBUG, TOOLS}
STANDARD = GROUPS - {API, DEBUG}  # no container security context: ACI005-ACI007 do not apply

# code -> status -> names (resource or resource/item): declared next to each container group in
# the sample tenant's scenario table, the ERROR of the group whose diagnostic settings are unreadable
# included.
EXPECTED = aci_scenarios.expected()


def test_every_aci_row_of_the_catalogue_is_a_check() -> None:
    assert {code for code in CHECKS if code.startswith("ACI")} == {f"ACI{n:03d}" for n in range(1, 15)}
    assert set(EXPECTED) == {code for code in CHECKS if code.startswith("ACI")}


def test_all_25_container_checks_are_listed_by_the_cli() -> None:
    result = CliRunner().invoke(app, ["checks"])
    assert result.exit_code == 0
    listed = {line.split()[0] for line in result.stdout.splitlines() if line[:3] in ("ACR", "ACI")}
    assert len(listed) == 25


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_expectations_in_the_sample_tenant(code: str, sample_audit: Audit) -> None:
    assert_expected(sample_audit.report.findings, code, EXPECTED[code])


def test_container_group_logs_through_diagnostic_settings(sample_audit: Audit) -> None:
    (jobs,) = _findings(sample_audit, "ACI012", JOBS)
    assert jobs.message == "container logs and events are sent by diagnostic setting(s) aci-to-law"
    (batch,) = _findings(sample_audit, "ACI012", BATCH)
    assert "no diagnostic setting sends ContainerInstanceLog" in batch.message
    (debug,) = _findings(sample_audit, "ACI012", DEBUG)
    assert debug.status is Status.ERROR and "HTTP 403" in debug.message
    # A container group's unreadable settings are no registry's or vault's logging finding.
    for code in ("LOG001", "LOG002", "LOG003", "LOG004"):
        assert not _findings(sample_audit, code, DEBUG), code


def _findings(sample_audit: Audit, code: str, resource: str) -> list[Finding]:
    return [f for f in sample_audit.report.findings if f.code == code and f.resource_name == resource]


def test_image_findings_name_the_container_image_and_registry(sample_audit: Audit) -> None:
    (agent,) = [f for f in _findings(sample_audit, "ACI001", TOOLS) if f.item == "agent"]
    assert "registry.contoso.example:5000/tools/agent:1.4.2" in agent.message
    assert "registry.contoso.example:5000" in agent.message
    (worker,) = _findings(sample_audit, "ACI001", WORKER)
    assert "nginx:latest" in worker.message and "docker.io" in worker.message
    (untagged,) = _findings(sample_audit, "ACI002", BATCH)
    assert "contosolegacyacr.azurecr.io/batch/reporter" in untagged.message


def test_aci001_names_cache_rules_and_registries_outside_the_audit(sample_audit: Audit) -> None:
    by_item = {f.item: f.message for f in _findings(sample_audit, "ACI001", JOBS)}
    assert "cache rule hub-nginx pulls it from docker.io/library/nginx on docker.io" in by_item["proxy"]
    assert "fabrikamtools.azurecr.io" in by_item["uploader"] and "not a registry of the audited" in by_item["uploader"]
    (web,) = _findings(sample_audit, "ACI001", WEB)
    assert web.status is Status.PASS and "cli through cache rule mirror-azure-cli from mcr.microsoft.com" in web.message
    # the default list is the audited registries' login servers and MCR, never *.azurecr.io
    assert "*.azurecr.io" not in web.message and "contosodevacr.azurecr.io" in web.message
    rules = {r.name: r for r in sample_audit.inventory.registry_cache_rules}  # both pages were read
    assert set(rules) == {"hub-nginx", "mirror-azure-cli"}
    assert rules["hub-nginx"].source_repository == "docker.io/library/nginx"


def test_credential_findings_name_container_and_variable_never_the_value(sample_audit: Audit) -> None:
    (env,) = _findings(sample_audit, "ACI003", WORKER)
    assert "worker" in env.message and "STORAGE_CONNECTION" in env.message
    (command,) = _findings(sample_audit, "ACI004", BATCH)
    assert "batch" in command.message and "argument 2" in command.message and "--db-password" in command.message
    (git,) = _findings(sample_audit, "ACI014", BATCH)
    assert "repo" in git.message and "github.com" in git.message
    for finding in sample_audit.report.findings:
        assert CANARY_MARK not in finding.message and CANARY_MARK not in (finding.item or "")
        assert "Secr3t" not in finding.message and "build-bot" not in finding.message


def test_security_contexts_of_standard_groups_are_not_applicable_once_per_group(sample_audit: Audit) -> None:
    for code in ("ACI005", "ACI006", "ACI007"):
        for name in STANDARD:
            (finding,) = _findings(sample_audit, code, name)
            assert finding.status is Status.SKIPPED and finding.item is None, (code, name)
            assert "Confidential container groups only" in finding.message and "Standard" in finding.message


def test_a_limit_above_the_request_names_both(sample_audit: Audit) -> None:
    (finding,) = _findings(sample_audit, "ACI008", WORKER)
    assert finding.message == (
        "container worker may use more than it requests: CPU up to 2 (request 1) and memory up to 4 GB (request 1.5 GB)"
    )


def test_the_demo_table_names_containers_variables_and_images_without_secrets() -> None:
    result = CliRunner().invoke(app, ["subscription", "--replay", str(SAMPLE_TENANT)])
    assert result.exit_code == 1
    out = result.stdout
    for code in ("ACI001", "ACI002", "ACI003", "ACI004", "ACI007", "ACI011", "ACI014", "ACR005", "ACR009"):
        assert code in out
    for words in ("aci-prod-worker", "STORAGE_CONNECTION", "REPORT_DB_PASSWORD", "GITHUB_TOKEN", "nginx:latest"):
        assert words in out, words
    assert "ghcr.io/contoso/netshoot:v0.13" in out
    assert "training-push" in out and "contosomlacr" in out
    assert CANARY_MARK not in result.stdout + result.stderr


def test_no_report_format_contains_a_planted_secret(sample_audit: Audit) -> None:
    for name, render in FORMATS.items():
        assert CANARY_MARK not in render(sample_audit.report), name


# ---------------------------------------------------------------------------- edge cases

GROUP_ID = "/subscriptions/sub-1/resourceGroups/rg/providers/Microsoft.ContainerInstance/containerGroups/{}"


def container(name: str = "app", image: str = "contoso.azurecr.io/app:1.0", **overrides: Any) -> Container:
    values: dict[str, Any] = {
        "name": name,
        "image": image,
        "init": False,
        "env": (),
        "command_credentials": (),
        "security_context": None,
        "resources": Resources(request_cpu=1.0, request_memory_gb=1.5),
    }
    values.update(overrides)
    return Container(**values)


def group(*containers: Container, name: str = "cg", **overrides: Any) -> ContainerGroup:
    values: dict[str, Any] = {
        "id": GROUP_ID.format(name),
        "name": name,
        "subscription_id": "sub-1",
        "resource_group": "rg",
        "location": "westeurope",
        "os_type": "Linux",
        "sku": "Standard",
        "containers": containers or (container(),),
        "ip_address_type": None,
        "ip_ports": (),
        "fqdn": None,
        "subnet_ids": (),
        "registry_credentials": (),
        "log_analytics_workspace_id": None,
        "encryption_key_vault": None,
        "volumes": (),
        "identity": Identity(),
    }
    values.update(overrides)
    return ContainerGroup(**values)


def run(code: str, *groups: ContainerGroup, settings: Settings | None = None, **context: Any) -> list[Finding]:
    inventory = Inventory(container_groups=groups, errors=context.pop("errors", ()))
    ctx = CheckContext(inventory=inventory, settings=settings or Settings(), now=NOW, **context)
    return evaluate(CHECKS[code], ctx)


def verdicts(findings: list[Finding]) -> set[tuple[Status, str | None]]:
    return {(f.status, f.item) for f in findings}


def approved(*registries: str) -> Settings:
    return Settings(registries=RegistrySettings(approved=registries))


audited_registry = registry_record


CONTOSO = audited_registry("contoso")


def rule(registry: Registry, name: str, source: str, target: str) -> CacheRule:
    return CacheRule(
        id=f"{registry.id}/cacheRules/{name}",
        name=name,
        subscription_id=registry.subscription_id,
        registry_id=registry.id,
        source_repository=source,
        target_repository=target,
    )


def run_aci001(
    *groups: ContainerGroup,
    registries: tuple[Registry, ...] = (CONTOSO,),
    rules: tuple[CacheRule, ...] = (),
    errors: tuple[CollectionError, ...] = (),
    settings: Settings | None = None,
) -> list[Finding]:
    inventory = Inventory(container_groups=groups, registries=registries, registry_cache_rules=rules, errors=errors)
    return evaluate(CHECKS["ACI001"], CheckContext(inventory=inventory, settings=settings or Settings(), now=NOW))


@pytest.mark.parametrize(
    ("image", "status"),
    [
        ("contoso.azurecr.io/app:1.0", Status.PASS),
        ("CONTOSO.AZURECR.IO/app:1.0", Status.PASS),
        ("mcr.microsoft.com/dotnet/aspnet:8.0", Status.PASS),
        ("attacker.azurecr.io/app:1.0", Status.FAIL),  # anyone can create a registry under azurecr.io
        ("nginx", Status.FAIL),  # docker.io
        ("library/nginx:1.27", Status.FAIL),
        ("docker.io/library/nginx:1.27", Status.FAIL),
        ("ghcr.io/contoso/tool:1.0", Status.FAIL),
        ("contoso.azurecr.io.evil.example/app:1.0", Status.FAIL),
        ("evilazurecr.io/app:1.0", Status.FAIL),
        ("contoso.azurecr.cn/app:1.0", Status.FAIL),
        ("localhost:5000/app:1.0", Status.FAIL),
    ],
)
def test_aci001_default_approved_registries_are_the_audited_ones_and_mcr(image: str, status: Status) -> None:
    (finding,) = run_aci001(group(container(image=image)))
    assert finding.status is status, finding.message


def test_aci001_without_audited_registries_only_mcr_is_approved() -> None:
    (finding,) = run_aci001(group(container(image="contoso.azurecr.io/app:1.0")), registries=())
    assert finding.status is Status.FAIL and "not a registry of the audited subscriptions" in finding.message
    (finding,) = run_aci001(group(container(image="mcr.microsoft.com/azure-cli:2.67.0")), registries=())
    assert finding.status is Status.PASS


@pytest.mark.parametrize(
    ("source", "target", "image", "status", "words"),
    [
        ("docker.io/library/nginx", "hub/nginx", "contoso.azurecr.io/hub/nginx:1.27", Status.FAIL, "docker.io"),
        ("docker.io/library/*", "library/*", "contoso.azurecr.io/library/redis:7", Status.FAIL, "docker.io"),
        ("docker.io/*", "*", "contoso.azurecr.io/anything/at/all:1", Status.FAIL, "docker.io"),
        ("library/nginx", "nginx", "contoso.azurecr.io/nginx:1", Status.FAIL, "docker.io"),  # no host: Docker Hub
        ("ghcr.io/contoso/tool", "tool", "contoso.azurecr.io/tool:1", Status.FAIL, "ghcr.io"),
        ("mcr.microsoft.com/azure-cli", "cli", "contoso.azurecr.io/cli:2.67.0", Status.PASS, "through cache rule r"),
        ("docker.io/library/nginx", "hub/nginx", "contoso.azurecr.io/hub/nginx2:1", Status.PASS, "approved registry"),
        ("docker.io/library/nginx", "hub/nginx", "contoso.azurecr.io/app:1.0", Status.PASS, "approved registry"),
    ],
)
def test_aci001_images_through_a_cache_rule_come_from_its_source(
    source: str, target: str, image: str, status: Status, words: str
) -> None:
    (finding,) = run_aci001(group(container(image=image)), rules=(rule(CONTOSO, "r", source, target),))
    assert finding.status is status and words in finding.message, finding.message


def test_aci001_the_most_specific_cache_rule_wins() -> None:
    rules = (
        rule(CONTOSO, "everything", "docker.io/*", "*"),
        rule(CONTOSO, "cli", "mcr.microsoft.com/azure-cli", "tools/cli"),
    )
    (finding,) = run_aci001(group(container(image="contoso.azurecr.io/tools/cli:2.67.0")), rules=rules)
    assert finding.status is Status.PASS and "cache rule cli" in finding.message


def test_aci001_unreadable_cache_rules_are_an_error_never_a_pass() -> None:
    lost = CollectionError(
        dataset=Dataset.REGISTRY_CACHE_RULES,
        subscription_id="sub-1",
        resource_id=CONTOSO.id,
        resource_name=CONTOSO.name,
        operation="cacheRules.list",
        status_code=403,
        reason="AuthorizationFailed",
    )
    checked = group(container("a", image="contoso.azurecr.io/app:1.0"), container("b", image="mcr.microsoft.com/x:1"))
    findings = run_aci001(checked, errors=(lost,))
    assert {(f.status, f.resource_name, f.item) for f in findings} == {
        (Status.ERROR, "cg", "a"),  # its registry might serve public content
        (Status.ERROR, "contoso", None),  # the registry whose cache rules were lost
    }
    assert "registry-cache-rules of contoso not collected (HTTP 403" in next(f.message for f in findings if not f.item)


def test_aci001_registries_other_shard_jobs_audit_are_approved_with_their_cache_rules() -> None:
    other = KnownRegistry(
        id="/subscriptions/sub-2/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/shared",
        name="shared",
        login_server="shared.azurecr.io",
        cache_rules=(rule(audited_registry("shared"), "hub", "docker.io/library/redis", "redis"),),
    )
    unread = KnownRegistry(id="x", name="unread", login_server="unread.azurecr.io", cache_rules_read=False)
    checked = group(
        container("own", image="shared.azurecr.io/app:1.0"),
        container("hub", image="shared.azurecr.io/redis:7.2"),
        container("unknown", image="unread.azurecr.io/app:1.0"),
    )
    inventory = Inventory(container_groups=(checked,), registry_directory=(other, unread))
    findings = evaluate(CHECKS["ACI001"], CheckContext(inventory=inventory, settings=Settings(), now=NOW))
    assert verdicts(findings) == {(Status.FAIL, "hub"), (Status.ERROR, "unknown")}


def test_aci001_a_registry_listed_but_unreadable_is_audited_and_its_images_not_assessed() -> None:
    broken = CollectionError(
        dataset=Dataset.REGISTRIES,
        subscription_id="sub-1",
        resource_id=audited_registry("broken").id,
        resource_name="broken",
        operation="registries.list",
        reason="unusable answer: its properties are null",
    )
    checked = group(container("a", image="broken.azurecr.io/app:1.0"))
    findings = run_aci001(checked, registries=(), errors=(broken,))
    assert {(f.status, f.resource_name, f.item) for f in findings} == {
        (Status.ERROR, "cg", "a"),
        (Status.ERROR, "broken", None),
    }


def test_aci001_configured_registries_replace_the_default() -> None:
    settings = approved("contosoprodacr.azurecr.io", "ghcr.io")
    checked = group(
        container("a", image="contosoprodacr.azurecr.io/app:1.0"),
        container("b", image="ghcr.io/contoso/tool:1.0"),
        container("c", image="contosodevacr.azurecr.io/app:1.0"),
        container("d", image="mcr.microsoft.com/azure-cli:2.67.0"),
    )
    assert verdicts(run("ACI001", checked, settings=settings)) == {(Status.FAIL, "c"), (Status.FAIL, "d")}


def test_aci001_and_aci002_report_an_unparsable_image_without_crashing() -> None:
    broken = group(container("bad", image="UPPER/Case Image:@@"), container("ok"))
    for code in ("ACI001", "ACI002"):
        findings = run_aci001(broken) if code == "ACI001" else run(code, broken)
        assert verdicts(findings) == {(Status.FAIL, "bad")}, code
        assert "cannot be parsed" in findings[0].message


@pytest.mark.parametrize(
    ("image", "status", "words"),
    [
        ("contoso.azurecr.io/app", Status.FAIL, "no tag"),
        ("contoso.azurecr.io/app:latest", Status.FAIL, "latest"),
        ("contoso.azurecr.io/app:1.4.2", Status.PASS, ""),
        ("contoso.azurecr.io/app@sha256:" + "a" * 64, Status.PASS, ""),
        ("contoso.azurecr.io/app:latest@sha256:" + "b" * 64, Status.PASS, ""),
        ("localhost:5000/app", Status.FAIL, "no tag"),
    ],
)
def test_aci002_mutable_references(image: str, status: Status, words: str) -> None:
    (finding,) = run("ACI002", group(container(image=image)))
    assert finding.status is status and words in finding.message


def test_aci003_secure_and_unclassified_variables_pass() -> None:
    env = (
        EnvVar(name="DB_PASSWORD", secure=True, has_value=False),
        EnvVar(name="LOG_LEVEL", secure=False, has_value=True),
    )
    (finding,) = run("ACI003", group(container(env=env)))
    assert finding.status is Status.PASS and "1 secure variable" in finding.message


def test_aci003_one_finding_per_variable_including_init_containers() -> None:
    leaked = EnvVar(name="SAS", secure=False, has_value=True, credential_kind="sas-token")
    named = EnvVar(name="API_KEY", secure=False, has_value=True, credential_kind="secret-named-variable")
    checked = group(container("app", env=(leaked, named)), container("init", init=True, env=(leaked,)))
    findings = run("ACI003", checked)
    assert verdicts(findings) == {(Status.FAIL, "app/SAS"), (Status.FAIL, "app/API_KEY"), (Status.FAIL, "init/SAS")}
    assert any("init container init" in f.message for f in findings)


def test_aci004_names_the_argument_position_and_flag() -> None:
    hits = (
        CommandCredential(position=3, kind="password-argument", flag="--password"),
        CommandCredential(position=5, kind="jwt", flag=None),
        CommandCredential(position=2, kind="secret-named-variable", flag="DB_PASSWORD"),
    )
    findings = run("ACI004", group(container("job", command_credentials=hits)))
    assert verdicts(findings) == {
        (Status.FAIL, "job/command[3]"),
        (Status.FAIL, "job/command[5]"),
        (Status.FAIL, "job/command[2]"),
    }
    messages = " ".join(f.message for f in findings)
    assert "after --password" in messages and "in DB_PASSWORD=" in messages and "argument 5" in messages


def confidential(*containers: Container, **overrides: Any) -> ContainerGroup:
    return group(*containers, sku="Confidential", confidential=True, **overrides)


NO_ESCALATION = SecurityContext(allow_privilege_escalation=False)


@pytest.mark.parametrize(
    ("sku", "os_type", "words"),
    [
        ("Standard", "Linux", "SKU is Standard"),
        ("Dedicated", "Linux", "SKU is Dedicated"),
        (None, "Linux", "SKU is Standard"),  # absent: Azure's default SKU
        ("Confidential", "Windows", "Windows"),
    ],
)
def test_aci005_to_aci007_apply_only_to_confidential_linux_groups(sku: str | None, os_type: str, words: str) -> None:
    # Even a security context that would FAIL (Azure never returns one on these groups).
    root = SecurityContext(privileged=True, run_as_user=0, allow_privilege_escalation=True)
    checked = group(
        container("a", security_context=root),
        container("b", security_context=root),
        sku=sku,
        os_type=os_type,
        confidential=sku == "Confidential",
    )
    for code in ("ACI005", "ACI006", "ACI007"):
        (finding,) = run(code, checked)
        assert finding.status is Status.SKIPPED and finding.item is None, code
        assert "not applicable" in finding.message and words in finding.message, code


def test_aci005_privileged_containers_of_a_confidential_group() -> None:
    checked = confidential(
        container("app", security_context=SecurityContext(privileged=False)),
        container("none"),  # absent: not privileged (confcom's allow_elevated false)
        container("init", init=True, security_context=SecurityContext(privileged=True)),
    )
    findings = run("ACI005", checked)
    assert verdicts(findings) == {(Status.FAIL, "init")}
    assert findings[0].message == "init container init runs privileged"
    (finding,) = run("ACI005", confidential(container("app")))
    assert finding.status is Status.PASS


@pytest.mark.parametrize(
    ("context", "status", "words"),
    [
        (NO_ESCALATION, Status.PASS, ""),
        (SecurityContext(allow_privilege_escalation=False, capabilities_drop=("ALL",)), Status.PASS, ""),
        # Adding back a capability of the runtime's default set grants nothing new.
        (
            SecurityContext(
                allow_privilege_escalation=False, capabilities_add=("NET_BIND_SERVICE",), capabilities_drop=("ALL",)
            ),
            Status.PASS,
            "",
        ),
        (SecurityContext(allow_privilege_escalation=False, capabilities_add=("cap_chown",)), Status.PASS, ""),
        # Absent allowPrivilegeEscalation: Azure's default (no_new_privileges false) allows it.
        (None, Status.FAIL, "does not set allowPrivilegeEscalation to false"),
        (SecurityContext(), Status.FAIL, "does not set allowPrivilegeEscalation to false"),
        (SecurityContext(allow_privilege_escalation=True), Status.FAIL, "allows privilege escalation"),
        (
            SecurityContext(allow_privilege_escalation=False, capabilities_add=("SYS_ADMIN", "NET_BIND_SERVICE")),
            Status.FAIL,
            "adds capabilities SYS_ADMIN",
        ),
        (SecurityContext(allow_privilege_escalation=False, capabilities_add=("CAP_NET_ADMIN",)), Status.FAIL, "CAP_"),
        (SecurityContext(privileged=True), Status.PASS, ""),  # ACI005's finding, not repeated
        (SecurityContext(privileged=True, capabilities_add=("SYS_PTRACE",)), Status.FAIL, "SYS_PTRACE"),
    ],
)
def test_aci006_escalation_and_capabilities(context: SecurityContext | None, status: Status, words: str) -> None:
    (finding,) = run("ACI006", confidential(container(security_context=context)))
    assert finding.status is status and words in finding.message


def test_aci007_root_unknown_and_non_root() -> None:
    checked = confidential(
        container("root", security_context=SecurityContext(run_as_user=0)),
        container("unset", security_context=SecurityContext(run_as_group=0)),
        container("none"),
        container("init-root", init=True, security_context=SecurityContext(run_as_user=0)),
        container("user", security_context=SecurityContext(run_as_user=1000)),
    )
    findings = run("ACI007", checked)
    assert verdicts(findings) == {
        (Status.FAIL, "root"),
        (Status.FAIL, "init-root"),
        (Status.SKIPPED, "unset"),
        (Status.SKIPPED, "none"),
    }
    (finding,) = run("ACI007", confidential(container("user", security_context=SecurityContext(run_as_user=1000))))
    assert finding.status is Status.PASS
    (finding,) = run("ACI007", confidential(container("none")))
    assert finding.status is Status.SKIPPED and "not visible from the control plane" in finding.message


@pytest.mark.parametrize(
    ("resources", "status", "words"),
    [
        # No limit: the request is the most the container may use (Microsoft Learn).
        (Resources(request_cpu=1.0, request_memory_gb=1.5), Status.PASS, ""),
        (Resources(request_cpu=1.0, request_memory_gb=1.5, limit_cpu=1.0, limit_memory_gb=1.5), Status.PASS, ""),
        (Resources(request_cpu=2.0, request_memory_gb=4.0, limit_cpu=1.0), Status.PASS, ""),
        (Resources(request_cpu=1.0, request_memory_gb=1.5, limit_cpu=2.0), Status.FAIL, "CPU up to 2 (request 1)"),
        (
            Resources(request_cpu=1.0, request_memory_gb=1.5, limit_memory_gb=3.5),
            Status.FAIL,
            "memory up to 3.5 GB (request 1.5 GB)",
        ),
        (Resources(limit_cpu=0.5), Status.FAIL, "a CPU limit of 0.5 with no CPU request"),
    ],
)
def test_aci008_limit_above_request(resources: Resources, status: Status, words: str) -> None:
    (finding,) = run("ACI008", group(container("app", resources=resources)))
    assert finding.status is status and words in finding.message


def test_aci008_init_containers_have_no_resources() -> None:
    checked = group(
        container("app", resources=Resources(request_cpu=1.0, request_memory_gb=1.5)),
        container("init", init=True, resources=Resources(limit_cpu=4.0)),
        container("greedy", resources=Resources(request_cpu=1.0, request_memory_gb=1.5, limit_cpu=2.0)),
    )
    assert verdicts(run("ACI008", checked)) == {(Status.FAIL, "greedy")}


def test_aci009_and_aci010_network() -> None:
    public = group(ip_address_type="Public", ip_ports=(80, 443), fqdn="x.westeurope.azurecontainer.io")
    (finding,) = run("ACI009", public)
    assert finding.status is Status.FAIL and "80, 443" in finding.message and "x.westeurope" in finding.message
    (finding,) = run("ACI009", group(ip_address_type="Private"))
    assert finding.status is Status.PASS
    subnet = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/snet-a"
    (finding,) = run("ACI010", group(subnet_ids=(subnet,)))
    assert finding.status is Status.PASS and "snet-a" in finding.message
    (finding,) = run("ACI010", group())
    assert finding.status is Status.FAIL
    (finding,) = run("ACI010", group(ip_address_type="Public"))
    assert finding.status is Status.FAIL
    # Azure Policy 8af8f826: a Private address is compliant even without subnetIds.
    (finding,) = run("ACI010", group(ip_address_type="Private"))
    assert finding.status is Status.PASS and "private IP address" in finding.message


# The Azure Policy built-in definitions that test the same control (GUIDs read from
# Azure/azure-policy, built-in-policies/policyDefinitions/Container Instance[s]).
POLICIES = {
    "ACI010": ("8af8f826-edcb-4178-b35f-851ea6fea615",),  # container group should deploy into a virtual network
    "ACI012": (
        "41ebf9df-66cb-48e9-a8d0-98afb4e150ce",  # configure diagnostic settings for container groups
        "21c469fa-a887-4363-88a9-60bfd6911a15",  # configure diagnostics (logAnalytics) for container group
    ),
    "ACI013": ("0aa61e00-0a01-4a3c-9945-e93cffedf0e6",),  # container group should use customer-managed key
}


@pytest.mark.parametrize("code", [f"ACI{n:03d}" for n in range(2, 15)])
def test_azure_policy_definitions_of_each_check(code: str) -> None:
    meta = CHECKS[code].meta
    assert meta.policies == POLICIES.get(code, ())
    if meta.policies:
        assert any("azure-policy" in reference for reference in meta.docs.references), code
    else:  # the check says that no built-in definition tests the control
        assert "No Azure Policy built-in definition" in " ".join(meta.docs.decisions.split()), code


def test_aci011_password_credentials() -> None:
    credentials = (
        RegistryCredential(server="a.azurecr.io", username="a", identity=None),
        RegistryCredential(server="b.azurecr.io", username=None, identity="/identities/x"),
        RegistryCredential(server="c.azurecr.io", username="c", identity="/identities/x"),
    )
    assert verdicts(run("ACI011", group(registry_credentials=credentials))) == {(Status.FAIL, "a.azurecr.io")}


WORKSPACE = "/subscriptions/sub-1/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/law"


def setting(name: str, *logs: tuple[str | None, str | None, bool], destination: bool = True) -> DiagnosticSetting:
    return DiagnosticSetting(
        id=f"{GROUP_ID.format('cg')}/providers/microsoft.insights/diagnosticSettings/{name}",
        name=name,
        subscription_id="sub-1",
        resource_id=GROUP_ID.format("cg"),
        logs=tuple(LogEntry(category=c, category_group=g, enabled=e) for c, g, e in logs),
        workspace_id=WORKSPACE if destination else None,
        storage_account_id=None,
        event_hub_authorization_rule_id=None,
    )


LOG = ("ContainerInstanceLog", None, True)
EVENT = ("ContainerEvent", None, True)


@pytest.mark.parametrize(
    ("settings", "status", "words"),
    [
        ((setting("all", (None, "allLogs", True)),), Status.PASS, "setting(s) all"),
        ((setting("both", LOG, EVENT),), Status.PASS, "setting(s) both"),
        ((setting("a", LOG), setting("b", ("containerevent", None, True))), Status.PASS, "setting(s) a, b"),
        ((), Status.FAIL, "no Log Analytics workspace, no diagnostic setting"),
        ((setting("logs", LOG),), Status.FAIL, "sends ContainerEvent"),
        ((setting("off", ("ContainerInstanceLog", None, False), EVENT),), Status.FAIL, "sends ContainerInstanceLog"),
        ((setting("nowhere", LOG, EVENT, destination=False),), Status.FAIL, "ContainerEvent, ContainerInstanceLog"),
        ((setting("audit", (None, "audit", True)),), Status.FAIL, "1 setting(s)"),
    ],
)
def test_aci012_diagnostic_settings(settings: tuple[DiagnosticSetting, ...], status: Status, words: str) -> None:
    inventory = Inventory(container_groups=(group(),), diagnostic_settings=settings)
    (finding,) = evaluate(CHECKS["ACI012"], CheckContext(inventory=inventory, settings=Settings(), now=NOW))
    assert finding.status is status and words in finding.message


def test_aci012_log_analytics_workspace_is_enough() -> None:
    (finding,) = run("ACI012", group(log_analytics_workspace_id="ws-guid"))
    assert finding.status is Status.PASS


def test_aci012_unreadable_settings_are_an_error_for_that_group_only() -> None:
    lost = CollectionError(
        dataset=Dataset.CONTAINER_GROUP_DIAGNOSTICS,
        subscription_id="sub-1",
        resource_id=GROUP_ID.format("cg"),
        resource_name="cg",
        operation="diagnosticSettings.list",
        status_code=404,
    )
    registry = CollectionError(
        dataset=Dataset.DIAGNOSTIC_SETTINGS,
        subscription_id="sub-1",
        resource_id="/subscriptions/sub-1/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acr",
        resource_name="acr",
        status_code=403,
    )
    findings = run("ACI012", group(name="cg"), group(name="other"), errors=(lost, registry))
    assert {(f.resource_name, f.status) for f in findings} == {("cg", Status.ERROR), ("other", Status.FAIL)}


@pytest.mark.parametrize(
    ("vault", "key", "status", "words"),
    [
        ("https://kv.vault.azure.net", "cmk-aci", Status.PASS, "key cmk-aci from https://kv.vault.azure.net"),
        # Azure Policy 0aa61e00: non-compliant when vaultBaseUrl or keyName does not exist.
        ("https://kv.vault.azure.net", None, Status.FAIL, "no keyName"),
        (None, "cmk-aci", Status.FAIL, "no vaultBaseUrl"),
        (None, None, Status.FAIL, "Microsoft-managed keys only"),
    ],
)
def test_aci013_needs_a_vault_and_a_key_name(vault: str | None, key: str | None, status: Status, words: str) -> None:
    (finding,) = run("ACI013", group(encryption_key_vault=vault, encryption_key_name=key))
    assert finding.status is status and words in finding.message


def git_group(*urls: str) -> ContainerGroup:
    """A container group record collected from its ARM JSON (the collector classifies each URL)."""
    body = {
        "id": GROUP_ID.format("git"),
        "name": "git",
        "location": "westeurope",
        "properties": {
            "osType": "Linux",
            "containers": [
                {
                    "name": "app",
                    "properties": {
                        "image": "contoso.azurecr.io/app:1.0",
                        "resources": {"requests": {"memoryInGB": 1.5, "cpu": 1.0}},
                    },
                }
            ],
            "volumes": [{"name": f"repo{i}", "gitRepo": {"repository": url}} for i, url in enumerate(urls)],
        },
    }
    return container_group_record(body, "sub-1")


ADO_PAT = "q" * 20 + "7" * 12 + "a" * 20  # 52 base32 characters: a personal access token's shape


@pytest.mark.parametrize(
    ("url", "status", "words"),
    [
        ("https://github.com/contoso/ops.git", Status.PASS, ""),
        ("https://contoso@dev.azure.com/contoso/platform/_git/pipelines", Status.PASS, ""),
        ("ssh://git@ssh.dev.azure.com/v3/contoso/platform/pipelines", Status.PASS, ""),
        ("git@github.com:contoso/ops.git", Status.PASS, ""),
        ("https://build-bot@github.com/contoso/ops.git", Status.PASS, ""),  # a user name is not a secret
        ("https://user:@github.com/contoso/ops.git", Status.PASS, ""),  # empty password
        ("https://user:${GIT_TOKEN}@github.com/contoso/ops.git", Status.PASS, ""),  # placeholder
        ("https://[::1/broken", Status.PASS, ""),  # unparsable authority, nothing embedded
        (f"https://build-bot:{CANARY_MARK}-Secr3t@github.com/c/o.git", Status.FAIL, "a password embedded"),
        (f"https://x-access-token:ghs_{CANARY_MARK}abcdefghij12@github.com/c/o.git", Status.FAIL, "password"),
        (f"https://oauth2:glpat-{CANARY_MARK}abcdefghij@gitlab.com/c/o.git", Status.FAIL, "password"),
        (f"https://user:p%40ss{CANARY_MARK}@dev.azure.com/c/p/_git/r", Status.FAIL, "password"),
        (f"https://ghp_{CANARY_MARK}abcdefghij1234@github.com/c/o.git", Status.FAIL, "looks like a github token"),
        (f"https://{ADO_PAT}@dev.azure.com/contoso/p/_git/r", Status.FAIL, "looks like a token"),
        (f"https://{CANARY_MARK}Xy9-Qw8-Er7-Ty6@github.com/c/o.git", Status.FAIL, "as the user name"),
    ],
)
def test_aci014_git_url_shapes(url: str, status: Status, words: str) -> None:
    (finding,) = run("ACI014", git_group(url))
    assert finding.status is status, finding.message
    assert words in finding.message
    assert CANARY_MARK not in finding.message and "Secr3t" not in finding.message and ADO_PAT not in finding.message
    assert "build-bot" not in finding.message and "x-access-token" not in finding.message


def test_aci014_names_the_volume_and_host_and_never_keeps_the_url() -> None:
    checked = git_group("https://github.com/contoso/ops.git", f"https://u:{CANARY_MARK}pw@dev.azure.com/c/p/_git/r")
    assert CANARY_MARK not in repr(checked)
    findings = run("ACI014", checked)
    assert verdicts(findings) == {(Status.FAIL, "repo1")}
    assert "gitRepo volume repo1 clones from dev.azure.com" in findings[0].message


def test_container_groups_not_collected_are_errors_never_passes() -> None:
    lost = CollectionError(
        dataset=Dataset.CONTAINER_GROUPS, subscription_id="sub-1", operation="containerGroups.list", status_code=403
    )
    for code in EXPECTED:
        findings = run(code, errors=(lost,))
        assert [f.status for f in findings] == [Status.ERROR], code


def test_approved_registries_from_the_command_line_change_aci001() -> None:
    audit = audit_replay(select=("ACI001",), approved_registries=("ghcr.io", "*.azurecr.io"))
    findings = audit.report.findings
    assert DEBUG in names(findings, "ACI001", Status.PASS)
    assert f"{BATCH}/fetch-config" in names(findings, "ACI001", Status.FAIL)
    assert f"{TOOLS}/cli" in names(findings, "ACI001", Status.FAIL)  # mcr.microsoft.com is no longer approved


_C = "properties.containers[].properties"
_SC = f"{_C}.securityContext"
_ENV = f"{_C}.environmentVariables[]"
_RES = f"{_C}.resources"
# code: (the evidence keys of one FAIL, of one PASS) in the sample tenant
_EVIDENCE_KEYS: dict[str, tuple[set[str], set[str]]] = {
    "ACI001": ({"properties.initContainers[].properties.image"}, {f"{_C}.image"}),
    "ACI002": ({f"{_C}.image"}, {f"{_C}.image"}),
    "ACI003": ({f"{_ENV}.name", f"{_ENV}.value", f"{_ENV}.secureValue"}, {f"{_ENV}.value", f"{_ENV}.secureValue"}),
    "ACI004": ({f"{_C}.command[2]"}, {f"{_C}.command"}),
    "ACI005": ({f"{_SC}.privileged"}, {f"{_SC}.privileged"}),
    "ACI006": (
        {f"{_SC}.allowPrivilegeEscalation", f"{_SC}.capabilities.add"},
        {f"{_SC}.allowPrivilegeEscalation", f"{_SC}.capabilities.add"},
    ),
    "ACI007": ({f"{_SC}.runAsUser"}, {f"{_SC}.runAsUser"}),
    "ACI008": (
        {f"{_RES}.requests.cpu", f"{_RES}.limits.cpu", f"{_RES}.requests.memoryInGB", f"{_RES}.limits.memoryInGB"},
        {f"{_RES}.limits"},
    ),
    "ACI009": ({"properties.ipAddress.type", "properties.ipAddress.ports"}, {"properties.ipAddress.type"}),
    "ACI010": (
        {"properties.subnetIds", "properties.ipAddress.type"},
        {"properties.subnetIds", "properties.ipAddress.type"},
    ),
    "ACI011": (
        {
            "properties.imageRegistryCredentials[].server",
            "properties.imageRegistryCredentials[].username",
            "properties.imageRegistryCredentials[].identity",
        },
        {"properties.imageRegistryCredentials"},
    ),
    "ACI012": (
        {"properties.diagnostics.logAnalytics", "diagnosticSettings", "diagnosticSettings[].properties.logs"},
        {"properties.diagnostics.logAnalytics.workspaceId"},
    ),
    "ACI013": (
        {"properties.encryptionProperties.vaultBaseUrl", "properties.encryptionProperties.keyName"},
        {"properties.encryptionProperties.vaultBaseUrl", "properties.encryptionProperties.keyName"},
    ),
    "ACI014": (
        {"properties.volumes[].name", "properties.volumes[].gitRepo.repository"},
        {"properties.volumes[].gitRepo.repository"},
    ),
}


@pytest.mark.parametrize("code", sorted(_EVIDENCE_KEYS))
def test_evidence_names_the_observed_arm_properties(code: str, sample_audit: Audit) -> None:
    fail_keys, pass_keys = _EVIDENCE_KEYS[code]
    judged = [f for f in sample_audit.report.findings if f.code == code and f.status in (Status.PASS, Status.FAIL)]
    assert all(isinstance(f.evidence, dict) and f.evidence for f in judged), code
    keys = {(f.status, frozenset(f.evidence)) for f in judged if isinstance(f.evidence, dict)}
    assert (Status.FAIL, frozenset(fail_keys)) in keys, keys
    assert (Status.PASS, frozenset(pass_keys)) in keys, keys


def test_evidence_never_holds_a_secret_value_or_command_line(sample_audit: Audit) -> None:
    for finding in sample_audit.report.findings:
        if not finding.code.startswith("ACI") or not isinstance(finding.evidence, dict):
            continue
        for key, value in finding.evidence.items():
            for text in (key, value):
                assert CANARY_MARK not in text and "Secr3t" not in text and "build-bot" not in text, finding
    (command,) = _findings(sample_audit, "ACI004", BATCH)
    assert command.evidence == {f"{_C}.command[2]": "credential-like argument after --db-password (value not shown)"}
    (env,) = _findings(sample_audit, "ACI003", WORKER)
    assert isinstance(env.evidence, dict) and env.evidence[f"{_ENV}.name"] == "STORAGE_CONNECTION"
