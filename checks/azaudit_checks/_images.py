"""The images a container group runs, parsed once, for the image checks (ACI001, ACI002)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from azaudit.detect.image_ref import ImageReference, image_reference_or_none, quoted
from azaudit.inventory.aci import Container, ContainerGroup
from azaudit.model import Outcome


class ImageUse(NamedTuple):
    container: Container
    kind: str  # "container" or "init container", as findings name it
    reference: ImageReference | None  # None when the reference cannot be parsed


def image_uses(group: ContainerGroup) -> Iterator[ImageUse]:
    for container in group.containers:
        reference = image_reference_or_none(container.image)
        yield ImageUse(container, "init container" if container.init else "container", reference)


def unparsable(group: ContainerGroup, use: ImageUse, consequence: str) -> Outcome:
    """The FAIL for an image reference that cannot be parsed: nothing can be shown about it."""
    return Outcome.failed(
        group,
        f"{use.kind} {use.container.name}: image reference {quoted(use.container.image)} cannot be parsed, "
        f"so {consequence}",
        item=use.container.name,
    )
