"""Load and validate fixture files: recorded request → response interactions.

A fixture file is JSON: ``{"interactions": [{"request": {"method", "url", "body"?}, "response":
{"status", "headers", "body"}}]}``. A tenant directory holds any number of them, in any
sub-folders. Requests are matched on method, host, path (case-insensitive, as ARM is), query
parameters other than ``api-version`` (the SDK sets that itself, also on ``nextLink`` pages) and
the request body compared as JSON (a Resource Graph query, a form-encoded token exchange as the
object of its fields): key order and whitespace do not matter, values do. A request without a body
matches only an interaction without one.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import msgspec

from azaudit.errors import FixtureError

# (method, host, path, query without api-version, canonical JSON of the body or '' for none)
RequestKey = tuple[str, str, str, tuple[tuple[str, str], ...], str]


class RecordedRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    method: str
    url: str
    # The request body as JSON (absent: the request has none).
    body: Any = None


class RecordedResponse(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    status: int
    headers: dict[str, str] = {}
    body: Any = None
    # A body that is not JSON, sent verbatim (to replay a malformed answer).
    raw_body: str | None = None

    def content(self) -> bytes:
        if self.raw_body is not None:
            return self.raw_body.encode("utf-8")
        if self.body is None:
            return b""
        return msgspec.json.encode(self.body)


class Interaction(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    request: RecordedRequest
    response: RecordedResponse


class FixtureFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    interactions: tuple[Interaction, ...]
    description: str = ""


def canonical_body(body: Any) -> str:
    """The body's JSON with sorted keys and no spacing: equal for bodies equal as JSON; '' for none."""
    if body is None:
        return ""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sent_body(content: bytes | str | None, content_type: str = "") -> Any:
    """What a request sent, as JSON: its JSON body, a form body as the object of its fields, or
    (neither) its text; ``None`` when it sent nothing."""
    if content is None or content in (b"", ""):
        return None
    text = content.decode("utf-8", errors="replace") if isinstance(content, bytes) else content
    if "x-www-form-urlencoded" in content_type.lower():
        return dict(parse_qsl(text, keep_blank_values=True))
    try:
        return json.loads(text)
    except ValueError:
        return text


def body_digest(key: RequestKey) -> str:
    """A short digest of a key's body, to name it in an error without quoting it (a token
    exchange's body carries a token)."""
    return "body sha256:" + hashlib.sha256(key[4].encode("utf-8")).hexdigest()[:12] if key[4] else "no body"


# What a registry token exchange's Azure AD token reads as when matching: the token itself is never
# stored (a recording holds no token), so replay matches the exchange on its other fields.
AAD_TOKEN_STAND_IN = "(the caller's Azure AD access token)"  # noqa: S105 (a stand-in)


def request_key(method: str, url: str, body: Any = None) -> RequestKey:
    parts = urlsplit(url)
    if isinstance(body, dict) and "access_token" in body and parts.path.rstrip("/").endswith("/oauth2/exchange"):
        body = {**body, "access_token": AAD_TOKEN_STAND_IN}
    if not parts.scheme or not parts.hostname:
        raise ValueError(f"not an absolute URL: {url}")
    query = tuple(
        sorted(
            (name.lower(), value)
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
            if name.lower() != "api-version"
        )
    )
    path = unquote(parts.path).rstrip("/").lower() or "/"
    return (method.upper(), parts.hostname.lower(), path, query, canonical_body(body))


def load_fixture_file(path: Path) -> FixtureFile:
    try:
        return msgspec.json.decode(path.read_bytes(), type=FixtureFile)
    except msgspec.ValidationError as exc:
        raise FixtureError(f"{path}: {exc} (see fixtures/README.md for the format)") from None
    except msgspec.DecodeError as exc:
        raise FixtureError(f"{path}: not valid JSON ({exc})") from None


def load_fixture_dir(directory: Path) -> dict[RequestKey, RecordedResponse]:
    """Every interaction under ``directory``, keyed for matching. A duplicate request is an
    error naming both files: replay must be unambiguous."""
    if not directory.is_dir():
        raise FixtureError(f"{directory}: no such fixture directory (expected a folder of JSON fixture files)")
    files = sorted(p for p in directory.rglob("*.json") if p.is_file())
    if not files:
        raise FixtureError(f"{directory}: holds no *.json fixture files")
    responses: dict[RequestKey, RecordedResponse] = {}
    origin: dict[RequestKey, Path] = {}
    for path in files:
        for index, interaction in enumerate(load_fixture_file(path).interactions):
            try:
                key = request_key(interaction.request.method, interaction.request.url, interaction.request.body)
            except ValueError as exc:
                raise FixtureError(f"{path}: interactions[{index}].request: {exc}") from None
            if key in responses:
                raise FixtureError(
                    f"{path}: interactions[{index}] repeats {interaction.request.method} "
                    f"{interaction.request.url} ({body_digest(key)}), already in {origin[key]}"
                )
            responses[key] = interaction.response
            origin[key] = path
    return responses
