"""A subscription list or a management group's descendants whose body is nested too deep to decode
(a JSON decoder's RecursionError) is one clear line before anything is audited, as any other
unreadable answer is: not a traceback. A collection task fails the same way into ERROR
(``collect/arm.py``'s ``_loads``)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from urllib3 import HTTPResponse

from azaudit.backend import guarded_transport
from azaudit.clients import Clients
from azaudit.clouds import CLOUDS, CloudName
from azaudit.errors import AzauditError
from azaudit.replay import ReplayCredential
from azaudit.replay.adapter import replay_session
from azaudit.runconfig import RunConfig
from azaudit.scope.management_groups import subscriptions_under
from azaudit.scope.subscriptions import visible_subscriptions


class Deep(BaseAdapter):
    """Answers every request 200 with ``body`` (a JSON text nested deeper than a decoder goes)."""

    def __init__(self, body: bytes) -> None:
        super().__init__()
        self.body = body

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        raw = HTTPResponse(
            body=io.BytesIO(self.body),
            headers={"Content-Type": "application/json; charset=utf-8"},
            status=200,
            preload_content=False,
            decode_content=False,
        )
        return HTTPAdapter().build_response(request, raw)

    def close(self) -> None:
        pass


LISTINGS = {
    "subscriptions": (visible_subscriptions, "could not list the subscriptions"),
    "management group": (lambda clients: subscriptions_under(clients, ["g"]), "could not read management group 'g'"),
}


@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"value": ' * 100_000], ids=["arrays", "objects"])
@pytest.mark.parametrize("listing", LISTINGS.values(), ids=LISTINGS.keys())
def test_a_listing_nested_too_deep_is_one_clear_line(listing: Any, body: bytes, tmp_path: Path) -> None:
    read, start = listing
    transport = guarded_transport(RunConfig(working_directory=tmp_path), replay_session(Deep(body)))
    clients = Clients(ReplayCredential(), CLOUDS[CloudName.PUBLIC], transport, retry={"retry_total": 0})
    with pytest.raises(AzauditError) as raised:
        read(clients)
    message = str(raised.value)
    assert message.startswith(start) and "RecursionError" in message and "\n" not in message
