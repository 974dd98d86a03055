"""JUnit XML (the Ant dialect Azure DevOps' PublishTestResults reads): one testsuite per check,
one testcase per resource (and item); FAIL is a failure, ERROR an error, SKIPPED skipped.

Every string goes through :func:`_x` on its way into the tree: tenant text holding a control
character would make the file ill-formed XML (XML 1.0 forbids most of C0), and an escape sequence
or bidi override would reach whoever reads the test results.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from azaudit.model import Finding, Status
from azaudit.render.escape import Output, neutralise
from azaudit.report import Report


def _x(text: str, multiline: bool = False) -> str:
    return neutralise(text, Output.XML, multiline=multiline)


def _case_name(report: Report, finding: Finding) -> str:
    where = report.subscription_name(finding.subscription_id) if finding.subscription_id else "every subscription"
    name = f"{where} / {finding.resource_name}"
    return _x(f"{name} / {finding.item}" if finding.item else name)


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
                "name": _x(f"{code} {meta.title}"),
                "package": _x(f"azaudit.{meta.service.lower().replace(' ', '-')}"),
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
            ET.SubElement(properties, "property", {"name": name, "value": _x(value)})
        for f in findings:
            case = ET.SubElement(
                suite, "testcase", {"name": _case_name(report, f), "classname": _x(f"azaudit.{code}"), "time": "0"}
            )
            message = _x(f.message)
            detail = f"{message}\nresource: {_x(f.resource_id)}"
            if f.status is Status.FAIL:
                ET.SubElement(
                    case, "failure", {"message": message, "type": meta.severity.label}
                ).text = f"{detail}\n\nHow to fix:\n{_x(meta.docs.fix, multiline=True)}"
            elif f.status is Status.ERROR:
                ET.SubElement(case, "error", {"message": message, "type": "not-assessed"}).text = detail
            elif f.status is Status.SKIPPED:
                ET.SubElement(case, "skipped", {"message": _x(f.suppressed_by or f.message)})
        ET.SubElement(suite, "system-out")
        ET.SubElement(suite, "system-err")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
