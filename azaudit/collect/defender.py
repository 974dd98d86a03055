"""Microsoft Defender for Cloud plans of a subscription (``pricings``, not paged), read as ARM JSON."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from azaudit.clients import Clients
from azaudit.collect.arm import arm_get, boolean, listed, objects, properties, string, timestamp
from azaudit.collect.spec import DatasetSpec, Per
from azaudit.collect.tasks import Collected, Task, UnusableShape
from azaudit.inventory.common import Subscription
from azaudit.inventory.coverage import Dataset
from azaudit.inventory.defender import DefenderPlan, PlanExtension

# The API version the SDK's pricings operations use (azure-mgmt-security 7).
PRICINGS_API = "2024-01-01"


def _extension(extension: Mapping[str, Any]) -> PlanExtension:
    """``isEnabled`` is the string "True" or "False" (an enum in the REST spec, both required):
    anything but "True" is off."""
    return PlanExtension(
        name=string(extension, "name") or "", enabled=(string(extension, "isEnabled") or "").lower() == "true"
    )


def plan_record(pricing: Mapping[str, Any], subscription_id: str) -> DefenderPlan:
    """One plan from its ARM JSON. Absent means: ``pricingTier`` (required in the REST spec) Free,
    the tier of a plan never turned on; not deprecated; no sub-plan, enablement time or extension."""
    props = properties(pricing)
    resource_id, name = string(pricing, "id"), string(pricing, "name")
    if not resource_id or not name:
        raise UnusableShape("a pricing has no id or name")
    return DefenderPlan(
        id=resource_id,
        name=name,
        subscription_id=subscription_id,
        pricing_tier=string(props, "pricingTier", "Free") or "Free",
        sub_plan=string(props, "subPlan"),
        deprecated=boolean(props, "deprecated", False),
        enablement_time=timestamp(props, "enablementTime"),
        extensions=tuple(_extension(e) for e in objects(props, "extensions")),
    )


def plans(clients: Clients, sub: Subscription) -> Task:
    def run() -> Collected:
        body = arm_get(
            clients.arm(),
            f"/subscriptions/{sub.subscription_id}/providers/Microsoft.Security/pricings",
            PRICINGS_API,
        )
        # The plan checks judge a subscription by the plans its list holds (a plan it lacks is
        # "not offered"): one unreadable pricing would read as a plan not offered, so it fails the
        # subscription's list rather than the pricing alone.
        return Collected(records=[plan_record(p, sub.subscription_id) for p in listed(body, "pricings.list")])

    return Task(Dataset.DEFENDER_PLANS, sub.subscription_id, "pricings.list", run)


DATASETS = (DatasetSpec(Dataset.DEFENDER_PLANS, {DefenderPlan: "defender_plans"}, Per.SUBSCRIPTION, plans),)
