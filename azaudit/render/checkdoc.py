"""A check's documentation page, in Markdown, from its metadata and docstring."""

from __future__ import annotations

from azaudit.model import CheckMeta


def check_markdown(meta: CheckMeta, heading: str = "#") -> str:
    tags = ", ".join(meta.recommendations) or "-"
    mcsb = ", ".join(meta.mcsb) or "-"
    parts = [
        f"{heading} {meta.code} {meta.name}: {meta.title}",
        "",
        f"- Severity: {meta.severity.label}",
        f"- Service: {meta.service} (`{meta.resource_type}`)",
        f"- Seed recommendations: {tags}",
        f"- MCSB: {mcsb}",
        *([] if meta.builtin else [f"- Source: custom check from {meta.origin} (not part of azaudit)"]),
        "",
        f"{heading}# What it checks",
        "",
        meta.docs.what,
        "",
        f"{heading}# Why it matters",
        "",
        meta.docs.why,
        "",
        f"{heading}# How to fix",
        "",
        meta.docs.fix,
        "",
    ]
    if meta.docs.decisions:
        parts += [f"{heading}# Decisions", "", meta.docs.decisions, ""]
    parts += [f"{heading}# References", "", *(f"- {ref}" for ref in meta.docs.references)]
    return "\n".join(parts) + "\n"
