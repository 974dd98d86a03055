"""What the secret and key checks share: which items are judged, and how they are reported."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from azaudit.catalogue import CheckContext
from azaudit.inventory.keyvault import Key, KeyVault, Secret
from azaudit.model import Outcome

Item = TypeVar("Item", Secret, Key)


def judged_secrets(ctx: CheckContext, vault: KeyVault) -> list[Secret]:
    """Enabled secrets that are not certificate-backed (those follow their certificate's
    lifecycle and are judged with certificates, not as plain secrets)."""
    return [s for s in ctx.inventory.secrets_of(vault.id) if s.enabled and not s.managed]


def source_note(ctx: CheckContext, vault: KeyVault) -> str:
    """Says when the metadata came from the ARM fallback, and why."""
    listing = ctx.inventory.secret_listing_of(vault.id)
    if listing is not None and listing.source == "arm":
        return f" (metadata read through ARM: the {listing.fallback_reason})"
    return ""


def judge_items(
    vault: KeyVault,
    items: Sequence[Item],
    fault: Callable[[Item], str | None],
    clean: str,
    note: str = "",
) -> Iterator[Outcome]:
    """FAIL per item whose ``fault`` is not None (item = its name); one PASS for a vault with none."""
    failing = [(item, fault(item)) for item in items]
    bad = [(item, why) for item, why in failing if why is not None]
    for item, why in bad:
        yield Outcome.failed(vault, f"{why}{note}", item=item.name)
    if not bad:
        yield Outcome.passed(vault, f"{clean} ({len(items)} judged){note}")
