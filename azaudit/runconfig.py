"""The frozen description of one run, built by the CLI from its options."""

from __future__ import annotations

import datetime as dt
import enum
from pathlib import Path

import msgspec

from azaudit.clouds import CloudName
from azaudit.shard import Shard

# Requests in flight at most, across all collection processes. Against Azure, where a read takes
# 100 ms or more, the run's wall is requests x latency / in flight until the client's CPU binds:
# the benchmark at 1,000 resources with 150 ms a request takes 8.8 s with 64 and 5.1 to 5.4 s with
# 128, for the same CPU (bench/RESULTS.md, fifth round). ARM reads are paced to ARM's own limits
# whatever this is (transport/pacing.py), so a higher bound does not throttle a subscription.
DEFAULT_CONCURRENCY = 128


class AuthMode(enum.Enum):
    """How the run signs in (``--auth``): :mod:`azaudit.auth` builds the credential. Here, with the
    other options, so that parsing them imports no Azure library."""

    DEFAULT = "default"  # DefaultAzureCredential: environment, workload identity, managed identity, az CLI...
    CLI = "cli"  # the account of `az login`
    ENV = "env"  # a service principal from AZURE_CLIENT_ID / AZURE_TENANT_ID / AZURE_CLIENT_SECRET
    MSI = "msi"  # the managed identity of the machine
    DEVICE_CODE = "device-code"  # an interactive sign-in on another device
    PIPELINES = "pipelines"  # an Azure Pipelines service connection with workload identity federation


class ExpiredSuppressions(enum.Enum):
    """What a ``[[suppress]]`` entry past its ``expires`` date does (``--expired-suppressions``)."""

    FAIL = "fail"  # a configuration error (exit 2): an exception nobody renewed stops the run
    WARN = "warn"  # a warning; the entry is not applied and the report lists it as expired


DEFAULT_TIMEOUT_SECONDS = 30.0


class Source(enum.Enum):
    """Where the audited resources are enumerated (``--source``; see azaudit/collect/graph_source.py)."""

    ARM = "arm"  # one ARM list per subscription and service
    GRAPH = "graph"  # Azure Resource Graph, falling back to the ARM lists when it cannot be used
    AUTO = "auto"  # graph for 10 subscriptions or more (in one collection process), else arm


class RunConfig(msgspec.Struct, frozen=True, kw_only=True):
    subscriptions: tuple[str, ...] = ()
    management_groups: tuple[str, ...] = ()  # audit the enabled subscriptions these groups hold
    auth: AuthMode = AuthMode.DEFAULT
    tenant_id: str | None = None
    cloud: CloudName = CloudName.PUBLIC
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    replay: Path | None = None
    record: Path | None = None  # write the run's answers, scrubbed, as replay fixtures here
    concurrency: int = DEFAULT_CONCURRENCY
    source: Source = Source.AUTO
    processes: int = 0  # 0: one per core for large audits (see collect/pool.py); 1: no fork
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    config_file: Path | None = None
    working_directory: Path = Path(".")
    approved_registries: tuple[str, ...] = ()
    baseline: Path | None = None  # an earlier JSON report: failures are new or unchanged against it
    shard: Shard | None = None  # audit only that slice of the subscriptions (--shard K/N)
    expired_suppressions: ExpiredSuppressions = ExpiredSuppressions.FAIL
    now: dt.datetime | None = None  # pinned clock (tests); None: the time the run starts
