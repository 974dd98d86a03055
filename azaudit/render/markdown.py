"""The Markdown report for compliance readers: an executive summary (scope, identity, what was
assessed, top risks, the trend against a baseline), what failed with the full ARM id of each
resource, why it matters and how to fix it with links to each check's documentation and
references, what passed (collapsed), what could not be assessed, the exceptions register, the
compliance framework views, the configuration and selection used, and the SHA-256 of the JSON
report of the same run.

Rendered from :mod:`azaudit.render.view` through the templates in ``templates/markdown`` (the
HTML report renders the same view). Plain CommonMark plus GitHub-style tables and ``<details>``:
it renders in Azure DevOps (wiki and run summary) and GitHub alike. Every value a template
places is neutralised (:mod:`azaudit.render.templating`): tenant text can hold HTML, links,
pipes or logging commands, and must render as the text it is.
"""

from __future__ import annotations

from collections.abc import Iterator

from azaudit.render import view
from azaudit.render.templating import batched, markdown_environment, stripped
from azaudit.reports.model import Report


def render(report: Report) -> str:
    return "".join(chunks(report))


def chunks(report: Report) -> Iterator[str]:
    """The tidied text of the report in pieces (see :func:`~azaudit.render.templating.stripped`),
    made as a file is written from them."""
    template = markdown_environment().get_template("report.md.j2")
    return stripped(batched(template.generate(view=view.build(report))), markdown=True)
