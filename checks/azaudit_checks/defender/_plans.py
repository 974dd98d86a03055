"""What the Defender checks share: judging one plan per subscription."""

from __future__ import annotations

from collections.abc import Iterator

from azaudit.catalogue import CheckContext
from azaudit.model import Outcome


def judge_plan(ctx: CheckContext, plan_name: str, label: str, consequence: str) -> Iterator[Outcome]:
    """PASS when the plan's pricing tier is Standard; FAIL when it is not or is not listed."""
    for sub in ctx.inventory.subscriptions:
        plans = {p.name.lower(): p for p in ctx.inventory.defender_plans_of(sub.subscription_id)}
        plan = plans.get(plan_name.lower())
        if plan is None:
            yield Outcome.failed(sub, f"the {plan_name} plan is not listed for this subscription")
        elif plan.pricing_tier.lower() == "standard":
            yield Outcome.passed(sub, f"{label} is on (Standard)")
        else:
            yield Outcome.failed(sub, f"{label} is {plan.pricing_tier}: {consequence}")
