"""OCSF 1.8.0 Compliance Finding events (class_uid 2003) as JSON Lines, for SIEMs.

One event per finding, one event per line: what log shippers read from a file (the Azure Monitor
Agent's JSON file collection for Microsoft Sentinel wants each record on one line), each event
parsed alone, so a run of 50,000 findings is never one document a reader must hold whole. An
empty report is an empty file.

Why Compliance Finding and not Detection Finding: a check evaluates a resource's configuration
against a control; OCSF defines Compliance Finding as "results of evaluations performed against
resources, to check compliance" with a control or standard, and gives it ``compliance.status``
(pass, warning, fail) for every outcome, passes included. Detection Finding describes detections
or alerts from activity (correlation and detection engines); it has no place for a passing
control, and an azaudit result is never an observed activity.

The mapping, one finding to one event (docs/reporting.md shows a sample):

- ``compliance``: ``control`` is the check code and ``desc`` what it checks, ``checks`` the check
  (uid, title, its own severity), ``standards`` the benchmarks its controls come from (the Microsoft cloud security
  benchmark ids in the check's metadata, and each ``--framework`` view that maps the check),
  ``requirements`` those controls (``Microsoft cloud security benchmark v1: IM-1``);
  ``status_id`` PASS 1 Pass, FAIL 3 Fail (a suppressed failure too), ERROR 2 Warning ("did not
  yield a result due to missing information": could not assess), SKIPPED not applicable 99 Other
  with status ``Not applicable``; ``status_code`` is azaudit's status, ``status_details`` the
  finding's message.
- the finding's own ``status_id`` is 3 Suppressed for a failure suppressed by the configuration
  (``status_detail`` the reason and expiry), 1 New otherwise: triage is the SIEM's.
- ``severity_id``: the check's severity (info 1, low 2, medium 3, high 4, critical 5) for a
  failure, a suppressed failure and a finding that could not be assessed (it may hide a
  failure); 1 Informational for a pass and a not-applicable finding, as AWS Security Hub rates
  passed controls, so a SIEM rule on severity fires only on what needs work. The check's own
  severity is always in ``compliance.checks[0]``.
- ``finding_info.uid`` is the same fingerprint as SARIF's (check, ARM id lower-cased, item):
  the same problem has the same uid run after run; ``metadata.uid`` is unique per event.
  ``finding_info.analytic`` is the check; its ``related_analytics`` are the Azure Policy
  built-in definitions that test the same control, by definition id.
- ``resources``: the ARM id, name and type; ``cloud``: Azure, the subscription (account type 13
  Azure Subscription), the tenant (org) and the cloud's partition (AzureCloud, AzureChinaCloud,
  AzureUSGovernment).
- ``remediation``: the check's how-to-fix text (Markdown) and references.
- ``unmapped``: what OCSF has no attribute for: the finding's item (container, variable name,
  principal), its baseline state, a plugin check's origin.

Tenant text keeps its value (JSON escaping), with no literal ``##`` and no raw hidden character
(:func:`~azaudit.render.escape.json_text`): a pipeline agent scanning stdout sees no command.
Validated against a JSON Schema generated from the OCSF sources (tests/schemas/ocsf/).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator

from azaudit.model import CheckMeta, Finding, Severity, Status
from azaudit.render import frameworks
from azaudit.render.escape import json_text
from azaudit.render.sarif import SUPPRESSED_PREFIX
from azaudit.reports.model import Report

OCSF_VERSION = "1.8.0"
CATEGORY_UID, CATEGORY_NAME = 2, "Findings"
CLASS_UID, CLASS_NAME = 2003, "Compliance Finding"
ACTIVITY_CREATE = 1
MCSB_STANDARD = "Microsoft cloud security benchmark v1"
POLICY_DEFINITION = "/providers/Microsoft.Authorization/policyDefinitions/"
PRODUCT = {
    "name": "azaudit",
    "vendor_name": "azaudit",
    "url_string": "https://github.com/azaudit/azaudit",
}
SEVERITY_IDS = {
    Severity.INFO: (1, "Informational"),
    Severity.LOW: (2, "Low"),
    Severity.MEDIUM: (3, "Medium"),
    Severity.HIGH: (4, "High"),
    Severity.CRITICAL: (5, "Critical"),
}
COMPLIANCE_PASS, COMPLIANCE_WARNING, COMPLIANCE_FAIL, COMPLIANCE_OTHER = 1, 2, 3, 99
COMPLIANCE_CAPTIONS = {1: "Pass", 2: "Warning", 3: "Fail", 99: "Not applicable"}
FINDING_NEW, FINDING_SUPPRESSED = (1, "New"), (3, "Suppressed")
ACCOUNT_AZURE_SUBSCRIPTION = 13
# the names Azure itself gives its clouds (az cloud list)
CLOUD_PARTITIONS = {"public": "AzureCloud", "china": "AzureChinaCloud", "usgovernment": "AzureUSGovernment"}


def _millis(at: dt.datetime) -> int:
    at = at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at
    return int(at.timestamp() * 1000)


def _compliance_status(finding: Finding) -> int:
    if finding.status is Status.PASS:
        return COMPLIANCE_PASS
    if finding.status is Status.FAIL or finding.suppressed_by is not None:
        return COMPLIANCE_FAIL  # the configuration suppresses failures only
    if finding.status is Status.ERROR:
        return COMPLIANCE_WARNING
    return COMPLIANCE_OTHER


def _event_severity(finding: Finding, compliance_status: int) -> tuple[int, str]:
    if compliance_status in (COMPLIANCE_PASS, COMPLIANCE_OTHER):
        return SEVERITY_IDS[Severity.INFO]
    return SEVERITY_IDS[finding.severity]


def _fingerprint(finding: Finding) -> str:
    return hashlib.sha256("|".join(finding.identity).encode("utf-8")).hexdigest()


def _standards(report: Report, meta: CheckMeta) -> tuple[list[str], list[str]]:
    """The standards the check's controls come from, and those controls, each named once."""
    standards: list[str] = []
    requirements: list[str] = []

    def add(standard: str, controls: list[str]) -> None:
        if not controls:
            return
        if standard not in standards:
            standards.append(standard)
        requirements.extend(r for r in (f"{standard}: {c}" for c in controls) if r not in requirements)

    add(MCSB_STANDARD, list(meta.mcsb))
    for view in report.frameworks:
        add(view.label, frameworks.controls_by_check(view).get(meta.code, []))
    return standards, requirements


def _cloud(report: Report, finding: Finding) -> dict[str, object]:
    cloud: dict[str, object] = {"provider": "Azure"}
    if finding.subscription_id:
        cloud["account"] = {
            "uid": finding.subscription_id,
            "name": report.subscription_name(finding.subscription_id),
            "type_id": ACCOUNT_AZURE_SUBSCRIPTION,
            "type": "Azure Subscription",
        }
    if report.run.tenant_id:
        cloud["org"] = {"uid": report.run.tenant_id}
    if report.run.cloud in CLOUD_PARTITIONS:
        cloud["cloud_partition"] = CLOUD_PARTITIONS[report.run.cloud]
    return cloud


def _analytic(meta: CheckMeta) -> dict[str, object]:
    analytic: dict[str, object] = {
        "uid": meta.code,
        "name": meta.name,
        "type_id": 1,
        "type": "Rule",
        "category": meta.service,
    }
    if meta.policies:
        analytic["related_analytics"] = [
            {"uid": POLICY_DEFINITION + guid, "type_id": 1, "type": "Rule", "category": "Azure Policy"}
            for guid in meta.policies
        ]
    return analytic


def _unmapped(finding: Finding, meta: CheckMeta) -> dict[str, object]:
    unmapped: dict[str, object] = {}
    if finding.item:
        unmapped["item"] = finding.item
    if finding.baseline is not None:
        unmapped["baseline"] = finding.baseline.value
    if not meta.builtin:
        unmapped["check_origin"] = meta.origin
    return unmapped


def event(report: Report, finding: Finding) -> dict[str, object]:
    """The Compliance Finding event of one finding."""
    meta = report.checks[finding.code]
    status_id = _compliance_status(finding)
    severity_id, severity = _event_severity(finding, status_id)
    check_severity_id, check_severity = SEVERITY_IDS[meta.severity]
    standards, requirements = _standards(report, meta)
    uid = _fingerprint(finding)
    message = finding.message
    if finding.suppressed_by is not None and message.startswith(SUPPRESSED_PREFIX):
        message = message[len(SUPPRESSED_PREFIX) :]  # the finding's status says so
    where = f"{finding.resource_name} ({finding.item})" if finding.item else finding.resource_name
    finding_status = FINDING_SUPPRESSED if finding.suppressed_by is not None else FINDING_NEW
    compliance: dict[str, object] = {
        "control": meta.code,
        "desc": meta.docs.what,
        "checks": [
            {
                "uid": meta.code,
                "name": meta.title,
                "severity": meta.severity.label,
                "severity_id": check_severity_id,
                "status": COMPLIANCE_CAPTIONS[status_id],
                "status_id": status_id,
                **({"standards": standards} if standards else {}),
            }
        ],
        "status": COMPLIANCE_CAPTIONS[status_id],
        "status_id": status_id,
        "status_code": finding.status.value,
        "status_details": [message],
        **({"standards": standards, "requirements": requirements} if standards else {}),
    }
    document: dict[str, object] = {
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": CATEGORY_UID,
        "category_name": CATEGORY_NAME,
        "class_uid": CLASS_UID,
        "class_name": CLASS_NAME,
        "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE,
        "type_name": f"{CLASS_NAME}: Create",
        "time": _millis(report.run.finished_at),
        "severity_id": severity_id,
        "severity": severity,
        "status_id": finding_status[0],
        "status": finding_status[1],
        **({"status_detail": finding.suppressed_by} if finding.suppressed_by is not None else {}),
        "message": f"{where}: {message}",
        "metadata": {
            "version": OCSF_VERSION,
            "product": {**PRODUCT, "version": report.run.tool_version},
            "profiles": ["cloud"],
            "uid": hashlib.sha256(f"{uid}|{report.run.started_at.isoformat()}".encode()).hexdigest(),
            **({"tenant_uid": report.run.tenant_id} if report.run.tenant_id else {}),
        },
        "cloud": _cloud(report, finding),
        "finding_info": {
            "uid": uid,
            "title": meta.title,
            "types": [meta.service],
            "analytic": _analytic(meta),
            **({"src_url": meta.docs.references[0]} if meta.docs.references else {}),
        },
        "compliance": compliance,
        "resources": [
            {
                "uid": finding.resource_id,
                "name": finding.resource_name,
                "type": finding.resource_type,
                **(
                    {"cloud_partition": CLOUD_PARTITIONS[report.run.cloud]}
                    if report.run.cloud in CLOUD_PARTITIONS
                    else {}
                ),
            }
        ],
    }
    if meta.docs.fix:
        document["remediation"] = {"desc": meta.docs.fix, "references": list(meta.docs.references)}
    unmapped = _unmapped(finding, meta)
    if unmapped:
        document["unmapped"] = unmapped
    return document


EVENTS_PER_CHUNK = 1000


def render(report: Report) -> str:
    return "".join(chunks(report))


def chunks(report: Report) -> Iterator[str]:
    """The lines of :func:`render`, a thousand events at a time: a report file is written from
    them as they are made (at 10,000 resources the whole text is 570 MB)."""
    findings = report.findings
    for start in range(0, len(findings), EVENTS_PER_CHUNK):
        yield "".join(
            json_text(json.dumps(event(report, f), ensure_ascii=False, separators=(",", ":"))) + "\n"
            for f in findings[start : start + EVENTS_PER_CHUNK]
            if f.code in report.checks
        )
