"""The engine turns each outcome into a finding field by field, with equal texts and evidence
shared (Shared.findings): compared with a finding made directly from each outcome."""

from __future__ import annotations

import msgspec

from azaudit import catalogue
from azaudit.catalogue import Check, CheckContext
from azaudit.engine import Shared, evaluate
from azaudit.inventory import Inventory
from azaudit.model import Finding, Outcome, Status
from azaudit.settings import Settings
from tests.conftest import NOW

HOSTILE = "\u202e<script>\x00'\"{{x}}\udcff" + "é" * 3


def _outcomes() -> list[Outcome]:
    outcomes = []
    for index in range(40):
        evidence: dict[str, str] | msgspec.UnsetType = msgspec.UNSET
        if index % 4 == 1:
            evidence = {"properties.a": "1", "properties.b": HOSTILE}
        elif index % 4 == 2:
            evidence = {"properties.b": HOSTILE, "properties.a": "1"}  # same pairs, other order
        elif index % 4 == 3:
            evidence = {"properties.a": f"{index}", "": ""}
        outcomes.append(
            Outcome(
                status=list(Status)[index % 4],
                resource_id=f"/subscriptions/s/r/{index % 3}{HOSTILE}",
                resource_name=f"name{index % 5}",
                subscription_id="s" if index % 2 else "",
                message=("same message " + HOSTILE) if index % 3 else f"message {index}",
                item=None if index % 2 else f"item{index}",
                evidence=evidence,
            )
        )
    return outcomes


def test_each_outcome_becomes_the_finding_made_from_it_field_by_field() -> None:
    meta = catalogue.load()["ACR001"].meta
    outcomes = _outcomes()
    check = Check(meta=meta, run=lambda ctx: iter(outcomes))
    context = CheckContext(inventory=Inventory(), settings=Settings(), now=NOW)
    findings = evaluate(check, context, Shared())
    expected = [
        Finding(
            code=meta.code,
            status=o.status,
            severity=meta.severity,
            resource_id=o.resource_id,
            resource_name=o.resource_name,
            resource_type=meta.resource_type,
            subscription_id=o.subscription_id,
            message=o.message,
            item=o.item,
            evidence=o.evidence,
        )
        for o in outcomes
    ]
    assert findings == expected
    assert [list(f.evidence.items()) if isinstance(f.evidence, dict) else None for f in findings] == [
        list(o.evidence.items()) if isinstance(o.evidence, dict) else None for o in outcomes
    ]
    # equal evidence (same pairs in the same order) is one dict; another order is its own
    first, second = findings[1].evidence, findings[5].evidence
    assert first is second and first is not outcomes[1].evidence
    assert findings[2].evidence is not first and findings[2].evidence is findings[6].evidence
    repeated = [f.message for f in findings if f.message.startswith("same message")]
    assert len(repeated) > 1 and all(m is repeated[0] for m in repeated)
