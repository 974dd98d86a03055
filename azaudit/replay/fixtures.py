"""Load and validate fixture files: recorded request → response interactions.

A fixture file is JSON: ``{"interactions": [{"request": {"method", "url"}, "response": {"status",
"headers", "body"}}]}``. A tenant directory holds any number of them, in any sub-folders. Requests
are matched on method, host, path (case-insensitive, as ARM is) and query parameters other than
``api-version`` (the SDK sets that itself, also on ``nextLink`` pages).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import msgspec

from azaudit.errors import FixtureError

RequestKey = tuple[str, str, str, tuple[tuple[str, str], ...]]


class RecordedRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    method: str
    url: str


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


def request_key(method: str, url: str) -> RequestKey:
    parts = urlsplit(url)
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
    return (method.upper(), parts.hostname.lower(), path, query)


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
                key = request_key(interaction.request.method, interaction.request.url)
            except ValueError as exc:
                raise FixtureError(f"{path}: interactions[{index}].request: {exc}") from None
            if key in responses:
                raise FixtureError(
                    f"{path}: interactions[{index}] repeats {interaction.request.method} "
                    f"{interaction.request.url}, already in {origin[key]}"
                )
            responses[key] = interaction.response
            origin[key] = path
    return responses
