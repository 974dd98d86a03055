"""The per-request CPU harness of the collectors (bench/records.py) runs every measured task over
the synthetic tenant with the send stubbed, and puts the stubbed functions back afterwards."""

from __future__ import annotations

from azaudit.collect import arm, keyvault
from azaudit.inventory.aci import ContainerGroup
from azaudit.inventory.images import ImageArtifact
from azaudit.inventory.keyvault import Key, Secret
from bench import records
from bench.synthetic import SyntheticTenant


def test_every_measured_operation_runs_and_the_stubs_are_put_back() -> None:
    originals = (arm._url, arm._send, keyvault.list_secrets, keyvault.seed_vault_challenge)
    totals, produced = records.measure(SyntheticTenant(1, 20), rounds=2)
    assert (arm._url, arm._send, keyvault.list_secrets, keyvault.seed_vault_challenge) == originals
    kinds = {type(record) for record in produced}
    assert {ContainerGroup, Secret, Key, ImageArtifact} <= kinds
    for operation in ("containerGroups.list", "containerGroups.get", "secrets.list", "keys.get", "registry data plane"):
        assert totals.tasks[operation] > 0 and totals.requests[operation] > 0, operation
    # no image lookup failed: each read the tenant's tag and manifest
    assert all(a.failure is None and a.manifest_found for a in produced if isinstance(a, ImageArtifact))
    assert records.digest(produced) == records.digest(records.measure(SyntheticTenant(1, 20), rounds=1)[1])
