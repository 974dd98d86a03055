"""The join of what runs where, shared by the image checks and the report's runtime block: each
container and init container of the audited container groups with its instance view, its parsed
image reference, the audited registry it comes from and what that registry said about its image."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

from azaudit.detect.image_ref import ImageReference, image_reference_or_none
from azaudit.inventory import Inventory
from azaudit.inventory.aci import Container, ContainerGroup
from azaudit.inventory.acr import Registry
from azaudit.inventory.coverage import CollectionError, Dataset
from azaudit.inventory.images import ContainerRuntime, ImageArtifact, looked_up_tag


class JoinedContainer(NamedTuple):
    """One container joined with what the inventory knows of its image. ``runtime`` is None when
    the group's instance view lacks it, ``reference`` when the image reference cannot be parsed,
    ``registry`` when the image's registry is not an audited one, ``artifact`` when the registry
    was not asked about the image."""

    group: ContainerGroup
    container: Container
    runtime: ContainerRuntime | None
    reference: ImageReference | None
    registry: Registry | None
    artifact: ImageArtifact | None


def joined_containers(inventory: Inventory) -> Iterable[JoinedContainer]:
    """Every container and init container of the inventory's container groups, in group order.
    Joined once per inventory (:meth:`Inventory.shared`) and shared by every caller: the image
    checks and the report's runtime block each read them all."""
    return inventory.shared(_joined)


def _joined(inventory: Inventory) -> Iterator[JoinedContainer]:
    registries = {r.login_server.lower(): r for r in inventory.registries if r.login_server}
    for group in inventory.container_groups:
        view = inventory.view_of(group.id)
        for container in group.containers:
            runtime = None
            if view is not None:
                runtime = next(
                    (c for c in view.containers if c.name == container.name and c.init == container.init), None
                )
            reference = image_reference_or_none(container.image)
            registry = registries.get(reference.registry) if reference is not None else None
            artifact = None
            if reference is not None and registry is not None:
                tag = looked_up_tag(reference.tag, reference.digest)
                artifact = inventory.artifact_of(reference.registry, reference.repository, tag, reference.digest)
            yield JoinedContainer(group, container, runtime, reference, registry, artifact)


def registry_errors(inventory: Inventory) -> tuple[CollectionError, ...]:
    """The inventory's collection errors of the registries dataset, in order: the only ones
    :func:`unreadable_registry` reads, taken once per inventory (it is asked for every container
    whose registry is not audited, and read every error of the run each time)."""
    return inventory.derived(_registry_errors)


def _registry_errors(inventory: Inventory) -> tuple[CollectionError, ...]:
    return tuple(e for e in inventory.errors if e.dataset is Dataset.REGISTRIES)


def unreadable_registry(host: str, subscription_id: str, errors: Iterable[CollectionError]) -> CollectionError | None:
    """The collection error by which a registry of the audited subscriptions may be the image's
    though the inventory lacks it: its ARM record was unusable (the error names the registry), or
    the registry list of the group's own subscription was not read (the error names no resource).
    Only a host under an Azure Container Registry suffix can be an audited registry."""
    name, _, suffix = host.partition(".")
    if not suffix.startswith("azurecr."):
        return None
    for error in errors:
        if error.dataset is not Dataset.REGISTRIES:
            continue
        if error.resource_id and error.resource_name.lower() == name:
            return error
        if not error.resource_id and error.subscription_id.lower() == subscription_id.lower():
            return error
    return None
