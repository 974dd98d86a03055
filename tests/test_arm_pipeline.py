"""azaudit's own ARM reads go through a lean pipeline of the client (azaudit/transport/lean_sender.py):
the same request on the wire as the client's full pipeline, the same retry and guards, and no
resource provider registration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from azure.core.exceptions import ResourceExistsError
from azure.core.rest import HttpRequest
from requests.adapters import BaseAdapter

from azaudit.backend import guarded_transport
from azaudit.clients import Clients
from azaudit.clouds import CLOUDS, CloudName
from azaudit.collect.arm import arm_get, arm_list
from azaudit.errors import ForeignHostError
from azaudit.replay import ReplayCredential
from azaudit.replay.adapter import replay_session
from azaudit.runconfig import RunConfig
from tests.conftest import scripted_response

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
        return scripted_response(request, status, body, {"Content-Type": "application/json", **headers})

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
    client = clients_over(adapter, tmp_path).arm()
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
    client = clients_over(adapter, tmp_path).arm()
    with pytest.raises(ResourceExistsError, match="MissingSubscriptionRegistration"):
        arm_get(client, PATH, API)
    assert [request.method for request in adapter.sent] == ["GET"]


def test_a_throttled_read_is_retried_after_the_wait_azure_asks_for(tmp_path: Path) -> None:
    adapter = Scripted(
        [(429, {"Retry-After": "0"}, {"error": {"code": "TooManyRequests"}}), (200, {}, {"value": [{}]})]
    )
    client = clients_over(adapter, tmp_path).arm()
    assert arm_get(client, PATH, API) == {"value": [{}]}
    assert len(adapter.sent) == 2


def test_a_next_link_to_another_host_is_refused_by_the_guarded_transport(tmp_path: Path) -> None:
    adapter = Scripted([(200, {}, {"value": [], "nextLink": f"https://collector.example{PATH}?page=2"})])
    client = clients_over(adapter, tmp_path).arm()
    with pytest.raises(ForeignHostError):
        arm_list(client, PATH, API, "pricings")
    assert len(adapter.sent) == 1


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_form_is_never_sent_again_where_a_redirect_points(tmp_path: Path, status: int) -> None:
    """A registry's token exchange POSTs the run's Azure AD token in its form: an answer
    redirecting it (307/308 keep the body; azure-core turns a 303 into a GET that still carries
    it) must not carry the token to another host, audited or not. The redirect is the answer."""
    from azaudit.transport import lean_sender

    location = "https://attackers-vault.vault.azure.net/secrets?api-version=7.4"
    adapter = Scripted([(status, {"Location": location}, {})])
    client = clients_over(adapter, tmp_path).arm()
    graph = "https://management.azure.com/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01"
    form = HttpRequest("POST", graph, data={"access_token": "t"})
    answer = lean_sender.lean_pipeline(client).run(form, stream=False).http_response
    assert answer.status_code == status
    assert len(adapter.sent) == 1


def test_a_read_is_still_redirected(tmp_path: Path) -> None:
    moved = f"https://management.azure.com{PATH}?api-version={API}&moved=1"
    adapter = Scripted([(307, {"Location": moved}, {}), (200, {}, {"value": [{}]})])
    client = clients_over(adapter, tmp_path).arm()
    assert arm_get(client, PATH, API) == {"value": [{}]}
    assert [r.url for r in adapter.sent][1] == moved


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_read_carrying_a_body_is_refused_before_it_is_sent(tmp_path: Path, method: str) -> None:
    from azaudit.errors import BodyOnReadError

    adapter = Scripted([])
    transport = clients_over(adapter, tmp_path).transport
    request = HttpRequest(method, "https://kv.vault.azure.net/secrets?api-version=7.4", data={"refresh_token": "r"})
    with pytest.raises(BodyOnReadError, match=f"refused to send a {method} with a body"):
        transport.send(request)
    assert adapter.sent == []
