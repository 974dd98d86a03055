"""Key vaults, their secret metadata (data plane, ARM fallback) and keys (ARM).

No secret value is ever requested: the data plane is only asked for the secret list, and ARM
only for the secret list, whose items carry attributes and never a value. The transport's
secret guard refuses anything else.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError

from azaudit.clients import Clients
from azaudit.collect.sdk import get, identity_of, private_endpoints, properties_of, strings, tags_of, text
from azaudit.collect.spec import DatasetSpec, Per
from azaudit.collect.tasks import Collected, CollectionFailure, Task, describe_failure
from azaudit.collect.vault_challenge import seed_vault_challenge
from azaudit.inventory.common import Subscription, resource_group_of
from azaudit.inventory.coverage import CollectionNote, Dataset
from azaudit.inventory.keyvault import AccessPolicy, Key, KeyVault, Secret, SecretListing


def vault_record(vault: Any, subscription_id: str) -> KeyVault:
    props = properties_of(vault)
    acls = get(props, "network_acls")
    return KeyVault(
        id=vault.id,
        name=vault.name,
        subscription_id=subscription_id,
        resource_group=resource_group_of(vault.id),
        location=vault.location or "",
        tags=tags_of(get(vault, "tags")),
        vault_uri=text(get(props, "vault_uri")) or f"https://{vault.name}.vault.azure.net/",
        tenant_id=text(get(props, "tenant_id")) or "",
        sku=text(get(props, "sku", "name")) or "",
        enable_soft_delete=get(props, "enable_soft_delete"),
        enable_purge_protection=get(props, "enable_purge_protection"),
        enable_rbac_authorization=get(props, "enable_rbac_authorization"),
        public_network_access=text(get(props, "public_network_access")),
        network_default_action=text(get(acls, "default_action")) if acls is not None else None,
        ip_rule_count=len(get(acls, "ip_rules") or ()),
        virtual_network_rule_count=len(get(acls, "virtual_network_rules") or ()),
        private_endpoints=private_endpoints(get(props, "private_endpoint_connections")),
        access_policies=tuple(
            AccessPolicy(
                object_id=text(get(p, "object_id")) or "",
                tenant_id=text(get(p, "tenant_id")) or "",
                application_id=text(get(p, "application_id")),
                # hybrid models are mappings: the `keys` field is exposed as `keys_property`
                keys=strings(get(p, "permissions", "keys_property")),
                secrets=strings(get(p, "permissions", "secrets")),
                certificates=strings(get(p, "permissions", "certificates")),
                storage=strings(get(p, "permissions", "storage")),
            )
            for p in get(props, "access_policies") or ()
        ),
        identity=identity_of(get(vault, "identity")),
        ip_rules=tuple(text(get(r, "value")) or "" for r in get(acls, "ip_rules") or ()),
    )


def vaults(clients: Clients, sub: Subscription) -> Task:
    def run() -> Collected:
        client = clients.keyvault(sub.subscription_id)
        # list_by_subscription returns full properties; vaults.list() returns only ids.
        return task.each(client.vaults.list_by_subscription(), lambda v: vault_record(v, sub.subscription_id))

    task = Task(Dataset.VAULTS, sub.subscription_id, "vaults.listBySubscription", run)
    return task


def _data_plane_secrets(clients: Clients, vault: KeyVault) -> list[Secret]:
    seed_vault_challenge(vault.vault_uri, vault.tenant_id, clients.cloud)
    client = clients.secrets(vault.vault_uri)
    found = []
    for item in client.list_properties_of_secrets():
        times = _Times()
        found.append(
            Secret(
                vault_id=vault.id,
                name=item.name or "",
                subscription_id=vault.subscription_id,
                enabled=item.enabled is not False,
                expires=times.read("exp", item.expires_on),
                not_before=times.read("nbf", item.not_before),
                created=times.read("created", item.created_on),
                updated=times.read("updated", item.updated_on),
                content_type=item.content_type,
                managed=bool(item.managed),
                unreadable=times.unreadable,
            )
        )
    return found


def _arm_secrets(clients: Clients, vault: KeyVault) -> list[Secret]:
    client = clients.keyvault(vault.subscription_id)
    found = []
    for item in client.secrets.list(vault.resource_group, vault.name):
        attributes = get(item, "properties", "attributes")
        times = _Times()
        found.append(
            Secret(
                vault_id=vault.id,
                name=item.name or "",
                subscription_id=vault.subscription_id,
                enabled=get(attributes, "enabled") is not False,
                expires=times.read("exp", get(attributes, "expires")),
                not_before=times.read("nbf", get(attributes, "not_before")),
                created=times.read("created", get(attributes, "created")),
                updated=times.read("updated", get(attributes, "updated")),
                content_type=text(get(item, "properties", "content_type")),
                # ARM does not say whether a certificate backs the secret; its content type does.
                managed=(text(get(item, "properties", "content_type")) or "").lower()
                in ("application/x-pkcs12", "application/x-pem-file"),
                unreadable=times.unreadable,
            )
        )
    return found


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

    return Task(Dataset.SECRETS, vault.subscription_id, "secrets.list", run, vault.id, vault.name)


def _key_record(vault: KeyVault, key: Any) -> Key:
    props = key.properties
    policy = get(props, "rotation_policy")
    actions = tuple(
        (text(get(action, "action", "type")) or "").lower() for action in get(policy, "lifetime_actions") or ()
    )
    times = _Times()
    return Key(
        vault_id=vault.id,
        name=key.name,
        subscription_id=vault.subscription_id,
        enabled=get(props, "attributes", "enabled") is not False,
        expires=times.read("exp", get(props, "attributes", "expires")),
        key_type=text(get(props, "kty")),
        rotation_actions=actions,
        has_rotation_policy=policy is not None and bool(actions),
        unreadable=times.unreadable,
    )


def key_detail(clients: Clients, vault: KeyVault, name: str) -> Task:
    """GET one key: the rotation policy comes only with the key itself."""

    def run() -> Collected:
        client = clients.keyvault(vault.subscription_id)
        return Collected(records=[_key_record(vault, client.keys.get(vault.resource_group, vault.name, name))])

    key_id = f"{vault.id}/keys/{name}"
    return Task(Dataset.KEYS, vault.subscription_id, "keys.get", run, key_id, f"{vault.name}/{name}")


def keys(clients: Clients, vault: KeyVault) -> Task:
    def run() -> Collected:
        client = clients.keyvault(vault.subscription_id)
        collected = Collected()
        for key in client.keys.list(vault.resource_group, vault.name):
            if get(key, "properties", "rotation_policy") is not None:
                collected.records.append(_key_record(vault, key))
            else:
                collected.followups.append(key_detail(clients, vault, key.name or ""))
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
