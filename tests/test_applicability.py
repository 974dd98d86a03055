"""``@check(applies_to=...)``: the engine skips the resources a check does not apply to."""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Iterator

import msgspec
import pytest

from azaudit import catalogue
from azaudit.applicability import (
    ACCESS_POLICY_VAULTS,
    CONFIDENTIAL_CONTAINER_GROUPS,
    LINUX_CONTAINER_GROUPS,
    PREMIUM_REGISTRIES,
)
from azaudit.catalogue import CatalogueError, Check, CheckContext, check
from azaudit.engine import evaluate
from azaudit.inventory import Inventory
from azaudit.model import Outcome, Severity, Status
from azaudit.render.checkdoc import check_markdown
from azaudit.settings import Settings
from tests.test_checks_aci import confidential, container, group
from tests.test_checks_acr import registry

CHECKS = catalogue.load()
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _probe(seen: list[str]) -> Check:
    """A Premium-only registry check that passes whatever it is shown and notes what that was."""

    def run(ctx: CheckContext) -> Iterator[Outcome]:
        for reg in ctx.inventory.registries:
            seen.append(reg.name)
            yield Outcome.passed(reg, "judged")

    meta = msgspec.structs.replace(CHECKS["ACR006"].meta, applies_to=(PREMIUM_REGISTRIES.label,))
    return Check(meta=meta, run=run, applies_to=(PREMIUM_REGISTRIES,))


def test_the_engine_skips_what_a_check_does_not_apply_to_before_it_runs() -> None:
    seen: list[str] = []
    registries = (registry("basic", sku="Basic"), registry("premium"), registry("standard", sku="Standard"))
    context = CheckContext(inventory=Inventory(registries=registries), settings=Settings(), now=NOW)
    findings = evaluate(_probe(seen), context)
    assert seen == ["premium"]  # the check never sees a resource it does not apply to
    assert [(f.resource_name, f.status) for f in findings] == [  # inventory order kept
        ("basic", Status.SKIPPED),
        ("premium", Status.PASS),
        ("standard", Status.SKIPPED),
    ]
    assert findings[0].message == "not applicable: Premium registries only (this registry is Basic)"
    assert findings[2].message == "not applicable: Premium registries only (this registry is Standard)"


def test_the_first_selector_a_group_fails_names_the_reason_once() -> None:
    root = container("a", security_context=None)
    groups = (
        confidential(root, name="windows", os_type="Windows"),
        group(root, name="standard", sku=None),
        confidential(root, name="conf"),
    )
    context = CheckContext(inventory=Inventory(container_groups=groups), settings=Settings(), now=NOW)
    findings = evaluate(CHECKS["ACI005"], context)
    assert [(f.resource_name, f.status, f.message) for f in findings] == [
        ("windows", Status.SKIPPED, "not applicable: Linux container groups only (this group is Windows)"),
        (
            "standard",
            Status.SKIPPED,
            "not applicable: Confidential container groups only (this group's SKU is Standard)",
        ),
        ("conf", Status.PASS, "no container runs privileged"),
    ]


def test_built_in_checks_declare_where_they_apply_and_their_pages_say_it() -> None:
    premium = (PREMIUM_REGISTRIES,)
    confidential_linux = (LINUX_CONTAINER_GROUPS, CONFIDENTIAL_CONTAINER_GROUPS)
    expected = {"ACR006": premium, "ACR007": premium, "ACI005": confidential_linux}
    expected |= {"ACI006": confidential_linux, "ACI007": confidential_linux, "KV004": (ACCESS_POLICY_VAULTS,)}
    for code, selectors in expected.items():
        assert CHECKS[code].applies_to == selectors, code
        assert CHECKS[code].meta.applies_to == tuple(s.label for s in selectors), code
        labels = "; ".join(s.label for s in selectors)
        assert f"- Applies to: {labels}" in check_markdown(CHECKS[code].meta), code
    assert "Applies to" not in check_markdown(CHECKS["ACR001"].meta)


def test_applies_to_needs_a_resource_type_it_can_select() -> None:
    with pytest.raises(CatalogueError, match="applies_to selects"):
        check(
            code="RBAC997",
            name="x",
            title="t",
            severity=Severity.LOW,
            resource_type="Microsoft.Authorization/roleAssignments",
            requires=(),
            recommendations=(),
            applies_to=(PREMIUM_REGISTRIES,),
        )


def test_checks_skip_what_they_do_not_apply_to_through_applies_to() -> None:
    """A hand-written "not applicable" branch is the old way; the two left say why in their docs:
    ACR005 FAILs a non-Premium registry that still reports content trust enabled, and the Defender
    checks judge subscriptions, which selectors do not cover."""
    by_hand = {
        code
        for code, chk in CHECKS.items()
        if chk.meta.builtin and '"not applicable:' in inspect.getsource(inspect.getmodule(chk.run) or chk.run)
    }
    assert by_hand == {"ACR005"}
