"""What runs where: each container and init container of the audited container groups, joined
with its registry's answer about its image (digest, signature, drift, age), and what of it could
not be assessed and why. A pure function of the inventory, built at audit time so that the JSON
report carries it and ``azaudit report FILE`` renders it again without Azure.

Vulnerability counts are Microsoft Defender for Cloud's findings on the digest the container runs
(:func:`azaudit.inventory.vulnerabilities.assessment`, as IMG001 judges them): counts by severity,
and of those with a fix; or why they are not assessed (Defender's registry scanning off, Resource
Graph refused, the findings not read because no selected check needs them...).
"""

from __future__ import annotations

import datetime as dt

import msgspec

from azaudit.detect.image_ref import ImageReference
from azaudit.inventory import Inventory
from azaudit.inventory.aci import ContainerGroup
from azaudit.inventory.acr import Registry
from azaudit.inventory.images import ContainerRuntime, ImageArtifact
from azaudit.inventory.running import JoinedContainer, joined_containers, registry_errors, unreadable_registry
from azaudit.inventory.vulnerabilities import SEVERITIES, UNKNOWN, assessment

# The aspects of a running image the report judges; each is assessed or named in ``not_assessed``.
ASPECTS = ("digest", "signature", "drift", "age", "vulnerabilities")
NO_VULNERABILITY_DATA = "vulnerability data not collected"
VULNERABILITY_SEVERITIES = (*SEVERITIES, UNKNOWN)


class RunningContainer(msgspec.Struct, frozen=True, kw_only=True):
    """One container as the report's ``runtime`` block shows it. ``signature`` is ``signed``,
    ``unsigned`` or ``unknown``; ``drift`` is ``current`` (the container runs what its tag names
    now), ``moved`` (the tag names another image now) or ``unknown``. ``not_assessed`` maps each
    aspect that could not be judged (digest, signature, drift, age, vulnerabilities) to why."""

    subscription_id: str
    container_group: str
    container_group_id: str
    container: str
    init: bool = False
    image: str  # the reference as the group names it
    registry: str | None = None  # the registry host, None when the reference cannot be parsed
    registry_audited: bool = False  # the registry is one of the audited subscriptions'
    digest: str | None = None  # the digest the container runs, when known
    state: str | None = None  # Running, Waiting, Terminated (instance view)
    started: dt.datetime | None = None
    restarts: int | None = None
    signature: str = "unknown"
    signatures: int | None = None  # Notary Project signatures of the digest
    drift: str = "unknown"
    tag_digest: str | None = None  # what the tag names now
    tag_updated: dt.datetime | None = None
    created: dt.datetime | None = None  # the manifest's creation time in the registry
    age_days: int | None = None  # days from ``created`` to the audit's start
    # Defender for Cloud's findings on the digest by severity (critical, high, medium, low,
    # unknown), and those with a fix available; None when not assessed (see ``not_assessed``)
    vulnerabilities: dict[str, int] | None = None
    fixable_vulnerabilities: dict[str, int] | None = None
    not_assessed: dict[str, str] = {}


def _unreadable(host: str, subscription_id: str, inventory: Inventory) -> str | None:
    """Why an Azure Container Registry host may be an audited registry the inventory lacks."""
    error = unreadable_registry(host, subscription_id, registry_errors(inventory))
    if error is None:
        return None
    if error.resource_id:
        return f"registry {error.resource_name} could not be read ({error.reason})"
    return "the subscription's registries could not be listed"


def _unresolved(
    reference: ImageReference | None,
    registry: Registry | None,
    artifact: ImageArtifact | None,
    group: ContainerGroup,
    inventory: Inventory,
) -> str | None:
    """Why nothing about the image is known from its registry, or None when the registry answered."""
    if reference is None:
        return "not resolvable: the image reference cannot be parsed"
    if registry is None:
        lost = _unreadable(reference.registry, group.subscription_id, inventory)
        if lost is not None:
            return f"not assessed: {lost}"
        return f"not resolvable: registry {reference.registry} not audited"
    if artifact is None:
        return f"not assessed: registry {registry.name} was not asked about this image"
    if artifact.failure is not None:
        if artifact.refused_by == "azaudit":
            return f"not assessed: azaudit's own guard refused a read from registry {registry.name}: {artifact.failure}"
        if artifact.refused_by == "registry":
            return f"not assessed: registry {registry.name} refused: {artifact.failure}"
        return f"not assessed: registry {registry.name} could not be read: {artifact.failure}"
    if artifact.tag_found is False or artifact.manifest_found is False:
        return "not assessed: the image is no longer in its registry"
    return None


def _drift(
    reference: ImageReference, artifact: ImageArtifact, runtime: ContainerRuntime | None
) -> tuple[str, str | None]:
    """The drift state and, when unknown, why."""
    if reference.digest is not None:
        if reference.tag is not None and artifact.tag_digest and artifact.tag_digest != reference.digest:
            return "moved", None
        return "current", None
    start = runtime.start_time if runtime is not None else None
    if start is None:
        return "unknown", "not assessed: the instance view gives no start time"
    if artifact.tag_updated_on is None:
        return "unknown", "not assessed: the registry gives no last update of the tag"
    return ("moved" if artifact.tag_updated_on > start else "current"), None


def _entry(joined: JoinedContainer, inventory: Inventory, now: dt.datetime) -> RunningContainer:
    group, container, runtime, reference, registry, artifact = joined
    base = RunningContainer(
        subscription_id=group.subscription_id,
        container_group=group.name,
        container_group_id=group.id,
        container=container.name,
        init=container.init,
        image=container.image,
        registry=reference.registry if reference is not None else None,
        registry_audited=registry is not None,
        state=runtime.state if runtime is not None else None,
        started=runtime.start_time if runtime is not None else None,
        restarts=runtime.restart_count if runtime is not None else None,
    )
    missing: dict[str, str] = {}
    why = _unresolved(reference, registry, artifact, group, inventory)
    if why is not None or reference is None or artifact is None:
        reason = why or "not assessed"
        pinned = reference.digest if reference is not None else None
        unknown = dict.fromkeys(("signature", "drift", "age", "vulnerabilities"), reason)
        if pinned is None:
            unknown = {"digest": reason, **unknown}
        return msgspec.structs.replace(base, digest=pinned, not_assessed=unknown)
    drift, drift_why = _drift(reference, artifact, runtime)
    if drift_why is not None:
        missing["drift"] = drift_why
    digest = reference.digest or (artifact.tag_digest if drift == "current" else None)
    fields: dict[str, object] = {}
    if digest is None:
        reason = (
            "not assessed: the tag was updated after the container started, so the digest it runs is unknown"
            if drift == "moved"
            else drift_why or "not assessed: the digest the container runs is unknown"
        )
        missing |= {"digest": reason, "signature": reason, "age": reason, "vulnerabilities": reason}
    elif digest != artifact.manifest_digest:
        reason = "not assessed: the registry did not describe the digest the container runs"
        missing |= {"signature": reason, "age": reason, "vulnerabilities": reason}
    else:
        assert registry is not None
        record, vulnerable_why = assessment(
            inventory,
            registry,
            artifact.repository,
            digest,
            artifact.manifest_created_on,
            now,
            runtime.pulled if runtime is not None else None,
            platforms=artifact.platforms,
            platforms_cut=artifact.platforms_cut,
            os_type=group.os_type,
        )
        if record is None:
            missing["vulnerabilities"] = f"not assessed: {vulnerable_why}"
        else:
            fields["vulnerabilities"] = {s: record.by_severity.get(s, 0) for s in VULNERABILITY_SEVERITIES}
            fields["fixable_vulnerabilities"] = {s: record.fixable.get(s, 0) for s in VULNERABILITY_SEVERITIES}
        if artifact.signatures is None:
            missing["signature"] = "not assessed: the signature referrers were not read"
        else:
            fields["signature"] = "signed" if artifact.signatures else "unsigned"
            fields["signatures"] = artifact.signatures
        if artifact.manifest_created_on is None:
            missing["age"] = "not assessed: the registry gives no creation time of the manifest"
        else:
            fields["created"] = artifact.manifest_created_on
            fields["age_days"] = (now - artifact.manifest_created_on).days
    order = {aspect: index for index, aspect in enumerate(ASPECTS)}
    return msgspec.structs.replace(
        base,
        digest=digest,
        drift=drift,
        tag_digest=artifact.tag_digest,
        tag_updated=artifact.tag_updated_on,
        not_assessed=dict(sorted(missing.items(), key=lambda item: order[item[0]])),
        **fields,
    )


def vulnerability_summary(entry: RunningContainer) -> str | None:
    """``"1 critical, 2 high (fix available: 1 critical, 1 high)"``, ``"no finding"``, or None when
    the vulnerabilities were not assessed."""
    if entry.vulnerabilities is None:
        return None

    def listed(counts: dict[str, int]) -> str:
        return ", ".join(f"{n} {severity}" for severity, n in counts.items() if n)

    found = listed(entry.vulnerabilities)
    if not found:
        return "no finding"
    fixable = listed(entry.fixable_vulnerabilities or {})
    return f"{found} (fix available: {fixable or 'none'})"


def running_containers(inventory: Inventory, now: dt.datetime) -> tuple[RunningContainer, ...]:
    """Every container and init container of the inventory's container groups, in group order."""
    return tuple(_entry(joined, inventory, now) for joined in joined_containers(inventory))
