"""What the Defender checks share: judging one plan per subscription."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from azaudit.catalogue import CheckContext
from azaudit.inventory.common import Subscription
from azaudit.inventory.defender import DefenderPlan
from azaudit.model import Outcome

# A further judgement of a plan that is on (Standard): the outcome that replaces the plain PASS,
# or None for the plain PASS. It receives every plan of the subscription, by lowercase name.
Further = Callable[[Subscription, DefenderPlan, dict[str, DefenderPlan]], Outcome | None]


def judge_plan(
    ctx: CheckContext, plan_name: str, label: str, consequence: str, further: Further | None = None
) -> Iterator[Outcome]:
    """PASS when the plan's pricing tier is Standard (and ``further`` finds nothing); FAIL when it
    is not. A plan the subscription's pricing list does not hold is not offered there (a
    sovereign cloud, or a plan Azure has not rolled out to it): SKIPPED as not applicable."""
    for sub in ctx.inventory.subscriptions:
        plans = {p.name.lower(): p for p in ctx.inventory.defender_plans_of(sub.subscription_id)}
        plan = plans.get(plan_name.lower())
        if plan is None:
            yield Outcome.skipped(
                sub,
                f"not applicable: the {plan_name} plan is not offered to this subscription (its pricing list lacks it)",
            )
        elif plan.pricing_tier.lower() != "standard":
            yield Outcome.failed(sub, f"{label} is {plan.pricing_tier}: {consequence}", evidence=plan_evidence(plan))
        elif further is not None and (finding := further(sub, plan, plans)) is not None:
            yield finding
        else:
            yield Outcome.passed(sub, f"{label} is on (Standard)", evidence=plan_evidence(plan))


def plan_evidence(plan: DefenderPlan) -> dict[str, str]:
    """The plan's properties a verdict rests on: its name and pricing tier."""
    return {"name": plan.name, "properties.pricingTier": plan.pricing_tier}
