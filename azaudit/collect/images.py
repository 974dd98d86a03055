"""What the container groups run: each group's instance view and the audited registries' metadata
of each running image.

- **Instance view** (``CONTAINER_GROUP_VIEWS``): one ``GET`` per group that runs an image from an
  audited registry (the list does not carry ``instanceView``): each container's and init
  container's current state, start time and restart count. Other groups' images are not
  resolvable, and their groups are not read again.
- **Registry metadata** (``REGISTRY_IMAGES``): only images from registries ARM listed in the
  audited scope are read, through the registry's data plane (:mod:`azaudit.registry_plane`): tag →
  digest and last update, the manifest's creation time, its Notary Project signature referrers.
  Each distinct (registry, repository, tag, digest) is one lookup, and each tag and each manifest
  (with its referrers) is read once per run, whichever lookups need it: ``repo:tag`` and
  ``repo:tag@digest`` of one image share both reads, each container keeping its own result. The
  answers are read as JSON by strict readers (:mod:`azaudit.collect.arm`'s): a value of the wrong
  type, or an answer without its ``tag`` or ``manifest`` object, is ERROR for that image, never
  PASS. Registries and container groups arrive in any order; a small per-run join
  (:class:`ImageJoin`) hands out each group's instance view and each lookup as soon as both the
  registry and an image from it are known. A registry
  that refuses (a token exchange or a read answered 401/403, as an ABAC registry does without
  Container Registry Repository Reader) is one collection error for that registry and a failure
  on each of its images: their checks report ERROR, never PASS.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import msgspec
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
)

from azaudit.clients import Clients
from azaudit.collect.aci import ACI_API
from azaudit.collect.arm import arm_get, date_time, integer, mapping, objects, properties, string
from azaudit.collect.sdk import shape_of
from azaudit.collect.spec import DatasetSpec, Per
from azaudit.collect.tasks import Collected, Task, UnusableShape, describe_failure
from azaudit.detect.image_ref import image_reference_or_none
from azaudit.errors import SecretReadRefusedError, TransportRefusal
from azaudit.inventory.aci import ContainerGroup
from azaudit.inventory.acr import Registry
from azaudit.inventory.coverage import CollectionError, Dataset
from azaudit.inventory.images import (
    MAX_PLATFORMS,
    ContainerGroupView,
    ContainerRuntime,
    ImageArtifact,
    PlatformManifest,
    looked_up_tag,
)
from azaudit.registry_plane import ChallengeRefusedError, ReferrersPagingError, RegistryPlane, registry_errors

# ---------------------------------------------------------------------------------------- instance view


def _runtime(definition: Mapping[str, Any], init: bool) -> ContainerRuntime:
    """One container of a GET body. Absent means: no instance view yet (state, start time and
    restart count unknown, None), as for a group still being created."""
    props = properties(definition)
    view = mapping(props, "instanceView") or {}
    current = mapping(view, "currentState") or {}
    return ContainerRuntime(
        name=string(definition, "name") or "",
        init=init,
        image=string(props, "image") or "",
        state=string(current, "state"),
        start_time=date_time(current, "startTime"),
        restart_count=integer(view, "restartCount"),
    )


def view_record(group: Mapping[str, Any], listed: ContainerGroup) -> ContainerGroupView:
    """A container group's instance view from its ARM JSON (``GET`` of the group)."""
    props = properties(group)
    if props.get("containers") is None:
        raise UnusableShape("its properties hold no containers")
    containers = [_runtime(c, init=False) for c in objects(props, "containers")]
    containers += [_runtime(c, init=True) for c in objects(props, "initContainers")]
    return ContainerGroupView(
        id=listed.id,
        name=listed.name,
        subscription_id=listed.subscription_id,
        state=string(mapping(props, "instanceView") or {}, "state"),
        containers=tuple(containers),
    )


def instance_view(clients: Clients, group: ContainerGroup) -> Task:
    def run() -> Collected:
        # the path's parts are the list's (tenant data): each quoted whole, as the SDK quotes them
        path = "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ContainerInstance/containerGroups/{}".format(
            *(quote(part, safe="") for part in (group.subscription_id, group.resource_group, group.name))
        )
        answer = arm_get(clients.arm(), path, ACI_API)
        if not isinstance(answer, Mapping):
            raise UnusableShape("the containerGroups.get answer is not an object")
        return Collected(records=[view_record(answer, group)])

    return Task(Dataset.CONTAINER_GROUP_VIEWS, group.subscription_id, "containerGroups.get", run, group.id, group.name)


# The image joins (group_images, registry_images) send no request and hand out the lookups: each a
# registry's sign-in (token exchange, a repository's token), tag, manifest and referrers, one after
# another. Run in the order they came, the joins waited behind the run's single reads (~1,000
# diagnostic settings and keys at 1,000 resources), and the lookups they then handed out behind the
# rest: the last of them ended the run with a few requests in flight (0.14-0.21 s, bench/timeline.py).
# A join goes first (it costs no request); its lookups then join the queue in the order they came.
# Raising the lookups themselves, or the lists that lead to them, bunched every registry's and
# vault's TLS handshakes and heavier reads at the start, all requests slower there (80-120 ms
# against 52 ms), for a longer run: in their order they mix with the light ARM reads.
JOIN_AHEAD = 1


def group_images(clients: Clients, group: ContainerGroup) -> Task:
    """Make ``group``'s images known to the join (no request): its instance view and the lookups
    of its images follow once a registry they come from is known."""

    def run() -> Collected:
        return Collected(followups=clients.run_state("images", ImageJoin).add_group(clients, group))

    return Task(
        Dataset.CONTAINER_GROUP_VIEWS,
        group.subscription_id,
        "group images",
        run,
        group.id,
        group.name,
        ahead=JOIN_AHEAD,
        paced=False,
    )


# ---------------------------------------------------------------------------------------- registry metadata

Image = tuple[str, str | None, str | None]  # repository, tag looked up, digest


class ImageJoin:
    """Pairs audited registries with the container groups that run images from them, as either
    arrives, and hands out each group's instance view and each distinct image lookup once. A group
    that runs nothing from an audited registry is never read again (its images are not
    resolvable, whatever its instance view says)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._registries: dict[str, Registry] = {}
        self._waiting: dict[str, list[tuple[ContainerGroup, Image]]] = {}
        self._viewed: set[str] = set()
        self._issued: set[tuple[str, str, str | None, str | None]] = set()

    def add_registry(self, clients: Clients, registry: Registry) -> list[Task]:
        host = registry.login_server.lower()
        with self._lock:
            self._registries.setdefault(host, registry)
            waiting = self._waiting.pop(host, [])
            return [t for group, image in waiting for t in self._issue(clients, group, self._registries[host], image)]

    def add_group(self, clients: Clients, group: ContainerGroup) -> list[Task]:
        tasks: list[Task] = []
        with self._lock:
            for container in group.containers:
                reference = image_reference_or_none(container.image)
                if reference is None:
                    continue
                image = (reference.repository, looked_up_tag(reference.tag, reference.digest), reference.digest)
                registry = self._registries.get(reference.registry)
                if registry is None:
                    self._waiting.setdefault(reference.registry, []).append((group, image))
                else:
                    tasks += self._issue(clients, group, registry, image)
        return tasks

    def _issue(self, clients: Clients, group: ContainerGroup, registry: Registry, image: Image) -> list[Task]:
        tasks = []
        if group.id.lower() not in self._viewed:
            self._viewed.add(group.id.lower())
            tasks.append(instance_view(clients, group))
        key = (registry.login_server.lower(), *image)
        if key not in self._issued:
            self._issued.add(key)
            tasks.append(lookup(clients, registry, *image))
        return tasks


def artifact_id(registry_id: str, repository: str, tag: str | None, digest: str | None) -> str:
    return f"{registry_id}/images/{repository}:{tag or ''}@{digest or ''}"


def registry_images(clients: Clients, registry: Registry) -> Task:
    """Make ``registry`` known to the join (no request): the lookups of images already seen from
    it follow."""

    def run() -> Collected:
        allowed = clients.transport.allow_registries([registry.login_server])
        if not allowed:
            return Collected()  # not a registry host of the audited cloud: its images stay unresolved
        return Collected(followups=clients.run_state("images", ImageJoin).add_registry(clients, registry))

    return Task(
        Dataset.REGISTRY_IMAGES,
        registry.subscription_id,
        "registry images",
        run,
        registry.id,
        registry.name,
        ahead=JOIN_AHEAD,
        paced=False,
    )


def lookup(clients: Clients, registry: Registry, repository: str, tag: str | None, digest: str | None) -> Task:
    identity = artifact_id(registry.id, repository, tag, digest)
    shown = (
        f"{registry.login_server.lower()}/{repository}" + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")
    )

    def run() -> Collected:
        plane = clients.registry_plane(registry.login_server)
        base = ImageArtifact(
            id=identity,
            name=shown,
            subscription_id=registry.subscription_id,
            registry_id=registry.id,
            login_server=registry.login_server.lower(),
            repository=repository,
            reference=tag or digest or "",
        )
        if plane.failure is not None:
            return Collected(records=[_failed(base, plane.failure, plane.refused_by)])
        try:
            return Collected(records=[_read(plane, base, tag, digest)])
        except (ClientAuthenticationError, HttpResponseError, ServiceRequestError) as exc:
            status = getattr(exc, "status_code", None)
            if status in (401, 403) or status is None:
                # the registry refused the run (or the credential refused its token), or cannot be
                # reached: none of its images is asked again
                return _registry_failed(plane, registry, base, exc)
            failure: Exception = exc
        except (
            SecretReadRefusedError,
            TransportRefusal,
            ReferrersPagingError,
            ChallengeRefusedError,
            AzureError,
            ValueError,
            TypeError,
            AttributeError,
            KeyError,
        ) as exc:
            # A request this image led to was refused by the run's own guards (a referrers page
            # linked to a blob, which the secret guard refuses, a redirect to another host, a
            # referrers page served before), the registry's challenge named a token endpoint
            # elsewhere, or its answer was unusable (UnusableShape, a ValueError): an error for
            # this image only.
            failure = exc
        error = task.failed(failure)
        error = msgspec.structs.replace(error, reason=_reason(failure))
        by = "azaudit" if isinstance(failure, _OWN_GUARDS) else None
        return Collected(records=[_failed(base, _with_status(error.status_code, error.reason), by)], errors=[error])

    task = Task(
        Dataset.REGISTRY_IMAGES,
        registry.subscription_id,
        "registry data plane",
        run,
        identity,
        shown,
        paced=False,  # the registry's own host, not ARM
    )
    return task


# The run's own refusals of a request a lookup led to (ImageArtifact.refused_by "azaudit").
_OWN_GUARDS = (SecretReadRefusedError, TransportRefusal, ReferrersPagingError, ChallengeRefusedError)


def _reason(exc: BaseException) -> str:
    """Why a registry read failed (see :func:`describe_failure`), with what the registry itself
    said for an HTTP error (its ``{"errors": [...]}`` answer, bounded: :func:`registry_errors`)."""
    status, reason = describe_failure(exc)
    said = registry_errors(exc.response) if isinstance(exc, HttpResponseError) else None
    return f"the registry said {said}" if said and status is not None else reason


def _with_status(status: int | None, reason: str) -> str:
    """An image's failure as its checks quote it: the HTTP status, then the reason (a collection
    error keeps the two apart and joins them itself when described)."""
    return f"HTTP {status}: {reason}" if status is not None else reason


def _registry_failed(plane: RegistryPlane, registry: Registry, base: ImageArtifact, exc: Exception) -> Collected:
    """The registry refused (401/403, or the run's credential for it) or could not be reached:
    one collection error for the registry, and a failure on each of its images."""
    status = getattr(exc, "status_code", None)
    reason = _reason(exc)
    if status in (401, 403) and (registry.role_assignment_mode or "").lower() == "abacrepositorypermissions":
        reason += (
            " (the registry uses ABAC repository permissions: reading it needs Container Registry Repository Reader)"
        )
    by = "registry" if status in (401, 403) else None
    with plane.lock:
        first = plane.failure is None
        if first:
            plane.failure, plane.refused_by = _with_status(status, reason), by
    error = CollectionError(
        dataset=Dataset.REGISTRY_IMAGES,
        subscription_id=registry.subscription_id,
        resource_id=registry.id,
        resource_name=registry.name,
        operation="registry data plane",
        status_code=status,
        reason=reason,
    )
    return Collected(records=[_failed(base, _with_status(status, reason), by)], errors=[error] if first else [])


def _failed(base: ImageArtifact, reason: str, refused_by: str | None) -> ImageArtifact:
    return msgspec.structs.replace(base, failure=reason, refused_by=refused_by)


def _read(plane: RegistryPlane, base: ImageArtifact, tag: str | None, digest: str | None) -> ImageArtifact:
    """An image's registry metadata. The tag, the manifest and its signatures are read once per
    run for each (repository, tag) and (repository, digest), whichever references name them."""
    fields: dict[str, Any] = {}
    repository = base.repository
    if tag is not None:
        fields |= plane.once(("tag", repository, tag), lambda: _tag_fields(plane, repository, tag))
    manifest = digest or fields.get("tag_digest")
    if manifest:
        fields["manifest_digest"] = manifest
        fields |= plane.once(("manifest", repository, manifest), lambda: _manifest_fields(plane, repository, manifest))
    return msgspec.structs.replace(base, **fields)


def _tag_fields(plane: RegistryPlane, repository: str, tag: str) -> dict[str, Any]:
    try:
        answer = plane.tag_properties(repository, tag)
    except ResourceNotFoundError as exc:
        return {"tag_found": False, "not_found": registry_errors(exc.response)}
    found = _attributes(answer, "tag")
    return {
        "tag_found": True,
        "tag_digest": string(found, "digest"),
        "tag_updated_on": date_time(found, "lastUpdateTime"),
    }


def _manifest_fields(plane: RegistryPlane, repository: str, manifest: str) -> dict[str, Any]:
    try:
        answer = plane.manifest_properties(repository, manifest)
    except ResourceNotFoundError as exc:
        return {"manifest_found": False, "not_found": registry_errors(exc.response)}
    found = _attributes(answer, "manifest")
    platforms, cut = _platforms(found)
    return {
        "manifest_found": True,
        "manifest_created_on": date_time(found, "createdTime"),
        "platforms": platforms,
        "platforms_cut": cut,
        "signatures": plane.signatures(repository, manifest),
    }


def _attributes(answer: Any, key: str) -> Mapping[str, Any]:
    """The ``tag`` or ``manifest`` object of a registry's ``/acr/v1`` answer (the REST spec's
    TagAttributes and ManifestAttributes); an answer without it is unusable (ERROR, never PASS)."""
    if not isinstance(answer, Mapping):
        raise UnusableShape(f"the registry's {key} answer is {shape_of(answer)}, not an object")
    found = mapping(answer, key)
    if found is None:
        raise UnusableShape(f"the registry's {key} answer holds no {key} object")
    return found


# An OCI digest (algorithm:encoded, as the image spec's grammar allows), at most this long.
_DIGEST = re.compile(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{1,128}")
_PLATFORM_PART = re.compile(r"[A-Za-z0-9._-]{1,32}")  # an os or architecture name worth keeping


def _platforms(manifest: Mapping[str, Any]) -> tuple[tuple[PlatformManifest, ...], bool]:
    """The platform manifests a multi-platform image's properties list (``references``: empty or
    absent for a single-platform manifest), at most :data:`MAX_PLATFORMS`, and whether more were
    listed. A value of the wrong type is unusable; registry text: an entry whose digest is not a
    digest is left out, an os or architecture that is not a plain short name is kept as unknown
    (None)."""
    listed = objects(manifest, "references")
    kept: list[PlatformManifest] = []
    for entry in listed[:MAX_PLATFORMS]:
        digest = string(entry, "digest")
        if digest is None or not _DIGEST.fullmatch(digest):
            continue
        kept.append(
            PlatformManifest(
                digest=digest,
                architecture=_platform_part(string(entry, "architecture")),
                os=_platform_part(string(entry, "os")),
            )
        )
    return tuple(kept), len(listed) > MAX_PLATFORMS


def _platform_part(value: str | None) -> str | None:
    return value if value is not None and _PLATFORM_PART.fullmatch(value) else None


DATASETS = (
    DatasetSpec(
        Dataset.CONTAINER_GROUP_VIEWS,
        {ContainerGroupView: "container_group_views"},
        Per.RECORD,
        group_images,
        follows=ContainerGroup,
    ),
    DatasetSpec(
        Dataset.REGISTRY_IMAGES,
        {ImageArtifact: "image_artifacts"},
        Per.RECORD,
        registry_images,
        follows=Registry,
        parents=(Dataset.REGISTRIES, Dataset.CONTAINER_GROUPS, Dataset.CONTAINER_GROUP_VIEWS),
    ),
)
