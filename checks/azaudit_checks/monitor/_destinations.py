"""What LOG001 and LOG003 share: does a resource send any enabled log to a destination?"""

from __future__ import annotations

from azaudit.inventory.monitor import DiagnosticSetting, sending
from azaudit.model import Outcome, ResourceLike


def logs_sent(resource: ResourceLike, settings: tuple[DiagnosticSetting, ...], unlogged: str) -> Outcome:
    """PASS naming the settings that send logs; FAIL saying why none does (``unlogged`` says
    what goes unrecorded when there is no setting at all)."""
    active = sending(settings)
    if active:
        return Outcome.passed(resource, f"logs are sent by diagnostic setting(s) {', '.join(s.name for s in active)}")
    if settings:
        return Outcome.failed(resource, "diagnostic settings exist but none sends an enabled log to a destination")
    return Outcome.failed(resource, f"no diagnostic setting: {unlogged}")
