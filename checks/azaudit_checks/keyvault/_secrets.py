"""What the secret and key checks share: which items are judged, and how they are reported."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TypeVar

from azaudit.catalogue import CheckContext
from azaudit.inventory.keyvault import Key, KeyVault, Secret
from azaudit.model import Outcome

Item = TypeVar("Item", Secret, Key)


def judged_secrets(ctx: CheckContext, vault: KeyVault, *, certificates: bool = False) -> list[Secret]:
    """Enabled secrets. Certificate-backed secrets (``managed``: their lifetime is the
    certificate's, and they cannot be set directly) are included only when ``certificates``."""
    return [s for s in ctx.inventory.secrets_of(vault.id) if s.enabled and (certificates or not s.managed)]


def certificate_key_names(ctx: CheckContext, vault: KeyVault) -> set[str]:
    """Names of the keys a certificate backs. A certificate creates a key and a secret of its own
    name, both ``managed``; ARM's key list does not say so, the vault's secret list does."""
    return {s.name.lower() for s in ctx.inventory.secrets_of(vault.id) if s.managed}


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
    needs: Sequence[str] = (),
    *,
    observed: Callable[[Item], Mapping[str, str]],
    observed_clean: Callable[[int], Mapping[str, str]],
) -> Iterator[Outcome]:
    """FAIL per item whose ``fault`` is not None (item = its name); one PASS for a vault with none.

    An item whose answer held one of the attributes in ``needs`` but not as a time is ERROR on its
    own (not assessed), and is not counted as judged."""
    readable = []
    for item in items:
        if not item.unreadable:  # as almost every item: nothing to look for
            readable.append(item)
            continue
        broken = [a for a in needs if a in item.unreadable]
        if broken:
            kind = "key" if isinstance(item, Key) else "secret"
            which = ", ".join(f"`{a}`" for a in broken)
            yield Outcome.errored(
                vault, f"{kind} {item.name} not assessed: its {which} attribute is not a time{note}", item=item.name
            )
        else:
            readable.append(item)
    failing = [(item, fault(item)) for item in readable]
    bad = [(item, why) for item, why in failing if why is not None]
    for item, why in bad:
        yield Outcome.failed(vault, f"{why}{note}", item=item.name, evidence=observed(item))
    if not bad and (readable or len(readable) == len(items)):
        yield Outcome.passed(vault, f"{clean} ({len(readable)} judged){note}", evidence=observed_clean(len(readable)))
