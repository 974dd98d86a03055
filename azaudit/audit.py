"""One audit, end to end: settings, credential, clients, collection, checks, report.

Nothing here prints or exits; the CLI passes callbacks for progress and prompts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import msgspec
import requests
from azure.core.credentials import TokenCredential

from azaudit import __version__, catalogue
from azaudit.auth import SharedTokenCredential, build_credential, verify_credential
from azaudit.baseline import compare, load_baseline
from azaudit.catalogue import CheckContext
from azaudit.clients import Clients
from azaudit.clouds import CLOUDS, Cloud
from azaudit.collect import collect, merge
from azaudit.collect.management_groups import subscriptions_under
from azaudit.collect.neighbours import needs_neighbours, with_neighbour_identities
from azaudit.collect.scheduler import Progress
from azaudit.collect.shards import ShardResult, process_count, run_shards
from azaudit.collect.subscriptions import choose, choose_under, visible_subscriptions
from azaudit.engine import run_checks
from azaudit.inventory import Inventory, from_json, to_json
from azaudit.inventory.common import Subscription
from azaudit.inventory.coverage import Dataset
from azaudit.replay import ReplayAdapter, ReplayCredential, load_fixture_dir, replay_session
from azaudit.replay.recorder import RecordingAdapter, check_destination
from azaudit.report import Report, RunInfo
from azaudit.runconfig import RunConfig
from azaudit.settings import Settings, load_settings, parse_settings
from azaudit.sharding import Shard
from azaudit.transport import GuardedTransport, RequestStats, network_session, requests_transport


@dataclass
class Audit:
    """What a run produced: the report, plus the inventory and request statistics behind it."""

    report: Report
    inventory: Inventory
    stats: RequestStats
    tokens_acquired: dict[str, int]


def resolve_settings(config: RunConfig) -> tuple[Settings, str | None]:
    settings, source = load_settings(config.config_file, config.working_directory)
    if config.approved_registries:
        # Validated like the config file, so a typo on the command line is an error, not a no-match.
        overridden = parse_settings(
            {"registries": {"approved": list(config.approved_registries)}}, "--approved-registry"
        )
        settings = msgspec.structs.replace(settings, registries=overridden.registries)
    return settings, source


def _session(config: RunConfig) -> tuple[requests.Session, RecordingAdapter | None]:
    """The requests session under azure-core's transport: the network, or fixtures; optionally
    recorded."""
    if config.replay is not None:
        session = replay_session(ReplayAdapter(load_fixture_dir(config.replay), source=str(config.replay)))
    else:
        session = network_session(config.concurrency)
    if config.record is None:
        return session, None
    recorder = RecordingAdapter(session.get_adapter("https://"))
    session.mount("https://", recorder)
    return session, recorder


def _transport(config: RunConfig, session: requests.Session) -> GuardedTransport:
    return GuardedTransport(
        requests_transport(session),
        cloud=CLOUDS[config.cloud],
        connection_timeout=min(config.timeout, 10.0),
        read_timeout=config.timeout,
    )


def _credential(config: RunConfig, cloud: Cloud, notify: Callable[[str], None]) -> TokenCredential:
    if config.replay is not None:
        return ReplayCredential()
    return build_credential(config.auth, cloud, config.tenant_id, notify)


def _collect_in_processes(
    config: RunConfig,
    cloud: Cloud,
    credential: SharedTokenCredential,
    session: requests.Session,
    transport: GuardedTransport,
    subscriptions: list[Subscription],
    datasets: set[Dataset],
    processes: int,
    progress: Progress | None,
) -> Inventory:
    """Shard the subscriptions over forked processes and merge what they collected."""
    per_process = max(1, config.concurrency // processes)
    live = config.replay is None and isinstance(session.get_adapter("https://"), requests.adapters.HTTPAdapter)

    def job(shard: Sequence[Subscription], run_wide: bool) -> ShardResult:
        before = dict(credential.acquired)
        # A live session's pooled sockets must not be shared across the fork: open a new one.
        child = _transport(config, network_session(per_process) if live else session)
        try:
            part = collect(Clients(credential, cloud, child), shard, datasets, per_process, None, run_wide)
        finally:
            child.shutdown()
        stats = child.stats
        return ShardResult(
            inventory_json=to_json(part),
            total=stats.total,
            challenges=stats.challenges,
            peak_in_flight=stats.peak_in_flight,
            by_kind=dict(stats.by_kind),
            by_url=dict(stats.by_url),
            tokens={k: v - before.get(k, 0) for k, v in credential.acquired.items() if v - before.get(k, 0)},
        )

    tenants = {s.tenant_id for s in subscriptions if s.tenant_id}
    if Dataset.SECRETS in datasets and len(tenants) == 1:
        # Every worker would otherwise ask for its own Key Vault token: take it once, here, with
        # the key the Key Vault challenge policy will ask for (scope, tenant, CAE), and let the
        # workers inherit it.
        credential.get_token(f"https://{cloud.vault_suffix}/.default", tenant_id=tenants.pop(), enable_cae=True)
    results = run_shards(job, subscriptions, processes, progress)
    for result in results:
        transport.stats.absorb(result.total, result.challenges, result.peak_in_flight, result.by_kind, result.by_url)
        for audience, count in result.tokens.items():
            credential.acquired[audience] = credential.acquired.get(audience, 0) + count
    return merge(subscriptions, [from_json(r.inventory_json) for r in results])


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
    settings.check_suppressions(started.date(), settings_source or "configuration", available)
    checks = catalogue.select(available, config.select, config.ignore)
    shard = Shard.parse(config.shard) if config.shard is not None else None
    if config.record is not None:
        check_destination(config.record)  # before the audit: its end must not be lost to a bad folder
    baseline = load_baseline(config.baseline) if config.baseline is not None else None
    cloud = CLOUDS[config.cloud]
    shared = SharedTokenCredential(credential or _credential(config, cloud, notify))
    recorder: RecordingAdapter | None = None
    if session is None:
        session, recorder = _session(config)
    transport = _transport(config, session)
    try:
        verify_credential(shared, cloud, config.auth)
        clients = Clients(shared, cloud, transport)
        visible = visible_subscriptions(clients)
        if config.management_groups:
            members = subscriptions_under(clients, config.management_groups)
            chosen = choose_under(visible, members, config.management_groups)
        else:
            chosen = choose(visible, config.subscriptions)
        subscriptions = shard.take(chosen) if shard is not None else chosen
        datasets = {Dataset(d) for chk in checks for d in chk.meta.requires}
        processes = process_count(config.processes, len(subscriptions)) if recorder is None else 1
        if processes > 1:
            inventory = _collect_in_processes(
                config, cloud, shared, session, transport, subscriptions, datasets, processes, progress
            )
        else:
            inventory = collect(clients, subscriptions, datasets, config.concurrency, progress)
        if shard is not None and needs_neighbours(datasets):
            others = [s for s in chosen if s not in subscriptions]
            inventory = with_neighbour_identities(inventory, clients, others, config.concurrency, datasets)
    finally:
        transport.shutdown()
        shared.close()
    if recorder is not None and config.record is not None:
        recorder.write(config.record)
    findings = run_checks(checks, CheckContext(inventory=inventory, settings=settings, now=started, cloud=cloud))
    run = RunInfo(
        tool_version=__version__,
        started_at=started,
        finished_at=config.now or dt.datetime.now(dt.UTC),
        cloud=cloud.name.value,
        tenant_id=config.tenant_id or next((s.tenant_id for s in subscriptions if s.tenant_id), None),
        subscriptions=tuple(subscriptions),
        source=f"replay:{config.replay}" if config.replay is not None else "azure",
        requests=transport.stats.total,
        config_file=settings_source,
        management_groups=config.management_groups,
        shard=str(shard) if shard is not None else None,
    )
    report = Report(
        run=run,
        checks={c.meta.code: c.meta for c in checks},
        findings=findings,
        errors=inventory.errors,
        notes=inventory.notes,
    )
    if baseline is not None:
        report = compare(report, baseline, str(config.baseline))
    return Audit(report=report, inventory=inventory, stats=transport.stats, tokens_acquired=shared.acquired)
