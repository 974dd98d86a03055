"""Whether a finding depends on lost data is asked once per finding of every check: the index of
collection errors answers exactly as asking every error (CollectionError.covers) does."""

from __future__ import annotations

import random

import pytest

from azaudit.inventory.coverage import CollectionError, Dataset, ErrorIndex

SUBSCRIPTIONS = ["", "Sub-A", "sub-a", "sub-b"]
RESOURCES = [
    "",
    "/subscriptions/sub-a/resourceGroups/rg",
    "/subscriptions/sub-a/resourceGroups/RG/providers/Microsoft.KeyVault/vaults/kv",
    "/subscriptions/sub-a/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/keys/k1",
    "/subscriptions/sub-a/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv2",
    "/subscriptions/sub-a/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/",
    "/subscriptions/sub-a/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv//x",
    "/subscriptions/sub-b/resourceGroups/rg/providers/Microsoft.ContainerInstance/containerGroups/g",
    "not-an-id",
]


def _error(subscription: str, resource: str) -> CollectionError:
    return CollectionError(dataset=Dataset.KEYS, subscription_id=subscription, resource_id=resource)


@pytest.mark.parametrize("seed", range(40))
def test_the_index_answers_as_every_error_does(seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 (test data, not a secret)
    errors = [_error(rng.choice(SUBSCRIPTIONS), rng.choice(RESOURCES)) for _ in range(rng.randint(0, 4))]
    index = ErrorIndex(errors)
    for subscription in SUBSCRIPTIONS:
        for resource in RESOURCES:
            expected = any(e.covers(resource, subscription) for e in errors)
            assert index.covers(resource, subscription) == expected, (errors, resource, subscription)


def test_a_resource_error_covers_what_lies_below_it_only() -> None:
    vault = "/subscriptions/sub-a/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
    index = ErrorIndex([_error("sub-a", vault)])
    assert index.covers(vault.upper(), "SUB-A")
    assert index.covers(vault + "/keys/k1", "sub-a")
    assert not index.covers(vault + "2", "sub-a")  # kv2 is another vault
    assert not index.covers(vault, "sub-b")
    assert not ErrorIndex([]).covers(vault, "sub-a")
    assert ErrorIndex([_error("", "")]).covers("anything", "any")
