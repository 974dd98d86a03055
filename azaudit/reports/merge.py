"""Merge the reports of parallel pipeline jobs (or of separate audits) into one.

A tenant with hundreds of subscriptions can be audited by N parallel jobs (Azure DevOps
``strategy: parallel: N``): job K runs ``azaudit subscription --shard K/N -f json`` and audits
every N-th subscription of the sorted list; a final job runs ``azaudit report shard-*.json`` to
merge them into one report in any format. Every shard sees the same visible subscriptions, so the
slices are disjoint and together cover the whole list.

A merge never pretends to be more than its parts: it refuses reports of different azaudit
versions, clouds or check selections (a check that ran on some subscriptions only would read as
a tenant-wide result), of different settings that decide verdicts (thresholds, approved
registries, suppressions: the merged report states one configuration, and would state the first
job's for findings judged under another), reports that audited the same subscription twice, and an
incomplete set of shards (a missing job would silently drop its subscriptions). Settings that do
not decide a verdict (how each job signed in, the severity its own run gated on) may differ: the
merged report then records none.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from azaudit.errors import AzauditError
from azaudit.reports.model import Report, RunSettings
from azaudit.shard import Shard


class MergeError(AzauditError):
    """Saved reports that cannot honestly be merged into one."""


def _one(values: set[str], what: str, sources: Sequence[str]) -> str:
    if len(values) != 1:
        raise MergeError(f"{', '.join(sources)}: the reports differ in {what} ({', '.join(sorted(values))})")
    return values.pop()


def _check_shards(named: Sequence[tuple[str, Report]]) -> str | None:
    """The ``N`` of a complete set of shard reports, or None for reports of separate audits."""
    shards = [(source, report.run.shard) for source, report in named]
    if all(shard is None for _, shard in shards):
        return None
    if any(shard is None for _, shard in shards):
        plain = [source for source, shard in shards if shard is None]
        raise MergeError(f"{', '.join(plain)}: not a --shard report; merge the reports of one sharded audit")
    parsed = {source: Shard.parse(str(shard)) for source, shard in shards}
    total = _one({str(s.total) for s in parsed.values()}, "shard count", list(parsed))
    seen: dict[int, str] = {}
    for source, shard in parsed.items():
        if shard.index in seen:
            raise MergeError(f"{seen[shard.index]} and {source} are both shard {shard}")
        seen[shard.index] = source
    missing = [f"{k}/{total}" for k in range(1, int(total) + 1) if k not in seen]
    if missing:
        raise MergeError(
            f"shard report(s) {', '.join(missing)} missing: their subscriptions were not audited; "
            "rerun those jobs and merge every shard's report"
        )
    return total


# The settings that decide a finding's status (the check selection is compared on its own).
_VERDICT_SETTINGS = {
    "thresholds": "thresholds",
    "approved_registries": "approved registries",
    "suppressions": "suppressions",
}


def _settings(named: Sequence[tuple[str, Report]]) -> RunSettings | None:
    """The settings of the merged run: the jobs' own, which must agree on every setting that
    decides a verdict; a setting that decides none (sign-in, the job's gate) is kept only when
    every job has the same."""
    sources = [source for source, _ in named]
    found = [report.run.settings for _, report in named]
    if all(s is None for s in found):
        return None
    if any(s is None for s in found):
        bare = [source for source, s in zip(sources, found, strict=True) if s is None]
        raise MergeError(f"{', '.join(bare)}: the report does not record its settings; rerun it with this azaudit")
    settings = [s for s in found if s is not None]
    for field, what in _VERDICT_SETTINGS.items():
        values = [getattr(s, field) for s in settings]
        if any(v != values[0] for v in values[1:]):
            differing = _differing(field, values)
            raise MergeError(
                f"{', '.join(sources)}: the reports were judged with different {what}{differing}; "
                "run every job with the same configuration file"
            )
    first = settings[0]
    return msgspec.structs.replace(
        first,
        fail_on=first.fail_on if all(s.fail_on == first.fail_on for s in settings) else None,
        auth=first.auth if all(s.auth == first.auth for s in settings) else None,
    )


def _differing(field: str, values: list[object]) -> str:
    """The names of the thresholds that differ (`` (keyvault.stale_secret_days)``), else ''."""
    if field != "thresholds":
        return ""
    tables = [v for v in values if isinstance(v, dict)]
    names = sorted({k for t in tables for k in t if any(t.get(k) != other.get(k) for other in tables)})
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return f" ({shown})" if shown else ""


def merge_reports(named: Sequence[tuple[str, Report]]) -> Report:
    """One report from the reports of several jobs (``named``: file name and report)."""
    if len(named) == 1:
        return named[0][1]
    sources = [source for source, _ in named]
    reports = [report for _, report in named]
    for index, (source, report) in enumerate(named):
        # The same file given twice (an overlapping glob: `shard-*.json shard-1.json`) would count
        # its findings twice; refused rather than deduplicated, because it usually means another
        # file was meant.
        earlier = next((other for other, seen in named[:index] if seen == report), None)
        if earlier is not None:
            raise MergeError(f"{earlier} and {source} are the same report; give each report once")
    version = _one({r.run.tool_version for r in reports}, "azaudit version", sources)
    cloud = _one({r.run.cloud for r in reports}, "cloud", sources)
    selections = {" ".join(sorted(r.checks)) for r in reports}
    if len(selections) != 1:
        raise MergeError(
            f"{', '.join(sources)}: the reports ran different checks; run every job with the same --select/--ignore"
        )
    settings = _settings(named)
    owners: dict[str, str] = {}
    for source, report in named:
        for sub in report.run.subscriptions:
            other = owners.setdefault(sub.subscription_id.lower(), source)
            if other != source:
                raise MergeError(f"subscription {sub.subscription_id} was audited by both {other} and {source}")
    total = _check_shards(named)
    tenants = {r.run.tenant_id for r in reports if r.run.tenant_id}
    configs = {r.run.config_file for r in reports}
    # Built from the first job's run so that every field the jobs agree on is kept, also the
    # fields added after this function was written; the ones that differ per job are recomputed.
    run = msgspec.structs.replace(
        reports[0].run,
        tool_version=version,
        started_at=min(r.run.started_at for r in reports),
        finished_at=max(r.run.finished_at for r in reports),
        cloud=cloud,
        tenant_id=tenants.pop() if len(tenants) == 1 else None,
        subscriptions=tuple(sorted((s for r in reports for s in r.run.subscriptions), key=lambda s: s.name.lower())),
        source=reports[0].run.source if len({r.run.source for r in reports}) == 1 else "merged",
        requests=sum(r.run.requests for r in reports),
        config_file=configs.pop() if len(configs) == 1 else None,
        management_groups=tuple(dict.fromkeys(g for r in reports for g in r.run.management_groups)),
        shard=None,
        settings=settings,
        merged_from=len(reports) if total is None else int(total),
    )
    return msgspec.structs.replace(
        reports[0],
        run=run,
        # a job's own --baseline comparison does not carry over: compare the merge (report --baseline)
        # (a finding without one is kept as it is: 100 shards hold over a million of them)
        findings=tuple(
            f if f.baseline is None else msgspec.structs.replace(f, baseline=None) for r in reports for f in r.findings
        ),
        errors=tuple(e for r in reports for e in r.errors),
        notes=tuple(n for r in reports for n in r.notes),
        baseline=None,
        # what runs where: each job's containers (None when no job read the running images)
        runtime=None if all(r.runtime is None for r in reports) else tuple(c for r in reports for c in r.runtime or ()),
    )
