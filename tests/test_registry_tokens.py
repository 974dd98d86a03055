"""A registry's tokens are asked for once per run and scope, however many lookups of one repository
meet the registry's challenge at the same time (the sample tenant's fixtures, replayed through the
real SDK)."""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlsplit

from azure.core.pipeline.transport import RequestsTransport

from azaudit.clouds import CLOUDS, CloudName
from azaudit.registry_plane import RegistryPlane
from azaudit.replay import ReplayCredential
from azaudit.replay.adapter import ReplayAdapter, replay_session
from azaudit.replay.fixtures import load_fixture_dir
from azaudit.transport import GuardedTransport
from tests.conftest import SAMPLE_TENANT

HOST = "contosodevacr.azurecr.io"


def test_concurrent_lookups_of_one_repository_share_one_token() -> None:
    sent: list[tuple[str, str]] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    class Counting(ReplayAdapter):
        def answer(self, method: str, url: str, headers: Any, body: Any = None) -> Any:
            with lock:
                sent.append((method, urlsplit(url).path))
            if urlsplit(url).path == "/oauth2/token":
                threading.Event().wait(0.2)  # a slow token endpoint: the other lookups meet their 401 meanwhile
            return super().answer(method, url, headers, body)

    adapter = Counting(load_fixture_dir(SAMPLE_TENANT), "sample tenant")
    inner = RequestsTransport(session=replay_session(adapter), session_owner=False)
    transport = GuardedTransport(inner, cloud=CLOUDS[CloudName.PUBLIC], connection_timeout=5, read_timeout=5)
    transport.allow_registries([HOST])
    plane = RegistryPlane(HOST, ReplayCredential(), transport)
    digests: list[str] = []

    def lookup() -> None:
        start.wait()
        digests.append(str(plane.client.get_tag_properties("web/frontend", "1.8.0").digest))

    threads = [threading.Thread(target=lookup) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(digests) == 8 and len(set(digests)) == 1
    assert sent.count(("POST", "/oauth2/exchange")) == 1
    assert sent.count(("POST", "/oauth2/token")) == 1  # was one per lookup that met the challenge first
