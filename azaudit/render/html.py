"""The HTML report: one self-contained file (inline CSS and a small inline script, nothing
fetched), with sortable and filterable findings and a print stylesheet.

Rendered from :mod:`azaudit.render.view` through ``templates/html`` (the Markdown report renders
the same view). Jinja2 autoescapes every value after the tenant text neutraliser has shown hidden
characters and defused logging commands. A Content-Security-Policy allows only the report's own
style and script, by their SHA-256, so even markup that slipped through could run nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

from azaudit.render import view
from azaudit.render.templating import asset, batched, html_environment, stripped, trusted
from azaudit.reports.model import Report


def render(report: Report) -> str:
    return "".join(chunks(report))


def chunks(report: Report) -> Iterator[str]:
    """The text of the report in pieces, made as a file is written from them (at 10,000 resources
    the page is 136 MB, and the template's pieces and their joined text were held at once)."""
    style, style_hash = asset("html/report.css")
    script, script_hash = asset("html/report.js")
    template = html_environment().get_template("report.html.j2")
    pieces = template.generate(
        view=view.build(report),
        style=trusted(style),
        script=trusted(script),
        style_hash=trusted(style_hash),
        script_hash=trusted(script_hash),
    )
    return stripped(batched(pieces))
