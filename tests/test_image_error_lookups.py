"""Which collection error or Defender plan keeps a registry's images from being judged on
Defender's findings is answered once per registry (and the run's notes and errors read once per
inventory), not once per container: the same reasons as reading every error for each container."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

import msgspec

from azaudit import catalogue
from azaudit.catalogue import CheckContext
from azaudit.engine import evaluate
from azaudit.inventory import Inventory
from azaudit.inventory.acr import Registry
from azaudit.inventory.common import Subscription
from azaudit.inventory.coverage import CollectionError, CollectionNote, Dataset
from azaudit.inventory.defender import DefenderPlan, PlanExtension
from azaudit.inventory.vulnerabilities import SCANNING, assessment, scanning_off
from azaudit.reports.runtime import running_containers
from azaudit.settings import Settings
from tests.conftest import NOW
from tests.test_checks_images import FOUND, REGISTRY, SUB, _inventory

SUBSCRIPTIONS = ("sub-a", "SUB-B", "sub-c")
ASKED = CollectionNote(
    dataset=Dataset.IMAGE_VULNERABILITIES, subscription_id="", resource_id="", resource_name="", message="asked"
)


def _registry(index: int) -> Registry:
    subscription = SUBSCRIPTIONS[index % len(SUBSCRIPTIONS)]
    return msgspec.structs.replace(
        REGISTRY,
        id=f"/subscriptions/{subscription}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/r{index}",
        name=f"r{index}",
        subscription_id=subscription,
        login_server=f"r{index}.azurecr.io",
    )


def _errors(rng: random.Random, registries: list[Registry]) -> list[CollectionError]:
    errors = []
    for index in range(rng.randint(0, 12)):
        dataset = rng.choice([Dataset.IMAGE_VULNERABILITIES, Dataset.DEFENDER_PLANS, Dataset.SECRETS])
        resource = rng.choice(["", "", rng.choice(registries).id, "/subscriptions/x/other"])
        if rng.random() < 0.5:
            resource = resource.upper()
        errors.append(
            CollectionError(
                dataset=dataset,
                subscription_id=rng.choice(["", "other", *SUBSCRIPTIONS, SUBSCRIPTIONS[0].upper()]),
                resource_id=resource,
                resource_name="r",
                reason=f"HTTP 403 number {index}",
            )
        )
    return errors


def _plans(rng: random.Random) -> list[DefenderPlan]:
    plans = []
    for subscription in SUBSCRIPTIONS:
        for name in rng.sample(["Containers", "CloudPosture", "KeyVaults"], rng.randint(0, 3)):
            extensions = () if rng.random() < 0.3 else (PlanExtension(name=SCANNING, enabled=rng.random() < 0.5),)
            plans.append(
                DefenderPlan(
                    id=f"/subscriptions/{subscription}/providers/Microsoft.Security/pricings/{name}",
                    name=name,
                    subscription_id=subscription,
                    pricing_tier=rng.choice(["Standard", "Free"]),
                    extensions=extensions,
                )
            )
    return plans


def _reference(inventory: Inventory, registry: Registry) -> str | None:
    """The reason as assessment() found it before: every error of the run read for each call."""
    for error in inventory.errors:
        if error.dataset is Dataset.IMAGE_VULNERABILITIES and (
            error.resource_id.lower() == registry.id.lower()
            if error.resource_id
            else not error.subscription_id or error.subscription_id.lower() == registry.subscription_id.lower()
        ):
            return f"Defender for Cloud's findings could not be read through Azure Resource Graph ({error.reason})"
    subscription = inventory.subscription(registry.subscription_id)
    name = subscription.display_name if subscription is not None else registry.subscription_id
    return scanning_off(
        registry.subscription_id, name, inventory.defender_plans_of(registry.subscription_id), inventory.errors
    )


def test_each_registry_gets_the_reason_that_reading_every_error_gives() -> None:
    rng = random.Random(1515)  # noqa: S311 (reproducible test data)
    registries = [_registry(index) for index in range(6)]
    pushed = NOW - dt.timedelta(days=3)
    seen = set()
    for _ in range(300):
        inventory = Inventory(
            subscriptions=tuple(
                Subscription(subscription_id=s, display_name=f"name {s}", state="Enabled") for s in SUBSCRIPTIONS[:2]
            ),
            registries=tuple(registries),
            defender_plans=tuple(_plans(rng)),
            errors=tuple(_errors(rng, registries)),
            notes=(ASKED,),
        )
        # several containers of each registry, in shuffled order, as the checks ask
        for registry in rng.sample(registries * 3, len(registries) * 3):
            expected = _reference(inventory, registry)
            _, why = assessment(inventory, registry, "web", "sha256:" + "b" * 64, pushed, NOW)
            if expected is not None:
                assert why == expected
            else:
                # judged on the findings (none here: a clean scan), or not for a reason of its own
                assert why is None or not why.startswith(("Defender for Cloud's findings", "the ", "Defender for Co"))
            seen.add(expected.split(" ", 3)[:3][-1] if expected else None)
    assert len(seen) >= 3  # errors, plans off and scanning on were all met


class _Counted(tuple[object, ...]):
    """A tuple that counts how often it is read through."""

    reads = 0

    def __iter__(self) -> Iterator[object]:
        type(self).reads += 1
        return super().__iter__()


class _CountedErrors(_Counted):
    reads = 0


class _CountedNotes(_Counted):
    reads = 0


def _many_containers(count: int) -> Inventory:
    inventory = _inventory("acrone1.azurecr.io/web:1.0", FOUND, NOW - dt.timedelta(days=1))
    (group,), (view,) = inventory.container_groups, inventory.container_group_views
    containers = tuple(msgspec.structs.replace(group.containers[0], name=f"c{i}") for i in range(count))
    runtimes = tuple(msgspec.structs.replace(view.containers[0], name=f"c{i}") for i in range(count))
    errors = [
        CollectionError(dataset=Dataset.SECRETS, subscription_id=SUB, resource_id=f"/v/{i}", reason="HTTP 403")
        for i in range(50)
    ]
    notes = [msgspec.structs.replace(ASKED, dataset=Dataset.SECRETS, message=f"note {i}") for i in range(50)]
    return msgspec.structs.replace(
        inventory,
        container_groups=(msgspec.structs.replace(group, containers=containers),),
        container_group_views=(msgspec.structs.replace(view, containers=runtimes),),
        errors=_CountedErrors(errors),
        notes=_CountedNotes([*notes, ASKED]),
    )


def test_the_runs_errors_and_notes_are_read_once_per_inventory_not_per_container() -> None:
    inventory = _many_containers(40)
    _CountedErrors.reads = _CountedNotes.reads = 0
    context = CheckContext(inventory=inventory, settings=Settings(), now=NOW)
    findings = evaluate(catalogue.load()["IMG001"], context)
    runtime = running_containers(inventory, NOW)
    assert len(findings) == len(runtime) == 40
    assert all("Defender for Containers is off" in (f.message or "") for f in findings)
    # a few reads in all (the engine's coverage, each table made once), where each of the 80
    # containers judged read them again
    assert _CountedErrors.reads <= 6
    assert _CountedNotes.reads <= 2
