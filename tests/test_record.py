"""Record mode: a recording replays to the same findings and holds no secret or env value."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from azaudit.audit import Audit
from azaudit.model import Status
from azaudit.replay.recorder import scrub_body
from tests.conftest import CANARY_MARK, SAMPLE_TENANT, audit_replay


def _verdicts(audit: Audit) -> set[tuple[str, str, str, str | None]]:
    return {(f.code, f.status.value, f.resource_id, f.item) for f in audit.report.findings}


def test_a_recording_replays_to_the_same_findings_without_secrets(tmp_path: Path, sample_audit: Audit) -> None:
    recording = tmp_path / "recorded"
    audit_replay(record=recording)
    text = "".join(p.read_text() for p in recording.rglob("*.json"))
    assert CANARY_MARK not in text
    assert "replay-token" not in text  # no header, no token
    replayed = audit_replay(recording)
    assert _verdicts(replayed) == _verdicts(sample_audit)


def test_environment_values_are_never_recorded() -> None:
    body = {
        "value": [
            {
                "properties": {
                    "containers": [
                        {
                            "name": "c",
                            "properties": {
                                "environmentVariables": [
                                    {"name": "LOG_LEVEL", "value": "debug-internal-host-10.1.2.3"},
                                    {"name": "DB_PASSWORD", "value": "hunter2-but-longer"},
                                    {"name": "TOKEN", "secureValue": "never-returned-anyway"},
                                ],
                                "command": ["app", "--password", "hunter2-cli"],
                            },
                        }
                    ],
                    "volumes": [{"name": "v", "gitRepo": {"repository": "https://bot:pat123@github.com/x/y.git"}}],
                }
            }
        ]
    }
    url = "https://management.azure.com/subscriptions/x/providers/Microsoft.ContainerInstance/containerGroups"
    text = json.dumps(scrub_body(url, body))
    for secret in ("debug-internal-host", "hunter2", "never-returned", "pat123"):
        assert secret not in text
    assert '"LOG_LEVEL"' in text and '"redacted"' in text
    token = scrub_body(url, body)["value"][0]["properties"]["containers"][0]["properties"]["environmentVariables"][2]
    assert token == {"name": "TOKEN", "secureValue": "redacted"}, "a secure variable stays one"


def test_scrubbed_command_lines_keep_their_verdict() -> None:
    from azaudit.detect.credentials import classify_command

    url = "https://management.azure.com/subscriptions/x/providers/Microsoft.ContainerInstance/containerGroups/g"
    for command in (
        ["sh", "-c", "mysql -pS3cretPassw0rd orders"],
        ["app", "--token=abcd1234efgh"],
        ["app", "--password", "hunter22"],
    ):
        body = {"properties": {"containers": [{"name": "c", "properties": {"command": list(command)}}]}}
        scrubbed = scrub_body(url, body)["properties"]["containers"][0]["properties"]["command"]
        assert classify_command(tuple(command)), command
        assert classify_command(tuple(scrubbed)), scrubbed
        assert not any(secret in " ".join(scrubbed) for secret in ("S3cret", "abcd1234", "hunter22"))


def test_recording_into_a_folder_that_holds_something_is_refused_before_the_audit(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from azaudit.cli import app

    runner = CliRunner()
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("keep me\n", encoding="utf-8")
    a_file = tmp_path / "recording.json"
    a_file.write_text("{}\n", encoding="utf-8")
    for destination, reason in ((occupied, "the folder is not empty"), (a_file, "not a folder")):
        report = tmp_path / "report.json"
        result = runner.invoke(
            app,
            [
                "subscription",
                "--replay",
                str(SAMPLE_TENANT),
                "--record",
                str(destination),
                "-f",
                "json",
                "-o",
                str(report),
            ],
        )
        assert result.exit_code == 2, result.output
        line = result.stderr.strip()
        assert line.startswith("azaudit: --record ") and reason in line and "\n" not in line
        assert not report.exists(), "refused before the audit, not after it"
    assert [p.name for p in occupied.iterdir()] == ["notes.txt"]
    assert a_file.read_text(encoding="utf-8") == "{}\n"
    # the folder it replays from is never recorded into
    result = runner.invoke(app, ["subscription", "--replay", str(SAMPLE_TENANT), "--record", str(SAMPLE_TENANT)])
    assert result.exit_code == 2 and "the folder is not empty" in result.stderr


def test_an_existing_empty_folder_takes_a_recording(tmp_path: Path) -> None:
    audit_replay(select=("ACR001",), record=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) and all(p.suffix == ".json" for p in tmp_path.iterdir())


# --- the allow-list: what the checks do not read is never recorded ---------------------------------


def _plant(body: dict[str, Any], planted: Callable[[dict[str, Any]], None]) -> None:
    for item in body.get("value", []) if isinstance(body.get("value"), list) else [body]:
        if isinstance(item, dict):
            planted(item)


def _plant_in_file(path: Path, planted: Callable[[dict[str, Any]], None]) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    for interaction in document["interactions"]:
        body = interaction["response"].get("body")
        if interaction["response"]["status"] == 200 and isinstance(body, dict):
            _plant(body, planted)
    path.write_text(json.dumps(document), encoding="utf-8")


def _everywhere(item: dict[str, Any]) -> None:
    item["tags"] = {"owner": f"{CANARY_MARK}-tag", "note": f"call {CANARY_MARK}"}
    if isinstance(item.get("properties"), dict):
        item["properties"]["addedByAzureTomorrow"] = {"value": f"{CANARY_MARK}-new"}


def _container_group(item: dict[str, Any]) -> None:
    _everywhere(item)
    props = item["properties"]
    probe = {"exec": {"command": ["sh", "-c", f"curl -fsS -H 'X-Key: {CANARY_MARK}' localhost/health"]}}
    for container in props.get("containers") or []:
        inner = container["properties"]
        inner["livenessProbe"] = probe
        inner["readinessProbe"] = {"exec": {"command": ["check", f"--token={CANARY_MARK}"]}, "periodSeconds": 5}
        inner["volumeMounts"] = [{"name": "planted-secret", "mountPath": f"/run/{CANARY_MARK}"}]
        inner.setdefault("environmentVariables", []).append({"name": "OPAQUE", "secureValue": f"{CANARY_MARK}-sv"})
        inner["command"] = ["/app/server", "--listen", f"192.0.2.10:80/{CANARY_MARK}", "--db-password", CANARY_MARK]
    props["volumes"] = [
        *(props.get("volumes") or []),
        {"name": "planted-secret", "secret": {"appsettings.json": f"eyJ{CANARY_MARK}"}},
        {
            "name": "planted-share",
            "azureFile": {"shareName": "s", "storageAccountName": "st", "storageAccountKey": f"{CANARY_MARK}=="},
        },
        {
            "name": "planted-repo",
            "gitRepo": {"repository": f"https://bot:{CANARY_MARK}@github.com/contoso/{CANARY_MARK}"},
        },
    ]
    props["extensions"] = [
        {
            "name": "kube-proxy",
            "properties": {
                "extensionType": "kube-proxy",
                "version": "1.0",
                "settings": {"clusterCidr": "10.240.0.0/16"},
                "protectedSettings": {"kubeConfig": f"{CANARY_MARK}-kubeconfig"},
            },
        }
    ]
    props["imageRegistryCredentials"] = [
        *(props.get("imageRegistryCredentials") or []),
        {"server": "planted.azurecr.io", "username": "planted", "password": f"{CANARY_MARK}-pw"},
    ]
    props.setdefault("diagnostics", {"logAnalytics": {"workspaceId": "w"}})["logAnalytics"]["workspaceKey"] = (
        f"{CANARY_MARK}-wk"
    )


def _token(item: dict[str, Any]) -> None:
    _everywhere(item)
    for password in item["properties"].get("credentials", {}).get("passwords", []):
        password["value"] = f"{CANARY_MARK}-token-password"


def _data_plane_secret(item: dict[str, Any]) -> None:
    item["tags"] = {"file-share-password": f"{CANARY_MARK}-dp-tag"}
    item["value"] = f"{CANARY_MARK}-never-returned"


def _findings(audit: Audit) -> list[tuple[str, ...]]:
    return sorted(
        (f.code, f.status.value, f.resource_id.lower(), f.item or "", f.message, f.severity.label)
        for f in audit.report.findings
    )


def test_a_recording_keeps_only_what_the_checks_read_and_replays_to_the_same_findings(tmp_path: Path) -> None:
    tenant = tmp_path / "tenant"
    shutil.copytree(SAMPLE_TENANT, tenant)
    for path in tenant.rglob("*.json"):
        name = path.name
        if name == "containerinstance.json":
            _plant_in_file(path, _container_group)
        elif name == "keyvault-dataplane.json":
            _plant_in_file(path, _data_plane_secret)
        elif name == "containerregistry.json":
            _plant_in_file(path, lambda item: _token(item) if "/tokens/" in item.get("id", "") else _everywhere(item))
        elif name != "subscriptions.json":
            _plant_in_file(path, _everywhere)
    planted = "".join(p.read_text(encoding="utf-8") for p in tenant.rglob("*.json"))
    assert planted.count(CANARY_MARK) > 100

    recording = tmp_path / "recorded"
    original = audit_replay(tenant, record=recording)
    stored = "".join(p.read_text(encoding="utf-8") for p in recording.rglob("*.json"))
    assert CANARY_MARK not in stored
    for never in ("livenessProbe", "protectedSettings", "storageAccountKey", "workspaceKey", "tags", "volumeMounts"):
        assert f'"{never}"' not in stored, never  # as a field (a registry's /_tags/ path is no field)
    replayed = audit_replay(recording)
    assert _findings(replayed) == _findings(original)
    assert {f.code for f in original.report.findings if f.status is Status.FAIL} >= {"ACI004", "ACI003"}


def test_a_command_line_is_recorded_as_its_shape_with_the_same_verdicts() -> None:
    from azaudit.detect.credentials import classify_command
    from azaudit.replay.recorder import scrub_command

    for command in (
        ["/usr/bin/app", "--listen", "192.0.2.10:8080", "--config", "/etc/app/internal-host.yaml"],
        ["sh", "-c", "mysql -pS3cretPassw0rd orders && echo internal-host"],
        ["sshpass", "-p", "hunter22pw", "ssh", "deploy@10.0.0.5"],
        ["env", "PGPASSWORD=hunter22pw", "psql", "-h", "db.internal"],
        ["docker", "login", "-u", "bot", "-p", "hunter22pw", "contoso.azurecr.io"],
        ["app", "--token=abcd1234efgh", "--api-key", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlMDAw"],
        ["curl", "-u", "user:hunter22pw", "https://internal.example/"],
    ):
        scrubbed = scrub_command(command)
        assert len(scrubbed) == len(command)
        assert classify_command(tuple(scrubbed)) == classify_command(tuple(command)), (command, scrubbed)
        for secret in ("S3cret", "hunter22", "abcd1234", "eyJzdWIi", "internal", "192.0.2.10", "10.0.0.5", "orders"):
            assert secret not in " ".join(scrubbed), (secret, scrubbed)


def test_a_retried_request_keeps_its_last_answer_and_a_non_json_answer_keeps_none_of_its_bytes(tmp_path: Path) -> None:
    import requests
    from requests.adapters import BaseAdapter

    from azaudit.replay import load_fixture_dir, request_key
    from azaudit.replay.recorder import RecordingAdapter

    registries = "https://management.azure.com/subscriptions/s1/providers/Microsoft.ContainerRegistry/registries"
    answers = [
        (registries, 429, b'{"error": {"code": "TooManyRequests", "message": "slow down"}}'),
        (registries, 200, b'{"value": [{"name": "acr", "tags": {"k": "Zq7CanaryV4lue"}}]}'),
        ("https://management.azure.com/subscriptions?api-version=1", 200, b"<html>Zq7CanaryV4lue</html>"),
    ]

    class Scripted(BaseAdapter):  # type: ignore[misc]
        def send(self, request: requests.PreparedRequest, *args: object, **kwargs: object) -> requests.Response:
            url, status, content = answers.pop(0)
            response = requests.Response()
            response.status_code, response._content, response.url = status, content, url
            return response

        def close(self) -> None:
            pass

    recorder = RecordingAdapter(Scripted())
    for url, _, _ in list(answers):
        recorder.send(requests.Request("GET", url).prepare())
    recorder.write(tmp_path)
    assert CANARY_MARK not in "".join(p.read_text(encoding="utf-8") for p in tmp_path.iterdir())
    replayable = load_fixture_dir(tmp_path)  # a request recorded twice would be refused here
    kept = replayable[request_key("GET", registries)]
    assert kept.status == 200 and kept.body == {"value": [{"name": "acr"}]}
    listing = replayable[request_key("GET", "https://management.azure.com/subscriptions")]
    assert listing.raw_body is not None and not listing.raw_body.startswith(("{", "["))


def _without_tags(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _without_tags(value) for key, value in node.items() if key != "tags"}
    if isinstance(node, list):
        return [_without_tags(value) for value in node]
    return node


def test_the_allow_list_keeps_every_field_a_collector_reads(tmp_path: Path) -> None:
    """The whole inventory (tags aside, which no check reads) replays from a recording as it was
    collected: a collector that starts reading a field the allow-list drops fails here, naming
    the field, before it can change a verdict."""
    from azaudit.inventory import to_json

    original = audit_replay(record=tmp_path / "recorded")
    replayed = audit_replay(tmp_path / "recorded")
    assert _without_tags(json.loads(to_json(replayed.inventory))) == _without_tags(
        json.loads(to_json(original.inventory))
    ), "a field the collectors read is missing from recorder.SHAPES"
