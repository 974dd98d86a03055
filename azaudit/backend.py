"""Where a run's requests go: Azure, recorded fixtures, or a session a caller injects.

One ``Backend`` is built per run, before anything is collected. It holds the ``requests``
session under azure-core's transport, the run's credential (shared, so each audience is asked
for a token once), the guarded transport every client sends through, the recorder when the run
records (``--record``), and the label the report gives the run's source. Nothing else in
azaudit asks whether a run is live or replayed: the rest of the stack runs the same way over
any backend.

- ``live``: the network and a credential from ``--auth``. Requests go over azaudit's own
  ``http.client`` transport (``WireTransport``), with ``network_session`` for what it leaves to
  ``requests``; a recorded run (``--record``) goes through ``requests`` alone (the recorder is a
  ``requests`` adapter).
- ``replay``: fixtures (``--replay DIR``) through a ``ReplayAdapter``, and a replay credential.
- ``injected``: a session (and usually a credential) the caller built: benchmarks and fault
  tests over a simulated network. A credential that is not injected is built as above.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import requests
from azure.core.credentials import TokenCredential
from azure.core.pipeline.transport import HttpTransport

from azaudit.auth import SharedTokenCredential, build_credential
from azaudit.clients import Clients
from azaudit.clouds import CLOUDS, Cloud
from azaudit.replay import ReplayAdapter, ReplayCredential, load_fixture_dir, replay_session
from azaudit.runconfig import RunConfig
from azaudit.sign_in import SignInTransport
from azaudit.transport import GuardedTransport, WireTransport, network_session, requests_transport
from azaudit.transport.graph_pacing import GraphPacer
from azaudit.transport.pacing import ArmPacer

if TYPE_CHECKING:
    from azaudit.replay.recorder import RecordingAdapter


class BackendKind(enum.Enum):
    LIVE = "live"
    REPLAY = "replay"
    INJECTED = "injected"


@dataclass
class Backend:
    """The run's session, credential, transport and recorder, built once by ``open_backend``."""

    kind: BackendKind
    config: RunConfig
    cloud: Cloud
    session: requests.Session
    credential: SharedTokenCredential
    transport: GuardedTransport
    recorder: RecordingAdapter | None
    source: str  # the report's label: "azure", "replay:<dir>", or "injected" (a session handed in)
    reconnect_after_fork: bool  # a forked process must open its own sockets (a network session)
    sign_in: SignInTransport | None = None  # the credential's sign-in transport, when azaudit built it
    wire: bool = False  # requests go over azaudit's http.client transport (a live run not recorded)

    def clients(self) -> Clients:
        return Clients(self.credential, self.cloud, self.transport)

    def forked_transport(self, pool_size: int, parts: int = 1) -> GuardedTransport:
        """A transport for a forked collection process, one of ``parts``: a fresh network session
        when the run talks to the network (pooled sockets must not be shared across a fork), else
        this one; the run's ARM pacing as this process's share of it (``transport/pacing.py``)."""
        if not self.reconnect_after_fork:
            transport = guarded_transport(self.config, self.session)
        else:
            transport = guarded_transport(self.config, network_session(pool_size), wire=self.wire, pool_size=pool_size)
        if self.transport.pacer is not None:
            transport.pacer = self.transport.pacer.share(parts)
        if self.transport.graph_pacer is not None:
            # each part queries Resource Graph for its own subscriptions, as the same user
            transport.graph_pacer = self.transport.graph_pacer.share(parts)
        return transport

    def close(self) -> None:
        """End the transport's threads and the credential; then write the recording, if any."""
        try:
            self.transport.shutdown()
        finally:
            self.credential.close()
            if self.sign_in is not None:
                self.sign_in.shutdown()

    def write_recording(self) -> None:
        if self.recorder is not None and self.config.record is not None:
            self.recorder.write(self.config.record)


def guarded_transport(
    config: RunConfig,
    session: requests.Session,
    *,
    wire: bool = False,
    pool_size: int | None = None,
    pace: bool = False,
) -> GuardedTransport:
    """The transport every client of a run sends through, over ``session``; with ``wire``, over
    azaudit's ``http.client`` transport (up to ``pool_size`` connections kept per host, by default
    the run's concurrency), ``session`` sending only what that one leaves to ``requests``; with
    ``pace``, ARM reads paced to ARM's limits (:mod:`azaudit.transport.pacing`) and Resource Graph
    queries to its quota (:mod:`azaudit.transport.graph_pacing`)."""
    cloud = CLOUDS[config.cloud]
    inner: HttpTransport = requests_transport(session)  # type: ignore[type-arg]
    if wire:
        inner = WireTransport(config.concurrency if pool_size is None else pool_size, fallback=inner)
    return GuardedTransport(
        inner,
        cloud=cloud,
        connection_timeout=min(config.timeout, 10.0),
        read_timeout=config.timeout,
        pacer=ArmPacer(urlsplit(cloud.arm_endpoint).hostname or "") if pace else None,
        graph_pacer=GraphPacer(urlsplit(cloud.arm_endpoint).hostname or "") if pace else None,
    )


def open_backend(
    config: RunConfig,
    notify: Callable[[str], None] = lambda message: None,
    *,
    session: requests.Session | None = None,
    credential: TokenCredential | None = None,
) -> Backend:
    """The backend ``config`` names, or the injected ``session`` and ``credential``."""
    cloud = CLOUDS[config.cloud]
    replay = config.replay
    sign_in: SignInTransport | None = None
    if credential is None:
        if replay is not None:
            credential = ReplayCredential()
        else:
            sign_in = SignInTransport(cloud)
            credential = build_credential(config.auth, cloud, config.tenant_id, notify, sign_in)
    shared = SharedTokenCredential(credential)
    recorder: RecordingAdapter | None = None
    wire = False
    if session is not None:
        kind = BackendKind.INJECTED
    else:
        kind = BackendKind.REPLAY if replay is not None else BackendKind.LIVE
        if replay is not None:
            session = replay_session(ReplayAdapter(load_fixture_dir(replay), source=str(replay)))
        else:
            session = network_session(config.concurrency)
            wire = config.record is None
        if config.record is not None:
            from azaudit.replay.recorder import RecordingAdapter  # its scrubbing tables: only with --record

            recorder = RecordingAdapter(session.get_adapter("https://"))
            session.mount("https://", recorder)
    return Backend(
        kind=kind,
        config=config,
        cloud=cloud,
        session=session,
        credential=shared,
        # A live run is paced to ARM's limits; a replayed or injected one answers from elsewhere.
        transport=guarded_transport(config, session, wire=wire, pace=kind is BackendKind.LIVE),
        recorder=recorder,
        source=f"replay:{replay}" if replay is not None else ("injected" if kind is BackendKind.INJECTED else "azure"),
        reconnect_after_fork=replay is None
        and isinstance(session.get_adapter("https://"), requests.adapters.HTTPAdapter),
        sign_in=sign_in,
        wire=wire,
    )
