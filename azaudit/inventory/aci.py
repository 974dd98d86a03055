"""Azure Container Instances records.

Environment variable *values* are never stored: the collector classifies each plain value in
memory (:mod:`azaudit.detect.credentials`) and keeps only the variable name, whether it was a
secure variable, and the classification. The same holds for command lines.
"""

from __future__ import annotations

import msgspec

# A container's command-line credentials are the detector's verdicts (position and kind, never the
# argument), classified at collection time; named here too as the type of Container.command_credentials.
from azaudit.detect.credentials import CommandCredential as CommandCredential
from azaudit.inventory.common import Identity, Tagged


class EnvVar(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    secure: bool  # declared as secureValue (its value is never returned by ARM)
    has_value: bool  # a non-empty plain value was present
    credential_kind: str | None = None  # what the plain value looked like, when a credential


class SecurityContext(msgspec.Struct, frozen=True, kw_only=True):
    privileged: bool | None = None
    allow_privilege_escalation: bool | None = None
    capabilities_add: tuple[str, ...] = ()
    capabilities_drop: tuple[str, ...] = ()
    run_as_user: int | None = None
    run_as_group: int | None = None
    seccomp_profile: str | None = None


class Resources(msgspec.Struct, frozen=True, kw_only=True):
    request_cpu: float | None = None
    request_memory_gb: float | None = None
    limit_cpu: float | None = None
    limit_memory_gb: float | None = None
    has_limits: bool = False


class Container(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    image: str
    init: bool
    env: tuple[EnvVar, ...]
    command_credentials: tuple[CommandCredential, ...]
    security_context: SecurityContext | None
    resources: Resources
    ports: tuple[int, ...] = ()


class RegistryCredential(msgspec.Struct, frozen=True, kw_only=True):
    server: str
    username: str | None
    identity: str | None


class Volume(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    kind: str  # azureFile, emptyDir, secret, gitRepo, unknown
    git_repository_has_credentials: bool = False  # a password, or a user name that is a credential
    git_repository_credential: str | None = None  # what it looked like (url-with-password...), never it
    git_repository_host: str | None = None


class ContainerGroup(Tagged, frozen=True, kw_only=True):
    id: str
    name: str
    subscription_id: str
    resource_group: str
    location: str
    os_type: str | None
    sku: str | None
    containers: tuple[Container, ...]  # init containers too, marked ``init``
    ip_address_type: str | None  # Public, Private, or None when no ipAddress
    ip_ports: tuple[int, ...]
    fqdn: str | None
    subnet_ids: tuple[str, ...]
    registry_credentials: tuple[RegistryCredential, ...]
    log_analytics_workspace_id: str | None
    encryption_key_vault: str | None
    volumes: tuple[Volume, ...]
    identity: Identity
    confidential: bool = False
    encryption_key_name: str | None = None
