"""Microsoft Defender for Cloud plans of a subscription (``pricings``, not paged)."""

from __future__ import annotations

from azaudit.clients import Clients
from azaudit.collect.sdk import get, text
from azaudit.collect.spec import DatasetSpec, Per
from azaudit.collect.tasks import Collected, Task
from azaudit.inventory.common import Subscription
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.defender import DefenderPlan, PlanExtension


def _extensions(pricing: object) -> tuple[PlanExtension, ...]:
    """A plan's extensions; ``isEnabled`` is the string "True" or "False" (an enum in the SDK)."""
    return tuple(
        PlanExtension(name=text(get(e, "name")) or "", enabled=(text(get(e, "is_enabled")) or "").lower() == "true")
        for e in get(pricing, "extensions") or ()
    )


def plans(clients: Clients, sub: Subscription) -> Task:
    def run() -> Collected:
        client = clients.security(sub.subscription_id)
        pricing_list = client.pricings.list(f"subscriptions/{sub.subscription_id}")
        return Collected(
            records=[
                DefenderPlan(
                    id=p.id,
                    name=p.name,
                    subscription_id=sub.subscription_id,
                    pricing_tier=text(get(p, "pricing_tier")) or "Free",
                    sub_plan=text(get(p, "sub_plan")),
                    deprecated=bool(get(p, "deprecated")),
                    enablement_time=text(get(p, "enablement_time")),
                    extensions=_extensions(p),
                )
                for p in pricing_list.value or ()
            ]
        )

    return Task(Dataset.DEFENDER_PLANS, sub.subscription_id, "pricings.list", run)


DATASETS = (DatasetSpec(Dataset.DEFENDER_PLANS, {DefenderPlan: "defender_plans"}, Per.SUBSCRIPTION, plans),)
