"""What the container groups run: each container's state from its group's instance view, the
registry's metadata of each running image (tag, manifest, signatures)."""

from __future__ import annotations

import datetime as dt

import msgspec


class ContainerRuntime(msgspec.Struct, frozen=True, kw_only=True):
    """One container or init container as the group's instance view shows it."""

    name: str
    init: bool
    image: str
    state: str | None = None  # Running, Waiting, Terminated (currentState.state)
    start_time: dt.datetime | None = None  # currentState.startTime
    restart_count: int | None = None

    @property
    def pulled(self) -> dt.datetime | None:
        """When Container Instances last pulled the image, as far as the instance view tells: the
        start of a container never restarted (a group's start pulls its images; a restart in place
        may reuse the host's copy), else None."""
        return self.start_time if self.restart_count == 0 else None


class ContainerGroupView(msgspec.Struct, frozen=True, kw_only=True):
    """A container group's instance view (``GET`` of one group: the list does not carry it)."""

    id: str  # the container group's id
    name: str
    subscription_id: str
    state: str | None = None  # instanceView.state of the group
    containers: tuple[ContainerRuntime, ...] = ()


# The most platform manifests kept of one multi-platform image (an OCI image index or Docker
# manifest list): a registry sending more is cut there (ImageArtifact.platforms_cut).
MAX_PLATFORMS = 32


class PlatformManifest(msgspec.Struct, frozen=True, kw_only=True):
    """One manifest a multi-platform image refers to, as the registry's manifest properties list
    it (``references[]`` of ``GET /acr/v1/{name}/_manifests/{digest}``: digest, architecture, os).
    Registry text (a pusher chose it): renderers escape it."""

    digest: str
    architecture: str | None = None
    os: str | None = None


class ImageArtifact(msgspec.Struct, frozen=True, kw_only=True):
    """What an audited registry's data plane says about one image reference a container runs,
    read once per (registry, repository, tag or digest).

    ``tag_found`` / ``manifest_found`` are None when not asked (no tag; the manifest of a tag that
    is gone), False when the registry answered 404. ``signatures`` counts the Notary Project
    signature referrers of the manifest (None: not read). ``not_found`` is what the registry said
    when it answered 404 (``TAG_UNKNOWN: ...``, bounded; None when it said nothing readable).
    ``failure`` says why the registry could not be read for this image (a refused token exchange,
    a 403, a request the run's guards refused); then nothing else is known. ``refused_by`` says
    who refused: ``"registry"`` (its 401 or 403), ``"azaudit"`` (the run's own guards: the secret
    guard, the transport's host and paging rules), None when nobody did (no answer, an unusable one).
    ``platforms`` are the manifests the running manifest refers to when it is a multi-platform
    image (an image index or manifest list: the registry lists them under ``references``, empty
    for a single-platform manifest), at most :data:`MAX_PLATFORMS` (``platforms_cut`` when the
    registry listed more).
    """

    id: str  # {registry id}/images/{repository}@{reference}
    name: str  # {login server}/{repository}:{tag} or @{digest}
    subscription_id: str  # the registry's
    registry_id: str
    login_server: str
    repository: str
    reference: str  # the tag, or the digest when the image names no tag
    tag_found: bool | None = None
    tag_digest: str | None = None
    tag_updated_on: dt.datetime | None = None
    manifest_digest: str | None = None
    manifest_found: bool | None = None
    manifest_created_on: dt.datetime | None = None
    signatures: int | None = None
    platforms: tuple[PlatformManifest, ...] = ()
    platforms_cut: bool = False
    not_found: str | None = None
    failure: str | None = None
    refused_by: str | None = None


def platform_manifest(platforms: tuple[PlatformManifest, ...], os: str, architecture: str) -> PlatformManifest | None:
    """The first of ``platforms`` built for ``os``/``architecture`` (compared without case), or None."""
    for platform in platforms:
        if (platform.os or "").lower() == os.lower() and (platform.architecture or "").lower() == architecture.lower():
            return platform
    return None


def looked_up_tag(tag: str | None, digest: str | None) -> str | None:
    """The tag an image reference runs: its tag, ``latest`` when it names neither tag nor digest
    (Docker's default), none when it is pinned by digest alone."""
    return tag if tag is not None or digest is not None else "latest"
