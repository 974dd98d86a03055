"""What LOG001, LOG003 and LOG005 share: does a resource send any enabled log to a destination,
and the evidence that verdict rests on (LOG002, LOG004 and LOG006 share the category evidence)."""

from __future__ import annotations

from azaudit.inventory.monitor import DiagnosticSetting, sending
from azaudit.model import Outcome, ResourceLike

NAMES = "diagnosticSettings[].name"
SENDING = "diagnosticSettings[].properties.logs[].enabled (with a destination)"
CATEGORIES = "diagnosticSettings[].properties.logs[].category"


def observed(settings: tuple[DiagnosticSetting, ...]) -> dict[str, str]:
    """The settings there are, and which of them send an enabled log to a destination."""
    active = sending(settings)
    return {
        NAMES: ", ".join(s.name for s in settings) if settings else "absent (no diagnostic setting)",
        SENDING: ", ".join(s.name for s in active) if active else "none",
    }


def categories_observed(sent: frozenset[str], wanted: frozenset[str]) -> dict[str, str]:
    """Which of the wanted categories are sent somewhere and which are not."""
    return {
        CATEGORIES: f"sent: {', '.join(sorted(sent & wanted)) or 'none'}; "
        f"not sent: {', '.join(sorted(wanted - sent)) or 'none'}"
    }


def logs_sent(resource: ResourceLike, settings: tuple[DiagnosticSetting, ...], unlogged: str) -> Outcome:
    """PASS naming the settings that send logs; FAIL saying why none does (``unlogged`` says
    what goes unrecorded when there is no setting at all)."""
    active = sending(settings)
    evidence = observed(settings)
    if active:
        return Outcome.passed(
            resource, f"logs are sent by diagnostic setting(s) {', '.join(s.name for s in active)}", evidence=evidence
        )
    if settings:
        return Outcome.failed(
            resource, "diagnostic settings exist but none sends an enabled log to a destination", evidence=evidence
        )
    return Outcome.failed(resource, f"no diagnostic setting: {unlogged}", evidence=evidence)
