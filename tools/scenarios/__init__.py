"""The sample tenant's scenarios, service by service: each resource, what differs from Azure's
defaults, and the outcome every check of its service must give it.

One table per service (``tools/scenarios/<service>.py``) feeds both the fixture JSON
(tools/make_sample_tenant.py builds the bodies from it with tools/armbodies.py) and the tests'
expectation tables (``expectations(...)`` in tests/test_checks_<service>.py), so a resource and
its expected verdicts are declared once, side by side.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from azaudit.model import Status

# The sample tenant (Contoso): fake ids, stable so fixtures and reports are reproducible.
TENANT = "72f988bf-0000-4000-8000-00000000a0d1"
PROD = "3f8a6c1e-5b7d-4e2a-9c11-7d2e0f4a8b51"
DEV = "9b2d4e6f-1a3c-4d5e-8f70-2a4b6c8d0e13"
LEGACY = "c5e7a9b1-3d5f-4a7c-9e1b-3d5f7a9c1e35"
SANDBOX = "e7a9c1e3-5f7b-4c9e-8a1c-5f7b9d1e3a57"

FAIL, PASS, SKIPPED, ERROR = Status.FAIL, Status.PASS, Status.SKIPPED, Status.ERROR

# check code -> status -> finding names; a name is ``resource`` or ``resource/item``
Expected = dict[str, dict[Status, set[str]]]


class Expecting(Protocol):
    """A scenario row: the finding names it stands for, each with its outcome per check."""

    def outcomes(self) -> Iterable[tuple[str, Mapping[str, Status]]]: ...


def expectations(rows: Iterable[Expecting]) -> Expected:
    """The expectation table of a service's scenario rows, in the shape tests assert."""
    table: Expected = {}
    for row in rows:
        for name, by_code in row.outcomes():
            for code, status in by_code.items():
                table.setdefault(code, {}).setdefault(status, set()).add(name)
    return dict(sorted(table.items()))
