"""JUnit XML (the Ant dialect Azure DevOps' PublishTestResults reads): one testsuite per check,
one testcase per resource (and item); FAIL is a failure, ERROR an error, SKIPPED skipped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from azaudit.model import Finding, Status
from azaudit.report import Report


def _case_name(report: Report, finding: Finding) -> str:
    where = report.subscription_name(finding.subscription_id) if finding.subscription_id else "every subscription"
    name = f"{where} / {finding.resource_name}"
    return f"{name} / {finding.item}" if finding.item else name


def render(report: Report) -> str:
    by_code: dict[str, list[Finding]] = defaultdict(list)
    for f in report.findings:
        by_code[f.code].append(f)
    timestamp = report.run.started_at.strftime("%Y-%m-%dT%H:%M:%S")
    root = ET.Element("testsuites")
    for suite_id, (code, meta) in enumerate(report.checks.items()):
        findings = by_code.get(code, [])
        suite = ET.SubElement(
            root,
            "testsuite",
            {
                "name": f"{code} {meta.title}",
                "package": f"azaudit.{meta.service.lower().replace(' ', '-')}",
                "id": str(suite_id),
                "timestamp": timestamp,
                "hostname": "azaudit",
                "tests": str(len(findings)),
                "failures": str(sum(f.status is Status.FAIL for f in findings)),
                "errors": str(sum(f.status is Status.ERROR for f in findings)),
                "skipped": str(sum(f.status is Status.SKIPPED for f in findings)),
                "time": "0",
            },
        )
        properties = ET.SubElement(suite, "properties")
        for name, value in (
            ("severity", meta.severity.label),
            ("name", meta.name),
            ("recommendations", ", ".join(meta.recommendations)),
            ("mcsb", ", ".join(meta.mcsb)),
        ):
            ET.SubElement(properties, "property", {"name": name, "value": value})
        for f in findings:
            case = ET.SubElement(
                suite, "testcase", {"name": _case_name(report, f), "classname": f"azaudit.{code}", "time": "0"}
            )
            detail = f"{f.message}\nresource: {f.resource_id}"
            if f.status is Status.FAIL:
                ET.SubElement(
                    case, "failure", {"message": f.message, "type": meta.severity.label}
                ).text = f"{detail}\n\nHow to fix:\n{meta.docs.fix}"
            elif f.status is Status.ERROR:
                ET.SubElement(case, "error", {"message": f.message, "type": "not-assessed"}).text = detail
            elif f.status is Status.SKIPPED:
                ET.SubElement(case, "skipped", {"message": f.suppressed_by or f.message})
        ET.SubElement(suite, "system-out")
        ET.SubElement(suite, "system-err")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
