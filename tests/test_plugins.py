"""Custom checks from installed packages (entry-point group ``azaudit.checks``).

Each test installs a plugin the way pip leaves one on disk (a module and its ``.dist-info`` with
``entry_points.txt``) into a directory on ``PYTHONPATH`` and runs the real CLI in a subprocess, so
the discovery path is ``importlib.metadata``'s own and the test catalogue stays untouched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_TENANT

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "custom-checks"


def install(site: Path, dist: str, version: str, entry_points: dict[str, str], modules: dict[str, str]) -> Path:
    """Lay out an installed distribution: ``modules`` maps a relative path to its source."""
    for relative, source in modules.items():
        target = site / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source, encoding="utf-8")
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n", encoding="utf-8")
    lines = ["[azaudit.checks]", *(f"{name} = {value}" for name, value in entry_points.items())]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return site


def install_example(site: Path) -> Path:
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    package = EXAMPLE / "contoso_azaudit_checks"
    modules = {f"contoso_azaudit_checks/{f.name}": f.read_text(encoding="utf-8") for f in package.glob("*.py")}
    return install(site, project["name"], project["version"], project["entry-points"]["azaudit.checks"], modules)


def azaudit(site: Path | None, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("TF_BUILD", "AZAUDIT_NO_PLUGINS")}
    if site is not None:
        environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), environment.get("PYTHONPATH")]))
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "azaudit", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def example_site(tmp_path: Path) -> Path:
    return install_example(tmp_path / "site")


def test_an_installed_plugin_adds_its_checks_to_the_catalogue(example_site: Path) -> None:
    listed = azaudit(example_site, "checks")
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if line.startswith("CONTOSO-ACI101"))
    assert "owner-tag-missing" in row and "contoso-azaudit-checks 1.0.0" in row
    assert listed.stdout.index("DEF003") < listed.stdout.index("CONTOSO-ACI101"), "built-in checks first"
    shown = azaudit(example_site, "checks", "show", "contoso-aci101")
    assert shown.returncode == 0, shown.stderr
    assert "Source: custom check from contoso-azaudit-checks 1.0.0" in shown.stdout


def test_a_plugin_check_runs_on_the_inventory_and_reports_its_origin(example_site: Path, tmp_path: Path) -> None:
    markdown = tmp_path / "report.md"
    result = azaudit(
        example_site,
        "subscription",
        "--replay",
        str(SAMPLE_TENANT),
        "--select",
        "CONTOSO",
        "-f",
        "json",
        "--report",
        f"markdown={markdown}",
    )
    assert result.returncode == 1, result.stderr  # low-severity failures, --fail-on low
    document = json.loads(result.stdout)
    assert set(document["checks"]) == {"CONTOSO-ACI101"}
    assert document["checks"]["CONTOSO-ACI101"]["origin"] == "contoso-azaudit-checks 1.0.0"
    by_status: dict[str, set[str]] = {}
    for finding in document["findings"]:
        by_status.setdefault(finding["status"], set()).add(finding["resource_name"])
    assert by_status["FAIL"] == {"aci-dev-debug", "aci-dev-tools"}
    assert {"aci-prod-api", "aci-prod-worker", "aci-dev-jobs"} <= by_status["PASS"]
    assert "`CONTOSO-ACI101` from contoso-azaudit-checks 1.0.0" in markdown.read_text(encoding="utf-8")


def test_a_plugin_that_fails_to_import_is_one_clear_line(tmp_path: Path) -> None:
    site = install(
        tmp_path / "site",
        "fabrikam-checks",
        "0.3.0",
        {"fabrikam": "fabrikam_checks"},
        {"fabrikam_checks/__init__.py": "import fabrikam_internal_sdk  # not installed\n"},
    )
    line = one_line_error(azaudit(site, "checks"))
    assert "'fabrikam' (fabrikam-checks 0.3.0) could not be loaded" in line
    assert "fabrikam_internal_sdk" in line and "AZAUDIT_NO_PLUGINS=1" in line
    # the audit itself refuses too: a clean result without the organisation's checks is not earned
    line = one_line_error(azaudit(site, "subscription", "--replay", str(SAMPLE_TENANT)))
    assert "could not be loaded" in line


def test_the_built_in_catalogue_alone_when_plugins_are_disabled(tmp_path: Path) -> None:
    site = install(
        tmp_path / "site",
        "fabrikam-checks",
        "0.3.0",
        {"fabrikam": "fabrikam_checks"},
        {"fabrikam_checks/__init__.py": "raise RuntimeError('broken')\n"},
    )
    result = azaudit(site, "checks", AZAUDIT_NO_PLUGINS="1")
    assert result.returncode == 0, result.stderr
    assert "ACR001" in result.stdout and "fabrikam" not in result.stdout


def install_variant(site: Path, source: str) -> Path:
    """A plugin package whose one module is ``source``."""
    return install(
        site, "contoso-azaudit-checks", "1.0.0", {"contoso": "contoso_variant"}, {"contoso_variant/__init__.py": source}
    )


def example_check_source() -> str:
    return (EXAMPLE / "contoso_azaudit_checks" / "aci101_owner_tag_missing.py").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ('"CONTOSO-ACI101"', '"ACI101"'),
            "ACI101: a custom check's code starts with its organisation's prefix, e.g. CONTOSO-ACI101",
        ),
        (('"monitor-activity"', '"cost-control"'), "unknown recommendation tag(s) cost-control"),
        (("## How to fix", "## What to do"), "unknown docstring section 'What to do'"),
    ],
)
def test_a_plugin_check_follows_the_catalogue_rules(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    site = install_variant(tmp_path / "site", example_check_source().replace(*change))
    assert expected in one_line_error(azaudit(site, "checks"))


def test_a_plugin_whose_entry_point_registers_nothing_is_an_error(tmp_path: Path) -> None:
    site = install_variant(tmp_path / "site", '"""The checks live in a submodule nobody imports."""\n')
    assert "registered no check" in one_line_error(azaudit(site, "checks"))
