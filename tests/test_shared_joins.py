"""Joins computed once per inventory (Inventory.derived) and shared by the image checks and the
report's runtime block: the same results as joining anew for each, and the same partial results
when a join trips over an odd record."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import msgspec
import pytest
from azaudit_checks.images import _runtime as runtime_helpers
from azaudit_checks.images._runtime import RunningImage

from azaudit import catalogue
from azaudit.catalogue import CheckContext
from azaudit.detect.image_ref import ImageReference, image_reference_or_none
from azaudit.engine import evaluate
from azaudit.inventory import Inventory
from azaudit.inventory import running as running_module
from azaudit.inventory.coverage import CollectionError
from azaudit.inventory.running import joined_containers
from azaudit.model import Outcome, Status
from azaudit.reports.runtime import running_containers
from azaudit.settings import Settings
from tests.conftest import NOW
from tests.test_checks_images import AFTER, FOUND, _inventory

IMAGE_CHECKS = ("IMG001", "IMG002", "IMG003", "IMG004", "IMG005")


def _two_containers(second_image: str = "acrone1.azurecr.io/web:1.0") -> Inventory:
    """One group running two containers (the second's image as given), and their views."""
    inventory = _inventory("acrone1.azurecr.io/web:1.0", FOUND, AFTER)
    (group,), (view,) = inventory.container_groups, inventory.container_group_views
    first, first_runtime = group.containers[0], view.containers[0]
    second = msgspec.structs.replace(first, name="sidecar", image=second_image)
    second_runtime = msgspec.structs.replace(first_runtime, name="sidecar", image=second_image)
    return msgspec.structs.replace(
        inventory,
        container_groups=(msgspec.structs.replace(group, containers=(first, second)),),
        container_group_views=(msgspec.structs.replace(view, containers=(first_runtime, second_runtime)),),
    )


def _counting_parser(monkeypatch: pytest.MonkeyPatch, fails_on: str | None = None) -> list[str]:
    """Count the image references the join parses; raise on ``fails_on``."""
    parsed: list[str] = []
    parse: Callable[[str], ImageReference | None] = image_reference_or_none

    def counting(reference: str) -> ImageReference | None:
        parsed.append(reference)
        if reference == fails_on:
            raise RuntimeError("odd record")
        return parse(reference)

    monkeypatch.setattr(running_module, "image_reference_or_none", counting)
    return parsed


def test_derived_is_computed_once_per_inventory_and_not_for_one_made_from_it() -> None:
    calls: list[Inventory] = []

    def count(inventory: Inventory) -> int:
        calls.append(inventory)
        return len(inventory.container_groups)

    inventory = _two_containers()
    assert inventory.derived(count) == inventory.derived(count) == 1
    assert calls == [inventory]
    narrowed = msgspec.structs.replace(inventory, container_groups=())
    assert narrowed.derived(count) == 0  # its own value, not the one it was made from
    assert len(calls) == 2


def test_derived_does_not_remember_a_compute_that_raised() -> None:
    attempts: list[int] = []

    def flaky(inventory: Inventory) -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise ValueError("first time")
        return "second time"

    inventory = _two_containers()
    with pytest.raises(ValueError, match="first time"):
        inventory.derived(flaky)
    assert inventory.derived(flaky) == "second time"
    assert inventory.derived(flaky) == "second time"
    assert len(attempts) == 2


def test_shared_items_are_made_once_or_lazily_for_each_caller_when_making_them_raises() -> None:
    made: list[int] = []

    def items(inventory: Inventory) -> Iterator[int]:
        made.append(1)
        yield from range(len(inventory.container_groups) + 1)

    def odd(inventory: Inventory) -> Iterator[int]:
        made.append(1)
        yield 1
        raise ValueError("an odd record")

    inventory = _two_containers()
    assert list(inventory.shared(items)) == list(inventory.shared(items)) == [0, 1]
    assert len(made) == 1
    for _ in range(2):  # nothing remembered: each caller sees the item before, then the exception
        seen: list[int] = []
        with pytest.raises(ValueError, match="odd record"):
            seen.extend(inventory.shared(odd))
        assert seen == [1]


OUTSIDE = "docker.io/library/nginx:1.27"  # not an audited registry: SKIPPED as not resolvable


def test_the_image_checks_and_the_runtime_block_join_each_container_once(monkeypatch: pytest.MonkeyPatch) -> None:
    inventory = _two_containers(OUTSIDE)
    alone = {
        code: evaluate(
            catalogue.load()[code], CheckContext(inventory=_two_containers(OUTSIDE), settings=Settings(), now=NOW)
        )
        for code in IMAGE_CHECKS
    }
    parsed = _counting_parser(monkeypatch)
    judged: list[str] = []
    unresolved = runtime_helpers.unresolved

    def counting(image: RunningImage, errors: Sequence[CollectionError] = ()) -> Outcome | None:
        judged.append(image.container.name)
        return unresolved(image, errors)

    monkeypatch.setattr(runtime_helpers, "unresolved", counting)
    context = CheckContext(inventory=inventory, settings=Settings(), now=NOW)
    shared = {code: evaluate(catalogue.load()[code], context) for code in IMAGE_CHECKS}
    runtime = running_containers(inventory, NOW)
    assert parsed == ["acrone1.azurecr.io/web:1.0", OUTSIDE]  # five checks and the report: one join
    assert judged == ["app", "sidecar"]  # and whether each image is resolved, asked once
    # the same findings as each check joining its own fresh inventory
    assert shared == alone
    assert [f.status for f in shared["IMG002"]] == [Status.PASS, Status.SKIPPED]
    assert [(entry.container, entry.drift) for entry in runtime] == [("app", "current"), ("sidecar", "unknown")]
    assert tuple(joined_containers(inventory)) == tuple(joined_containers(_two_containers(OUTSIDE)))


def test_an_unresolved_image_that_raises_keeps_the_findings_before_it(monkeypatch: pytest.MonkeyPatch) -> None:
    unresolved = runtime_helpers.unresolved

    def odd(image: RunningImage, errors: Sequence[CollectionError] = ()) -> Outcome | None:
        if image.container.name == "sidecar":
            raise RuntimeError("odd record")
        return unresolved(image, errors)

    monkeypatch.setattr(runtime_helpers, "unresolved", odd)
    context = CheckContext(inventory=_two_containers(OUTSIDE), settings=Settings(), now=NOW)
    for code in IMAGE_CHECKS:
        first, stopped = evaluate(catalogue.load()[code], context)
        assert first.item == "app" and first.resource_name == "g1"
        assert stopped.message.startswith("check stopped after 1 result(s)")


def test_a_join_that_raises_keeps_the_findings_before_the_odd_record(monkeypatch: pytest.MonkeyPatch) -> None:
    # as when each check joined lazily: the first container judged, then the check stopped
    _counting_parser(monkeypatch, fails_on="odd.azurecr.io/x:1")
    context = CheckContext(inventory=_two_containers("odd.azurecr.io/x:1"), settings=Settings(), now=NOW)
    for code in IMAGE_CHECKS:
        first, stopped = evaluate(catalogue.load()[code], context)
        assert first.item == "app" and first.resource_name == "g1"
        assert stopped.status is Status.ERROR
        assert stopped.message == (
            "check stopped after 1 result(s); the resources it had not reached are not assessed: "
            "RuntimeError: odd record"
        )
    with pytest.raises(RuntimeError, match="odd record"):
        running_containers(context.inventory, NOW)
