"""Container groups, with environment values and command lines classified in memory only.

The SDK objects holding plain environment values are dropped as soon as each value has been
classified; records keep the variable name and the kind of credential it looked like.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from azaudit.clients import Clients
from azaudit.collect.sdk import get, identity_of, strings, tags_of, text
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


def _env(variables: Any) -> tuple[EnvVar, ...]:
    found = []
    for variable in variables or ():
        value = get(variable, "value")
        found.append(
            EnvVar(
                name=variable.name,
                secure=get(variable, "secure_value") is not None or (value is None),
                has_value=bool(value),
                credential_kind=classify_env_value(variable.name, value) if value else None,
            )
        )
    return tuple(found)


def _security_context(context: Any) -> SecurityContext | None:
    if context is None:
        return None
    return SecurityContext(
        privileged=get(context, "privileged"),
        allow_privilege_escalation=get(context, "allow_privilege_escalation"),
        capabilities_add=strings(get(context, "capabilities", "add")),
        capabilities_drop=strings(get(context, "capabilities", "drop")),
        run_as_user=get(context, "run_as_user"),
        run_as_group=get(context, "run_as_group"),
        seccomp_profile=text(get(context, "seccomp_profile")),
    )


def _resources(resources: Any) -> Resources:
    limits = get(resources, "limits")
    return Resources(
        request_cpu=get(resources, "requests", "cpu"),
        request_memory_gb=get(resources, "requests", "memory_in_gb"),
        limit_cpu=get(limits, "cpu"),
        limit_memory_gb=get(limits, "memory_in_gb"),
        has_limits=limits is not None and (get(limits, "cpu") is not None or get(limits, "memory_in_gb") is not None),
    )


def _container(definition: Any, init: bool) -> Container:
    return Container(
        name=definition.name,
        image=text(get(definition, "image")) or "",
        init=init,
        env=_env(get(definition, "environment_variables")),
        command_credentials=classify_command(tuple(get(definition, "command") or ())),
        security_context=_security_context(get(definition, "security_context")),
        resources=_resources(get(definition, "resources")),
        ports=tuple(int(p.port) for p in get(definition, "ports") or () if get(p, "port") is not None),
    )


def _volume(volume: Any) -> Volume:
    repo = get(volume, "git_repo")
    if repo is not None:
        url = text(get(repo, "repository")) or ""
        credential = classify_url_user_info(url)
        try:
            host = urlsplit(url).hostname
        except ValueError:
            host = None
        return Volume(
            name=volume.name,
            kind="gitRepo",
            git_repository_has_credentials=credential is not None,
            git_repository_credential=credential,
            git_repository_host=host,
        )
    for kind, attribute in (("azureFile", "azure_file"), ("emptyDir", "empty_dir"), ("secret", "secret")):
        if get(volume, attribute) is not None:
            return Volume(name=volume.name, kind=kind)
    return Volume(name=volume.name, kind="unknown")


def container_group_record(group: Any, subscription_id: str) -> ContainerGroup:
    if get(group, "containers") is None:
        # containers is required in every container group Azure returns; the SDK flattens
        # properties, so null, missing or empty properties all arrive as no containers at all.
        raise UnusableShape("its properties are null, missing or hold no containers")
    ip = get(group, "ip_address")
    containers = [_container(c, init=False) for c in get(group, "containers") or ()]
    containers += [_container(c, init=True) for c in get(group, "init_containers") or ()]
    return ContainerGroup(
        id=group.id,
        name=group.name,
        subscription_id=subscription_id,
        resource_group=resource_group_of(group.id),
        location=group.location,
        tags=tags_of(get(group, "tags")),
        os_type=text(get(group, "os_type")),
        sku=text(get(group, "sku")),
        containers=tuple(containers),
        ip_address_type=text(get(ip, "type")),
        ip_ports=tuple(int(p.port) for p in get(ip, "ports") or ()),
        fqdn=text(get(ip, "fqdn")),
        subnet_ids=tuple(text(get(s, "id")) or "" for s in get(group, "subnet_ids") or ()),
        registry_credentials=tuple(
            RegistryCredential(
                server=text(get(c, "server")) or "",
                username=text(get(c, "username")),
                identity=text(get(c, "identity")),
            )
            for c in get(group, "image_registry_credentials") or ()
        ),
        log_analytics_workspace_id=text(get(group, "diagnostics", "log_analytics", "workspace_id")),
        encryption_key_vault=text(get(group, "encryption_properties", "vault_base_url")),
        volumes=tuple(_volume(v) for v in get(group, "volumes") or ()),
        identity=identity_of(get(group, "identity")),
        confidential=(text(get(group, "sku")) or "").lower() == "confidential",
        encryption_key_name=text(get(group, "encryption_properties", "key_name")),
    )


def container_groups(clients: Clients, sub: Subscription) -> Task:
    def run() -> Collected:
        client = clients.container_instance(sub.subscription_id)
        return task.each(client.container_groups.list(), lambda g: container_group_record(g, sub.subscription_id))

    task = Task(Dataset.CONTAINER_GROUPS, sub.subscription_id, "containerGroups.list", run)
    return task


DATASETS = (
    DatasetSpec(Dataset.CONTAINER_GROUPS, {ContainerGroup: "container_groups"}, Per.SUBSCRIPTION, container_groups),
)
