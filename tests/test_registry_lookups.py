"""Image lookups read each tag, manifest and signature list once per run, whichever references name
them (the sample tenant's registry fixtures, replayed through the guarded transport)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import msgspec
from azure.core.pipeline.transport import RequestsTransport

from azaudit.audit import Audit
from azaudit.clients import Clients
from azaudit.clouds import CLOUDS, CloudName
from azaudit.collect.images import lookup
from azaudit.inventory.images import ImageArtifact
from azaudit.replay import ReplayCredential
from azaudit.replay.adapter import ReplayAdapter, replay_session
from azaudit.replay.fixtures import load_fixture_dir
from azaudit.transport import GuardedTransport
from tests.conftest import SAMPLE_TENANT, audit_replay
from tests.test_checks_images import REGISTRY as ANY_REGISTRY
from tools.scenarios.images import digest as digest_of

HOST = "contosodevacr.azurecr.io"
REGISTRY = msgspec.structs.replace(ANY_REGISTRY, name="contosodevacr", login_server=HOST)
DIGEST = digest_of("web/frontend:1.8.0")  # what the tag 1.8.0 names


class Counting(ReplayAdapter):
    def __init__(self) -> None:
        super().__init__(load_fixture_dir(SAMPLE_TENANT), "sample tenant")
        self.lock = threading.Lock()
        self.sent: list[tuple[str, str]] = []

    def answer(self, method: str, url: str, headers: Any, body: Any = None) -> Any:
        with self.lock:
            self.sent.append((method, urlsplit(url).path))
        return super().answer(method, url, headers, body)


def _clients(adapter: ReplayAdapter) -> Clients:
    transport = GuardedTransport(
        RequestsTransport(session=replay_session(adapter), session_owner=False),
        cloud=CLOUDS[CloudName.PUBLIC],
        connection_timeout=5,
        read_timeout=5,
    )
    transport.allow_registries([HOST])
    return Clients(ReplayCredential(), CLOUDS[CloudName.PUBLIC], transport, retry={"retry_total": 0})


def _artifact(clients: Clients, tag: str | None, digest: str | None) -> ImageArtifact:
    collected = lookup(clients, REGISTRY, "web/frontend", tag, digest).run()
    assert not collected.errors
    (record,) = collected.records
    assert isinstance(record, ImageArtifact)
    return record


def _reads(adapter: Counting) -> list[str]:
    return sorted(path for method, path in adapter.sent if method == "GET")


def test_a_pinned_and_a_plain_reference_of_one_image_read_it_once() -> None:
    adapter = Counting()
    clients = _clients(adapter)
    pinned = _artifact(clients, "1.8.0", DIGEST)
    plain = _artifact(clients, "1.8.0", None)
    # each container keeps its own result
    assert pinned.id != plain.id and pinned.reference == plain.reference == "1.8.0"
    assert pinned.manifest_digest == plain.manifest_digest == plain.tag_digest == DIGEST
    assert pinned.manifest_created_on == plain.manifest_created_on is not None
    assert pinned.signatures == plain.signatures
    # the tag, the manifest and its referrers once each (was twice each)
    assert _reads(adapter) == sorted(
        [
            "/acr/v1/web%2Ffrontend/_tags/1.8.0",
            "/acr/v1/web%2Ffrontend/_manifests/" + DIGEST.replace(":", "%3A"),
            f"/v2/web/frontend/referrers/{DIGEST}",
        ]
    )


def test_concurrent_lookups_of_one_image_wait_for_the_first_ones_reads() -> None:
    adapter = Counting()
    clients = _clients(adapter)
    start = threading.Barrier(6)
    found: list[ImageArtifact] = []

    def one(index: int) -> None:
        start.wait()
        found.append(_artifact(clients, "1.8.0", DIGEST if index % 2 else None))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(found) == 6 and {a.manifest_digest for a in found} == {DIGEST}
    assert len(_reads(adapter)) == 3


def test_a_recording_keeps_no_registry_token(tmp_path: Path, sample_audit: Audit) -> None:
    """The token endpoints' answers and the reads' Authorization never reach a recording, which
    still replays (the sample tenant recorded, then replayed)."""
    from azure.keyvault.secrets._shared import http_challenge_cache

    http_challenge_cache.clear()
    recording = tmp_path / "recorded"
    audit_replay(SAMPLE_TENANT, record=recording)
    text = "".join(file.read_text() for file in recording.rglob("*.json"))
    assert "oauth2/token" in text and "oauth2/exchange" in text
    assert "replay-acr-refresh" not in text and "replay-acr-access" not in text
    http_challenge_cache.clear()

    def images(report: Any) -> dict[tuple[str, str, str | None], str]:
        return {(f.code, f.resource_name, f.item): f.status for f in report.findings if f.code.startswith("IMG")}

    assert images(audit_replay(recording).report) == images(sample_audit.report) != {}


def test_requests_per_lookup() -> None:
    """A registry's first lookup: one exchange, the repository's token (of both actions) before its
    first read (no read sent without a token to draw a 401), then the tag, the manifest and its
    referrers with it. A lookup of another repository adds its token and its three reads; one of a
    repository already read, its reads alone."""
    adapter = Counting()
    clients = _clients(adapter)
    _artifact(clients, "1.8.0", None)
    quoted = DIGEST.replace(":", "%3A")
    assert adapter.sent == [
        ("POST", "/oauth2/exchange"),
        ("POST", "/oauth2/token"),
        ("GET", "/acr/v1/web%2Ffrontend/_tags/1.8.0"),
        ("GET", f"/acr/v1/web%2Ffrontend/_manifests/{quoted}"),
        ("GET", f"/v2/web/frontend/referrers/{DIGEST}"),  # the same token (was a second, of pull)
    ]
    adapter.sent.clear()
    nginx = lookup(clients, REGISTRY, "hub/nginx", "1.27.3", None).run()
    assert not nginx.errors
    assert [s[0] for s in adapter.sent] == ["POST", "GET", "GET", "GET"]
    adapter.sent.clear()
    _artifact(clients, "1.8.0", DIGEST)  # the same image pinned: read already
    assert adapter.sent == []
