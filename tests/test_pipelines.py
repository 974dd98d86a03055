"""The CI templates: validated against the Azure Pipelines and GitHub workflow schemas and the
tasks' own input definitions (tests/schemas/pipelines/README.md says where each comes from), their
inline scripts parsed and run against a stand-in azaudit, and the baseline and attempt rules of
pipelines/scripts/azaudit_artifacts.py run against fake run artifacts."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest
import yaml

from tests.conftest import ROOT

PIPELINES = ROOT / "pipelines"
SCHEMAS = Path(__file__).parent / "schemas" / "pipelines"
AZURE_TEMPLATES = ("azure-pipelines.yml", "azure-pipelines-sharded.yml")
GITHUB_WORKFLOW = PIPELINES / "github-actions.yml"


def _helper() -> ModuleType:
    spec = importlib.util.spec_from_file_location("azaudit_artifacts", PIPELINES / "scripts" / "azaudit_artifacts.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


artifacts = _helper()


def _load(name: str) -> dict[str, Any]:
    document = yaml.safe_load((PIPELINES / name).read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def _steps(pipeline: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from pipeline.get("steps", [])
    for job in pipeline.get("jobs", []):
        yield from job.get("steps", [])


def _tasks(pipeline: dict[str, Any]) -> Iterator[dict[str, Any]]:
    return (step for step in _steps(pipeline) if "task" in step)


# ---------------------------------------------------------------------------- schema and task inputs


def _azure_validator() -> jsonschema.protocols.Validator:
    """Azure Pipelines reads every YAML scalar as a string (hence yaml.BaseLoader below); where the
    service schema asks for a boolean or a number, the string must spell one."""

    def boolean(_checker: object, value: object) -> bool:
        return isinstance(value, str) and value.lower() in ("true", "false")

    def number(_checker: object, value: object) -> bool:
        return isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value) is not None

    checker = jsonschema.Draft7Validator.TYPE_CHECKER.redefine_many(
        {"boolean": boolean, "number": number, "integer": number}
    )
    schema = json.loads((SCHEMAS / "azure-pipelines-service-schema.json").read_text(encoding="utf-8"))
    return jsonschema.validators.extend(jsonschema.Draft7Validator, type_checker=checker)(schema)


def _as_azure_reads_it(name: str) -> dict[str, Any]:
    document = yaml.load((PIPELINES / name).read_text(encoding="utf-8"), Loader=yaml.BaseLoader)  # noqa: S506
    assert isinstance(document, dict)
    return document


@pytest.mark.parametrize("name", AZURE_TEMPLATES)
def test_azure_template_validates_against_the_azure_pipelines_schema(name: str) -> None:
    assert [e.message for e in _azure_validator().iter_errors(_as_azure_reads_it(name))] == []


def test_the_schema_check_can_fail() -> None:
    validator = _azure_validator()
    broken = _as_azure_reads_it("azure-pipelines.yml")
    broken["steps"][1]["inputs"]["pythonVersion"] = "3.12"  # not an input of UsePythonVersion@0
    assert not validator.is_valid(broken)
    broken = _as_azure_reads_it("azure-pipelines.yml")
    broken["steps"][-1]["continueOnError"] = "maybe"
    assert not validator.is_valid(broken)
    assert not validator.is_valid({**_as_azure_reads_it("azure-pipelines.yml"), "stepz": []})


TASK_INPUTS = json.loads((SCHEMAS / "azure-pipelines-task-inputs.json").read_text(encoding="utf-8"))["tasks"]


def _visible(rule: str, values: dict[str, str]) -> bool:
    """Evaluate a task.json visibleRule (``a = b``, ``a == b``, ``a != b``, joined by && or ||)."""
    if not rule:
        return True
    joiner = "&&" if "&&" in rule else "||"
    results = []
    for clause in rule.split(joiner):
        name, op, expected = re.match(r"\s*(\w+)\s*(!=|==|=)\s*(\S+)\s*$", clause).groups()  # type: ignore[union-attr]
        actual = values.get(name, "")
        results.append(actual.lower() != expected.lower() if op == "!=" else actual.lower() == expected.lower())
    return all(results) if joiner == "&&" else any(results)


def _input_problems(task: str, given: dict[str, Any]) -> list[str]:
    definition = TASK_INPUTS.get(task)
    if definition is None:
        return [f"{task}: no vendored definition"]
    by_name: dict[str, dict[str, Any]] = {}
    for spec in definition["inputs"]:
        for key in (spec["name"], *spec["aliases"]):
            by_name[key.lower()] = spec
    problems = []
    values: dict[str, str] = {spec["name"]: spec["defaultValue"] for spec in definition["inputs"]}
    for key, value in given.items():
        spec = by_name.get(key.lower())
        if spec is None:
            problems.append(f"{task}: unknown input {key!r}")
            continue
        values[spec["name"]] = str(value).lower() if isinstance(value, bool) else str(value)
    for key in given:
        spec = by_name.get(key.lower())
        if spec is None:
            continue
        text = values[spec["name"]]
        if spec["options"] and "$(" not in text and "${{" not in text and text not in spec["options"]:
            problems.append(f"{task}: {key}={text!r} is not one of {spec['options']}")
        if not _visible(spec["visibleRule"], values):
            problems.append(f"{task}: {key} is ignored ({spec['visibleRule']!r} does not hold)")
    for spec in definition["inputs"]:
        present = any(key.lower() in {spec["name"].lower(), *(a.lower() for a in spec["aliases"])} for key in given)
        if spec["required"] and not spec["defaultValue"] and not present and _visible(spec["visibleRule"], values):
            problems.append(f"{task}: required input {spec['name']!r} missing")
    return problems


@pytest.mark.parametrize("name", AZURE_TEMPLATES)
def test_every_task_input_is_known_and_every_required_one_present(name: str) -> None:
    problems = [p for step in _tasks(_load(name)) for p in _input_problems(step["task"], step.get("inputs", {}))]
    assert problems == []


def test_the_task_input_check_can_fail() -> None:
    download = {"buildType": "specific", "project": "p", "definition": "1", "buildVersionToDownload": "specific"}
    assert _input_problems("DownloadPipelineArtifact@2", download) == [
        "DownloadPipelineArtifact@2: required input 'runId' missing"
    ]
    assert _input_problems("DownloadPipelineArtifact@2", {**download, "runId": "7", "tags": "t"}) == [
        "DownloadPipelineArtifact@2: tags is ignored ('source == specific && runVersion != specific' does not hold)"
    ]
    assert "unknown input 'artifactname2'" in _input_problems("PublishPipelineArtifact@1", {"artifactname2": "x"})[0]
    assert _input_problems("AzureCLI@2", {"azureSubscription": "c", "scriptType": "zsh", "inlineScript": "x"}) == [
        "AzureCLI@2: scriptType='zsh' is not one of ['bash', 'batch', 'ps', 'pscore']",
        "AzureCLI@2: inlineScript is ignored ('scriptLocation = inlineScript' does not hold)",
        "AzureCLI@2: required input 'scriptPath' missing",
    ]


# ---------------------------------------------------------------------------- the rules in the templates


@pytest.mark.parametrize("name", [*AZURE_TEMPLATES, "github-actions.yml"])
def test_azaudit_is_installed_from_a_checkout_never_by_name(name: str) -> None:
    text = (PIPELINES / name).read_text(encoding="utf-8")
    installs = [line for line in text.splitlines() if "pip install" in line and not line.lstrip().startswith("#")]
    assert installs
    for line in installs:
        words = shlex.split(line.split("run:", 1)[-1].split("script:", 1)[-1])
        targets = [w for w in words[words.index("install") + 1 :] if not w.startswith("-")]
        assert targets in (["$(Build.SourcesDirectory)"], ["."]), line
    assert not re.search(r"pip install[^\n]*\sazaudit(\s|$|[=<>])", text)


@pytest.mark.parametrize("name", AZURE_TEMPLATES)
def test_the_service_connection_is_resolved_at_compile_time(name: str) -> None:
    pipeline = _load(name)
    connections = [s["inputs"]["azureSubscription"] for s in _tasks(pipeline) if s["task"] == "AzureCLI@2"]
    assert connections == ["${{ parameters.serviceConnection }}"]
    parameter = next(p for p in pipeline["parameters"] if p["name"] == "serviceConnection")
    assert parameter["type"] == "string" and parameter["default"]


@pytest.mark.parametrize("name", AZURE_TEMPLATES)
def test_artifacts_are_named_per_attempt_and_sarif_goes_to_code_analysis_logs(name: str) -> None:
    published = [s["inputs"]["artifact"] for s in _tasks(_load(name)) if s["task"] == "PublishPipelineArtifact@1"]
    assert "CodeAnalysisLogs" in published
    assert all("$(System.JobAttempt)" in a for a in published if a != "CodeAnalysisLogs")
    downloads = [s["inputs"] for s in _tasks(_load(name)) if s["task"] == "DownloadPipelineArtifact@2"]
    for download in downloads:
        assert "artifactName" not in download  # per-attempt names: patterns, not one name
    baseline = next(d for d in downloads if d["buildType"] == "specific")
    assert baseline["tags"] == artifacts.TAG
    assert baseline["allowFailedBuilds"] is True and baseline["allowPartiallySucceededBuilds"] is True
    assert baseline["itemPattern"] == "azaudit-reports-attempt-*/**"


def test_the_sharded_template_splits_and_merges() -> None:
    pipeline = _load("azure-pipelines-sharded.yml")
    audit, merge = pipeline["jobs"]
    assert audit["strategy"]["parallel"] == "${{ parameters.shards }}"
    script = next(s for s in audit["steps"] if s.get("task") == "AzureCLI@2")["inputs"]["inlineScript"]
    assert '--shard "$(System.JobPositionInPhase)/${{ parameters.shards }}"' in script
    assert merge["dependsOn"] == "audit" and merge["condition"] == "succeededOrFailed()"
    choose = next(s["script"] for s in merge["steps"] if "script" in s and " shards " in s["script"])
    assert "--total ${{ parameters.shards }}" in choose


# ---------------------------------------------------------------------------- inline scripts


def _expand(script: str, variables: dict[str, str]) -> str:
    """Substitute template expressions and macros as the agent would before running a script."""
    script = re.sub(r"\$\{\{\s*parameters\.(\w+)\s*\}\}", lambda m: variables[m.group(1)], script)
    return re.sub(r"\$\(([\w.]+)\)", lambda m: variables.get(m.group(1), f"/nonexistent/{m.group(1)}"), script)


def _scripts(name: str) -> list[str]:
    if name == "github-actions.yml":
        workflow = yaml.safe_load(GITHUB_WORKFLOW.read_text(encoding="utf-8"))
        return [s["run"] for job in workflow["jobs"].values() for s in job["steps"] if "run" in s]
    steps = _steps(_load(name))
    return [
        s["script"] if "script" in s else s["inputs"]["inlineScript"]
        for s in steps
        if "script" in s or (s.get("task") == "AzureCLI@2")
    ]


@pytest.mark.parametrize("name", [*AZURE_TEMPLATES, "github-actions.yml"])
def test_inline_scripts_parse_as_bash(name: str) -> None:
    scripts = [s for s in _scripts(name) if s]
    assert scripts
    for script in scripts:
        text = _expand(script, {"failOn": "high", "shards": "4"}) if name != "github-actions.yml" else script
        result = subprocess.run(["bash", "-n"], input=text, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr


def _report(complete: bool) -> dict[str, Any]:
    finding = {"code": "ACR001", "status": "FAIL" if complete else "ERROR", "severity": "high"}
    return {"schema_version": 1, "tool": "azaudit", "run": {}, "checks": {}, "findings": [finding], "errors": []}


def _fake_azaudit(bin_dir: Path, exit_code: int, complete: bool) -> None:
    """A stand-in for azaudit on PATH: writes the reports it is asked for, exits ``exit_code``."""
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "azaudit"
    fake.write_text(
        "#!/usr/bin/env python3\n"
        "import sys, json, pathlib\n"
        "args = sys.argv[1:]\n"
        "out = pathlib.Path(args[args.index('--output') + 1])\n"
        f"out.write_text(json.dumps({_report(complete)!r}))\n"
        "for i, a in enumerate(args):\n"
        "    if a == '--report':\n"
        "        pathlib.Path(args[i + 1].split('=', 1)[1]).write_text('{}')\n"
        # only the gating call (the one given --fail-on) exits with the code under test
        f"sys.exit({exit_code} if '--fail-on' in args else 0)\n",
        encoding="utf-8",
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)


def _run_step(script: str, variables: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    python_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": f"{tmp_path / 'bin'}{os.pathsep}{python_dir}{os.pathsep}{os.environ['PATH']}"}
    text = _expand(script, variables).replace("python ", f"{sys.executable} ")
    return subprocess.run(["bash", "-c", text], capture_output=True, text=True, env=env, check=False)


@pytest.mark.parametrize(
    ("exit_code", "complete", "tagged"),
    [(0, True, True), (1, True, True), (1, False, False), (2, False, False)],
    ids=["clean", "gate-failed", "gate-failed-incomplete", "incomplete"],
)
def test_the_audit_step_tags_only_a_run_that_completed_and_keeps_the_exit_code(
    tmp_path: Path, exit_code: int, complete: bool, tagged: bool
) -> None:
    step = next(s for s in _tasks(_load("azure-pipelines.yml")) if s["task"] == "AzureCLI@2")
    variables = {
        "failOn": "high",
        "REPORTS": str(tmp_path / "reports"),
        "SARIF_DIR": str(tmp_path / "CodeAnalysisLogs"),
        "BASELINE": str(tmp_path / "none.json"),
        "HELPER": str(PIPELINES / "scripts" / "azaudit_artifacts.py"),
        "Build.BuildId": "812",
        "System.JobAttempt": "2",
    }
    _fake_azaudit(tmp_path / "bin", exit_code, complete)
    result = _run_step(step["inputs"]["inlineScript"], variables, tmp_path)
    assert result.returncode == exit_code, result.stderr
    assert (f"##vso[build.addbuildtag]{artifacts.TAG}" in result.stdout) is tagged
    marker = json.loads((tmp_path / "reports" / artifacts.MARKER).read_text(encoding="utf-8"))
    assert marker == {"complete": tagged, "exit_code": exit_code, "build_id": "812", "attempt": 2}
    assert (tmp_path / "CodeAnalysisLogs" / "azaudit.sarif").is_file()
    assert "##vso[task.setvariable variable=AZAUDIT_SARIF]true" in result.stdout


@pytest.mark.parametrize(("exit_code", "job_exit"), [(0, 0), (1, 0), (2, 2)])
def test_a_slice_job_fails_only_when_its_audit_did_not_complete(tmp_path: Path, exit_code: int, job_exit: int) -> None:
    audit = _load("azure-pipelines-sharded.yml")["jobs"][0]
    step = next(s for s in audit["steps"] if s.get("task") == "AzureCLI@2")
    _fake_azaudit(tmp_path / "bin", exit_code, complete=exit_code != 2)
    variables = {"failOn": "high", "shards": "3", "REPORTS": str(tmp_path / "r"), "System.JobPositionInPhase": "2"}
    result = _run_step(step["inputs"]["inlineScript"], variables, tmp_path)
    assert result.returncode == job_exit, result.stderr
    assert (tmp_path / "r" / "shard-2.json").is_file()


@pytest.mark.parametrize(
    ("exit_code", "complete", "tagged"), [(0, True, True), (1, True, True), (1, False, False), (2, False, False)]
)
def test_the_merge_step_gates_and_tags_only_a_complete_merged_audit(
    tmp_path: Path, exit_code: int, complete: bool, tagged: bool
) -> None:
    merge = _load("azure-pipelines-sharded.yml")["jobs"][1]
    step = next(s for s in merge["steps"] if "script" in s and "azaudit report" in s["script"])
    (tmp_path / "ws" / "shards").mkdir(parents=True)
    for k in (1, 2):
        (tmp_path / "ws" / "shards" / f"shard-{k}.json").write_text("{}", encoding="utf-8")
    _fake_azaudit(tmp_path / "bin", exit_code, complete)
    variables = {
        "failOn": "high",
        "Pipeline.Workspace": str(tmp_path / "ws"),
        "REPORTS": str(tmp_path / "r"),
        "SARIF_DIR": str(tmp_path / "CodeAnalysisLogs"),
        "BASELINE": str(tmp_path / "none.json"),
        "HELPER": str(PIPELINES / "scripts" / "azaudit_artifacts.py"),
        "Build.BuildId": "9",
        "System.JobAttempt": "1",
    }
    result = _run_step(step["script"], variables, tmp_path)
    assert result.returncode == exit_code, result.stderr
    assert (f"##vso[build.addbuildtag]{artifacts.TAG}" in result.stdout) is tagged
    for name in ("azaudit.json", "azaudit.md", "azaudit.sarif", "azaudit.csv", "azaudit.junit.xml"):
        assert (tmp_path / "r" / name).is_file(), name
    assert (tmp_path / "CodeAnalysisLogs" / "azaudit.sarif").is_file()


# ---------------------------------------------------------------------------- baseline and attempts


def _run_artifact(root: Path, attempt: int, complete: bool | None, build_id: str = "700") -> Path:
    directory = root / f"azaudit-reports-attempt-{attempt}"
    directory.mkdir(parents=True)
    (directory / artifacts.REPORT).write_text(json.dumps(_report(bool(complete))), encoding="utf-8")
    if complete is not None:  # None: an attempt that crashed before writing its marker
        marker = {"complete": complete, "exit_code": 1, "build_id": build_id, "attempt": attempt}
        (directory / artifacts.MARKER).write_text(json.dumps(marker), encoding="utf-8")
    return directory / artifacts.REPORT


def test_baseline_is_the_newest_attempt_that_completed(tmp_path: Path) -> None:
    first = _run_artifact(tmp_path, 1, complete=True)
    _run_artifact(tmp_path, 2, complete=False)  # a rerun that did not complete
    _run_artifact(tmp_path, 3, complete=None)
    assert artifacts.choose_baseline(tmp_path, current_build="812") == first
    third = tmp_path / "azaudit-reports-attempt-3"
    (third / artifacts.MARKER).write_text(json.dumps({"complete": True, "build_id": "700"}), encoding="utf-8")
    (third / artifacts.REPORT).write_text(json.dumps(_report(True)), encoding="utf-8")
    assert artifacts.choose_baseline(tmp_path, current_build="812") == third / artifacts.REPORT


def test_a_first_clean_run_is_an_eligible_baseline(tmp_path: Path) -> None:
    reports = tmp_path / "azaudit-reports-attempt-1"
    reports.mkdir()
    report = _report(True)
    report["findings"] = [{"code": "ACR001", "status": "PASS"}]
    (reports / artifacts.REPORT).write_text(json.dumps(report), encoding="utf-8")
    assert artifacts.mark(reports, exit_code=0, build_id="700", attempt=1)
    assert artifacts.choose_baseline(tmp_path, current_build="812") == reports / artifacts.REPORT


def test_no_baseline_from_this_run_an_incomplete_report_or_nothing(tmp_path: Path) -> None:
    assert artifacts.choose_baseline(tmp_path / "never-downloaded", current_build="812") is None
    _run_artifact(tmp_path, 1, complete=True, build_id="812")  # this very run, before a rerun
    assert artifacts.choose_baseline(tmp_path, current_build="812") is None
    lying = _run_artifact(tmp_path, 2, complete=True)
    lying.write_text(json.dumps(_report(False)), encoding="utf-8")  # marker says complete, report not
    assert artifacts.choose_baseline(tmp_path, current_build="812") is None


def test_a_gate_failure_does_not_stop_a_complete_report_being_marked(tmp_path: Path) -> None:
    (tmp_path / artifacts.REPORT).write_text(json.dumps(_report(True)), encoding="utf-8")
    assert artifacts.mark(tmp_path, exit_code=1, build_id="1", attempt=1)
    assert not artifacts.mark(tmp_path, exit_code=2, build_id="1", attempt=1)
    (tmp_path / artifacts.REPORT).write_text(json.dumps(_report(False)), encoding="utf-8")
    assert not artifacts.mark(tmp_path, exit_code=1, build_id="1", attempt=1)  # exit 1 with ERROR findings


def test_baseline_command_copies_the_choice_or_says_there_is_none(tmp_path: Path) -> None:
    out = tmp_path / "baseline" / "azaudit.json"
    assert (
        artifacts.main(["baseline", "--downloaded", str(tmp_path / "d"), "--current-build", "9", "--output", str(out)])
        == 0
    )
    assert not out.exists()
    chosen = _run_artifact(tmp_path / "d", 4, complete=True)
    assert (
        artifacts.main(["baseline", "--downloaded", str(tmp_path / "d"), "--current-build", "9", "--output", str(out)])
        == 0
    )
    assert out.read_bytes() == chosen.read_bytes()


def _shard(root: Path, shard: int, attempt: int) -> Path:
    directory = root / f"azaudit-shard-{shard}-attempt-{attempt}"
    directory.mkdir(parents=True)
    report = directory / f"shard-{shard}.json"
    report.write_text(json.dumps({"shard": shard, "attempt": attempt}), encoding="utf-8")
    return report


def test_the_merge_takes_the_newest_attempt_of_every_slice(tmp_path: Path) -> None:
    _shard(tmp_path, 1, 1)
    _shard(tmp_path, 2, 1)
    rerun = _shard(tmp_path, 2, 2)
    assert artifacts.choose_shards(tmp_path, total=2)[2] == rerun
    out = tmp_path / "out"
    assert artifacts.main(["shards", "--downloaded", str(tmp_path), "--total", "2", "--output", str(out)]) == 0
    assert json.loads((out / "shard-2.json").read_text(encoding="utf-8")) == {"shard": 2, "attempt": 2}
    assert sorted(p.name for p in out.iterdir()) == ["shard-1.json", "shard-2.json"]


def test_a_missing_slice_stops_the_merge_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _shard(tmp_path, 1, 3)
    assert (
        artifacts.main(["shards", "--downloaded", str(tmp_path), "--total", "3", "--output", str(tmp_path / "o")]) == 2
    )
    assert capsys.readouterr().err == "azaudit-artifacts: no report for slice(s) 2, 3 of 3: not audited\n"


# ---------------------------------------------------------------------------- GitHub Actions


def _workflow() -> dict[str, Any]:
    workflow = yaml.safe_load(GITHUB_WORKFLOW.read_text(encoding="utf-8"))
    # PyYAML reads the key `on` as YAML 1.1's boolean true; GitHub reads it as the string "on".
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    assert isinstance(workflow, dict)
    return workflow


def test_github_workflow_validates_against_the_schemastore_schema() -> None:
    schema = json.loads((SCHEMAS / "github-workflow.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    assert [e.message for e in validator.iter_errors(_workflow())] == []
    broken = _workflow()
    broken["jobs"]["audit"]["permissions"]["id-token"] = "maybe"
    assert not validator.is_valid(broken)


def test_github_workflow_signs_in_with_oidc_and_uploads_sarif() -> None:
    workflow = _workflow()
    assert not str(GITHUB_WORKFLOW.relative_to(ROOT)).startswith(".github/"), "an example, not this repo's CI"
    job = workflow["jobs"]["audit"]
    assert job["permissions"] == {"contents": "read", "id-token": "write", "security-events": "write"}
    uses = {s["uses"].split("@")[0]: s for s in job["steps"] if "uses" in s}
    login = uses["azure/login"]["with"]
    assert set(login) == {"client-id", "tenant-id", "subscription-id"}  # no client-secret, no creds
    assert "secrets." not in GITHUB_WORKFLOW.read_text(encoding="utf-8")
    upload = uses["github/codeql-action/upload-sarif"]
    assert upload["with"]["sarif_file"] == "reports/azaudit.sarif" and upload["if"].startswith("always()")
    names = [s.get("name") for s in job["steps"]]
    assert names.index("Gate") > names.index("Upload results to code scanning")
