"""What a command imports before it does its work (issue 15: start-up is part of every run's time).

Each command runs in a fresh interpreter, which then lists the modules it imported: ``--help``
and shell completion parse nothing but options, ``azaudit checks`` needs the catalogue but no
Azure library, and an audit writing JSON needs no renderer of another format nor the recorder.
No time is measured: the modules a command must not import are named.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from azaudit import clients
from tests.conftest import SAMPLE_TENANT

ROOT = Path(__file__).resolve().parents[1]

# Runs the command line with the arguments given, then writes the names of the imported modules.
PROBE = """
import sys
from pathlib import Path

from azaudit.cli import app

listing, *arguments = sys.argv[1:]
try:
    app(arguments, prog_name="azaudit")
except SystemExit:
    pass
Path(listing).write_text("\\n".join(sorted(sys.modules)), encoding="utf-8")
"""

AZURE = ("azure", "requests", "urllib3", "msal")  # the SDK and the HTTP stack under it
AUDIT = ("azaudit.audit", "azaudit.backend", "azaudit.clients", "azaudit.collect", "azaudit.replay")
RENDERERS = ("jinja2", "rich", "tabulate", "azaudit.render.table", "azaudit.render.html", "azaudit.render.markdown")
RECORDER = ("azaudit.replay.recorder",)


def imported(tmp_path: Path, *arguments: str) -> set[str]:
    listing = tmp_path / "modules.txt"
    subprocess.run(
        [sys.executable, "-c", PROBE, str(listing), *arguments],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=True,
        timeout=120,
    )
    return set(listing.read_text(encoding="utf-8").split())


def management_packages(modules: set[str]) -> list[str]:
    """The generated management SDKs imported (azure.mgmt.core, the pipeline itself, is not one)."""
    return sorted(m for m in modules if m.startswith("azure.mgmt.") and not m.startswith("azure.mgmt.core"))


def among(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in packages))


@pytest.mark.parametrize(
    "arguments",
    [("--help",), ("subscription", "--help"), ("report", "--help"), ("subscription", "--format", "xml")],
    ids=["help", "subscription-help", "report-help", "usage-error"],
)
def test_help_and_usage_errors_import_no_azure_library_audit_or_renderer(
    tmp_path: Path, arguments: tuple[str, ...]
) -> None:
    assert among(imported(tmp_path, *arguments), AZURE + AUDIT + RENDERERS + ("azaudit.catalogue",)) == []


def test_listing_the_checks_imports_no_azure_library_nor_the_audit(tmp_path: Path) -> None:
    modules = imported(tmp_path, "checks", "--format", "json")
    assert "azaudit.catalogue" in modules
    assert among(modules, AZURE + AUDIT + ("jinja2", "rich")) == []


def test_an_audit_writing_json_imports_no_other_renderer_nor_the_recorder(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    modules = imported(tmp_path, "subscription", "--replay", str(SAMPLE_TENANT), "-f", "json", "-o", str(report))
    assert report.exists() and "azaudit.render.json_document" in modules
    assert "azaudit.arm_client" in modules  # the audit did collect
    assert management_packages(modules) == []
    assert among(modules, RENDERERS + RECORDER) == []


def test_an_audit_imports_every_client_module_before_collecting() -> None:
    """The modules :func:`~azaudit.clients.import_client_modules` imports before collection
    starts its threads and processes are the ones the ``Clients`` methods import."""
    tree = ast.parse(Path(clients.__file__).read_text(encoding="utf-8"))
    (cls,) = [node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "Clients"]
    built_from = {node.module for node in ast.walk(cls) if isinstance(node, ast.ImportFrom) and node.module is not None}
    assert built_from == set(clients.CLIENT_MODULES)
