"""``--shard K/N``: the slice of the chosen subscriptions one of N parallel pipeline jobs audits.

A tenant with hundreds of subscriptions can be audited by N parallel jobs (Azure DevOps
``strategy: parallel: N``): job K runs ``azaudit subscription --shard K/N -f json`` and audits
every N-th subscription of the sorted list; a final job runs ``azaudit report shard-*.json`` to
merge them into one report (``azaudit.reports.merge``). Every job sees the same visible
subscriptions, so the slices are disjoint and together cover the whole list.

The text ``K/N`` is parsed once, at the CLI boundary (and when a saved report is read back);
everything else passes the ``Shard`` struct.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import msgspec

from azaudit.errors import UsageError
from azaudit.inventory.common import Subscription

SHARD_FORMAT = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


class Shard(msgspec.Struct, frozen=True):
    index: int  # 1-based, as Azure DevOps' System.JobPositionInPhase
    total: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        match = SHARD_FORMAT.match(text)
        if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
            raise UsageError(
                f"--shard {text!r}: expected K/N with 1 <= K <= N, e.g. 2/4 "
                "(in Azure DevOps: $(System.JobPositionInPhase)/$(System.TotalJobsInPhase))"
            )
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.index}/{self.total}"

    def take(self, subscriptions: Sequence[Subscription]) -> list[Subscription]:
        """Every ``total``-th subscription by id, starting at ``index``: the same answer in every job."""
        ordered = sorted(subscriptions, key=lambda s: s.subscription_id.lower())
        return ordered[self.index - 1 :: self.total]
