"""Record a live audit as replay fixtures, scrubbed of every secret and environment value.

Recording wraps the real HTTP adapter under azure-core's ``RequestsTransport``: each answer is
scrubbed in memory before it is kept, and the fixture files are written once the run is over.
What a recording never contains:

- any header (tokens travel in request headers; response headers are not needed for replay);
- container environment values: a value the detector classifies as a credential becomes a fake
  sample of the same kind (so the replayed audit reaches the same verdict), any other value
  becomes ``"redacted"``; credential-carrying command-line arguments and credentials in
  ``gitRepo`` URLs are replaced the same way;
- write-only fields the services should never return anyway (``secureValue``, registry
  ``password``, ``storageAccountKey``, ``workspaceKey``, a Key Vault secret ``value``, a
  registry token password's ``value``);
- the Key Vault bearer challenge (replay plays it itself).
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter

from azaudit.detect.credentials import classify_command, classify_env_value

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
}
GENERIC_FAKE = "RecordedFakeSecret-0000"
WRITE_ONLY = {"secureValue", "password", "storageAccountKey", "workspaceKey"}


def fake_for(kind: str) -> str:
    return FAKE_SAMPLES.get(kind, GENERIC_FAKE)


def _scrub_container(container: dict[str, Any]) -> None:
    props = container.get("properties") or {}
    for variable in props.get("environmentVariables") or []:
        variable.pop("secureValue", None)
        if variable.get("value"):
            kind = classify_env_value(str(variable.get("name", "")), str(variable["value"]))
            variable["value"] = fake_for(kind) if kind else "redacted"
    command = props.get("command")
    if isinstance(command, list):
        for hit in classify_command(tuple(str(arg) for arg in command)):
            if hit.flag is None:
                command[hit.position] = fake_for(hit.kind)
            elif hit.position > 0 and command[hit.position - 1] == hit.flag:
                command[hit.position] = GENERIC_FAKE  # `--password value`: the value alone
            else:
                # The credential sits inside a longer argument (a shell script, `--flag=value`,
                # `-pVALUE`): the whole argument becomes a password flag with a fake, which the
                # detector reports the same way, so the replayed verdict is unchanged.
                command[hit.position] = f"--password={GENERIC_FAKE}"


def _scrub_git_url(url: str) -> str:
    parts = urlsplit(url)
    if not (parts.username or parts.password):
        return url
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return parts._replace(netloc=f"recorded:{GENERIC_FAKE}@{host}").geturl()


def _drop_write_only(node: Any) -> None:
    if isinstance(node, dict):
        for key in list(node):
            if key in WRITE_ONLY:
                del node[key]
            else:
                _drop_write_only(node[key])
    elif isinstance(node, list):
        for item in node:
            _drop_write_only(item)


def _drop_token_password_values(token: dict[str, Any]) -> None:
    """A repository token's password values (ARM returns them only when they are generated)."""
    props = token.get("properties")
    credentials = props.get("credentials") if isinstance(props, dict) else None
    passwords = credentials.get("passwords") if isinstance(credentials, dict) else None
    for password in passwords if isinstance(passwords, list) else []:
        if isinstance(password, dict):
            password.pop("value", None)


def _items(body: Any) -> list[dict[str, Any]]:
    """The resources of a list body (``value``) or the one resource of a GET body."""
    if not isinstance(body, dict):
        return []
    listed = body.get("value")
    candidates = listed if isinstance(listed, list) else [body]
    return [item for item in candidates if isinstance(item, dict)]


def scrub_body(url: str, body: Any) -> Any:
    """A copy of ``body`` safe to store (see the module docstring)."""
    body = json.loads(json.dumps(body))
    path = urlsplit(url).path.lower()
    groups = _items(body) if "/microsoft.containerinstance/containergroups" in path else []
    for group in groups:
        props = group.get("properties") or {}
        for container in [*(props.get("containers") or []), *(props.get("initContainers") or [])]:
            _scrub_container(container)
        for volume in props.get("volumes") or []:
            repo = (volume.get("gitRepo") or {}).get("repository")
            if isinstance(repo, str):
                volume["gitRepo"]["repository"] = _scrub_git_url(repo)
    if "/secrets" in path:
        for item in _items(body):
            item.pop("value", None)
            (item.get("properties") or {}).pop("value", None)
    if "/microsoft.containerregistry/registries/" in path and "/tokens" in path:
        for item in _items(body):
            _drop_token_password_values(item)
    _drop_write_only(body)
    return body


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
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = None
        record = {
            "request": {"method": str(request.method), "url": str(request.url)},
            "response": {"status": response.status_code, "body": scrub_body(str(request.url), body)},
        }
        with self._lock:
            self.interactions.append(record)
        return response

    def close(self) -> None:
        self._inner.close()

    def write(self, directory: Path) -> list[Path]:
        """Write the recording as fixture files, one per subscription (and one for the rest)."""
        by_file: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for record in self.interactions:
            parts = urlsplit(record["request"]["url"]).path.split("/")
            name = parts[2] if len(parts) > 2 and parts[1].lower() == "subscriptions" else "tenant"
            if ".vault." in (urlsplit(record["request"]["url"]).hostname or ""):
                name = "keyvault-dataplane"
            by_file[name].append(record)
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for name, interactions in sorted(by_file.items()):
            path = directory / f"{name}.json"
            document = {"description": "recorded by azaudit (scrubbed)", "interactions": interactions}
            path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            written.append(path)
        return written
