"""Microsoft Defender for Cloud plans (pricings) of a subscription."""

from __future__ import annotations

import msgspec


class DefenderPlan(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str  # Containers, KeyVaults, CloudPosture, ...
    subscription_id: str
    pricing_tier: str  # Free, Standard
    sub_plan: str | None = None
    deprecated: bool = False
    enablement_time: str | None = None
