"""SARIF 2.1.0: one rule per check, one result per failing finding, located by ARM id.

Cloud resources have no file, so each result carries a logical location whose fully qualified
name is the ARM id. Findings that could not be assessed (ERROR) are not results (nothing was
found): they are tool execution notifications, and ``executionSuccessful`` is false when the
audit was incomplete. Passing and skipped findings are omitted, as SARIF consumers expect.
"""

from __future__ import annotations

import hashlib
import json

from azaudit.model import CheckMeta, Finding, Severity, Status
from azaudit.render.escape import json_text
from azaudit.report import Report

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub code scanning reads `security-severity` (0.0-10.0) to rank security results.
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}


def _rule(meta: CheckMeta) -> dict[str, object]:
    help_markdown = (
        f"**What it checks.** {meta.docs.what}\n\n**Why it matters.** {meta.docs.why}\n\n"
        f"**How to fix.**\n\n{meta.docs.fix}\n\n**References**\n\n" + "\n".join(f"- {r}" for r in meta.docs.references)
    )
    return {
        "id": meta.code,
        "name": meta.name,
        "shortDescription": {"text": meta.title},
        "fullDescription": {"text": meta.docs.what},
        "help": {"text": f"{meta.docs.why}\n\n{meta.docs.fix}", "markdown": help_markdown},
        **({"helpUri": meta.docs.references[0]} if meta.docs.references else {}),
        "defaultConfiguration": {"level": LEVELS[meta.severity]},
        "properties": {
            "tags": ["security", meta.service, *meta.recommendations, *(f"MCSB-{m}" for m in meta.mcsb)],
            "security-severity": SECURITY_SEVERITY[meta.severity],
            "precision": "high",
            **({} if meta.builtin else {"azaudit-origin": meta.origin}),
            "problem.severity": {"critical": "error", "high": "error", "medium": "warning"}.get(
                meta.severity.label, "recommendation"
            ),
        },
    }


def _fingerprint(finding: Finding) -> str:
    key = "|".join(finding.identity)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _result(finding: Finding, rule_index: int) -> dict[str, object]:
    where = f"{finding.resource_name} ({finding.item})" if finding.item else finding.resource_name
    return {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "kind": "fail",
        "level": LEVELS[finding.severity],
        "message": {"text": f"{where}: {finding.message}"},
        "locations": [
            {
                "logicalLocations": [
                    {"fullyQualifiedName": finding.resource_id, "name": finding.resource_name, "kind": "resource"}
                ]
            }
        ],
        "partialFingerprints": {"azauditFinding/v1": _fingerprint(finding)},
        **({"baselineState": finding.baseline.value} if finding.baseline is not None else {}),
        "properties": {"subscriptionId": finding.subscription_id, "resourceType": finding.resource_type},
    }


def render(report: Report) -> str:
    codes = list(report.checks)
    index = {code: i for i, code in enumerate(codes)}
    results = [_result(f, index[f.code]) for f in report.findings if f.status is Status.FAIL and f.code in index]
    notifications = [
        {
            "level": "error",
            "message": {"text": f"{f.code} not assessed for {f.resource_name}: {f.message}"},
            "associatedRule": {"id": f.code, "index": index[f.code]},
        }
        for f in report.findings
        if f.status is Status.ERROR and f.code in index
    ]
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "azaudit",
                        "version": report.run.tool_version,
                        "informationUri": "https://github.com/azaudit/azaudit",
                        "rules": [_rule(report.checks[code]) for code in codes],
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": report.complete,
                        "startTimeUtc": report.run.started_at.isoformat(),
                        "endTimeUtc": report.run.finished_at.isoformat(),
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "results": results,
                "properties": {"subscriptions": [s.subscription_id for s in report.run.subscriptions]},
            }
        ],
    }
    return json_text(json.dumps(document, indent=2)) + "\n"
