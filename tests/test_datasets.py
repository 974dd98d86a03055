"""Datasets are declared once, beside their collectors: the scheduler's tables, the Dataset enum
and the Inventory fields are held equal to the collectors' specs here."""

from __future__ import annotations

import importlib
import pkgutil
import typing

import azaudit.collect
from azaudit.collect import FIELDS, PARENTS, PER_RECORD, SERVICES, SPECS, needed_datasets
from azaudit.collect.spec import Per
from azaudit.inventory import Inventory
from azaudit.inventory.coverage import Dataset

# Inventory fields that no collector task fills: the scope, coverage, and what other shards know.
NOT_COLLECTED = {"subscriptions", "errors", "notes", "registry_directory", "identity_directory"}


def test_every_collector_module_with_specs_is_a_service() -> None:
    declaring = set()
    for info in pkgutil.iter_modules(azaudit.collect.__path__):
        module = importlib.import_module(f"azaudit.collect.{info.name}")
        if hasattr(module, "DATASETS"):
            declaring.add(module.__name__)
    assert declaring == {service.__name__ for service in SERVICES}


def test_every_dataset_is_collected_by_a_spec() -> None:
    declared = {spec.dataset for spec in SPECS}
    assert declared == set(Dataset) - {getattr(Dataset, "SUBSCRIPTIONS", None)}


def test_every_record_type_has_its_own_inventory_field_of_its_type() -> None:
    hints = typing.get_type_hints(Inventory)
    for spec in SPECS:
        for record, name in spec.records.items():
            assert hints[name] == tuple[record, ...], (spec.dataset, name)  # type: ignore[valid-type]
            assert FIELDS[record] == name
    collected = {name for name in hints if typing.get_origin(hints[name]) is tuple} - NOT_COLLECTED
    assert collected == set(FIELDS.values())


def test_per_record_datasets_follow_a_listed_record_and_pull_in_its_list() -> None:
    listed = {record: spec.dataset for spec in SPECS if spec.per is Per.SUBSCRIPTION for record in spec.records}
    for spec in SPECS:
        if spec.per is Per.RECORD:
            assert spec.follows in listed and spec.follows in PER_RECORD
            if spec.parents is None:
                assert listed[spec.follows] in PARENTS[spec.dataset]
                assert listed[spec.follows] in needed_datasets({spec.dataset})
    # The diagnostic settings of registries and vaults are read for those other checks list.
    assert Dataset.DIAGNOSTIC_SETTINGS not in PARENTS
    assert needed_datasets({Dataset.KEYS}) == {Dataset.KEYS, Dataset.VAULTS}
