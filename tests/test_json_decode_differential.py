"""ARM answers are decoded by msgspec where it reads them as json.loads does, and by json.loads
otherwise (azaudit.collect.arm._loads): for every text, the same value (same types, key order,
float bits) or the same refusal. Compared over the sample tenant's and the synthetic tenant's
bodies, edge cases of the JSON grammar, and thousands of generated and mutated texts."""

from __future__ import annotations

import json
import math
import random
import struct
from pathlib import Path
from typing import Any

import pytest

from azaudit.collect import arm
from bench.synthetic import SyntheticTenant

ROOT = Path(__file__).resolve().parents[1]


def _outcome(decode: Any, text: str) -> tuple[str, Any]:
    try:
        return "value", decode(text)
    except RecursionError:
        return "recursion", None
    except ValueError:
        return "refused", None


def _same(one: Any, other: Any) -> bool:
    """Equal values of identical types: dicts in the same key order, floats bit for bit. Walked
    with a stack of its own: on Python 3.12 and later json.loads and msgspec decode nesting far
    deeper than a recursive comparison could walk."""
    pending = [(one, other)]
    while pending:
        one, other = pending.pop()
        if type(one) is not type(other):
            return False
        if isinstance(one, dict):
            if list(one) != list(other):
                return False
            pending.extend((one[k], other[k]) for k in one)
        elif isinstance(one, list):
            if len(one) != len(other):
                return False
            pending.extend(zip(one, other, strict=True))
        elif isinstance(one, float):
            if struct.pack("<d", one) != struct.pack("<d", other) and not (math.isnan(one) and math.isnan(other)):
                return False
        elif one != other:
            return False
    return True


def _assert_same(text: str) -> None:
    expected, got = _outcome(json.loads, text), _outcome(arm._loads, text)
    assert expected[0] == got[0], (text[:200], expected[0], got[0])
    assert _same(expected[1], got[1]), text[:200]


EDGES = [
    "0",
    "-0",
    "-0.0",
    "1.0",
    "1E2",
    "1e-400",
    "1e400",
    "-1e400",
    "1.7976931348623157e308",
    "1.7976931348623157e309",
    "4.9e-324",
    "2.2250738585072011e-308",
    "0.1",
    "123.456e-7",
    "9007199254740993",
    "18446744073709551616",
    "-9223372036854775809",
    "123456789012345678901234567890123456789",
    "NaN",
    "-NaN",
    "Infinity",
    "-Infinity",
    '"\\ud800"',
    '"\\udc00x"',
    '"\\ud83d\\ude00"',
    '"\\u0000"',
    '"\\/"',
    '"\\x41"',
    '"a\x01b"',
    '"a\tb"',
    '"\x7f"',
    '"\u2028\u2029"',
    '"\ud7ff\ue000\U0010ffff"',
    "01",
    "+1",
    ".5",
    "1.",
    "1_0",
    "0x10",
    "tru",
    "nul",
    "[1,]",
    '{"a":1,}',
    "'a'",
    "[1] [2]",
    "[]x",
    " 1 ",
    "\n[1]\r\n",
    "\t{}\t",
    "\x0c1",
    "\u00a01",
    "\ufeff{}",
    "",
    '{"a":1,"a":2}',
    '{"b":1,"a":2,"b":3}',
    '{"a" : [1 , 2]}',
    '{"\\ud83d\\ude00":1}',
    "{1:2}",
    '{"a"}',
    '"\ud800"',
    '["\ud800"]',
    "[" * 50 + "]" * 50,
    "[" * 5000 + "]" * 5000,
    '{"a":' * 3000 + "1" + "}" * 3000,
    "[" * 100000,
    '"unterminated',
    '"\\u12"',
    '"\\uZZZZ"',
    "[1 2]",
    "{,}",
    "true false",
    "-",
    "--1",
    "1e",
    "1e+",
]


@pytest.mark.parametrize("text", EDGES)
def test_grammar_edges_decode_alike(text: str) -> None:
    _assert_same(text)


def _value(rng: random.Random, depth: int) -> Any:
    kind = rng.randrange(9 if depth < 4 else 6)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.choice([rng.randrange(-(2**70), 2**70), rng.randrange(-1000, 1000), 2**63, -(2**63) - 1])
    if kind == 2:
        return struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
    if kind == 3:
        return rng.uniform(-1e6, 1e6) * 10 ** rng.randrange(-30, 30)
    if kind in (4, 5):
        alphabet = 'ab Z09"\\/\n\t\x00\x1f\x7f\u00e9\u2028\ud7ff\ue000\U0001f600{}[],:'
        return "".join(rng.choice(alphabet) for _ in range(rng.randrange(12)))
    if kind == 6 or kind == 7:
        return {
            str(_value(rng, depth + 1)) if rng.random() < 0.3 else f"k{rng.randrange(5)}": _value(rng, depth + 1)
            for _ in range(rng.randrange(5))
        }
    return [_value(rng, depth + 1) for _ in range(rng.randrange(5))]


def _texts(rng: random.Random, count: int) -> list[str]:
    texts = []
    for _ in range(count):
        value = _value(rng, 0)
        text = json.dumps(value, ensure_ascii=rng.random() < 0.5, indent=rng.choice([None, None, 1, "\t"]))
        texts.append(text)
        # mutations: a character dropped, doubled, replaced or inserted, a prefix or a suffix
        for _ in range(3):
            at = rng.randrange(len(text) + 1)
            piece = rng.choice(list('{}[],:"\\ -+.eE0123456789tfnul\x00\x01\ufeff\u00a0'))
            texts.append(
                rng.choice(
                    [
                        text[:at] + text[at + 1 :],
                        text[:at] + text[at : at + 1] * 2 + text[at + 1 :],
                        text[:at] + piece + text[at + 1 :],
                        text[:at] + piece + text[at:],
                        text[:at],
                        text[at:],
                    ]
                )
            )
    return texts


def test_generated_and_mutated_texts_decode_alike() -> None:
    rng = random.Random(15)  # noqa: S311 (reproducible test data)
    texts = _texts(rng, 2500)
    refused = 0
    for text in texts:
        _assert_same(text)
        refused += _outcome(json.loads, text)[0] != "value"
    assert 1000 < refused < len(texts) - 2500  # both outcomes well represented


def _bodies(path: Path) -> list[Any]:
    found = []
    for interaction in json.loads(path.read_text(encoding="utf-8")).get("interactions", []):
        response = interaction.get("response", {})
        found.append(response["raw_body"] if "raw_body" in response else json.dumps(response.get("body")))
    return found


def test_recorded_bodies_decode_alike() -> None:
    texts = [text for path in sorted((ROOT / "fixtures").rglob("*.json")) for text in _bodies(path)]
    texts += [json.dumps(response.body) for response in SyntheticTenant(2, 100).responses.values()]
    assert len(texts) > 700
    for text in texts:
        _assert_same(text)
