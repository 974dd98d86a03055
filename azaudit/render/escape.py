"""Tenant text made harmless for the output it is written to.

Resource names, ids, tags, env var names, role names and error messages are written by anyone
who can create a resource. Printed as they are, they can drive the Azure Pipelines agent (it acts
on the first ``##vso[`` anywhere in a line of stdout *or* stderr; its log viewer formats ``##[``
lines), a terminal (ANSI/OSC escape sequences, OSC 8 hyperlinks, a bare carriage return that
overwrites the line), a reader's eyes (bidi overrides reorder text, zero-width characters hide it),
Markdown (raw HTML, links, table pipes, headings), a spreadsheet (formulas) or an XML parser
(characters XML 1.0 forbids) or a browser (HTML, for which the template engine escapes ``<``, ``&`` and
quotes after this). Every renderer passes every piece of tenant text through
:func:`neutralise` for its kind of output, and the CLI does the same for its messages.

Nothing is dropped silently: a hidden character is shown (``\\x1b``, ``\\n``, ``<U+202E>``), and
a logging command is rewritten the way the agent itself neutralises one (``##vso`` becomes
``**vso``; ``##[`` becomes ``**[``). The JSON documents keep every value intact instead: they use
JSON's own escapes (:func:`json_text`).
"""

from __future__ import annotations

import enum
import re

# The agent rewrites untrusted lines with Regex.Replace(line, "##vso", "**vso", IgnoreCase)
# (azure-pipelines-agent, ProcessInvoker); ``##[`` starts the log viewer's formatting commands.
_AGENT_COMMAND = re.compile(r"##(?=vso|\[)", re.IGNORECASE)
_SHOWN = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
# Markdown punctuation that can change structure or meaning: HTML, links, code spans, emphasis,
# tables, headings, entities (``&#8238;`` is a bidi override), math.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~&$])")
# A list item's text must not open a block of its own: a nested list, an ordered list, a rule.
_MARKDOWN_BLOCK_START = re.compile(r"^(?:([-+])(?=[ \t-]|$)|(\d{1,9})([.)])(?=[ \t]|$))")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_JSON_SUSPECT = re.compile(r"[^\x20-\x7e\n]")
_JSON_COMMAND = re.compile(r"#(?=#)")


class Output(enum.Enum):
    """Where the text goes."""

    TEXT = "text"  # the terminal table, stderr messages, logging command messages
    MARKDOWN = "markdown"  # inline Markdown: a table cell or a list item
    CSV = "csv"  # one spreadsheet cell
    XML = "xml"  # an XML attribute or text node (JUnit)
    HTML = "html"  # HTML text or an attribute value; the template engine's autoescape adds the entities


def _hidden(char: str) -> bool:
    """Controls, format characters (bidi, zero-width), separators that break lines, lone
    surrogates and noncharacters: characters a reader cannot see or a parser acts on."""
    if char.isprintable():
        return False
    # Not printable: controls, format characters, surrogates, private use and unassigned code
    # points (the noncharacters among them), and every space but the ASCII one. Spaces that do
    # not break a line (no-break space, ideographic space) stay.
    return not char.isspace() or char in "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029"


def _shown(char: str) -> str:
    if char in _SHOWN:
        return _SHOWN[char]
    code = ord(char)
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return f"\\x{code:02x}"
    return f"<U+{code:04X}>"


def visible(text: str, *, multiline: bool = False) -> str:
    """Every hidden character shown as an escape; newlines kept when ``multiline``."""
    if text.isprintable():
        return text
    return "".join(_shown(c) if _hidden(c) and not (multiline and c == "\n") else c for c in text)


def neutralise(text: object, output: Output, *, multiline: bool = False) -> str:
    """``text`` (tenant-controlled) made safe to write as one value of ``output``.

    ``multiline`` keeps line breaks (JUnit bodies, several-line CLI messages); a single-line
    value shows them as ``\\n``. Idempotence is not promised: neutralise each value once.
    """
    if type(text) is not str or len(text) > REMEMBERED_LENGTH:
        return _neutralised(str(text), output, multiline)
    key = (output._value_, multiline)  # not the enum: its hash is computed in Python, each call
    remembered = _REMEMBERED.get(key)
    if remembered is None:
        remembered = _REMEMBERED[key] = {}
    value = remembered.get(text)
    if value is None:
        if len(remembered) >= REMEMBERED_TEXTS:
            remembered.clear()
        value = remembered[text] = _neutralised(text, output, multiline)
    return value


# A report says the same texts again and again (a check's title and fix in each of its findings,
# a PASS message, a subscription's name): short ones are remembered per kind of output, so a
# renderer does not re-examine each character of each (at 10,000 resources, over a million
# calls). Bounded in count (forgotten all at once past it) and length, so hostile text cannot
# grow it.
REMEMBERED_LENGTH = 4096
REMEMBERED_TEXTS = 4096
_REMEMBERED: dict[tuple[str, bool], dict[str, str]] = {}


def _neutralised(text: str, output: Output, multiline: bool) -> str:
    value = _AGENT_COMMAND.sub("**", visible(text, multiline=multiline))
    if output is Output.MARKDOWN:
        value = _MARKDOWN_SPECIAL.sub(r"\\\1", value.strip())
        value = _MARKDOWN_BLOCK_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", value)
    elif output is Output.CSV and value.startswith(_FORMULA_START):
        value = "'" + value
    return value


def _json_escape(match: re.Match[str]) -> str:
    char = match[0]
    if char.isprintable():
        return char
    code = ord(char)
    if code > 0xFFFF:
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def json_text(document: str) -> str:
    """An encoded JSON document with the same values, but no literal ``##`` (the agent scans
    stdout lines for ``##vso[``) and no raw hidden character: both become JSON ``\\u`` escapes,
    which every parser reads back as the original text. Outside strings JSON has neither."""
    return _JSON_COMMAND.sub(r"\\u0023", _JSON_SUSPECT.sub(_json_escape, document))
