"""A check's documentation reads as its author wrote it: the commands in How to fix survive the
docstring (a lone backslash ending a line inside a non-raw docstring is eaten by Python, which
glued a multi-line `az` command into one line full of spaces in `azaudit checks show` and
docs/checks)."""

from __future__ import annotations

import re

import pytest

from azaudit import catalogue
from azaudit.recommendations import RECOMMENDATIONS
from azaudit.render.checkdoc import check_markdown

CHECKS = catalogue.load()
GLUED = re.compile(r"\S {3,}--")  # "<image>       --assign-identity": a continuation was eaten


def _code_lines(markdown: str) -> list[str]:
    lines, inside = [], False
    for line in markdown.splitlines():
        if line.startswith("```"):
            inside = not inside
        elif inside:
            lines.append(line)
    return lines


@pytest.mark.parametrize("code", sorted(CHECKS))
def test_fix_commands_keep_their_line_continuations(code: str) -> None:
    page = check_markdown(CHECKS[code].meta)
    glued = [line for line in _code_lines(page) if GLUED.search(line)]
    assert not glued, f"{code}: a line continuation was lost (write \\\\ in the docstring): {glued}"


def test_the_detector_sees_a_glued_command() -> None:
    assert GLUED.search("az container create --image <image>       --assign-identity <id>")
    assert not GLUED.search("az container create --image <image> \\")


def test_a_page_names_the_guidance_recommendations_in_words() -> None:
    """A compliance reader meets "Protect credentials: ...", not only the tag protect-credentials."""
    page = check_markdown(CHECKS["ACR005"].meta)
    line = next(line for line in page.splitlines() if line.startswith("- Container security guidance:"))
    for tag in CHECKS["ACR005"].meta.recommendations:
        assert f"{RECOMMENDATIONS[tag]} (`{tag}`)" in line
