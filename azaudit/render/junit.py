"""JUnit XML (the Ant dialect Azure DevOps' PublishTestResults reads): one testsuite per check,
one testcase per resource (and item), titled with the check code and the resource.

How the Tests tab shows them follows the agent's JUnit reader (azure-pipelines-agent
``JUnitResultReader``): a ``<failure>`` *or* an ``<error>`` makes the result Failed, its ``message``
the error message and its text the stack trace; a ``<skipped>`` makes it Not executed with its
``message``; anything else Passed. So FAIL is a ``<failure>`` whose message starts with the
severity and whose text carries the resource id and how to fix it; not assessed (ERROR) is
``<skipped message="not assessed: ...">``, never a failed test (an ``<error>`` would be counted
as one); SKIPPED (not applicable, or suppressed: the message says which) is ``<skipped>`` too.

Every string goes through :func:`_x` on its way into the tree: tenant text holding a control
character would make the file ill-formed XML (XML 1.0 forbids most of C0), and an escape sequence
or bidi override would reach whoever reads the test results.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from azaudit.model import BaselineState, Finding, Status
from azaudit.render import frameworks
from azaudit.render.escape import Output, neutralise
from azaudit.reports.model import Report


def _x(text: str, multiline: bool = False) -> str:
    return neutralise(text, Output.XML, multiline=multiline)


NOT_ASSESSED = "not assessed"


def _case_name(report: Report, finding: Finding) -> str:
    """The test title: check code first, then where (subscription / resource / item)."""
    where = report.subscription_name(finding.subscription_id) if finding.subscription_id else "every subscription"
    name = f"{finding.code} {where} / {finding.resource_name}"
    return _x(f"{name} / {finding.item}" if finding.item else name)


def _not_assessed(message: str) -> str:
    return message if message.startswith(NOT_ASSESSED) else f"{NOT_ASSESSED}: {message}"


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
                "errors": "0",  # not assessed is reported as skipped: see the module docstring
                "skipped": str(sum(f.status in (Status.ERROR, Status.SKIPPED) for f in findings)),
                "time": "0",
            },
        )
        properties = ET.SubElement(suite, "properties")
        for name, value in (
            ("severity", meta.severity.label),
            ("name", meta.name),
            ("recommendations", ", ".join(meta.recommendations)),
            ("mcsb", ", ".join(meta.mcsb)),
            *frameworks.junit_properties(report.frameworks, code),
            ("not-assessed", str(sum(f.status is Status.ERROR for f in findings))),
        ):
            ET.SubElement(properties, "property", {"name": name, "value": _x(value)})
        for f in findings:
            case = ET.SubElement(
                suite, "testcase", {"name": _case_name(report, f), "classname": _x(f"azaudit.{code}"), "time": "0"}
            )
            message = _x(f.message)
            resource = f"resource: {_x(f.resource_id)}"
            if f.status is Status.FAIL:
                severity = f"{f.severity.label}{' new' if f.baseline is BaselineState.NEW else ''}"
                ET.SubElement(
                    case, "failure", {"message": f"[{severity}] {message}", "type": f.severity.label}
                ).text = (
                    f"severity: {severity}\n{message}\n{resource}\n\nHow to fix:\n{_x(meta.docs.fix, multiline=True)}"
                )
            elif f.status is Status.ERROR:
                ET.SubElement(case, "skipped", {"message": _not_assessed(message)}).text = resource
            elif f.status is Status.SKIPPED:
                reason = f"{message} ({_x(f.suppressed_by)})" if f.suppressed_by else message
                ET.SubElement(case, "skipped", {"message": reason}).text = resource
        ET.SubElement(suite, "system-out")
        ET.SubElement(suite, "system-err")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
