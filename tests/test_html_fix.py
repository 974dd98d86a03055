"""The HTML report's "How to fix": prose as paragraphs and commands as code blocks, never the
Markdown fences themselves; every part still escaped."""

from __future__ import annotations

import pytest

from azaudit import catalogue
from azaudit.render.templating import html_fix


@pytest.mark.parametrize("code", sorted(catalogue.load()))
def test_no_fix_shows_markdown_fences(code: str) -> None:
    html = str(html_fix(catalogue.load()[code].meta.docs.fix))
    assert "```" not in html
    assert html.startswith("<p>") or html.startswith("<pre>")


def test_prose_and_commands_are_split_and_escaped() -> None:
    fix = (
        "Rotate the credential first. Then pass it as a\n`secureValue` <b>now</b>.\n\n"
        "```bash\naz container create --name <group> \\\n  --image x\n```\n\nThen check again."
    )
    html = str(html_fix(fix))
    assert html == (
        "<p>Rotate the credential first. Then pass it as a <code>secureValue</code> &lt;b&gt;now&lt;/b&gt;.</p>\n"
        "<pre>az container create --name &lt;group&gt; \\\n  --image x</pre>\n"
        "<p>Then check again.</p>"
    )
