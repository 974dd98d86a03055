"""How each report format shows the per-control view (:mod:`azaudit.frameworks.view`).

The renderers call these; they are pure functions of the views. Check titles can come from a
report file or a plugin, so every value placed in Markdown, the terminal or XML is neutralised.
"""

from __future__ import annotations

from collections.abc import Sequence

from azaudit.frameworks.view import CheckCounts, ControlStatus, ControlView, FrameworkView
from azaudit.render.escape import Output, neutralise

ORDER = (ControlStatus.FAIL, ControlStatus.NOT_ASSESSED, ControlStatus.PASS, ControlStatus.NOT_RUN)


def check_counts(counts: CheckCounts) -> str:
    """``ACR004: 1 fail, 2 pass``; ``ACR008: not run``; ``ACR003: no resource``."""
    if not counts.ran:
        return f"{counts.code}: not run"
    parts = [
        f"{n} {label}"
        for n, label in (
            (counts.failed, "fail"),
            (counts.not_assessed, "not assessed"),
            (counts.passed, "pass"),
            (counts.skipped, "skipped"),
        )
        if n
    ]
    return f"{counts.code}: {', '.join(parts) or 'no resource'}"


def summary(view: FrameworkView) -> str:
    """``19 controls with azaudit checks: 5 fail, 1 not assessed, 12 pass, 1 not run; 66 not covered by azaudit``"""
    covered = view.controls
    counts = ", ".join(f"{view.summary.get(s.value, 0)} {s.value}" for s in ORDER)
    missing = view.summary.get(ControlStatus.NOT_COVERED.value, 0)
    return f"{len(covered)} control(s) with azaudit checks: {counts}; {missing} not covered by azaudit"


def _sorted(controls: Sequence[ControlView]) -> list[ControlView]:
    """Failing controls first, then not assessed, passing, not run; the framework's order within."""
    return sorted(controls, key=lambda c: ORDER.index(c.status) if c.status in ORDER else len(ORDER))


def markdown(views: Sequence[FrameworkView]) -> list[str]:
    """One section per framework: the covered controls with their checks, then the rest by id."""
    if not views:
        return []

    def md(text: object) -> str:
        return neutralise(text, Output.MARKDOWN)

    lines = ["## Compliance frameworks", ""]
    for view in views:
        lines += [
            f"### {md(view.label)} (`{view.id}`)",
            "",
            f"{md(summary(view))}. Mapping source: [Azure Policy initiative]({view.source}); a control "
            "fails if a finding of one of its checks fails, is not assessed if one could not be "
            "assessed (ERROR) and none failed, and passes otherwise.",
            "",
            "| control | domain | title | status | checks |",
            "|---|---|---|---|---|",
        ]
        for control in _sorted(view.controls):
            checks = "; ".join(check_counts(c) for c in control.checks)
            lines.append(
                f"| `{control.id}` | {md(control.domain) or '-'} | {md(control.title) or '-'} | "
                f"**{control.status.value}** | {md(checks)} |"
            )
        missing = view.not_covered
        if missing:
            lines += [
                "",
                "<details><summary>Controls not covered by azaudit "
                f"({len(missing)}): no azaudit check gives evidence for them</summary>",
                "",
                md(", ".join(missing)),
                "",
                "</details>",
            ]
        lines.append("")
    return lines


def controls_by_check(view: FrameworkView) -> dict[str, list[str]]:
    """Check code -> the ids of the controls it gives evidence for, in the framework's order."""
    found: dict[str, list[str]] = {}
    for control in view.controls:
        for counts in control.checks:
            found.setdefault(counts.code, []).append(control.id)
    return found


def csv_header(views: Sequence[FrameworkView]) -> tuple[str, ...]:
    """One extra CSV column per framework, ``controls:<id>``."""
    return tuple(f"controls:{view.id}" for view in views)


def csv_cells(views: Sequence[FrameworkView], code: str, cache: dict[str, dict[str, list[str]]]) -> tuple[str, ...]:
    """The finding's check's controls in each framework, space-separated (``cache`` by framework id)."""
    cells = []
    for view in views:
        by_check = cache.setdefault(view.id, controls_by_check(view))
        cells.append(" ".join(by_check.get(code, ())))
    return tuple(cells)


def junit_properties(views: Sequence[FrameworkView], code: str) -> list[tuple[str, str]]:
    """``(framework:<id>, "NS-2 fail, NS-1 pass")`` for a check's testsuite, one per framework."""
    properties = []
    for view in views:
        statuses = [
            f"{control.id} {control.status.value}"
            for control in view.controls
            if any(c.code == code for c in control.checks)
        ]
        properties.append((f"framework:{view.id}", ", ".join(statuses) or "none"))
    return properties


def sarif_taxonomies(views: Sequence[FrameworkView]) -> list[dict[str, object]]:
    """One SARIF taxonomy (§3.19.3) per framework: its covered controls as taxa, with their status."""
    return [
        {
            "name": view.id,
            "fullName": view.label,
            "version": view.version,
            "informationUri": view.source,
            "isComprehensive": False,
            "taxa": [
                {
                    "id": control.id,
                    **({"name": control.title} if control.title else {}),
                    **({"shortDescription": {"text": control.title}} if control.title else {}),
                    "properties": {
                        "status": control.status.value,
                        **({"domain": control.domain} if control.domain else {}),
                    },
                }
                for control in view.controls
            ],
        }
        for view in views
    ]


def sarif_relationships(views: Sequence[FrameworkView], code: str) -> list[dict[str, object]]:
    """A rule's relationships (§3.53) to the taxa of the controls its check gives evidence for."""
    relationships: list[dict[str, object]] = []
    for view_index, view in enumerate(views):
        covered = view.controls
        for taxon_index, control in enumerate(covered):
            if any(c.code == code for c in control.checks):
                relationships.append(
                    {
                        "target": {
                            "id": control.id,
                            "index": taxon_index,
                            "toolComponent": {"name": view.id, "index": view_index},
                        },
                        "kinds": ["relevant"],
                    }
                )
    return relationships
