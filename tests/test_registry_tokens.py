"""A registry's tokens are asked for once per run and scope, however many lookups of one repository
meet the registry's challenge at the same time (the sample tenant's fixtures, replayed through the
real SDK)."""

from __future__ import annotations

import re
import threading
from typing import Any
from urllib.parse import urlsplit

from azure.core.pipeline.transport import RequestsTransport

from azaudit.audit import Audit
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


def test_the_request_counts_name_each_registry_sign_in_step(sample_audit: Audit) -> None:
    """One exchange per registry, one token per scope, and one read without a token (answered 401)
    before each read: the counts say which is which (the benchmark's per-kind figures)."""
    kinds = sample_audit.stats.by_kind
    registry_reads = sum(n for kind, n in kinds.items() if re.match(r"GET \{data-plane\}/(acr/v1|v2)/", kind))
    assert registry_reads > 0
    assert kinds["POST {data-plane}/oauth2/exchange (registry sign-in: refresh token)"] == 4  # 4 registries read
    # metadata_read and pull of each repository read (none for the ABAC registry's refused pull)
    # (orders/migrate, the init container IMG001 fails, is read like the others)
    assert kinds["POST {data-plane}/oauth2/token (registry sign-in: access token of a scope)"] == 14
    unauthenticated = "GET {data-plane} without a token (registry sign-in: answered 401 with the scope it needs)"
    assert kinds[unauthenticated] == registry_reads
