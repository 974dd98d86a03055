"""Key vaults, their secret metadata (data plane, ARM fallback) and keys (ARM).

No secret value is ever requested: the data plane is only asked for the secret list, and ARM
only for the secret list, whose items carry attributes and never a value. The transport's
secret guard refuses anything else.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError

from azaudit.clients import Clients
from azaudit.collect.arm import (
    arm_get,
    arm_list,
    boolean,
    identity,
    mapping,
    objects,
    optional_boolean,
    private_endpoints,
    properties,
    string,
    tags,
    texts,
)
from azaudit.collect.registration import provider_list
from azaudit.collect.spec import DatasetSpec, Per
from azaudit.collect.tasks import Collected, CollectionFailure, Task, UnusableShape, describe_failure
from azaudit.collect.vault_challenge import seed_vault_challenge
from azaudit.collect.vault_pipeline import list_secrets
from azaudit.inventory.common import Subscription, resource_group_of
from azaudit.inventory.coverage import CollectionNote, Dataset
from azaudit.inventory.keyvault import AccessPolicy, Key, KeyVault, Secret, SecretListing

# The API version the SDK's vault, secret and key operations use (azure-mgmt-keyvault 14.1).
KEYVAULT_API = "2026-05-15"


def _policy(policy: Mapping[str, Any]) -> AccessPolicy:
    permissions = mapping(policy, "permissions") or {}
    return AccessPolicy(
        object_id=string(policy, "objectId") or "",
        tenant_id=string(policy, "tenantId") or "",
        application_id=string(policy, "applicationId"),
        keys=texts(permissions, "keys"),
        secrets=texts(permissions, "secrets"),
        certificates=texts(permissions, "certificates"),
        storage=texts(permissions, "storage"),
    )


def vault_record(vault: Mapping[str, Any], subscription_id: str) -> KeyVault:
    """One vault from its ARM JSON (a REST body or a Resource Graph row). Absent means: soft
    delete, purge protection and the RBAC model "not set" (None: the checks say what Azure does
    then), no firewall (``networkAcls`` absent: network_default_action None, no rule), no private
    endpoint, no access policy, no managed identity; ``vaultUri`` the public cloud's name."""
    props = properties(vault)
    resource_id, name = string(vault, "id"), string(vault, "name")
    if not resource_id or not name:
        raise UnusableShape("it has no id or name")
    acls = mapping(props, "networkAcls")
    ip_rules = objects(acls, "ipRules") if acls is not None else []
    return KeyVault(
        id=resource_id,
        name=name,
        subscription_id=subscription_id,
        resource_group=resource_group_of(resource_id),
        location=string(vault, "location") or "",
        tags=tags(vault),
        vault_uri=string(props, "vaultUri") or f"https://{name}.vault.azure.net/",
        tenant_id=string(props, "tenantId") or "",
        sku=string(mapping(props, "sku") or {}, "name") or "",
        enable_soft_delete=optional_boolean(props, "enableSoftDelete"),
        enable_purge_protection=optional_boolean(props, "enablePurgeProtection"),
        enable_rbac_authorization=optional_boolean(props, "enableRbacAuthorization"),
        public_network_access=string(props, "publicNetworkAccess"),
        network_default_action=string(acls, "defaultAction") if acls is not None else None,
        ip_rule_count=len(ip_rules),
        virtual_network_rule_count=len(objects(acls, "virtualNetworkRules")) if acls is not None else 0,
        private_endpoints=private_endpoints(props),
        access_policies=tuple(_policy(p) for p in objects(props, "accessPolicies")),
        identity=identity(vault),
        ip_rules=tuple(string(r, "value") or "" for r in ip_rules),
    )


def vaults(clients: Clients, sub: Subscription) -> Task:
    def run() -> Collected:
        # listBySubscription returns full properties (the resource list returns only ids)
        found, notes = provider_list(
            clients.arm(), sub, "Microsoft.KeyVault", "vaults", KEYVAULT_API, task.operation, task.dataset
        )
        collected = task.each(found, lambda v: vault_record(v, sub.subscription_id))
        collected.notes.extend(notes)
        return collected

    task = Task(Dataset.VAULTS, sub.subscription_id, "vaults.listBySubscription", run)
    return task


def _data_plane_secrets(clients: Clients, vault: KeyVault) -> list[Secret]:
    seed_vault_challenge(vault.vault_uri, vault.tenant_id, clients.cloud)
    # One unreadable item fails the listing: the vault's secret checks report ERROR for it.
    return [data_plane_secret_record(vault, item) for item in list_secrets(clients.secrets(vault.vault_uri))]


# What Key Vault means by a field a secret's attributes leave out. Every field of a secret list item
# but ``id``, and every attribute, is optional (Key Vault data-plane REST spec, Azure/azure-rest-api-
# specs specification/keyvault/data-plane/Security.KeyVault.Secrets/models.tsp, ``SecretItem`` and
# ``Attributes``): an object is disabled only when ``enabled`` says false (a secret or key is created
# enabled unless the request says otherwise), and a secret is managed (backs a certificate, whose
# lifecycle it follows) only when ``managed`` says true.
ENABLED_WHEN_ABSENT = True
MANAGED_WHEN_ABSENT = False


def data_plane_secret_record(vault: KeyVault, item: Mapping[str, Any]) -> Secret:
    """One item of the data plane's secret list (``{"id", "attributes", "contentType", "tags",
    "managed"}``, times in Unix seconds; never a value). Absent means: see ENABLED_WHEN_ABSENT and
    MANAGED_WHEN_ABSENT; no time, no content type. A value of the wrong type is unusable."""
    attributes = mapping(item, "attributes") or {}
    times = _Times()
    return Secret(
        vault_id=vault.id,
        name=_secret_name(string(item, "id")),
        subscription_id=vault.subscription_id,
        **_attribute_fields(attributes, times),
        content_type=string(item, "contentType"),
        managed=boolean(item, "managed", MANAGED_WHEN_ABSENT),
        unreadable=times.unreadable,
    )


def _attribute_fields(attributes: Mapping[str, Any], times: _Times) -> dict[str, Any]:
    """A secret's ``attributes`` as its record's fields, the same in the data plane's list and
    ARM's: enabled (Azure's default when absent), and its times (unreadable ones noted in ``times``)."""
    return {
        "enabled": boolean(attributes, "enabled", ENABLED_WHEN_ABSENT),
        "expires": times.read("exp", attributes.get("exp")),
        "not_before": times.read("nbf", attributes.get("nbf")),
        "created": times.read("created", attributes.get("created")),
        "updated": times.read("updated", attributes.get("updated")),
    }


# A secret identifier as Key Vault writes it: https, a plain host name and port, two or three plain
# path segments (and a trailing '/'). urlsplit gives such an id scheme https, that host name and
# that path, so its name is the second segment (tests/test_keyvault_secret_names.py compares).
_SEGMENT = r"[A-Za-z0-9._~%!$&'()*+,;=:@-]+"
_PLAIN_SECRET_ID = re.compile(
    rf"https://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?::[0-9]{{1,5}})?/{_SEGMENT}/({_SEGMENT})(?:/{_SEGMENT})?/?"
)


def _secret_name(secret_id: str | None) -> str:
    """The name in a secret identifier, ``https://{vault}/secrets/{name}[/{version}]`` (the segment
    after the collection, as the SDK reads it); an item without one is unusable."""
    plain = _PLAIN_SECRET_ID.fullmatch(secret_id) if secret_id else None
    if plain is not None:
        return plain.group(1)
    parts = urlsplit(secret_id or "")
    segments = [s for s in parts.path.split("/") if s]
    if not parts.scheme or not parts.hostname or len(segments) not in (2, 3):
        raise UnusableShape("its id is not a secret identifier")
    return segments[1]


def arm_secret_record(vault: KeyVault, item: Mapping[str, Any]) -> Secret:
    """One secret of ARM's secret list (attributes and content type, never a value). Absent means:
    enabled (Azure's default for ``attributes.enabled``), no time, no content type."""
    props = properties(item)
    attributes = mapping(props, "attributes") or {}
    content_type = string(props, "contentType")
    times = _Times()
    return Secret(
        vault_id=vault.id,
        name=string(item, "name") or "",
        subscription_id=vault.subscription_id,
        **_attribute_fields(attributes, times),
        content_type=content_type,
        # ARM does not say whether a certificate backs the secret; its content type does.
        managed=(content_type or "").lower() in ("application/x-pkcs12", "application/x-pem-file"),
        unreadable=times.unreadable,
    )


def _arm_secrets(clients: Clients, vault: KeyVault) -> list[Secret]:
    # One unreadable secret fails the listing: the vault's secret checks report ERROR for it
    # rather than judge a list that lacks a secret.
    found = arm_list(clients.arm(), f"{vault.id}/secrets", KEYVAULT_API, "secrets.list")
    return [arm_secret_record(vault, item) for item in found]


class _Times:
    """Reads the time attributes of one secret or key. The SDKs hand back whatever the answer held
    when it is not a time (``"exp": "tomorrow"``): such an attribute is read as absent and its name
    noted, so the checks that need it report that one item as not assessed, and the rest of the
    vault is still judged."""

    def __init__(self) -> None:
        self.unreadable: tuple[str, ...] = ()

    def read(self, attribute: str, value: Any) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                return dt.datetime.fromtimestamp(value, tz=dt.UTC)
            except (OverflowError, OSError, ValueError):
                pass
        self.unreadable = (*self.unreadable, attribute)
        return None


def secrets(clients: Clients, vault: KeyVault) -> Task:
    """Secret metadata from the data plane; when it refuses or cannot be reached (firewall,
    private endpoint, no data role), from ARM, with a note saying why."""

    def run() -> Collected:
        try:
            found = _data_plane_secrets(clients, vault)
            listing = SecretListing(vault_id=vault.id, source="data-plane")
            return Collected(records=[*found, listing])
        except (HttpResponseError, ClientAuthenticationError, ServiceRequestError) as exc:
            status, reason = describe_failure(exc)
            why = f"data plane {'answered ' + str(status) if status else 'failed'}: {reason}"
        try:
            found = _arm_secrets(clients, vault)
        except (HttpResponseError, ClientAuthenticationError, ServiceRequestError) as exc:
            status, reason = describe_failure(exc)
            code = f"answered {status}" if status else "failed"
            raise CollectionFailure(status, f"the {why}; the ARM secret list {code}: {reason}") from exc
        note = CollectionNote(
            dataset=Dataset.SECRETS,
            subscription_id=vault.subscription_id,
            resource_id=vault.id,
            resource_name=vault.name,
            message=f"secret metadata read through ARM because the {why}",
        )
        listing = SecretListing(vault_id=vault.id, source="arm", fallback_reason=why)
        return Collected(records=[*found, listing], notes=[note])

    # the vault's data plane first (not paced: ARM only if it refuses)
    return Task(Dataset.SECRETS, vault.subscription_id, "secrets.list", run, vault.id, vault.name, paced=False)


def key_record(vault: KeyVault, key: Mapping[str, Any]) -> Key:
    """One key from its ARM JSON. Absent means: enabled (Azure's default for
    ``attributes.enabled``), no expiry, no rotation policy (or one without lifetime actions)."""
    props = properties(key)
    attributes = mapping(props, "attributes") or {}
    policy = mapping(props, "rotationPolicy")
    actions = tuple(
        (string(mapping(action, "action") or {}, "type") or "").lower()
        for action in (objects(policy, "lifetimeActions") if policy is not None else ())
    )
    times = _Times()
    return Key(
        vault_id=vault.id,
        name=string(key, "name") or "",
        subscription_id=vault.subscription_id,
        enabled=boolean(attributes, "enabled", ENABLED_WHEN_ABSENT),
        expires=times.read("exp", attributes.get("exp")),
        key_type=string(props, "kty"),
        rotation_actions=actions,
        has_rotation_policy=policy is not None and bool(actions),
        unreadable=times.unreadable,
    )


def key_detail(clients: Clients, vault: KeyVault, name: str) -> Task:
    """GET one key: the rotation policy comes only with the key itself."""

    def run() -> Collected:
        # the name is the list's (tenant data): quoted whole, so it is one path segment
        body = arm_get(clients.arm(), f"{vault.id}/keys/{quote(name, safe='')}", KEYVAULT_API)
        if not isinstance(body, Mapping):
            raise UnusableShape("the keys.get answer is not an object")
        return Collected(records=[key_record(vault, body)])

    key_id = f"{vault.id}/keys/{name}"
    return Task(Dataset.KEYS, vault.subscription_id, "keys.get", run, key_id, f"{vault.name}/{name}")


def keys(clients: Clients, vault: KeyVault) -> Task:
    def run() -> Collected:
        collected = Collected()
        # One unreadable key fails the listing: the vault's key checks report ERROR for it.
        for key in arm_list(clients.arm(), f"{vault.id}/keys", KEYVAULT_API, "keys.list"):
            if mapping(properties(key), "rotationPolicy") is not None:
                collected.records.append(key_record(vault, key))
            else:
                collected.followups.append(key_detail(clients, vault, string(key, "name") or ""))
        return collected

    return Task(Dataset.KEYS, vault.subscription_id, "keys.list", run, vault.id, vault.name)


DATASETS = (
    DatasetSpec(Dataset.VAULTS, {KeyVault: "vaults"}, Per.SUBSCRIPTION, vaults),
    DatasetSpec(
        Dataset.SECRETS,
        {Secret: "secrets", SecretListing: "secret_listings"},
        Per.RECORD,
        secrets,
        follows=KeyVault,
    ),
    DatasetSpec(Dataset.KEYS, {Key: "keys"}, Per.RECORD, keys, follows=KeyVault),
)
