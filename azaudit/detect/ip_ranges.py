"""Is a firewall's allow list narrow? One judgement for every service firewall (ACR003, KV005).

ARM returns a firewall's IP rules as strings in ``value`` (Container Registry
``networkRuleSet.ipRules[].value``, Key Vault ``networkAcls.ipRules[].value``): an IPv4 address
(``198.51.100.14``, one host: a /32) or a CIDR range (``203.0.113.0/27``). A rule whose range
has a prefix of /8 or shorter (``0.0.0.0/0``, ``10.0.0.0/8``) admits at least 16.7 million
addresses: a firewall that denies by default but allows such a range is effectively open.

Rule values come from the tenant and are hostile: anything that is not an address or a CIDR
range is reported as unreadable (never an exception), and quoted on one bounded line.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import NamedTuple

# The longest prefix that still counts as "everyone": a /8 is 1/256 of the IPv4 internet.
OPEN_PREFIX = 8

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class IpRuleJudgement(NamedTuple):
    """The rules of one firewall, sorted into those that open it to (nearly) everyone and those
    that cannot be read as an address or range."""

    too_wide: tuple[str, ...]
    unreadable: tuple[str, ...]


def parse_ip_rule(value: object) -> IpNetwork | None:
    """The network an IP rule allows, or None when ``value`` is not an address or CIDR range.
    A bare address is a one-host network (/32 for IPv4); host bits in a range are ignored, as
    the services do."""
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        return None
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return None


def is_too_wide(network: IpNetwork) -> bool:
    """Whether the range has a prefix of /8 or shorter."""
    return network.prefixlen <= OPEN_PREFIX


def judge_ip_rules(values: Iterable[object]) -> IpRuleJudgement:
    wide: list[str] = []
    unreadable: list[str] = []
    for value in values:
        network = parse_ip_rule(value)
        if network is None:
            unreadable.append(quoted_rule(value))
        elif is_too_wide(network):
            wide.append(str(network))
    return IpRuleJudgement(tuple(wide), tuple(unreadable))


def quoted_rule(value: object) -> str:
    """A rule value as quoted in a finding: one line, bounded length, never raw tenant text."""
    flat = " ".join(str(value).split())
    return repr(flat if len(flat) <= 60 else flat[:57] + "...")
