"""The image checks' times (``when``) are written as ``strftime("%Y-%m-%d %H:%M UTC")`` wrote them."""

from __future__ import annotations

import datetime as dt
import random

from azaudit_checks.images._runtime import when


class _Local(dt.tzinfo):
    def utcoffset(self, value: dt.datetime | None) -> dt.timedelta:
        return dt.timedelta(hours=-5, minutes=-30)

    def dst(self, value: dt.datetime | None) -> dt.timedelta:
        return dt.timedelta(0)

    def tzname(self, value: dt.datetime | None) -> str:
        return "IST"


class _Subclass(dt.datetime):
    pass


def _samples() -> list[dt.datetime]:
    rng = random.Random(15)  # noqa: S311 - test data, not a secret
    zones: list[dt.tzinfo | None] = [dt.UTC, None, _Local(), dt.timezone(dt.timedelta(hours=14))]
    samples = [dt.datetime(year, 1, 1, tzinfo=dt.UTC) for year in range(1, 10000)]
    samples += [dt.datetime.min, dt.datetime.max, _Subclass(2026, 11, 30, 23, 59, 59, 999999)]
    for _ in range(5000):
        samples.append(
            dt.datetime(
                rng.randint(1, 9999),
                rng.randint(1, 12),
                rng.randint(1, 28),
                rng.randint(0, 23),
                rng.randint(0, 59),
                rng.randint(0, 59),
                rng.randint(0, 999999),
                tzinfo=rng.choice(zones),
            )
        )
    return samples


def test_when_writes_every_time_as_strftime_does() -> None:
    for value in _samples():
        assert when(value) == value.strftime("%Y-%m-%d %H:%M UTC"), value


def test_an_absent_time_is_unknown() -> None:
    assert when(None) == "an unknown time"
