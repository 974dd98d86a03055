"""An audit runs Python's cyclic garbage collector less often (azaudit.lifecycle.fewer_collections)
and gives the process back its own settings afterwards, also when the audit fails."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from azaudit import audit as audit_module
from azaudit.lifecycle import AUDIT_GC_THRESHOLDS, fewer_collections
from tests.conftest import audit_replay


def test_the_audit_runs_its_checks_with_fewer_collections_and_restores_the_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[tuple[int, int, int], int]] = []
    real = audit_module.run_checks  # type: ignore[attr-defined]

    def watched(*args: Any, **kwargs: Any) -> Any:
        seen.append((gc.get_threshold(), gc.get_freeze_count()))
        return real(*args, **kwargs)

    monkeypatch.setattr(audit_module, "run_checks", watched)
    before = gc.get_threshold()
    audit_replay(subscriptions=("contoso-dev",))
    assert seen and seen[0][0] == AUDIT_GC_THRESHOLDS
    assert seen[0][1] > 0  # what existed when the audit started is out of the scans
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_the_settings_come_back_when_the_work_fails() -> None:
    before = gc.get_threshold()
    inside: list[tuple[int, int, int]] = []

    @fewer_collections()
    def failing() -> None:
        inside.append(gc.get_threshold())
        raise RuntimeError("the audit failed")

    with pytest.raises(RuntimeError):
        failing()
    assert inside == [AUDIT_GC_THRESHOLDS]
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_cycles_are_still_collected_during_an_audit() -> None:
    import weakref

    class Node:
        pass

    with fewer_collections():
        first, second = Node(), Node()
        first.other, second.other = second, first  # type: ignore[attr-defined]
        alive = weakref.ref(first)
        del first, second
        kept = [Node() for _ in range(AUDIT_GC_THRESHOLDS[0] * 2)]  # allocations start a collection
        assert alive() is None
        del kept
