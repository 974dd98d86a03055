"""Microsoft Defender for Cloud plans (pricings) of a subscription."""

from __future__ import annotations

import msgspec


class PlanExtension(msgspec.Struct, frozen=True, kw_only=True):
    """One of a plan's extensions (``properties.extensions[]``: name, ``isEnabled`` "True"/"False")."""

    name: str  # ContainerRegistriesVulnerabilityAssessments, AgentlessDiscoveryForKubernetes, ...
    enabled: bool


class DefenderPlan(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str  # Containers, KeyVaults, CloudPosture, ...
    subscription_id: str
    pricing_tier: str  # Free, Standard
    sub_plan: str | None = None
    deprecated: bool = False
    enablement_time: str | None = None
    extensions: tuple[PlanExtension, ...] = ()

    def extension(self, name: str) -> PlanExtension | None:
        """The named extension as the pricing lists it, or None when it does not list it."""
        return next((e for e in self.extensions if e.name.lower() == name.lower()), None)
