"""A check's documentation page, in Markdown, from its metadata and docstring."""

from __future__ import annotations

from azaudit.model import CheckMeta
from azaudit.recommendations import RECOMMENDATIONS

POLICY_URL = "https://portal.azure.com/#view/Microsoft_Azure_Policy/PolicyDetailBlade/definitionId/%2Fproviders%2FMicrosoft.Authorization%2FpolicyDefinitions%2F"


def policy_url(guid: str) -> str:
    """The Azure portal page of a built-in policy definition."""
    return POLICY_URL + guid


def check_markdown(meta: CheckMeta, heading: str = "#") -> str:
    # the recommendation in words for a compliance reader, its tag for --select-minded tooling
    tags = "; ".join(f"{RECOMMENDATIONS.get(tag, tag)} (`{tag}`)" for tag in meta.recommendations) or "-"
    mcsb = ", ".join(meta.mcsb) or "-"
    policies = ", ".join(f"[{guid}]({policy_url(guid)})" for guid in meta.policies) or "no built-in definition"
    parts = [
        f"{heading} {meta.code} {meta.name}: {meta.title}",
        "",
        f"- Severity: {meta.severity.label}",
        f"- Service: {meta.service} (`{meta.resource_type}`)",
        f"- Container security guidance: {tags}",
        f"- MCSB: {mcsb}",
        f"- Azure Policy: {policies}",
        *(
            [f"- Applies to: {'; '.join(meta.applies_to)} (others are SKIPPED as not applicable)"]
            if meta.applies_to
            else []
        ),
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
