"""One audit, end to end: backend → scope → collect → checks → report.

Nothing here prints or exits; the CLI passes callbacks for progress and prompts.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import msgspec
import requests
from azure.core.credentials import TokenCredential

from azaudit import __version__, catalogue
from azaudit.auth import verify_credential
from azaudit.backend import Backend, open_backend
from azaudit.catalogue import CheckContext
from azaudit.collect.pool import collect_subscriptions
from azaudit.collect.scheduler import Progress
from azaudit.engine import run_checks
from azaudit.inventory import Inventory
from azaudit.inventory.coverage import Dataset
from azaudit.lifecycle import fewer_collections
from azaudit.reports.baseline import compare, load_baseline
from azaudit.reports.model import ExceptionEntry, Report, RunInfo, RunSettings
from azaudit.reports.runtime import running_containers
from azaudit.runconfig import ExpiredSuppressions, RunConfig
from azaudit.scope.selection import Selection, scope_for
from azaudit.settings import Settings, load_settings, parse_settings
from azaudit.transport import RequestStats


@dataclass
class Audit:
    """What a run produced: the report, plus the inventory and request statistics behind it."""

    report: Report
    inventory: Inventory
    stats: RequestStats
    tokens_acquired: dict[str, int]
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage, for --verbose


def resolve_settings(config: RunConfig) -> tuple[Settings, str | None]:
    settings, source = load_settings(config.config_file, config.working_directory)
    if config.approved_registries:
        # Validated like the config file, so a typo on the command line is an error, not a no-match.
        overridden = parse_settings(
            {"registries": {"approved": list(config.approved_registries)}}, "--approved-registry"
        )
        settings = msgspec.structs.replace(settings, registries=overridden.registries)
    return settings, source


@fewer_collections()
def run_audit(
    config: RunConfig,
    progress: Progress | None = None,
    notify: Callable[[str], None] = lambda message: None,
    *,
    session: requests.Session | None = None,
    credential: TokenCredential | None = None,
) -> Audit:
    """Run one audit. ``session`` and ``credential`` replace the network and the sign-in (for
    benchmarks and fault tests over a simulated network); everything above them is unchanged."""
    started = config.now or dt.datetime.now(dt.UTC)
    settings, settings_source = resolve_settings(config)
    available = catalogue.load()
    applied = settings.in_force(
        started.date(),
        settings_source or "configuration",
        available,
        expired_fail=config.expired_suppressions is not ExpiredSuppressions.WARN,
        warn=notify,
    )
    checks = catalogue.select(available, config.select, config.ignore)
    ignored = sorted({c.meta.code for c in catalogue.select(available, config.select)} - {c.meta.code for c in checks})
    if config.record is not None:
        from azaudit.replay.recorder import check_destination  # the recorder: only with --record

        check_destination(config.record)  # before the audit: its end must not be lost to a bad folder
    baseline = load_baseline(config.baseline) if config.baseline is not None else None
    timings: dict[str, float] = {}
    stage = _stopwatch(timings)

    backend = open_backend(config, notify, session=session, credential=credential)
    try:
        verify_credential(backend.credential, backend.cloud, config.auth)
        stage("auth")
        clients = backend.clients()
        selection = scope_for(config).select(clients)
        stage("enumerate")
        datasets = {Dataset(d) for chk in checks for d in chk.meta.requires}
        inventory = collect_subscriptions(backend, clients, selection.subscriptions, datasets, progress)
        inventory = selection.with_neighbours(inventory, clients, datasets, config.concurrency)
        stage("collect")
    finally:
        backend.close()
    backend.write_recording()

    context = CheckContext(inventory=inventory, settings=applied, now=started, cloud=backend.cloud)
    findings = run_checks(checks, context)
    stage("checks")
    run = run_info(config, backend, selection, started, settings_source)
    run = msgspec.structs.replace(run, settings=run_settings(config, settings, started.date(), ignored))
    report = Report(
        run=run,
        checks={c.meta.code: c.meta for c in checks},
        findings=findings,
        errors=inventory.errors,
        notes=inventory.notes,
        runtime=running_containers(inventory, started) if Dataset.REGISTRY_IMAGES in datasets else None,
    )
    if baseline is not None:
        report = compare(report, baseline, str(config.baseline))
    return Audit(report, inventory, backend.transport.stats, backend.credential.acquired, timings)


def _stopwatch(timings: dict[str, float]) -> Callable[[str], None]:
    """A function that records, under the name it is given, the seconds since it was last called
    (or made)."""
    last = [time.perf_counter()]

    def stage(name: str) -> None:
        now = time.perf_counter()
        timings[name] = now - last[0]
        last[0] = now

    return stage


def run_settings(config: RunConfig, settings: Settings, today: dt.date, ignored: Sequence[str]) -> RunSettings:
    """The configuration and selection the report records (the gate's severity is added when the
    report is finished: ``azaudit report`` may gate differently)."""
    thresholds = {
        f"{table}.{name}": value
        for table in ("keyvault", "rbac", "images")
        if (section := getattr(settings, table, None)) is not None
        for name, value in msgspec.structs.asdict(section).items()
        if isinstance(value, int | str)  # also IMG001's vulnerability_min_severity ("high")
    }
    return RunSettings(
        select=config.select,
        ignore=config.ignore,
        ignored_checks=tuple(ignored),
        approved_registries=settings.registries.approved,
        thresholds=thresholds,
        suppressions=tuple(
            ExceptionEntry(
                check=s.check.strip().upper(),
                resource=s.resource,
                reason=s.reason,
                expires=s.expires,
                owner=s.owner,
                ticket=s.ticket,
                expired=s.expires < today,
            )
            for s in settings.suppress
        ),
        auth=None if config.replay is not None else config.auth.value,
    )


def run_info(
    config: RunConfig, backend: Backend, selection: Selection, started: dt.datetime, settings_source: str | None
) -> RunInfo:
    """What the report says about the run itself."""
    subscriptions = selection.subscriptions
    return RunInfo(
        tool_version=__version__,
        started_at=started,
        finished_at=config.now or dt.datetime.now(dt.UTC),
        cloud=backend.cloud.name.value,
        tenant_id=config.tenant_id or next((s.tenant_id for s in subscriptions if s.tenant_id), None),
        subscriptions=tuple(subscriptions),
        source=backend.source,
        requests=backend.transport.stats.total,
        config_file=settings_source,
        management_groups=config.management_groups,
        shard=str(selection.shard) if selection.shard is not None else None,
    )
