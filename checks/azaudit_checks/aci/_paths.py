"""The ARM path of a container in a container group, for the evidence of a finding."""

from azaudit.inventory.aci import Container


def container_path(container: Container) -> str:
    """``properties.initContainers[]`` or ``properties.containers[]``: where Azure lists it."""
    return "properties.initContainers[]" if container.init else "properties.containers[]"
