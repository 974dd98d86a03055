"""Defender for Cloud scenarios of the sample tenant: each subscription's plans (or a 403 where
the audit identity lacks Security Reader) and the outcome of every DEF check.

tools/make_sample_tenant.py writes their pricing lists; tests/test_checks_logging_rbac_defender.py
asserts ``expected()``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from azaudit.model import Status
from tools import armbodies
from tools.scenarios import DEV, ERROR, FAIL, PASS, PROD, SANDBOX, Expected, expectations

UNREADABLE = None  # plans of a subscription whose pricings answer 403


@dataclass(frozen=True)
class Plan:
    name: str
    tier: str
    extra: Mapping[str, Any] = field(default_factory=dict)  # subPlan, extensions, deprecated...


@dataclass(frozen=True)
class DefenderScenario:
    sub: str
    subscription: str  # its display name, which findings carry
    description: str  # of the fixture file
    plans: tuple[Plan, ...] | None
    expect: Mapping[str, Status]  # per check code, about the subscription
    items: Mapping[str, Mapping[str, Status]] = field(default_factory=dict)  # item -> code -> status

    def bodies(self) -> list[dict[str, Any]]:
        return [armbodies.pricing(self.sub, p.name, p.tier, **p.extra) for p in self.plans or ()]

    def outcomes(self) -> Iterator[tuple[str, Mapping[str, Status]]]:
        yield self.subscription, self.expect
        for item, by_code in self.items.items():
            yield f"{self.subscription}/{item}", by_code


def _extensions(*enabled: tuple[str, bool]) -> dict[str, Any]:
    return {"extensions": [{"name": name, "isEnabled": str(on)} for name, on in enabled]}


VULNERABILITY_ASSESSMENT = "ContainerRegistriesVulnerabilityAssessments"

PROD_PLANS = DefenderScenario(
    PROD,
    "contoso-prod",
    "contoso-prod Defender plans: Containers and KeyVaults on, CSPM off.",
    (
        Plan("VirtualMachines", "Standard", {"subPlan": "P2"}),
        Plan("ContainerRegistry", "Free", {"deprecated": True, "replacedBy": ["Containers"]}),
        Plan(
            "Containers",
            "Standard",
            _extensions((VULNERABILITY_ASSESSMENT, True), ("AgentlessDiscoveryForKubernetes", True)),
        ),
        Plan("KeyVaults", "Standard", {"subPlan": "PerKeyVault"}),
        Plan("CloudPosture", "Free"),
    ),
    expect={"DEF001": PASS, "DEF002": PASS, "DEF003": FAIL},
)

# The Containers plan is Standard, but registry vulnerability assessment is off (in Defender CSPM too).
DEV_PLANS = DefenderScenario(
    DEV,
    "contoso-dev",
    "contoso-dev Defender plans: Containers on but registry vulnerability assessment off (in CSPM too), "
    "KeyVaults off, CSPM on.",
    (
        Plan("VirtualMachines", "Free"),
        Plan(
            "Containers",
            "Standard",
            _extensions((VULNERABILITY_ASSESSMENT, False), ("AgentlessDiscoveryForKubernetes", True)),
        ),
        Plan("KeyVaults", "Free"),
        Plan(
            "CloudPosture",
            "Standard",
            _extensions(
                (VULNERABILITY_ASSESSMENT, False),
                ("AgentlessDiscoveryForKubernetes", True),
                ("SensitiveDataDiscovery", True),
            ),
        ),
    ),
    expect={"DEF002": FAIL, "DEF003": PASS},
    items={VULNERABILITY_ASSESSMENT: {"DEF001": FAIL}},
)

SANDBOX_PLANS = DefenderScenario(
    SANDBOX,
    "contoso-sandbox",
    "contoso-sandbox: the audit identity lacks Security Reader here, so pricings answer 403 (coverage accounting).",
    UNREADABLE,
    expect={"DEF001": ERROR, "DEF002": ERROR, "DEF003": ERROR},
)

SUBSCRIPTIONS = (PROD_PLANS, DEV_PLANS, SANDBOX_PLANS)


def expected() -> Expected:
    """code -> status -> finding names over the sample tenant's subscriptions."""
    return expectations(SUBSCRIPTIONS)
