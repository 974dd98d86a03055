"""A redirect in answer to a Resource Graph query (a POST) is that query's error, not a second POST
to wherever its ``Location`` says: the secret guard refuses a POST off the query's path as a write
(SecretReadRefusedError, an AzauditError), which ended the whole audit when a collection task met
it (collect/scheduler.py raises an AzauditError from a task), where any other bad answer costs
that one scope (ERROR)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from azure.core.exceptions import HttpResponseError
from requests.adapters import BaseAdapter

from azaudit.backend import guarded_transport
from azaudit.clients import Clients
from azaudit.clouds import CLOUDS, CloudName
from azaudit.collect.graph import graph_query
from azaudit.replay import ReplayCredential
from azaudit.replay.adapter import replay_session
from azaudit.runconfig import RunConfig
from tests.conftest import scripted_response


class Redirects(BaseAdapter):
    """Answers the query with ``status`` and a Location; keeps (method, URL) of what was sent."""

    def __init__(self, status: int, location: str) -> None:
        super().__init__()
        self.status, self.location = status, location
        self.sent: list[tuple[str, str]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.sent.append((str(request.method), str(request.url)))
        headers = {"Content-Type": "application/json; charset=utf-8", "Location": self.location}
        response = scripted_response(request, self.status, {}, headers)
        response.reason = "Redirect"
        return response

    def close(self) -> None:
        pass


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize(
    "location",
    [
        "https://evil.example/x",
        "https://management.azure.com/subscriptions/s1/resourceGroups/g/providers/Microsoft.KeyVault/vaults/v/x",
        "https://kv1.vault.azure.net/secrets/s",
    ],
    ids=["another host", "another ARM path", "a vault"],
)
def test_a_redirected_graph_query_is_the_querys_error(status: int, location: str, tmp_path: Path) -> None:
    adapter = Redirects(status, location)
    transport = guarded_transport(RunConfig(working_directory=tmp_path), replay_session(adapter))
    clients = Clients(ReplayCredential(), CLOUDS[CloudName.PUBLIC], transport, retry={"retry_total": 0})
    with pytest.raises(HttpResponseError) as raised:
        graph_query(clients.arm(), "Resources", ["s1"], "resources")
    assert raised.value.status_code == status
    assert [method for method, _ in adapter.sent] == ["POST"]
