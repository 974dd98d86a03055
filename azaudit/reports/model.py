"""The result of a run: findings, check metadata once, coverage, and run metadata."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import msgspec

from azaudit.frameworks.view import FrameworkView
from azaudit.inventory.common import Subscription
from azaudit.inventory.coverage import CollectionError, CollectionNote
from azaudit.model import BaselineState, CheckMeta, Finding, Severity, Status
from azaudit.reports.runtime import RunningContainer


class ExceptionEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One ``[[suppress]]`` entry of the configuration, as the exceptions register shows it."""

    check: str
    resource: str  # an ARM id or a glob on resource names
    reason: str
    expires: dt.date
    owner: str | None = None
    ticket: str | None = None
    expired: bool = False  # past its date on the day of the run: listed, not applied (--expired-suppressions warn)


class RunSettings(msgspec.Struct, frozen=True, kw_only=True):
    """The configuration and selection a run used, so that a report says what it was asked to do."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    ignored_checks: tuple[str, ...] = ()  # the checks --ignore removed from the selection
    fail_on: str | None = None  # the severity that gates, as the command that wrote the report used it
    approved_registries: tuple[str, ...] = ()  # empty: the audited registries and mcr.microsoft.com
    # every setting of [keyvault], [rbac] and [images]: "keyvault.stale_secret_days": 365,
    # "images.vulnerability_min_severity": "high", ... (older reports hold only the numeric ones)
    thresholds: dict[str, int | str] = {}
    suppressions: tuple[ExceptionEntry, ...] = ()
    auth: str | None = None  # how the run signed in (default, cli, env, msi, ...), None when replayed


class RunInfo(msgspec.Struct, frozen=True, kw_only=True):
    tool_version: str
    started_at: dt.datetime
    finished_at: dt.datetime
    cloud: str
    tenant_id: str | None
    subscriptions: tuple[Subscription, ...]
    source: str  # "azure" or "replay:<dir>"
    requests: int = 0
    config_file: str | None = None
    management_groups: tuple[str, ...] = ()  # the groups whose subscriptions were audited, if named
    shard: str | None = None  # "K/N" when this run audited one slice of the subscriptions (--shard)
    merged_from: int = 0  # the number of job reports merged into this one (0: a single run)
    settings: RunSettings | None = None  # None: a report written before azaudit recorded them


class BaselineSummary(msgspec.Struct, frozen=True, kw_only=True):
    """How this run compares with a baseline report: its failing findings are ``new`` or
    ``unchanged``; ``fixed`` holds the baseline's failures whose check now passes on the resource."""

    source: str  # the baseline file as given
    taken_at: dt.datetime  # when the baseline audit ran
    fixed: tuple[Finding, ...] = ()


class Report(msgspec.Struct, frozen=True, kw_only=True):
    run: RunInfo
    checks: dict[str, CheckMeta]
    findings: tuple[Finding, ...]
    errors: tuple[CollectionError, ...] = ()
    notes: tuple[CollectionNote, ...] = ()
    baseline: BaselineSummary | None = None
    # the per-control view of each framework asked for with --framework (derived from the findings)
    frameworks: tuple[FrameworkView, ...] = ()
    # what runs where (azaudit.reports.runtime); None when the run did not read the running images
    runtime: tuple[RunningContainer, ...] | None = None

    def count_by_status(self) -> Counter[Status]:
        return Counter(f.status for f in self.findings)

    def failures(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.status is Status.FAIL)

    def baseline_counts(self) -> str:
        """``3 new, 12 unchanged, 2 fixed since <file>``, or '' without a baseline; failures of
        checks the baseline did not run are counted as ``newly assessed`` when there are any."""
        if self.baseline is None:
            return ""
        states = Counter(f.baseline for f in self.failures())
        new, unchanged = states[BaselineState.NEW], states[BaselineState.UNCHANGED]
        newly = states[BaselineState.NEWLY_ASSESSED]
        assessed = f"{newly} newly assessed, " if newly else ""
        return (
            f"{new} new, {unchanged} unchanged, {assessed}{len(self.baseline.fixed)} fixed since {self.baseline.source}"
        )

    def count_failures_by_severity(self) -> Counter[Severity]:
        return Counter(f.severity for f in self.failures())

    @property
    def complete(self) -> bool:
        """True when every check could see all of its data."""
        return not self.errors and not any(f.status is Status.ERROR for f in self.findings)

    def subscription_name(self, subscription_id: str) -> str:
        """The name of an audited subscription (the first listed with that id), else the id.
        Renderers ask once per finding: the names are looked up in a table made once per list
        of subscriptions, not by reading the list again (a merge of 100 shards lists 1,000
        subscriptions for over a million findings)."""
        return _subscription_names(self.run.subscriptions).get(subscription_id.lower(), subscription_id)


# The table of the last list of subscriptions asked about, kept with the list itself so that its
# identity stays valid while it is used.
_names_of: tuple[tuple[Subscription, ...], dict[str, str]] | None = None


def _subscription_names(subscriptions: tuple[Subscription, ...]) -> dict[str, str]:
    global _names_of
    cached = _names_of
    if cached is not None and cached[0] is subscriptions:
        return cached[1]
    names: dict[str, str] = {}
    for sub in subscriptions:
        names.setdefault(sub.subscription_id.lower(), sub.name)
    _names_of = (subscriptions, names)
    return names
