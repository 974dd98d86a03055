"""The one judgement of firewall IP rules that ACR003 and KV005 share."""

from __future__ import annotations

import pytest

from azaudit.detect.ip_ranges import judge_ip_rules, parse_ip_rule


@pytest.mark.parametrize(
    ("value", "prefix", "too_wide"),
    [
        ("0.0.0.0/0", 0, True),
        ("0.0.0.0/1", 1, True),
        ("10.0.0.0/8", 8, True),
        ("10.1.2.3/8", 8, True),  # host bits ignored, as the services do
        ("9.0.0.0/9", 9, False),
        ("203.0.113.0/27", 27, False),
        ("198.51.100.14", 32, False),  # a bare address is one host
        (" 198.51.100.14/32 ", 32, False),
        ("::/0", 0, True),
        ("2001:db8::/32", 32, False),
    ],
)
def test_ip_rule_ranges(value: str, prefix: int, too_wide: bool) -> None:
    network = parse_ip_rule(value)
    assert network is not None and network.prefixlen == prefix
    judgement = judge_ip_rules([value])
    assert bool(judgement.too_wide) is too_wide
    assert judgement.unreadable == ()


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "any",
        "*",
        "203.0.113.0/33",
        "256.1.1.1",
        "1.2.3.4/-1",
        "010.0.0.1",
        None,
        42,
        ["0.0.0.0/0"],
        "0.0.0.0/0\n" + "x" * 500,
        "203.0.113.0-203.0.113.9",
    ],
)
def test_malformed_rules_are_unreadable_not_a_crash(value: object) -> None:
    assert parse_ip_rule(value) is None
    judgement = judge_ip_rules([value])
    assert judgement.too_wide == ()
    (quoted,) = judgement.unreadable
    assert "\n" not in quoted and len(quoted) <= 64


def test_wide_rules_are_named_in_canonical_form() -> None:
    judgement = judge_ip_rules(["198.51.100.14", "10.9.8.7/8", "0.0.0.0/0", "bad"])
    assert judgement.too_wide == ("10.0.0.0/8", "0.0.0.0/0")
    assert judgement.unreadable == ("'bad'",)
