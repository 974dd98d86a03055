"""Record mode: a recording replays to the same findings and holds no secret or env value."""

from __future__ import annotations

import json
from pathlib import Path

from azaudit.audit import Audit
from azaudit.replay.recorder import scrub_body
from tests.conftest import CANARY_MARK, audit_replay


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
