"""SARIF 2.1.0: one rule per check, one result per failing finding, located by ARM id.

Cloud resources have no file. Each result carries a logical location whose fully qualified name
is the ARM id, and a physical location GitHub code scanning accepts (it drops a result without
one): the pseudo-file ``azure/<subscription>/<resource group>/<provider>/<type>/<name>`` (the ARM
id's segments without the ``subscriptions``/``resourceGroups``/``providers`` keywords, lower-cased
since ARM ids are case-insensitive and Azure does not always return the same casing, each segment
percent-encoded) at line 1. Suppressed failures are results with an ``external`` suppression whose
justification is the configured reason. Findings that could not be assessed (ERROR) are not
results (nothing was found): they are tool execution notifications, and ``executionSuccessful``
is false when the audit was incomplete. Passing and not-applicable findings are omitted, as SARIF
consumers expect. Times are UTC with a ``Z`` (SARIF 2.1.0 §3.9).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from urllib.parse import quote

import msgspec

from azaudit.model import BaselineState, CheckMeta, Finding, Severity, Status
from azaudit.render import frameworks
from azaudit.render.escape import json_text
from azaudit.reports.model import Report

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


_ARM_KEYWORDS = frozenset({"subscriptions", "resourcegroups", "providers"})
SUPPRESSED_PREFIX = "suppressed: "


def artifact_uri(resource_id: str) -> str:
    """The pseudo-file a result is located in, from its ARM id (see the module docstring)."""
    segments = [s for s in resource_id.lower().split("/") if s and s not in _ARM_KEYWORDS]
    # a "." or ".." segment would be resolved away by a URI reader: encode its dots too
    encoded = [quote(s, safe="") if s.strip(".") else "%2E" * len(s) for s in segments]
    return "/".join(["azure", *encoded])


def _utc(at: dt.datetime) -> str:
    """SARIF 2.1.0 §3.9: date/time values are UTC, written with a trailing ``Z``."""
    at = at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)
    return at.isoformat().replace("+00:00", "Z")


def _result(finding: Finding, rule_index: int) -> dict[str, object]:
    where = f"{finding.resource_name} ({finding.item})" if finding.item else finding.resource_name
    message = finding.message
    if finding.suppressed_by is not None and message.startswith(SUPPRESSED_PREFIX):
        message = message[len(SUPPRESSED_PREFIX) :]  # the suppression says so in its own property
    return {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "kind": "fail",
        "level": LEVELS[finding.severity],
        "message": {"text": f"{where}: {message}"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": artifact_uri(finding.resource_id)},
                    "region": {"startLine": 1},
                },
                "logicalLocations": [
                    {"fullyQualifiedName": finding.resource_id, "name": finding.resource_name, "kind": "resource"}
                ],
            }
        ],
        "partialFingerprints": {"azauditFinding/v1": _fingerprint(finding)},
        **(
            {"suppressions": [{"kind": "external", "justification": finding.suppressed_by}]}
            if finding.suppressed_by is not None
            else {}
        ),
        # SARIF's baselineState has no value for a result whose rule the baseline did not run:
        # "new" would claim it was compared; it is left out and named in the properties instead
        **({"baselineState": finding.baseline.value} if finding.baseline in _SARIF_STATES else {}),
        "properties": {
            "subscriptionId": finding.subscription_id,
            "resourceType": finding.resource_type,
            **({"azauditBaseline": finding.baseline.value} if finding.baseline is BaselineState.NEWLY_ASSESSED else {}),
        },
    }


_SARIF_STATES = (BaselineState.NEW, BaselineState.UNCHANGED)


def _is_result(finding: Finding) -> bool:
    """A failure, or a failure suppressed by the configuration (a SKIPPED finding naming its reason)."""
    return finding.status is Status.FAIL or (finding.status is Status.SKIPPED and finding.suppressed_by is not None)


def _with_controls(report: Report, rule: dict[str, object]) -> dict[str, object]:
    """The rule with relationships to the controls of the --framework taxonomies its check serves."""
    relationships = frameworks.sarif_relationships(report.frameworks, str(rule["id"]))
    return {**rule, "relationships": relationships} if relationships else rule


def render(report: Report) -> str:
    codes = list(report.checks)
    index = {code: i for i, code in enumerate(codes)}
    results = [_result(f, index[f.code]) for f in report.findings if _is_result(f) and f.code in index]
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
                        "rules": [_with_controls(report, _rule(report.checks[code])) for code in codes],
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": report.complete,
                        "startTimeUtc": _utc(report.run.started_at),
                        "endTimeUtc": _utc(report.run.finished_at),
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "results": results,
                **({"taxonomies": frameworks.sarif_taxonomies(report.frameworks)} if report.frameworks else {}),
                "properties": {"subscriptions": [s.subscription_id for s in report.run.subscriptions]},
            }
        ],
    }
    return json_text(indented(document)) + "\n"


def indented(document: object) -> str:
    """``json.dumps(document, indent=2)``, made faster: with an indent ``json`` encodes in Python
    (4.7 s for the SARIF log of 10,000 resources), without one in C; msgspec lays the compact text
    out in the same way. A lone surrogate's escape, which msgspec does not read, takes the slow way."""
    compact = json.dumps(document)
    try:
        return msgspec.json.format(compact, indent=2)
    except msgspec.DecodeError:
        return json.dumps(document, indent=2)
