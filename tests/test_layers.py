"""The house's layers: no module imports one above it, and no import cycle.

Each rule names a layer and what it must never import: the CLI only parses and prints, so nothing
imports it; reports are data (read, merged, compared, gated) below the renderers, which are pure
functions below the one place a command finishes (``azaudit/finish.py``); detectors and inventory
records know nothing of collection; the run's config knows nothing of the modules that list Azure.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# layer (a module or package) -> what it must not import, even lazily inside a function
NEVER = {
    "azaudit.model": ("azaudit.collect", "azaudit.render", "azaudit.reports", "azaudit.catalogue"),
    "azaudit.detect": ("azaudit.inventory", "azaudit.collect", "azaudit.render", "azaudit.reports"),
    "azaudit.inventory": ("azaudit.collect", "azaudit.scope", "azaudit.render", "azaudit.reports"),
    "azaudit.frameworks": ("azaudit.render", "azaudit.reports"),
    "azaudit.shard": ("azaudit.scope", "azaudit.collect"),
    "azaudit.runconfig": ("azaudit.scope", "azaudit.collect", "azaudit.backend"),
    "azaudit.reports": ("azaudit.render", "azaudit.scope", "azaudit.collect", "azaudit.audit"),
    "azaudit.render": ("azaudit.audit", "azaudit.collect", "azaudit.scope", "azaudit.backend"),
    "azaudit.azure_devops": ("azaudit.audit",),
}
EVERYWHERE = ("azaudit.cli", "azaudit.finish")  # only the CLI imports these (and python -m azaudit the CLI)
ALLOWED = {"azaudit.cli": ("azaudit.cli", "azaudit.finish"), "azaudit.__main__": ("azaudit.cli",)}


def _modules() -> dict[str, Path]:
    found = {}
    for path in (ROOT / "azaudit").rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


MODULES = _modules()


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Line numbers of imports under ``if TYPE_CHECKING:``: annotations only, nothing runs them."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            lines.update(inner.lineno for stmt in node.body for inner in ast.walk(stmt) if hasattr(inner, "lineno"))
    return lines


def _owner(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports(module: str) -> set[str]:
    """The azaudit modules ``module`` imports when it runs, at the top or inside a function."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    skipped = _type_checking_only(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)) or node.lineno in skipped:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif node.module and node.level == 0:
            targets = [
                f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in MODULES else node.module
                for alias in node.names
            ]
        else:
            continue
        found.update(owner for owner in map(_owner, targets) if owner is not None and owner != module)
    return found


GRAPH = {module: imports(module) for module in MODULES}


def _within(module: str, layer: str) -> bool:
    return module == layer or module.startswith(layer + ".")


def crossings(graph: dict[str, set[str]], layer: str, above: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        if _within(module, layer)
        for target in targets
        if any(_within(target, higher) for higher in above)
    )


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in sorted(graph.get(module, ())):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


@pytest.mark.parametrize("layer", sorted(NEVER))
def test_a_layer_never_imports_one_above_it(layer: str) -> None:
    assert crossings(GRAPH, layer, NEVER[layer]) == []


def test_only_the_command_line_imports_the_command_line_and_finish() -> None:
    crossing = sorted(
        f"{module} -> {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if any(_within(target, top) for top in EVERYWHERE)
        and not any(_within(module, who) and any(_within(target, t) for t in may) for who, may in ALLOWED.items())
    )
    assert crossing == []


def test_no_import_cycle() -> None:
    assert cycles(GRAPH) == []


def test_a_crossing_and_a_cycle_are_seen() -> None:
    """The rules on a graph that breaks them, and the graph read from the code as it is."""
    broken = {
        "azaudit.reports.io": {"azaudit.render.json_document"},
        "azaudit.render.json_document": {"azaudit.reports.io"},
    }
    assert crossings(broken, "azaudit.reports", NEVER["azaudit.reports"]) == [
        "azaudit.reports.io -> azaudit.render.json_document"
    ]
    assert cycles(broken) == [["azaudit.render.json_document", "azaudit.reports.io"]]
    assert "azaudit.reports.document" in GRAPH["azaudit.reports.io"]
    assert "azaudit.cli.console" in GRAPH["azaudit.cli.runner"]
