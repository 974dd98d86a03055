"""Diagnostic settings: of resources (registries, vaults) and of the subscription (activity log)."""

from __future__ import annotations

import msgspec


class LogEntry(msgspec.Struct, frozen=True, kw_only=True):
    category: str | None
    category_group: str | None
    enabled: bool


class DiagnosticSetting(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    subscription_id: str
    resource_id: str  # the resource (or ``/subscriptions/<id>``) the setting belongs to
    logs: tuple[LogEntry, ...]
    workspace_id: str | None
    storage_account_id: str | None
    event_hub_authorization_rule_id: str | None
    marketplace_partner_id: str | None = None

    @property
    def has_destination(self) -> bool:
        return any(
            (
                self.workspace_id,
                self.storage_account_id,
                self.event_hub_authorization_rule_id,
                self.marketplace_partner_id,
            )
        )

    @property
    def enabled_logs(self) -> tuple[LogEntry, ...]:
        return tuple(entry for entry in self.logs if entry.enabled)

    def covers(self, categories: frozenset[str], groups: frozenset[str]) -> frozenset[str]:
        """The categories among ``categories`` that this setting sends somewhere.

        A category counts when an enabled log names it, or when an enabled log names one of
        ``groups`` (``allLogs``, ``audit``), which include it. A setting with no destination
        sends nothing.
        """
        if not self.has_destination:
            return frozenset()
        wanted_groups = {g.lower() for g in groups}
        covered: set[str] = set()
        for entry in self.enabled_logs:
            if entry.category_group and entry.category_group.lower() in wanted_groups:
                return categories
            if entry.category:
                covered.update(c for c in categories if c.lower() == entry.category.lower())
        return frozenset(covered)


def sending(settings: tuple[DiagnosticSetting, ...]) -> tuple[DiagnosticSetting, ...]:
    """The settings that send at least one enabled log to a destination."""
    return tuple(s for s in settings if s.has_destination and s.enabled_logs)


def covered(
    settings: tuple[DiagnosticSetting, ...], categories: frozenset[str], groups: frozenset[str]
) -> frozenset[str]:
    """The categories sent by at least one setting (coverage may be split across settings)."""
    found: set[str] = set()
    for setting in settings:
        found |= setting.covers(categories, groups)
    return frozenset(found)
