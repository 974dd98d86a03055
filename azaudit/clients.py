"""The clients of a run: one ARM client for every Azure Resource Manager read
(:mod:`azaudit.arm_client`), a data-plane client per vault or registry, all on one credential and
transport."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from azaudit.clouds import Cloud

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential
    from azure.keyvault.secrets import SecretClient

    from azaudit.arm_client import ArmClient
    from azaudit.registry_plane import RegistryPlane
    from azaudit.transport import GuardedTransport

C = TypeVar("C")

RETRY = {
    # azure-core's RetryPolicy honours Retry-After on 429 and 503, and backs off exponentially on
    # other 5xx and on connection and read errors. It waits through the transport, which caps the
    # total wait for one request (transport.bounds.RETRY_WAIT_CAP_SECONDS) and bounds each attempt.
    "retry_total": 6,
    "retry_backoff_factor": 0.5,
    "retry_backoff_max": 30,
}


# The modules of the clients :class:`Clients` builds while collecting (each method imports its own).
# No generated management client is among them: every ARM read goes through the one ARM client.
CLIENT_MODULES = (
    "azaudit.arm_client",
    "azure.keyvault.secrets",
    "azaudit.registry_plane",
)


def import_client_modules() -> None:
    """Import :data:`CLIENT_MODULES`, before collection starts threads or processes: importlib
    hands a thread a half-imported module when two threads' imports wait on each other, and
    forked collection processes (``collect/pool.py``) inherit what the parent imported instead of
    each importing it again."""
    for name in CLIENT_MODULES:
        importlib.import_module(name)


class Clients:
    """Builds the run's clients lazily and caches them; safe to share between collector threads:
    the one ARM client (:meth:`arm`), a Key Vault data-plane client per vault, a registry
    data-plane client per registry.

    Each client's module is imported by the method that builds it: the Key Vault and registry
    SDKs cost about 45 and 30 ms of CPU to import, which a command that audits nothing (``--help``,
    ``azaudit checks``, ``azaudit report``) need not pay. Collection imports them all before it
    starts (:func:`import_client_modules`). No generated management client is imported: the
    operations and models of their nine packages were 28 % of the instructions of those imports."""

    def __init__(
        self,
        credential: TokenCredential,
        cloud: Cloud,
        transport: GuardedTransport,
        retry: dict[str, Any] | None = None,
    ) -> None:
        self.credential = credential
        self.cloud = cloud
        self.transport = transport
        self._retry = RETRY if retry is None else retry
        self._cache: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def _cached(self, kind: str, key: str, build: Callable[[], C]) -> C:
        # A client built already is read without the lock (one dict read; a client is stored once
        # built): the lock is held while a client is built (an SDK client: a fraction of a
        # millisecond, one per vault), and every collector thread's read of any client waited.
        client = self._cache.get((kind, key))
        if client is not None:
            return client  # type: ignore[no-any-return]
        with self._lock:
            client = self._cache.get((kind, key))
            if client is None:
                client = build()
                self._cache[(kind, key)] = client
            return client  # type: ignore[no-any-return]

    def arm(self) -> ArmClient:
        """The run's one ARM client (per collection process): every ARM read goes through it by its
        full path (``collect/arm.py``: ``arm_get``, ``arm_list``; ``collect/graph.py``'s Resource
        Graph query; the subscription list), each naming its own subscription. No generated
        management client is built nor imported: see :mod:`azaudit.arm_client`."""
        from azaudit.arm_client import ArmClient

        return self._cached(
            "arm",
            "",
            lambda: ArmClient(
                self.credential, self.cloud.arm_endpoint, self.cloud.arm_scope, self.transport, **self._retry
            ),
        )

    def registry_plane(self, login_server: str) -> RegistryPlane:
        """The data-plane client of one audited registry (``login_server`` as ARM reported it and
        the transport allows it: see :meth:`GuardedTransport.allow_registries`)."""
        from azaudit.registry_plane import RegistryPlane

        host = login_server.lower()
        return self._cached(
            "registry-plane", host, lambda: RegistryPlane(host, self.credential, self.transport, **self._retry)
        )

    def run_state(self, kind: str, build: Callable[[], C]) -> C:
        """One object per run (per collection process) of ``kind``, shared by collector threads:
        what joins records of two datasets as they arrive (see ``azaudit/collect/images.py``)."""
        return self._cached("run-state", kind, build)

    def secrets(self, vault_uri: str) -> SecretClient:
        """A data-plane client for one vault (its challenge policy asks for the vault audience).

        Every vault's client shares one generated Key Vault client: its pipeline and configuration
        do not depend on the vault (each request carries the vault's URL), and building them cost
        about 0.34 ms of CPU per vault (2,500 vaults at 10,000 resources). A vault's requests go
        through a lean sender of its own, with its own copy of the challenge policy
        (``collect/vault_pipeline.py``); the shared pipeline itself never sends."""
        from azure.keyvault.secrets import SecretClient

        shared = self._cached(
            "secrets",
            "",
            lambda: SecretClient(vault_uri, self.credential, transport=self.transport, **self._retry),
        )
        return self._cached(
            "secrets",
            vault_uri.lower(),
            lambda: SecretClient(vault_uri, self.credential, generated_client=shared._client),
        )
