"""Shard reports for measuring ``azaudit report``'s merge: N JSON reports of one sharded audit, each
as a job of the sharded pipeline writes it (``azaudit subscription --shard K/N -f json``).

One audit of the synthetic tenant (``bench/synthetic.py``: ``--subscriptions`` x
``--per-subscription`` resources, answered from memory without latency) gives the first report;
the other N - 1 are that report with every subscription id (and so every resource id under it)
and subscription name made its own, as if each job had audited its own slice of a large tenant
holding the same mix. Every report carries ``run.shard`` = ``K/N``, so ``azaudit report`` checks
them as the shards of one audit (all present, none twice, disjoint subscriptions).

``python -m bench.shards --out DIR [--shards 100] [--subscriptions 10] [--per-subscription 100]``
"""

from __future__ import annotations

import argparse
import re
import time
import uuid
from pathlib import Path

from azaudit.audit import run_audit
from azaudit.render import json_document
from azaudit.replay import ReplayAdapter, ReplayCredential
from azaudit.runconfig import RunConfig
from bench.network import SimulatedNetwork, simulated_session
from bench.synthetic import SyntheticTenant

SHARD_NULL = re.compile(r'"shard":\s*null')


def audited(subscriptions: int, per_subscription: int) -> tuple[str, SyntheticTenant]:
    """The JSON report of one audit of the synthetic tenant (the whole catalogue, in memory)."""
    tenant = SyntheticTenant(subscriptions, per_subscription)
    network = SimulatedNetwork(ReplayAdapter(tenant.responses, "synthetic"))
    config = RunConfig(working_directory=Path("/nonexistent"), processes=1)
    audit = run_audit(config, session=simulated_session(network), credential=ReplayCredential())
    return json_document.render(audit.report), tenant


def shard_text(text: str, tenant: SyntheticTenant, index: int, total: int) -> str:
    """Shard ``index`` of ``total``: the report with its subscriptions made this shard's own."""
    for number, subscription in enumerate(tenant.subscription_ids):
        own = str(uuid.uuid5(uuid.NAMESPACE_URL, f"shard {index} subscription {subscription}"))
        text = text.replace(subscription, own).replace(f'"sub-{number:03d}"', f'"shard{index:03d}-sub-{number:03d}"')
    shard, count = SHARD_NULL.subn(f'"shard": "{index}/{total}"', text, count=1)
    if count != 1:
        raise ValueError("the report has no run.shard field to set")
    return shard


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--shards", type=int, default=100)
    parser.add_argument("--subscriptions", type=int, default=10, help="per shard")
    parser.add_argument("--per-subscription", type=int, default=100)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    text, tenant = audited(args.subscriptions, args.per_subscription)
    for index in range(1, args.shards + 1):
        (args.out / f"shard-{index:03d}.json").write_text(shard_text(text, tenant, index, args.shards))
    size = sum(p.stat().st_size for p in args.out.glob("shard-*.json"))
    print(
        f"{args.shards} shard reports of {tenant.resource_count} resources each in {args.out} "
        f"({size / 1e6:.0f} MB, {time.perf_counter() - started:.0f} s)"
    )


if __name__ == "__main__":
    main()
