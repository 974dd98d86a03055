"""The README's options table lists every option of `azaudit subscription`, so a newcomer who reads
the README meets no option that `--help` hides from them, and none that no longer exists."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from azaudit.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _subscription_options() -> set[str]:
    command = typer.main.get_command(app).commands["subscription"]  # type: ignore[attr-defined]
    names: set[str] = set()
    for param in command.params:
        names.update(o for o in param.opts if o.startswith("--"))
    return names - {"--help"}


def _readme_table_options() -> set[str]:
    rows = [line for line in README.splitlines() if line.startswith("| `-")]
    return {name for row in rows for name in re.findall(r"`[^`]*?(--[a-z][a-z-]*)", row.split(" | ")[0])}


def test_every_subscription_option_is_in_the_readme_table() -> None:
    missing = _subscription_options() - _readme_table_options()
    assert not missing, f"options missing from README's options table: {sorted(missing)}"


def test_the_readme_table_lists_no_option_that_does_not_exist() -> None:
    known = _subscription_options() | {"--install-completion", "--show-completion", "--no-exit-zero"}
    stale = _readme_table_options() - known
    assert not stale, f"README's options table names unknown options: {sorted(stale)}"
