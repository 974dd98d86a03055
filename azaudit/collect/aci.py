"""Container groups, read as ARM JSON, with environment values and command lines classified in
memory only.

The list is read through the Container Instance client's own pipeline (:func:`provider_list`) without
building SDK models, and each item, or a Resource Graph row of the same shape, goes through
:func:`container_group_record`. Plain environment values are dropped as soon as each has been
classified; records keep the variable name and the kind of credential it looked like.

What an absent field means is said once, here, after the Microsoft.ContainerInstance REST spec
(``containerInstance.json``, api-version 2023-05-01) and Microsoft Learn; a field of the wrong
type makes that group unusable (its checks report ERROR), never a default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from azaudit.clients import Clients
from azaudit.collect.arm import (
    identity,
    integer,
    mapping,
    number,
    objects,
    optional_boolean,
    properties,
    string,
    tags,
    texts,
)
from azaudit.collect.registration import provider_list
from azaudit.collect.spec import DatasetSpec, Per
from azaudit.collect.tasks import Collected, Task, UnusableShape
from azaudit.detect.credentials import classify_command, classify_env_value, classify_url_user_info
from azaudit.inventory.aci import (
    Container,
    ContainerGroup,
    EnvVar,
    RegistryCredential,
    Resources,
    SecurityContext,
    Volume,
)
from azaudit.inventory.common import Subscription, resource_group_of
from azaudit.inventory.coverage import Dataset

# The API version the SDK's container group operations use (azure-mgmt-containerinstance 10.1).
ACI_API = "2023-05-01"

# ``properties.sku`` absent: a Standard group. The REST spec's ``ContainerGroupSku`` lists Standard,
# Dedicated and Confidential and the property is optional; Learn ("Confidential containers on Azure
# Container Instances") makes a group confidential only when deployed with the Confidential SKU,
# so a group deployed without one runs on the standard (shared) hosts.
DEFAULT_SKU = "Standard"


def _name(obj: Mapping[str, Any], what: str) -> str:
    """A required ``name`` (containers, variables, volumes): a string, never absent."""
    found = string(obj, "name")
    if found is None:
        raise UnusableShape(f"a {what} of it has no name")
    return found


def _env(container: Mapping[str, Any]) -> tuple[EnvVar, ...]:
    found = []
    for variable in objects(container, "environmentVariables"):
        name = _name(variable, "environment variable")
        value = string(variable, "value")
        # ARM never returns ``secureValue`` (write-only, x-ms-secret): a secure variable comes back
        # with its name alone, so a variable without a value counts as secure.
        found.append(
            EnvVar(
                name=name,
                secure=string(variable, "secureValue") is not None or value is None,
                has_value=bool(value),
                credential_kind=classify_env_value(name, value) if value else None,
            )
        )
    return tuple(found)


def _security_context(container: Mapping[str, Any]) -> SecurityContext | None:
    """``securityContext``; absent is None (the checks say what Azure does without one), and each
    absent field inside it is None too ("not set": Azure's runtime default, judged by the checks)."""
    context = mapping(container, "securityContext")
    if context is None:
        return None
    capabilities = mapping(context, "capabilities") or {}
    return SecurityContext(
        privileged=optional_boolean(context, "privileged"),
        allow_privilege_escalation=optional_boolean(context, "allowPrivilegeEscalation"),
        capabilities_add=texts(capabilities, "add"),
        capabilities_drop=texts(capabilities, "drop"),
        run_as_user=integer(context, "runAsUser"),
        run_as_group=integer(context, "runAsGroup"),
        seccomp_profile=string(context, "seccompProfile"),
    )


def _resources(container: Mapping[str, Any]) -> Resources:
    """``resources``; absent (init containers have none) is no request and no limit."""
    resources = mapping(container, "resources") or {}
    requests = mapping(resources, "requests") or {}
    limits = mapping(resources, "limits")
    limit_cpu = number(limits, "cpu") if limits is not None else None
    limit_memory = number(limits, "memoryInGB") if limits is not None else None
    return Resources(
        request_cpu=number(requests, "cpu"),
        request_memory_gb=number(requests, "memoryInGB"),
        limit_cpu=limit_cpu,
        limit_memory_gb=limit_memory,
        has_limits=limit_cpu is not None or limit_memory is not None,
    )


def _container(definition: Mapping[str, Any], init: bool) -> Container:
    # Each container's settings are under its own ``properties`` (required by the spec).
    props = properties(definition)
    return Container(
        name=_name(definition, "container"),
        image=string(props, "image") or "",
        init=init,
        env=_env(props),
        command_credentials=classify_command(texts(props, "command")),
        security_context=_security_context(props),
        resources=_resources(props),
        # a port without a number exposes nothing that can be named: skipped
        ports=tuple(p for p in (integer(port, "port") for port in objects(props, "ports")) if p is not None),
    )


def _volume(volume: Mapping[str, Any]) -> Volume:
    name = _name(volume, "volume")
    repo = mapping(volume, "gitRepo")
    if repo is not None:
        url = string(repo, "repository") or ""
        credential = classify_url_user_info(url)
        try:
            host = urlsplit(url).hostname
        except ValueError:
            host = None
        return Volume(
            name=name,
            kind="gitRepo",
            git_repository_has_credentials=credential is not None,
            git_repository_credential=credential,
            git_repository_host=host,
        )
    # ``secret`` comes back as ``{}`` (its values are never returned), ``emptyDir`` is ``{}``.
    for kind in ("azureFile", "emptyDir", "secret"):
        if mapping(volume, kind) is not None:
            return Volume(name=name, kind=kind)
    return Volume(name=name, kind="unknown")


def _ip_type(ip: Mapping[str, Any]) -> str:
    """``ipAddress.type`` (Public or Private): the REST spec requires it in every ``ipAddress``.
    Without it whether the address faces the internet is unknown, never "no IP address"."""
    found = string(ip, "type")
    if not found:
        raise UnusableShape("its ipAddress has no type (Public or Private)")
    return found


def _ip_ports(ip: Mapping[str, Any]) -> tuple[int, ...]:
    ports = []
    for port in objects(ip, "ports"):
        number_ = integer(port, "port")
        if number_ is None:  # required by the spec: a public port without a number cannot be judged
            raise UnusableShape("a port of its ipAddress has no number")
        ports.append(number_)
    return tuple(ports)


def container_group_record(group: Mapping[str, Any], subscription_id: str) -> ContainerGroup:
    """One container group from its ARM JSON (a list item, a GET body or a Resource Graph row).

    Absent means: ``sku`` Standard (:data:`DEFAULT_SKU`); ``osType`` not stated (None; the spec
    requires it on every group); ``ipAddress`` none (no IP address: ``ip_address_type`` None, no
    port, no FQDN; an ``ipAddress`` without its required ``type`` is unusable); ``subnetIds``,
    ``imageRegistryCredentials``, ``volumes``, ``initContainers`` none; ``diagnostics.logAnalytics``
    and ``encryptionProperties`` not configured (Microsoft-managed keys); ``identity`` none; a
    container's ``securityContext`` None (see :func:`_security_context`), its ``resources`` no
    request or limit. ``containers`` itself is required: absent or null, the
    group is unusable (an empty list is a group without containers)."""
    props = properties(group)
    resource_id, name = string(group, "id"), string(group, "name")
    if not resource_id or not name:
        raise UnusableShape("it has no id or name")
    if props.get("containers") is None:
        raise UnusableShape("its properties hold no containers")
    containers = [_container(c, init=False) for c in objects(props, "containers")]
    containers += [_container(c, init=True) for c in objects(props, "initContainers")]
    ip = mapping(props, "ipAddress")
    diagnostics = mapping(props, "diagnostics") or {}
    log_analytics = mapping(diagnostics, "logAnalytics") or {}
    encryption = mapping(props, "encryptionProperties") or {}
    sku = string(props, "sku", DEFAULT_SKU) or DEFAULT_SKU
    return ContainerGroup(
        id=resource_id,
        name=name,
        subscription_id=subscription_id,
        resource_group=resource_group_of(resource_id),
        location=string(group, "location") or "",
        tags=tags(group),
        os_type=string(props, "osType"),
        sku=sku,
        containers=tuple(containers),
        ip_address_type=_ip_type(ip) if ip is not None else None,
        ip_ports=_ip_ports(ip) if ip is not None else (),
        fqdn=string(ip, "fqdn") if ip is not None else None,
        subnet_ids=tuple(string(s, "id") or "" for s in objects(props, "subnetIds")),
        registry_credentials=tuple(
            RegistryCredential(
                server=string(c, "server") or "",
                username=string(c, "username"),
                identity=string(c, "identity"),
            )
            for c in objects(props, "imageRegistryCredentials")
        ),
        log_analytics_workspace_id=string(log_analytics, "workspaceId"),
        encryption_key_vault=string(encryption, "vaultBaseUrl"),
        volumes=tuple(_volume(v) for v in objects(props, "volumes")),
        identity=identity(group),
        confidential=sku.lower() == "confidential",
        encryption_key_name=string(encryption, "keyName"),
    )


def container_groups(clients: Clients, sub: Subscription) -> Task:
    def run() -> Collected:
        found, notes = provider_list(
            clients.arm(), sub, "Microsoft.ContainerInstance", "containerGroups", ACI_API, task.operation, task.dataset
        )
        collected = task.each(found, lambda g: container_group_record(g, sub.subscription_id))
        collected.notes.extend(notes)
        return collected

    task = Task(Dataset.CONTAINER_GROUPS, sub.subscription_id, "containerGroups.list", run)
    return task


DATASETS = (
    DatasetSpec(Dataset.CONTAINER_GROUPS, {ContainerGroup: "container_groups"}, Per.SUBSCRIPTION, container_groups),
)
