"""azaudit's own ARM reads go through a lean pipeline of the client (azaudit/collect/arm_pipeline.py):
the same request on the wire as the client's full pipeline, the same retry and guards, and no
resource provider registration."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.core.exceptions import ResourceExistsError
from azure.core.rest import HttpRequest
from requests.adapters import BaseAdapter, HTTPAdapter
from urllib3.response import HTTPResponse

from azaudit.backend import guarded_transport
from azaudit.clients import Clients
from azaudit.clouds import CLOUDS, CloudName
from azaudit.collect.arm import arm_get, arm_list
from azaudit.errors import ForeignHostError
from azaudit.replay import ReplayCredential
from azaudit.replay.adapter import replay_session
from azaudit.runconfig import RunConfig

SUBSCRIPTION = "00000000-0000-0000-0000-0000000000aa"
PATH = f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Security/pricings"
API = "2024-01-01"
# Azure's answer to a read of a provider the subscription is not registered for.
MESSAGE = (
    "The subscription is not registered to use namespace 'Microsoft.Security'. "
    "See https://aka.ms/rps-not-found for how to register subscriptions."
)


class Scripted(BaseAdapter):
    """Answers each request with the next scripted (status, headers, body); keeps what was sent."""

    def __init__(self, answers: list[tuple[int, dict[str, str], Any]]) -> None:
        super().__init__()
        self.answers = list(answers)
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.sent.append(request)
        status, headers, body = self.answers.pop(0) if self.answers else (200, {}, {"value": []})
        raw = HTTPResponse(
            body=io.BytesIO(json.dumps(body).encode()),
            headers={"Content-Type": "application/json", **headers},
            status=status,
            preload_content=False,
            decode_content=False,
        )
        return HTTPAdapter().build_response(request, raw)

    def close(self) -> None:
        pass


def clients_over(adapter: Scripted, tmp_path: Path) -> Clients:
    config = RunConfig(working_directory=tmp_path)
    transport = guarded_transport(config, replay_session(adapter))
    return Clients(
        ReplayCredential(), CLOUDS[CloudName.PUBLIC], transport, retry={"retry_total": 2, "retry_backoff_factor": 0}
    )


def test_the_lean_pipeline_sends_what_the_client_pipeline_sends(tmp_path: Path) -> None:
    adapter = Scripted([])
    client = clients_over(adapter, tmp_path).security(SUBSCRIPTION)
    url = f"https://management.azure.com{PATH}?api-version={API}"
    client._client.send_request(HttpRequest("GET", url, headers={"Accept": "application/json"}))
    arm_get(client, PATH, API)
    full, lean = adapter.sent
    assert lean.method == full.method and lean.url == full.url
    assert lean.headers.keys() == full.headers.keys()
    for name in ("Authorization", "User-Agent", "Accept"):
        assert lean.headers[name] == full.headers[name], name
    assert lean.headers["x-ms-client-request-id"] != full.headers["x-ms-client-request-id"]


def test_an_unregistered_resource_provider_is_azure_error_for_that_read_alone(tmp_path: Path) -> None:
    """The client's pipeline answered a 409 MissingSubscriptionRegistration by POSTing the
    provider's registration, which the secret guard refuses: the whole run ended."""
    error = {"error": {"code": "MissingSubscriptionRegistration", "message": MESSAGE}}
    adapter = Scripted([(409, {}, error)])
    client = clients_over(adapter, tmp_path).security(SUBSCRIPTION)
    with pytest.raises(ResourceExistsError, match="MissingSubscriptionRegistration"):
        arm_get(client, PATH, API)
    assert [request.method for request in adapter.sent] == ["GET"]


def test_a_throttled_read_is_retried_after_the_wait_azure_asks_for(tmp_path: Path) -> None:
    adapter = Scripted(
        [(429, {"Retry-After": "0"}, {"error": {"code": "TooManyRequests"}}), (200, {}, {"value": [{}]})]
    )
    client = clients_over(adapter, tmp_path).security(SUBSCRIPTION)
    assert arm_get(client, PATH, API) == {"value": [{}]}
    assert len(adapter.sent) == 2


def test_a_next_link_to_another_host_is_refused_by_the_guarded_transport(tmp_path: Path) -> None:
    adapter = Scripted([(200, {}, {"value": [], "nextLink": f"https://collector.example{PATH}?page=2"})])
    client = clients_over(adapter, tmp_path).security(SUBSCRIPTION)
    with pytest.raises(ForeignHostError):
        arm_list(client, PATH, API, "pricings")
    assert len(adapter.sent) == 1
