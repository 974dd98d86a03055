"""One ARM client serves every service and every subscription (azaudit/clients.py,
azaudit/arm_client.py): each ARM read names its subscription in its path, so a client (with its
lean sender and token) per subscription, or per service, was work and memory for nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
from requests.adapters import BaseAdapter

from azaudit.auth import SharedTokenCredential
from azaudit.backend import guarded_transport
from azaudit.clients import Clients
from azaudit.clouds import CLOUDS, CloudName
from azaudit.collect import defender
from azaudit.inventory.common import Subscription
from azaudit.replay import ReplayCredential
from azaudit.replay.adapter import replay_session
from azaudit.runconfig import RunConfig
from tests.conftest import scripted_response

FIRST = "00000000-0000-0000-0000-0000000000a1"
SECOND = "00000000-0000-0000-0000-0000000000b2"


class Pricings(BaseAdapter):
    """Answers every read with one Standard plan whose id is under the subscription the URL names."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[str] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        url = str(request.url)
        self.sent.append(url)
        subscription = url.split("/subscriptions/", 1)[1].split("/", 1)[0]
        plan = {
            "id": f"/subscriptions/{subscription}/providers/Microsoft.Security/pricings/Containers",
            "name": "Containers",
            "properties": {"pricingTier": "Standard"},
        }
        return scripted_response(request, 200, {"value": [plan]}, {"Content-Type": "application/json"})

    def close(self) -> None:
        pass


def _clients(adapter: BaseAdapter, tmp_path: Path) -> Clients:
    transport = guarded_transport(RunConfig(working_directory=tmp_path), replay_session(adapter))
    return Clients(SharedTokenCredential(ReplayCredential()), CLOUDS[CloudName.PUBLIC], transport)


def test_every_read_shares_one_arm_client_with_no_operations(tmp_path: Path) -> None:
    clients = _clients(Pricings(), tmp_path)
    client = clients.arm()
    assert clients.arm() is client
    # no generated client: no operation that could read a subscription the path does not name
    assert [name for name in vars(client) if not name.startswith("_")] == []


def test_reads_through_the_shared_client_name_their_own_subscription(tmp_path: Path) -> None:
    adapter = Pricings()
    clients = _clients(adapter, tmp_path)
    plans = [
        defender.plans(clients, Subscription(subscription_id=sub, display_name=sub, state="Enabled")).run()
        for sub in (FIRST, SECOND)
    ]
    assert [p.records[0].subscription_id for p in plans] == [FIRST, SECOND]  # type: ignore[attr-defined]
    assert [url.split("?")[0] for url in adapter.sent] == [
        f"https://management.azure.com/subscriptions/{sub}/providers/Microsoft.Security/pricings"
        for sub in (FIRST, SECOND)
    ]


def test_a_client_built_already_is_read_while_another_is_being_built(tmp_path: Path) -> None:
    """Building a client (one per vault, registry) holds the lock: the other threads' reads must not wait for it."""
    import threading

    clients = _clients(Pricings(), tmp_path)
    first = clients.arm()
    building, release = threading.Event(), threading.Event()

    def slow_build() -> object:
        building.set()
        release.wait(10)
        return object()

    builder = threading.Thread(target=clients.run_state, args=("slow", slow_build))
    builder.start()
    try:
        assert building.wait(10)
        read: list[object] = []
        reader = threading.Thread(target=lambda: read.append(clients.arm()))
        reader.start()
        reader.join(5)
        assert read == [first]
    finally:
        release.set()
        builder.join(10)
    assert clients.run_state("slow", object) is clients.run_state("slow", object)
