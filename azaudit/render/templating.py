"""The Jinja2 environments of the Markdown and HTML reports.

Every value a template places (``{{ ... }}``) goes through the tenant text neutraliser for its
output (:func:`azaudit.render.escape.neutralise`), unless it is :class:`~markupsafe.Markup` that
azaudit built itself (a code span around a plain id, a link to a check's documentation). The HTML
environment also autoescapes, so ``<``, ``&`` and quotes become entities after neutralising.
Literal text belongs in the template body, not in an expression: an expression's value is escaped.
"""

from __future__ import annotations

import functools
import hashlib
import re
from base64 import b64encode
from collections.abc import Iterable, Iterator, Sequence

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from azaudit.frameworks.view import FrameworkView
from azaudit.render import frameworks
from azaudit.render.escape import Output, neutralise

_PLAIN_ID = re.compile(r"^[A-Za-z0-9._:/-]+$")
# A URL azaudit links to: https, no character that could end a Markdown link or an HTML attribute.
_SAFE_URL = re.compile(r"^https://[A-Za-z0-9._~:/?#@!$&'*+,;=%-]+$")
_BLANK_LINES = re.compile(r"\n{3,}")


def trusted(text: str) -> Markup:
    """Text azaudit wrote itself, or built from neutralised and escaped parts: placed as it is."""
    return Markup(text)  # noqa: S704 - every caller passes azaudit's own text or neutralised text


def _markdown_value(value: object) -> object:
    return value if isinstance(value, Markup) else neutralise(value, Output.MARKDOWN)


def _html_value(value: object) -> object:
    return value if isinstance(value, Markup) else neutralise(value, Output.HTML)


def md_code(text: object) -> Markup:
    """An id as a Markdown code span when it is a plain id; anything else as escaped text (a
    backtick would end the span, and escapes do not work inside one)."""
    value = str(text)
    return trusted(f"`{value}`") if _PLAIN_ID.match(value) else trusted(neutralise(value, Output.MARKDOWN))


def md_link(url: object, label: object) -> Markup:
    """A Markdown link to a URL from azaudit or a check's documentation; an unusual URL is shown as text."""
    text = neutralise(label, Output.MARKDOWN)
    return trusted(f"[{text}]({url})") if _SAFE_URL.match(str(url)) else trusted(text)


def md_trusted(text: object) -> Markup:
    """Markdown a check's author wrote (why it matters, how to fix): placed as it is."""
    return trusted(str(text))


def html_link(url: object, label: object) -> Markup:
    text = escape(neutralise(label, Output.HTML))
    if not _SAFE_URL.match(str(url)):
        return text
    return trusted('<a href="{0}" rel="noreferrer noopener">{1}</a>').format(str(url), text)


def html_multiline(text: object) -> Markup:
    """Text whose line breaks matter (a fix's commands), neutralised and escaped."""
    return escape(neutralise(text, Output.HTML, multiline=True))


# A fenced code block of a check's "How to fix" Markdown: ```bash ... ```
_FENCE = re.compile(r"^```[\w+-]*[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def html_fix(text: object) -> Markup:
    """A check's "How to fix" Markdown as HTML: its prose as paragraphs (code spans as ``<code>``)
    and its fenced blocks as ``<pre>``, without the fences. Every part is neutralised and escaped
    first; only azaudit's own tags are added around it."""
    value = str(text)
    parts: list[str] = []

    def prose(chunk: str) -> None:
        for paragraph in re.split(r"\n\s*\n", chunk.strip()):
            if paragraph.strip():
                escaped = str(html_multiline(" ".join(paragraph.split())))
                parts.append("<p>" + _CODE_SPAN.sub(r"<code>\1</code>", escaped) + "</p>")

    start = 0
    for block in _FENCE.finditer(value):
        prose(value[start : block.start()])
        parts.append("<pre>" + str(html_multiline(block.group(1).rstrip("\n"))) + "</pre>")
        start = block.end()
    prose(value[start:])
    return trusted("\n".join(parts))


def short_url(url: str) -> str:
    """``learn.microsoft.com/…/container-registry-authentication``: a reference's label."""
    rest = url.split("://", 1)[-1].split("#", 1)[0].rstrip("/")
    host, _, path = rest.partition("/")
    last = path.rsplit("/", 1)[-1]
    return f"{host}/…/{last}" if path.count("/") else rest


def framework_markdown(views: Sequence[FrameworkView]) -> Markup:
    """The compliance framework sections (:func:`azaudit.render.frameworks.markdown` neutralises)."""
    return trusted("\n".join(frameworks.markdown(views)))


def _common(env: Environment) -> Environment:
    env.filters["short_url"] = short_url
    env.globals["framework_markdown"] = framework_markdown
    env.globals["check_counts"] = frameworks.check_counts
    env.globals["framework_summary"] = frameworks.summary
    return env


@functools.cache
def markdown_environment() -> Environment:
    env = Environment(
        loader=PackageLoader("azaudit.render", "templates"),
        autoescape=False,  # noqa: S701 - Markdown: every value is neutralised by finalize instead
        finalize=_markdown_value,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(code=md_code, link=md_link, trusted=md_trusted)
    return _common(env)


@functools.cache
def html_environment() -> Environment:
    env = Environment(
        loader=PackageLoader("azaudit.render", "templates"),
        autoescape=True,
        finalize=_html_value,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(link=html_link, multiline=html_multiline, fix=html_fix)
    return _common(env)


def tidy_markdown(text: str) -> str:
    """At most one blank line between blocks, one newline at the end."""
    return _BLANK_LINES.sub("\n\n", text).strip() + "\n"


PIECES_PER_CHUNK = 2000


def batched(pieces: Iterable[str]) -> Iterator[str]:
    """A template's many small pieces (``Template.generate``) joined a few thousand at a time."""
    batch: list[str] = []
    for piece in pieces:
        batch.append(piece)
        if len(batch) >= PIECES_PER_CHUNK:
            yield "".join(batch)
            batch.clear()
    if batch:
        yield "".join(batch)


def stripped(chunks: Iterable[str], *, markdown: bool = False) -> Iterator[str]:
    """``chunks`` as ``text.rstrip() + "\n"`` would give their whole text, or, with ``markdown``,
    as :func:`tidy_markdown` would, without holding it: the whitespace at the end of a chunk waits
    for the next (a run of blank lines can cross chunks), and the last is dropped."""
    pending = ""
    started = not markdown  # markdown: the leading whitespace goes too
    for chunk in chunks:
        text = pending + chunk
        body = text.rstrip()
        pending = text[len(body) :]
        if not body:
            continue
        if markdown:
            body = _BLANK_LINES.sub("\n\n", body)
            if not started:
                body, started = body.lstrip(), True
        yield body
    yield "\n"


@functools.cache
def asset(name: str) -> tuple[str, str]:
    """An inline asset of the HTML report (``html/report.css``) and its CSP source (``'sha256-…'``)."""
    env = html_environment()
    assert env.loader is not None
    source, _, _ = env.loader.get_source(env, name)
    digest = b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii")
    return source, f"'sha256-{digest}'"
