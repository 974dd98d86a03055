"""What the image checks share: each container of each audited group, joined with its instance
view, its audited registry and what that registry's data plane said about its image."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from typing import Generic, NamedTuple, TypeVar

from azaudit.catalogue import CheckContext
from azaudit.detect.image_ref import ImageReference, quoted
from azaudit.inventory import Inventory
from azaudit.inventory.coverage import CollectionError, Dataset
from azaudit.inventory.images import ImageArtifact
from azaudit.inventory.running import JoinedContainer, joined_containers, registry_errors
from azaudit.inventory.running import unreadable_registry as lost_registry
from azaudit.model import Outcome

T = TypeVar("T")

# What every image check reads (the collection errors of each become ERROR for what they cover).
RUNTIME = (Dataset.CONTAINER_GROUPS, Dataset.REGISTRIES, Dataset.CONTAINER_GROUP_VIEWS, Dataset.REGISTRY_IMAGES)


class RunningImage(JoinedContainer):
    """A container joined with its image (:class:`azaudit.inventory.running.JoinedContainer`), as
    the image checks judge it."""

    @property
    def kind(self) -> str:
        return "init container" if self.container.init else "container"

    @property
    def label(self) -> str:
        return f"{self.kind} {self.container.name}"

    def drifted(self) -> bool:
        """True when the container runs a tag (no digest) that was updated after it started: the
        digest it runs is not the one the tag names now, and is not known."""
        artifact, runtime, reference = self.artifact, self.runtime, self.reference
        return bool(
            reference is not None
            and reference.digest is None
            and artifact is not None
            and artifact.tag_updated_on is not None
            and runtime is not None
            and runtime.start_time is not None
            and artifact.tag_updated_on > runtime.start_time
        )

    def running_digest(self) -> str | None:
        """The digest the container runs: its pinned digest, or its tag's digest when the tag has
        not moved since the container started."""
        if self.reference is None or self.artifact is None:
            return None
        if self.reference.digest is not None:
            return self.reference.digest
        return None if self.drifted() else self.artifact.tag_digest

    def evidence(self, *keys: str) -> dict[str, str]:
        """The observed values of ``keys`` (names of :data:`EVIDENCE`) the verdict rests on: tags,
        digests and times, never a registry token or credential."""
        observed = {key: EVIDENCE[key](self) for key in keys}
        return {key: value for key, value in observed.items() if value is not None}


def _start(image: RunningImage) -> str | None:
    return when(image.runtime.start_time if image.runtime is not None else None)


def _found(value: bool | None) -> str:
    return "unknown" if value is None else ("found" if value else "not found (404)")


START = "properties.containers[].properties.instanceView.currentState.startTime"

# The values an image check may rest on, by the name the registry's data plane (ACR's
# `_tags/{tag}` and `_manifests/{digest}`) or the container group's instance view gives them.
EVIDENCE: dict[str, Callable[[RunningImage], str | None]] = {
    "tag": lambda i: i.reference.tag if i.reference is not None and i.reference.tag else "none (pinned by digest)",
    "digest": lambda i: i.reference.digest if i.reference is not None and i.reference.digest else None,
    "tag.digest": lambda i: (i.artifact.tag_digest if i.artifact is not None else None) or "unknown",
    "tag.lastUpdateTime": lambda i: when(i.artifact.tag_updated_on if i.artifact is not None else None),
    "tag.found": lambda i: _found(i.artifact.tag_found if i.artifact is not None else None),
    "manifest.digest": lambda i: (i.artifact.manifest_digest if i.artifact is not None else None) or "unknown",
    "manifest.found": lambda i: _found(i.artifact.manifest_found if i.artifact is not None else None),
    "manifest.createdTime": lambda i: when(i.artifact.manifest_created_on if i.artifact is not None else None),
    "referrers[notation signature]": lambda i: (
        str(i.artifact.signatures) if i.artifact is not None and i.artifact.signatures is not None else "unknown"
    ),
    START: _start,
}


def running_images(ctx: CheckContext) -> Iterator[RunningImage]:
    """Every container of the audited groups joined with its image, in group order: made once per
    inventory and shared by the image checks (:meth:`azaudit.inventory.Inventory.shared`)."""
    return iter(ctx.inventory.shared(_running))


def _running(inventory: Inventory) -> Iterator[RunningImage]:
    return (RunningImage(*joined) for joined in joined_containers(inventory))


def resolved_images(ctx: CheckContext) -> Iterator[tuple[RunningImage, Outcome | None]]:
    """Each running image (:func:`running_images`) with what :func:`unresolved` says of it given
    the inventory's collection errors: made once per inventory and shared by the image checks,
    which each asked again for every container (two texts and an outcome for each image from
    outside the audited registries)."""
    return iter(ctx.inventory.shared(_resolved))


def _resolved(inventory: Inventory) -> Iterator[tuple[RunningImage, Outcome | None]]:
    # the registries' errors are all unresolved() reads of the inventory's errors
    errors = registry_errors(inventory)
    return ((image, unresolved(image, errors)) for image in inventory.shared(_running))


def unreadable_registry(host: str, subscription_id: str, errors: Sequence[CollectionError]) -> str | None:
    """Why a registry of the audited subscriptions may be the image's though the inventory lacks
    it (see :func:`azaudit.inventory.running.unreadable_registry`)."""
    error = lost_registry(host, subscription_id, errors)
    if error is None:
        return None
    if error.resource_id:
        return f"registry {error.resource_name} of the audited subscriptions could not be read ({error.reason})"
    return "a subscription's registries could not be listed, so whether it comes from an audited one is unknown"


def unresolved(image: RunningImage, errors: Sequence[CollectionError] = ()) -> Outcome | None:
    """The outcome when nothing about the image can be judged: SKIPPED when it is not resolvable
    (an image from a registry outside the audit, a reference that cannot be parsed), ERROR when its
    audited registry could not be read. None when the registry's answer is there."""
    group, name = image.group, image.container.name
    if image.reference is None:
        return Outcome.skipped(
            group,
            f"not resolvable: {image.label}'s image reference {quoted(image.container.image)} "
            "cannot be parsed (ACI002)",
            item=name,
        )
    if image.registry is None:
        lost = unreadable_registry(image.reference.registry, image.group.subscription_id, errors)
        if lost is not None:
            return Outcome.errored(
                group,
                f"not assessed: {image.label} runs {quoted(image.reference.original)}, and {lost}",
                item=name,
            )
        return Outcome.skipped(
            group,
            f"not resolvable: {image.label} runs {quoted(image.reference.original)} from "
            f"{quoted(image.reference.registry)}, which is not a registry in the audited subscriptions",
            item=name,
        )
    if image.artifact is None:
        return Outcome.errored(
            group,
            f"not assessed: the registry {image.registry.name} was not asked about {image.label}'s image "
            f"{quoted(image.reference.original)} (its login server is not a registry host of the audited cloud, "
            "or the group's instance view was not read)",
            item=name,
        )
    if image.artifact.failure is not None:
        return Outcome.errored(
            group,
            f"not assessed: registry {image.registry.name} could not be read for {image.label}'s image "
            f"{quoted(image.reference.original)}: {image.artifact.failure}",
            item=name,
        )
    return None


class JudgedDigest(NamedTuple, Generic[T]):
    """A container whose running digest is the manifest its registry described, and the value
    of that manifest a check judges."""

    image: RunningImage
    reference: ImageReference
    digest: str
    value: T


def judged_digests(
    ctx: CheckContext, needs: Callable[[ImageArtifact], T | None]
) -> Iterator[Outcome | JudgedDigest[T]]:
    """Each container of the audited groups whose running digest can be judged on what ``needs``
    reads from its manifest (signatures, creation time), or the outcome that says why it cannot:
    not resolvable or its registry not read (:func:`unresolved`), no longer in its registry
    (:func:`gone`), a digest that is unknown or not the manifest read, or nothing for ``needs``
    (:func:`unknown_digest`)."""
    for image, outcome in resolved_images(ctx):
        outcome = outcome or gone(image)
        if outcome is None:
            artifact, reference, digest = image.artifact, image.reference, image.running_digest()
            assert artifact is not None and reference is not None
            value = needs(artifact)
            if digest is not None and digest == artifact.manifest_digest and value is not None:
                yield JudgedDigest(image, reference, digest, value)
                continue
            outcome = unknown_digest(image)
        yield outcome


def gone(image: RunningImage) -> Outcome | None:
    """SKIPPED when the image's tag or manifest no longer exists (IMG004 reports it)."""
    artifact = image.artifact
    if artifact is not None and (artifact.tag_found is False or artifact.manifest_found is False):
        return Outcome.skipped(
            image.group,
            f"not assessed: {image.label}'s image {quoted(artifact.name)} is no longer in its registry (IMG004)",
            item=image.container.name,
        )
    return None


def unknown_digest(image: RunningImage) -> Outcome:
    """SKIPPED for a tag that moved after the container started: the digest it runs is unknown."""
    return Outcome.skipped(
        image.group,
        f"not assessed: {image.label} runs a tag that was updated after it started, so the digest it runs is "
        "unknown (IMG002)",
        item=image.container.name,
    )


def when(value: dt.datetime | None) -> str:
    """``2026-11-01 09:30 UTC`` (the time as given: ARM's and the registry's times are UTC), or
    ``an unknown time``. Formatted with ``%``, five times cheaper than ``strftime`` and the same
    text; a year before 1000 is left to ``strftime``, whose padding of ``%Y`` depends on the C
    library."""
    if value is None:
        return "an unknown time"
    if value.year < 1000:
        return value.strftime("%Y-%m-%d %H:%M UTC")
    # %-formatting: an f-string with format specifiers formats each field through format(), 3 to 4 times slower
    return "%d-%02d-%02d %02d:%02d UTC" % (value.year, value.month, value.day, value.hour, value.minute)  # noqa: UP031
