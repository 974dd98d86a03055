"""How a dataset is collected, declared once beside its collector.

Each collector module exports ``DATASETS``: one :class:`DatasetSpec` per way it fills a dataset.
The scheduler's tables (what runs per subscription, once per run, per discovered record), the
parents a dataset needs and the inventory field each record type goes to are all derived from
these specs (``azaudit/collect/__init__.py``); ``tests/test_datasets.py`` holds the specs, the
``Dataset`` enum and the ``Inventory`` fields equal.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from azaudit.collect.tasks import Task
from azaudit.inventory.coverage import Dataset


class Per(enum.Enum):
    """What one task of a dataset covers."""

    SUBSCRIPTION = "subscription"  # one task per audited subscription
    RUN = "run"  # one task per run, through the first subscription (built-in role definitions)
    RECORD = "record"  # one task per record of another dataset (the secrets of each vault)
    SCOPE = "scope"  # one task for all the subscriptions of the collection process (a Resource Graph query)


@dataclass(frozen=True)
class DatasetSpec:
    """One way a collector fills ``dataset``.

    ``records`` maps each record type the task yields to its :class:`~azaudit.inventory.Inventory`
    field. ``task`` builds the task from the clients and a subscription (``Per.SUBSCRIPTION``,
    ``Per.RUN``), the subscriptions of the collection process (``Per.SCOPE``) or a record of type
    ``follows`` (``Per.RECORD``). ``parents`` are the datasets
    that must be collected whenever this one is: for a per-record dataset, by default the dataset
    whose records it follows; empty when it follows whichever of them the run collects anyway
    (the diagnostic settings of the registries and vaults other checks list).
    """

    dataset: Dataset
    records: Mapping[type, str]
    per: Per
    task: Callable[[Any, Any], Task]
    follows: type | None = None
    parents: tuple[Dataset, ...] | None = None

    def __post_init__(self) -> None:
        if (self.per is Per.RECORD) != (self.follows is not None):
            raise ValueError(f"{self.dataset.value}: 'follows' names the record type of a per-record dataset only")
