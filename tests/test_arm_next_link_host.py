"""An ARM list's next page is read from ARM's own host only. The guarded transport lets a request
reach the cloud's ARM host, its vaults and the audited registries; a ``nextLink`` of an ARM list
that names a vault's or a registry's host would carry the run's ARM token there, and that host's
answer would be read as the list's next items (the subscriptions to audit, say). Key Vault's
secret list refuses a link off its vault's host the same way (``collect/vault_pipeline.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter

from azaudit.backend import guarded_transport
from azaudit.clients import Clients
from azaudit.clouds import CLOUDS, CloudName
from azaudit.collect.arm import arm_list
from azaudit.errors import AzauditError, ForeignHostError
from azaudit.replay import ReplayCredential
from azaudit.replay.adapter import replay_session
from azaudit.runconfig import RunConfig
from azaudit.scope.management_groups import subscriptions_under
from azaudit.scope.subscriptions import visible_subscriptions
from tests.conftest import scripted_response

ARM = "https://management.azure.com"
REGISTRY = "contosoprodacr.azurecr.io"


class FirstPageLinksTo(BaseAdapter):
    """The first page holds one item and a nextLink to ``link``; any other URL gets a page of its
    own item. Keeps (URL, whether it carried a token) of what was sent."""

    def __init__(self, link: str) -> None:
        super().__init__()
        self.link = link
        self.sent: list[tuple[str, bool]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        url = str(request.url)
        self.sent.append((url, "Authorization" in request.headers))
        item = {"subscriptionId": "s1", "type": "/subscriptions", "name": "s1"}
        if url.startswith(ARM + "/") and "skip" not in url:
            body: Any = {"value": [item], "nextLink": self.link}
        else:
            body = {"value": [{"subscriptionId": "planted", "type": "/subscriptions", "name": "planted"}]}
        return scripted_response(request, 200, body, {"Content-Type": "application/json; charset=utf-8"})

    def close(self) -> None:
        pass


def _clients(adapter: BaseAdapter, tmp_path: Path) -> Clients:
    transport = guarded_transport(RunConfig(working_directory=tmp_path), replay_session(adapter))
    transport.allow_registries([REGISTRY])
    return Clients(ReplayCredential(), CLOUDS[CloudName.PUBLIC], transport, retry={"retry_total": 0})


FOREIGN = [
    "https://attacker.vault.azure.net/subscriptions?skip=1",
    f"https://{REGISTRY}/subscriptions?skip=1",
    "https://ATTACKER.vault.azure.net./subscriptions?skip=1",
]


@pytest.mark.parametrize("link", FOREIGN)
def test_an_arm_lists_next_link_to_a_vault_or_registry_host_is_not_followed(link: str, tmp_path: Path) -> None:
    adapter = FirstPageLinksTo(link)
    with pytest.raises(
        ForeignHostError, match=r"^refused to send a request: the nextLink .* leads to \S+, not to ARM's host"
    ):
        arm_list(_clients(adapter, tmp_path).arm(), "/subscriptions/s1/resources", "2021-04-01", "resources.list")
    assert [url for url, _ in adapter.sent] == [f"{ARM}/subscriptions/s1/resources?api-version=2021-04-01"]


@pytest.mark.parametrize("link", FOREIGN)
def test_a_subscription_list_that_links_off_arm_is_one_clear_line(link: str, tmp_path: Path) -> None:
    for listing in (visible_subscriptions, lambda clients: subscriptions_under(clients, ["g"])):
        adapter = FirstPageLinksTo(link)
        with pytest.raises(AzauditError) as raised:
            listing(_clients(adapter, tmp_path))  # type: ignore[operator]
        assert ", not to ARM's host management.azure.com;" in str(raised.value) and "\n" not in str(raised.value)
        assert len(adapter.sent) == 1 and adapter.sent[0][0].startswith(ARM + "/")


@pytest.mark.parametrize(
    "link", [f"{ARM}/subscriptions?skip=1", "https://MANAGEMENT.azure.com/subscriptions?skip=1", f"{ARM}./x?skip=1"]
)
def test_a_next_link_on_arms_host_is_followed(link: str, tmp_path: Path) -> None:
    adapter = FirstPageLinksTo(link)
    found = visible_subscriptions(_clients(adapter, tmp_path))
    assert [s.subscription_id for s in found] == ["s1", "planted"]
    assert len(adapter.sent) == 2 and all(token for _, token in adapter.sent)
