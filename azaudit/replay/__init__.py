"""Replay recorded Azure REST responses through the real SDK (tests, the demo, benchmarks).

Only the bottom of the stack differs from a live run: the clients, their pipelines (retry,
paging, deserialisation, error mapping) and azure-core's ``RequestsTransport`` all run as they
would against Azure; the ``requests`` session underneath answers from fixtures instead of the
network. The fixture format is documented in ``fixtures/README.md``.
"""

from azaudit.replay.adapter import ReplayAdapter, replay_session
from azaudit.replay.credential import REPLAY_TENANT_ID, ReplayCredential
from azaudit.replay.fixtures import Interaction, RecordedResponse, load_fixture_dir, request_key

__all__ = [
    "REPLAY_TENANT_ID",
    "Interaction",
    "RecordedResponse",
    "ReplayAdapter",
    "ReplayCredential",
    "load_fixture_dir",
    "replay_session",
    "request_key",
]
