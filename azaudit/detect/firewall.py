"""The verdict on a service firewall whose public access is not disabled: open (no rules, or a
default action of Allow), open to (nearly) everyone through a too-wide IP rule, not judgeable
(an IP rule that is not an address or range: ERROR, never PASS), or narrow. ACR003 and KV005 share
the logic and word it for their service."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from azaudit.detect.ip_ranges import judge_ip_rules
from azaudit.model import Outcome, ResourceLike


class FirewallWords(NamedTuple):
    """How one service names its firewall in the findings."""

    endpoint: str  # what is open: "the public endpoint"
    no_rules: str  # why it is open when there is no rule set: "there are no network rules"
    default_allow: str  # why it is open when it allows by default: "the network rules' default action is Allow"
    deny_but_allow: str  # "the network rules deny by default but allow"
    rules: str  # what cannot be judged: "the network rules"


def judge_firewall(
    resource: ResourceLike,
    default_action: str | None,
    ip_rules: Sequence[object],
    words: FirewallWords,
    narrow: str,
    evidence: dict[str, str] | None = None,
) -> Outcome:
    """FAIL when the firewall lets every network in, ERROR when an IP rule cannot be read, else
    PASS with ``narrow``. A PASS or FAIL carries ``evidence`` (what it rests on); an ERROR none."""
    if default_action is None:
        return Outcome.failed(
            resource, f"{words.endpoint} is open to every network: {words.no_rules}", evidence=evidence
        )
    if default_action.lower() == "allow":
        return Outcome.failed(
            resource, f"{words.endpoint} is open to every network: {words.default_allow}", evidence=evidence
        )
    judgement = judge_ip_rules(ip_rules)
    if judgement.too_wide:
        return Outcome.failed(
            resource,
            f"{words.endpoint} is open to (nearly) every network: {words.deny_but_allow} "
            f"{', '.join(judgement.too_wide)}",
            evidence=evidence,
        )
    if judgement.unreadable:
        return Outcome.errored(
            resource,
            f"IP rule(s) {', '.join(judgement.unreadable)} are not addresses or CIDR ranges: "
            f"{words.rules} cannot be judged",
        )
    return Outcome.passed(resource, narrow, evidence=evidence)
