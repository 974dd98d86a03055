"""Record a live audit as replay fixtures that keep only what the checks read.

Recording wraps the real HTTP adapter under azure-core's ``RequestsTransport``: each answer is
scrubbed in memory before it is kept, and the fixture files are written once the run is over.

Scrubbing is an **allow-list**: for each kind of answer (registries, container groups, vaults...)
:data:`SHAPES` names the fields the collectors read, and everything else is dropped: tags, probe
commands, volume mounts, extension settings, secret volume contents, registry and workspace keys,
token password values, anything Azure adds tomorrow. An answer of a kind not listed keeps only
its ARM envelope (``id``, ``name``, ``type``, paging). Of the fields kept, three carry values
azaudit classifies but must never store; they are rewritten so the replayed audit reaches the
same verdict with the same message:

- a container environment value becomes a marker the credential detector classifies exactly as
  it classified the real value (a fake sample of the same kind, or ``redacted``);
- a container command line keeps only its shape: program names, bare flags and the detector's
  vocabulary stay, every other argument becomes ``arg``, and each argument that carried a
  credential becomes a fake that the detector reports at the same position, with the same kind
  and flag;
- a ``gitRepo`` URL keeps its scheme and host; credentials in it become a fake of the same kind.

Never recorded either: any header (tokens travel in request headers), except a registry
referrers answer's link to its next page, rebuilt from that link alone; the Key Vault bearer
challenge (replay plays it itself).
"""

from __future__ import annotations

import json
import re
import threading
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import requests
from requests.adapters import BaseAdapter

from azaudit.detect.credentials import (
    LOGIN_TOOLS,
    SHORT_PASSWORD_FLAGS,
    WRAPPERS,
    classify_command,
    classify_env_value,
    classify_url_user_info,
)
from azaudit.errors import UsageError
from azaudit.inventory.aci import CommandCredential
from azaudit.registry_plane import next_link
from azaudit.replay.fixtures import AAD_TOKEN_STAND_IN, RequestKey, request_key, sent_body

# A fake sample per credential kind: recognisable as fake, classified as the same kind.
FAKE_SAMPLES = {
    "storage-connection-string": (
        "DefaultEndpointsProtocol=https;AccountName=recorded;AccountKey=" + "UmVjb3JkZWRGYWtlS2V5" * 4 + "==;"
    ),
    "connection-string-key": "Endpoint=sb://recorded.servicebus.windows.net/;SharedAccessKey=UmVjb3JkZWRGYWtlS2V5",
    "connection-string-password": "Server=recorded;Database=recorded;User Id=recorded;Password=RecordedFake1!",
    "sas-token": "sv=2024-01-01&ss=b&srt=o&sp=r&sig=UmVjb3JkZWRGYWtlU2lnbmF0dXJlMDAwMDA%3D",
    "jwt": "eyJhbGciOiJub25lIn0.eyJyZWNvcmRlZCI6dHJ1ZX0.UmVjb3JkZWRGYWtl",
    "github-token": "ghp_RecordedFakeTokenRecordedFake000000",
    "url-with-password": "https://recorded:RecordedFake@recorded.example/",
    "token-as-user-name": "RecordedFakeToken-0000000000",
}
GENERIC_FAKE = "RecordedFakeSecret-0000"
REDACTED = "redacted"  # a null word to the detector: never a credential, whatever the name
NOT_JSON = "(recorded by azaudit: the answer was not JSON; its content is not kept)"
NEUTRAL_ARGUMENT = "arg"  # too short to be anyone's credential
# Command-line words kept as they are: the detector's vocabulary (tools whose flags take
# passwords, wrappers), shells, and bare flags (``--password``, ``-c``) - no tenant value.
VOCABULARY = (
    set(SHORT_PASSWORD_FLAGS) | set(LOGIN_TOOLS) | set(WRAPPERS) | {"curl", "login", "sh", "bash", "ash", "zsh"}
)
BARE_FLAG = re.compile(r"^-{1,2}[A-Za-z][A-Za-z0-9_.-]{0,40}$")
PROGRAM = re.compile(r"^(?:[A-Za-z0-9_.-]+/)*([A-Za-z0-9_.-]{1,60})$")


def fake_for(kind: str) -> str:
    return FAKE_SAMPLES.get(kind, GENERIC_FAKE)


# --- environment values, command lines, git URLs -----------------------------------------------


def scrub_env_value(name: str, value: str) -> str:
    """A stand-in for ``value`` that the detector classifies as it classifies ``value``."""
    kind = classify_env_value(name, value)
    candidates = (fake_for(kind), GENERIC_FAKE, *FAKE_SAMPLES.values()) if kind else (REDACTED, "")
    return next((c for c in candidates if classify_env_value(name, c) == kind), candidates[0])


def _neutral(argument: str, index: int) -> str:
    program = PROGRAM.match(argument)
    if index == 0 and program:
        return program.group(1)
    if argument in VOCABULARY or BARE_FLAG.match(argument):
        return argument
    return NEUTRAL_ARGUMENT


def _stand_ins(hit: CommandCredential, original: list[str]) -> Iterator[dict[int, str]]:
    """Arguments (position → text) that carry a fake credential the way ``hit`` was carried."""
    values = (fake_for(hit.kind), GENERIC_FAKE, f"recorded:{GENERIC_FAKE}")
    flag, at = hit.flag, hit.position
    for value in values:
        if flag is None:
            yield {at: value}
            continue
        if flag.startswith("-") and at > 0 and original[at - 1] == flag:
            yield {at - 1: flag, at: value}
        if not flag.startswith("-"):
            yield {at: f"{flag}={value}"}
            yield {at: f"export {flag}={value}"}
            continue
        yield {at: f"{flag}={value}"}
        yield {at: f"{flag}{value}"}
        for tool in ("", *sorted(VOCABULARY)):
            yield {at: f"{tool} {flag} {value}".strip()}
            yield {at: f"{tool} {flag}{value}".strip()}
            yield {at: f"{tool} login {flag} {value}".strip()}
    yield {at: f"--password={GENERIC_FAKE}"}


def scrub_command(command: list[str]) -> list[str]:
    """The command's shape with fakes where it carried credentials (see the module docstring)."""
    hits = classify_command(tuple(command))
    scrubbed = [_neutral(argument, index) for index, argument in enumerate(command)]
    for hit in hits:
        for stand_in in _stand_ins(hit, command):
            trial = list(scrubbed)
            for position, text in stand_in.items():
                trial[position] = text
            if hit in classify_command(tuple(trial)):
                scrubbed = trial
                break
        else:
            scrubbed[hit.position] = fake_for(hit.kind)
    return scrubbed


def scrub_git_url(url: str) -> str:
    """Scheme and host of a ``gitRepo`` URL; its credentials become a fake of the same kind."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
    except ValueError:
        return "https://recorded.invalid/recorded.git"
    base = f"{parts.scheme or 'https'}://{{}}{host}/recorded.git"
    kind = classify_url_user_info(url)
    if kind is None:
        return base.format("")
    fake = fake_for(kind)
    for user_info in (f"recorded:{GENERIC_FAKE}@", f"{fake}@", f"x-access-token:{fake}@"):
        candidate = base.format(user_info)
        if classify_url_user_info(candidate) == kind:
            return candidate
    return base.format(f"recorded:{GENERIC_FAKE}@")


# --- the allow-list ------------------------------------------------------------------------------

# A shape is what to keep of a JSON value: KEEP keeps it whole (only for fields that are ids,
# enums, numbers, dates or lists of them); a dict keeps the listed keys of an object (or of each
# object of a list), ``"*"`` standing for any key; a function rewrites the value.
KEEP = True
Shape = Any


def _env(variables: Any) -> Any:
    if not isinstance(variables, list):
        return _empty_like(variables)
    kept = []
    for variable in variables:
        if not isinstance(variable, dict):
            kept.append(_empty_like(variable))
            continue
        item: dict[str, Any] = {"name": variable.get("name")} if "name" in variable else {}
        value = variable.get("value")
        if isinstance(value, str) and isinstance(variable.get("name"), str):
            item["value"] = scrub_env_value(variable["name"], value)
        elif "value" in variable:
            item["value"] = value if value is None or isinstance(value, bool | int | float) else _empty_like(value)
        if variable.get("secureValue") is not None:
            item["secureValue"] = REDACTED  # Azure never returns it; if it does, only that it did
        kept.append(item)
    return kept


def _command(command: Any) -> Any:
    if isinstance(command, list) and all(isinstance(argument, str) for argument in command):
        return scrub_command(command)
    return _empty_like(command)


def _git_url(url: Any) -> Any:
    return scrub_git_url(url) if isinstance(url, str) else _empty_like(url)


def _empty_like(value: Any) -> Any:
    """A value of the same JSON type that carries nothing."""
    if isinstance(value, dict):
        return {}
    if isinstance(value, list):
        return []
    if isinstance(value, str):
        return REDACTED
    return value  # null, a boolean or a number


ARM = {"id": KEEP, "name": KEEP, "type": KEEP, "location": KEEP}
IDENTITY = {
    "type": KEEP,
    "principalId": KEEP,
    "tenantId": KEEP,
    "userAssignedIdentities": {"*": {"principalId": KEEP, "clientId": KEEP}},
}
PRIVATE_ENDPOINTS = {
    "id": KEEP,
    "properties": {
        "privateEndpoint": {"id": KEEP},
        "privateLinkServiceConnectionState": {"status": KEEP},
        "provisioningState": KEEP,
    },
}
STATUS = {"status": KEEP}
REGISTRY = {
    **ARM,
    "sku": KEEP,
    "identity": IDENTITY,
    "properties": {
        "loginServer": KEEP,
        "provisioningState": KEEP,
        "adminUserEnabled": KEEP,
        "anonymousPullEnabled": KEEP,
        "publicNetworkAccess": KEEP,
        "networkRuleBypassOptions": KEEP,
        "networkRuleSet": {"defaultAction": KEEP, "ipRules": {"action": KEEP, "value": KEEP}},
        "privateEndpointConnections": PRIVATE_ENDPOINTS,
        "policies": {
            "quarantinePolicy": STATUS,
            "trustPolicy": {"type": KEEP, "status": KEEP},
            "retentionPolicy": {"days": KEEP, "status": KEEP},
            "exportPolicy": STATUS,
            "azureADAuthenticationAsArmPolicy": STATUS,
            "softDeletePolicy": {"retentionDays": KEEP, "status": KEEP},
        },
        "encryption": STATUS,
        "dataEndpointEnabled": KEEP,
        "zoneRedundancy": KEEP,
        "roleAssignmentMode": KEEP,
    },
}
TOKEN = {
    **ARM,
    "properties": {
        "status": KEEP,
        "scopeMapId": KEEP,
        "provisioningState": KEEP,
        "creationDate": KEEP,
        "credentials": {
            "passwords": {"name": KEEP, "expiry": KEEP, "creationTime": KEEP},
            "certificates": {"name": KEEP, "expiry": KEEP},
        },
    },
}
CACHE_RULE = {
    **ARM,
    "properties": {
        "sourceRepository": KEEP,
        "targetRepository": KEEP,
        "credentialSetResourceId": KEEP,
        "provisioningState": KEEP,
        "creationDate": KEEP,
    },
}
CONTAINER = {
    "name": KEEP,
    "properties": {
        "image": KEEP,
        "command": _command,
        "environmentVariables": _env,
        "ports": {"port": KEEP, "protocol": KEEP},
        "resources": {
            "requests": {"cpu": KEEP, "memoryInGB": KEEP},
            "limits": {"cpu": KEEP, "memoryInGB": KEEP},
        },
        "securityContext": {
            "privileged": KEEP,
            "allowPrivilegeEscalation": KEEP,
            "capabilities": {"add": KEEP, "drop": KEEP},
            "runAsUser": KEEP,
            "runAsGroup": KEEP,
            "seccompProfile": KEEP,
        },
        # the GET of one group: state, start time and restarts (never events' messages)
        "instanceView": {"restartCount": KEEP, "currentState": {"state": KEEP, "startTime": KEEP}},
    },
}
CONTAINER_GROUP = {
    **ARM,
    "identity": IDENTITY,
    "properties": {
        "provisioningState": KEEP,
        "osType": KEEP,
        "sku": KEEP,
        "containers": CONTAINER,
        "initContainers": CONTAINER,
        "ipAddress": {"type": KEEP, "ports": {"port": KEEP, "protocol": KEEP}, "fqdn": KEEP},
        "subnetIds": {"id": KEEP},
        "imageRegistryCredentials": {"server": KEEP, "username": KEEP, "identity": KEEP},
        "diagnostics": {"logAnalytics": {"workspaceId": KEEP}},
        "encryptionProperties": {"vaultBaseUrl": KEEP, "keyName": KEEP, "keyVersion": KEEP, "identity": KEEP},
        # which kind of volume it is, and the git host: never a file's content or a storage key
        "volumes": {"name": KEEP, "azureFile": {}, "emptyDir": {}, "secret": {}, "gitRepo": {"repository": _git_url}},
        "instanceView": {"state": KEEP},
    },
}
TIMES = {"enabled": KEEP, "nbf": KEEP, "exp": KEEP, "created": KEEP, "updated": KEEP, "recoveryLevel": KEEP}
VAULT = {
    **ARM,
    "identity": IDENTITY,
    "properties": {
        "tenantId": KEEP,
        "sku": KEEP,
        "vaultUri": KEEP,
        "accessPolicies": {
            "tenantId": KEEP,
            "objectId": KEEP,
            "applicationId": KEEP,
            "permissions": {"keys": KEEP, "secrets": KEEP, "certificates": KEEP, "storage": KEEP},
        },
        "enableSoftDelete": KEEP,
        "softDeleteRetentionInDays": KEEP,
        "enablePurgeProtection": KEEP,
        "enableRbacAuthorization": KEEP,
        "publicNetworkAccess": KEEP,
        "networkAcls": {
            "bypass": KEEP,
            "defaultAction": KEEP,
            "ipRules": {"value": KEEP},
            "virtualNetworkRules": {"id": KEEP},
        },
        "privateEndpointConnections": PRIVATE_ENDPOINTS,
        "provisioningState": KEEP,
    },
}
ARM_SECRET = {**ARM, "properties": {"attributes": TIMES, "contentType": KEEP}}
DATA_PLANE_SECRET = {"id": KEEP, "attributes": TIMES, "contentType": KEEP, "managed": KEEP}
KEY = {
    **ARM,
    "properties": {
        "attributes": TIMES,
        "kty": KEEP,
        "keySize": KEEP,
        "curveName": KEEP,
        "keyUri": KEEP,
        "rotationPolicy": {
            "attributes": {"expiryTime": KEEP},
            "lifetimeActions": {
                "action": {"type": KEEP},
                "trigger": {"timeAfterCreate": KEEP, "timeBeforeExpiry": KEEP},
            },
        },
    },
}
DIAGNOSTIC_SETTING = {
    **ARM,
    "properties": {
        "workspaceId": KEEP,
        "storageAccountId": KEEP,
        "eventHubAuthorizationRuleId": KEEP,
        "marketplacePartnerId": KEEP,
        "logs": {"category": KEEP, "categoryGroup": KEEP, "enabled": KEEP},
    },
}
ROLE_ASSIGNMENT = {
    **ARM,
    "properties": {
        "roleDefinitionId": KEEP,
        "principalId": KEEP,
        "principalType": KEEP,
        "scope": KEEP,
        "condition": KEEP,
        "conditionVersion": KEEP,
    },
}
ROLE_DEFINITION = {
    **ARM,
    "properties": {
        "roleName": KEEP,
        "type": KEEP,
        "assignableScopes": KEEP,
        "permissions": {"actions": KEEP, "notActions": KEEP, "dataActions": KEEP, "notDataActions": KEEP},
    },
}
IDENTITY_RESOURCE = {**ARM, "properties": {"tenantId": KEEP, "principalId": KEEP, "clientId": KEEP}}
PRICING = {
    **ARM,
    "properties": {
        "pricingTier": KEEP,
        "subPlan": KEEP,
        "deprecated": KEEP,
        "enablementTime": KEEP,
        "extensions": {"name": KEEP, "isEnabled": KEEP},
    },
}
SUBSCRIPTION = {"id": KEEP, "subscriptionId": KEEP, "tenantId": KEEP, "displayName": KEEP, "state": KEEP}
DESCENDANT = {"id": KEEP, "name": KEEP, "type": KEEP, "properties": {"parent": {"id": KEEP}}}
# A subscription as Resource Graph's ``resourcecontainers`` gives it (``--source graph``): its
# management groups, which tell the role assignments it inherits (azaudit/collect/graph_rbac.py).
GRAPH_SUBSCRIPTION = {**ARM, "properties": {"managementGroupAncestorsChain": {"name": KEEP, "displayName": KEEP}}}
# A registry image finding as azaudit's sub-assessment query projects it (no ``type`` column):
# the columns azaudit/collect/vulnerabilities.py reads, vendor text about packages, never a secret.
IMAGE_COLUMNS = ("id", "subscriptionId", "registryHost", "repositoryName", "digest", "findingId", "cveId")
IMAGE_FINDING = dict.fromkeys(
    (*IMAGE_COLUMNS, "severity", "statusSeverity", "packageName", "version", "fixedVersion", "fixStatus"), KEEP
)

# (pattern on the URL path after its last ``/providers/``, shape of one item), first match wins.
SHAPES: tuple[tuple[re.Pattern[str], Shape], ...] = tuple(
    (re.compile(pattern), shape)
    for pattern, shape in (
        (r"^microsoft\.insights/diagnosticsettings(/|$)", DIAGNOSTIC_SETTING),
        (r"^microsoft\.containerregistry/registries/[^/]+/tokens(/|$)", TOKEN),
        (r"^microsoft\.containerregistry/registries/[^/]+/cacherules(/|$)", CACHE_RULE),
        (r"^microsoft\.containerregistry/registries(/[^/]+)?$", REGISTRY),
        (r"^microsoft\.containerinstance/containergroups(/[^/]+)?$", CONTAINER_GROUP),
        (r"^microsoft\.keyvault/vaults/[^/]+/secrets(/|$)", ARM_SECRET),
        (r"^microsoft\.keyvault/vaults/[^/]+/keys(/|$)", KEY),
        (r"^microsoft\.keyvault/vaults(/[^/]+)?$", VAULT),
        (r"^microsoft\.authorization/roleassignments(/|$)", ROLE_ASSIGNMENT),
        (r"^microsoft\.authorization/roledefinitions(/|$)", ROLE_DEFINITION),
        (r"^microsoft\.managedidentity/userassignedidentities(/|$)", IDENTITY_RESOURCE),
        (r"^microsoft\.security/pricings(/|$)", PRICING),
        (r"^microsoft\.management/managementgroups/[^/]+/descendants$", DESCENDANT),
        (r"^/subscriptions/?$", SUBSCRIPTION),
        (r"^microsoft\.resources/subscriptions$", GRAPH_SUBSCRIPTION),
    )
)
ERROR = {"error": {"code": KEEP, "message": KEEP}, "code": KEEP, "message": KEEP}

# A registry's data plane (``*.azurecr.io``): tag and manifest metadata and signature referrers.
ATTRIBUTES = {"deleteEnabled": KEEP, "writeEnabled": KEEP, "readEnabled": KEEP, "listEnabled": KEEP}
REGISTRY_ERRORS = {"errors": {"code": KEEP, "message": KEEP}}
REGISTRY_TAG = {
    "registry": KEEP,
    "imageName": KEEP,
    "tag": {
        "name": KEEP,
        "digest": KEEP,
        "createdTime": KEEP,
        "lastUpdateTime": KEEP,
        "changeableAttributes": ATTRIBUTES,
    },
}
REGISTRY_MANIFEST = {
    "registry": KEEP,
    "imageName": KEEP,
    "manifest": {
        "digest": KEEP,
        "createdTime": KEEP,
        "lastUpdateTime": KEEP,
        "changeableAttributes": ATTRIBUTES,
        # a multi-platform image's platform manifests (IMG001 judges the one the group runs)
        "references": {"digest": KEEP, "architecture": KEEP, "os": KEEP},
    },
}
REFERRERS = {
    "schemaVersion": KEEP,
    "mediaType": KEEP,
    "manifests": {"artifactType": KEEP, "digest": KEEP, "mediaType": KEEP},
}
REGISTRY_SHAPES: tuple[tuple[re.Pattern[str], Shape], ...] = (
    (re.compile(r"^/acr/v1/.+/_tags/[^/]+$"), REGISTRY_TAG),
    (re.compile(r"^/acr/v1/.+/_manifests/[^/]+$"), REGISTRY_MANIFEST),
    (re.compile(r"^/v2/.+/referrers/[^/]+$"), REFERRERS),
)
REGISTRY_SUFFIXES = (".azurecr.io", ".azurecr.cn", ".azurecr.us")
# Stand-ins for the registry tokens of a token exchange: a recording never holds a token, and
# replays with these (replay matches the Azure AD token sent on a stand-in: see replay/fixtures.py).
RECORDED_REFRESH_TOKEN = "recorded-acr-refresh-token-not-a-secret"  # noqa: S105 (a stand-in)
RECORDED_ACCESS_TOKEN = "recorded-acr-access-token-not-a-secret"  # noqa: S105 (a stand-in)


def _registry_host(url: str) -> bool:
    return (urlsplit(url).hostname or "").lower().rstrip(".").endswith(REGISTRY_SUFFIXES)


def _token_exchange(request: requests.PreparedRequest, response: requests.Response) -> dict[str, Any]:
    """A registry token request and its answer with every token replaced by a stand-in."""
    form = sent_body(request.body, str(request.headers.get("Content-Type", "")))
    sent = {key: str(value) for key, value in (form or {}).items() if key in ("grant_type", "service", "scope")}
    if "access_token" in (form or {}):
        sent["access_token"] = AAD_TOKEN_STAND_IN
    if "refresh_token" in (form or {}):
        sent["refresh_token"] = RECORDED_REFRESH_TOKEN
    answer: dict[str, Any] = {"status": response.status_code}
    if 200 <= response.status_code < 300:
        is_exchange = urlsplit(str(request.url)).path.rstrip("/").endswith("/exchange")
        answer["body"] = (
            {"refresh_token": RECORDED_REFRESH_TOKEN} if is_exchange else {"access_token": RECORDED_ACCESS_TOKEN}
        )
    return {"request": {"method": str(request.method), "url": str(request.url), "body": sent}, "response": answer}


def _keep(value: Any, shape: Shape) -> Any:
    if shape is KEEP:
        return value
    if callable(shape):
        return shape(value)
    if isinstance(value, list):
        return [_keep(item, shape) for item in value]
    if not isinstance(value, dict):
        return _empty_like(value)
    kept = {}
    for key, item in value.items():
        inner = shape.get(key, shape.get("*"))
        if inner is not None:
            kept[key] = _keep(item, inner)
    return kept


def _graph_rows(rows: Any) -> Any:
    """Resource Graph rows (``--source graph``): each kept as an item of the ARM list of its type
    is (a container group's environment values scrubbed the same way), plus its subscription."""
    if not isinstance(rows, list):
        return _empty_like(rows)
    kept = []
    for row in rows:
        kind = str(row.get("type", "")).lower() if isinstance(row, dict) else ""
        item = next((shape for pattern, shape in SHAPES if pattern.search(kind)), ARM)
        if not kind and isinstance(row, dict) and "registryHost" in row:
            item = IMAGE_FINDING
        kept.append(_keep(row, {**item, "subscriptionId": KEEP}))
    return kept


GRAPH_PATH = "/providers/microsoft.resourcegraph/resources"
GRAPH_ANSWER: Shape = {
    **ERROR,
    "data": _graph_rows,
    "$skipToken": KEEP,
    "totalRecords": KEEP,
    "count": KEEP,
    "resultTruncated": KEEP,
}


def shape_for(url: str) -> Shape:
    """The allow-list of one answer: its items' shape, inside a list body or alone."""
    parts = urlsplit(url)
    path = parts.path.lower().rstrip("/") or "/"
    if path == GRAPH_PATH:
        return GRAPH_ANSWER
    if _registry_host(url):
        raw = unquote(parts.path)
        found: Shape = next((shape for pattern, shape in REGISTRY_SHAPES if pattern.search(raw)), {})
        return {**found, **REGISTRY_ERRORS} if isinstance(found, dict) else found
    if (parts.hostname or "").lower().split(".", 1)[-1].startswith("vault."):
        item: Shape = DATA_PLANE_SECRET if re.match(r"^/secrets/?$", path) else {"id": KEEP}
    else:
        tail = path.rsplit("/providers/", 1)[-1] if "/providers/" in path else path
        item = next((shape for pattern, shape in SHAPES if pattern.search(tail)), ARM)
    return {**item, **ERROR, "value": item, "nextLink": KEEP}


def scrub_body(url: str, body: Any) -> Any:
    """What of ``body`` may be stored (see the module docstring)."""
    return _keep(body, shape_for(url))


def _recordable_body(request: requests.PreparedRequest) -> Any:
    """The JSON body a request sent (a Resource Graph query), kept so that replay can match it.
    Any other body (a form-encoded token exchange carries a token) is never recorded."""
    content_type = str(request.headers.get("Content-Type", "")).lower()
    if not request.body or "json" not in content_type:
        return None
    body = sent_body(request.body, content_type)
    return body if isinstance(body, (dict, list)) else None


_REFERRERS_PATH = re.compile(r"^/v2/.+/referrers/[^/]+$")


def _referrers_next(url: str, response: requests.Response) -> str | None:
    """The one header a recording keeps: a registry referrers answer's link to its next page
    (OCI pagination, which replay must follow too), rebuilt as ``<url>; rel="next"`` from that
    link alone, and only when it stays on the registry's host."""
    parts = urlsplit(url)
    if not (_registry_host(url) and _REFERRERS_PATH.match(parts.path)):
        return None
    link = next_link(response.headers.get("Link"))
    if link is None:
        return None
    following = urlsplit(urljoin(url, link))
    if following.scheme != "https" or (following.hostname or "").lower() != (parts.hostname or "").lower():
        return None
    return f'<{urlunsplit(following)}>; rel="next"'


def check_destination(directory: Path) -> None:
    """Refuse, before the audit starts, a ``--record`` folder the recording cannot be written to
    whole: a file, or a folder that already holds something (a recording mixed into another, or
    into the folder it replays, would replay neither; overwriting files would destroy them)."""
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"--record {directory}: not a folder; name a new or empty folder")
    if directory.is_dir() and any(directory.iterdir()):
        raise UsageError(f"--record {directory}: the folder is not empty; name a new or empty folder")


class RecordingAdapter(BaseAdapter):  # type: ignore[misc]
    """Sends through ``inner`` and keeps a scrubbed copy of each answer."""

    def __init__(self, inner: BaseAdapter) -> None:
        super().__init__()
        self._inner = inner
        self._lock = threading.Lock()
        self.interactions: list[dict[str, Any]] = []

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        response: requests.Response = self._inner.send(request, *args, **kwargs)
        host = (urlsplit(str(request.url)).hostname or "").lower()
        if response.status_code == 401 and ".vault." in host:
            return response  # the bearer challenge: replay plays it itself
        if _registry_host(str(request.url)):
            if response.status_code == 401 and "Authorization" not in request.headers:
                return response  # the registry's challenge: replay plays it itself
            if urlsplit(str(request.url)).path.rstrip("/") in ("/oauth2/exchange", "/oauth2/token"):
                with self._lock:
                    self.interactions.append(_token_exchange(request, response))
                return response
        answer: dict[str, Any] = {"status": response.status_code}
        try:
            answer["body"] = scrub_body(str(request.url), response.json()) if response.content else None
        except ValueError:
            # Not JSON: replayed as an answer that is not JSON either, without a byte of it.
            answer["raw_body"] = NOT_JSON
        link = _referrers_next(str(request.url), response)
        if link is not None:
            answer["headers"] = {"Link": link}
        sent: dict[str, Any] = {"method": str(request.method), "url": str(request.url)}
        body = _recordable_body(request)
        if body is not None:
            sent["body"] = body
        record = {"request": sent, "response": answer}
        with self._lock:
            self.interactions.append(record)
        return response

    def close(self) -> None:
        self._inner.close()

    def write(self, directory: Path) -> list[Path]:
        """Write the recording as fixture files, one per subscription (and one for the rest).

        A request sent more than once (retried after a 429 or a 503) keeps its last answer, the
        one the audit used: replay refuses a request recorded twice."""
        last: dict[RequestKey, dict[str, Any]] = {}
        for record in self.interactions:
            sent = record["request"]
            last[request_key(sent["method"], sent["url"], sent.get("body"))] = record
        by_file: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for record in last.values():
            parts = urlsplit(record["request"]["url"]).path.split("/")
            name = parts[2] if len(parts) > 2 and parts[1].lower() == "subscriptions" else "tenant"
            if ".vault." in (urlsplit(record["request"]["url"]).hostname or ""):
                name = "keyvault-dataplane"
            if _registry_host(record["request"]["url"]):
                name = "registry-dataplane"
            by_file[re.sub(r"[^A-Za-z0-9_-]", "_", name)].append(record)
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for name, interactions in sorted(by_file.items()):
            path = directory / f"{name}.json"
            document = {"description": "recorded by azaudit (scrubbed)", "interactions": interactions}
            path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            written.append(path)
        return written
