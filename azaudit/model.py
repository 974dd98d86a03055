"""The vocabulary of results: severities, statuses, check metadata, outcomes and findings."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Protocol

import msgspec

from azaudit.inventory.coverage import Dataset


class Severity(enum.Enum):
    """How much a failing check matters. Serialised by name (``"high"``); ordered by gravity, so
    ``severity >= Severity.MEDIUM`` reads as it should."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_ORDER.index(self)

    @property
    def label(self) -> str:
        return self.value

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank >= other.rank

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls(text.strip().lower())
        except ValueError:
            choices = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r}; expected one of {choices}") from None


_SEVERITY_ORDER = list(Severity)


class Status(enum.Enum):
    """The result of evaluating one check against one resource (or scope)."""

    PASS = "PASS"
    FAIL = "FAIL"
    ERROR = "ERROR"  # could not evaluate: data not collected, permission denied, check crashed
    SKIPPED = "SKIPPED"  # not applicable, or suppressed


class CheckDocs(msgspec.Struct, frozen=True, kw_only=True):
    """A check's documentation, parsed once from the Markdown sections of its docstring."""

    what: str
    why: str
    fix: str
    references: tuple[str, ...]
    decisions: str = ""


BUILTIN_ORIGIN = "azaudit"


class CheckMeta(msgspec.Struct, frozen=True, kw_only=True):
    """Everything known about a check except its code: typed metadata plus its docs."""

    code: str
    name: str
    title: str
    severity: Severity
    service: str
    resource_type: str
    requires: tuple[Dataset, ...]  # serialised as the datasets' names
    recommendations: tuple[str, ...]
    mcsb: tuple[str, ...]
    docs: CheckDocs
    # Azure Policy built-in definitions (their GUIDs) that test the same control, so results can
    # be compared with Policy's compliance view. Empty where no built-in definition exists.
    policies: tuple[str, ...] = ()
    # labels of the selectors saying where the check applies ("Premium registries only"); empty:
    # every resource of its type
    applies_to: tuple[str, ...] = ()
    origin: str = BUILTIN_ORIGIN  # "azaudit", or the distribution and version of a plugin

    @property
    def builtin(self) -> bool:
        return self.origin == BUILTIN_ORIGIN


class ResourceLike(Protocol):
    """Any inventory record a finding can be about."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def subscription_id(self) -> str: ...


class Outcome(msgspec.Struct, frozen=True, kw_only=True):
    """What a check says about one resource; the engine turns it into a :class:`Finding`.

    ``item`` names the part of the resource at fault (a container, a variable name, a secret
    name, a principal) so that the reader can act; it never holds a secret value. ``evidence``
    holds the observed property values the verdict rests on (``{"properties.adminUserEnabled":
    "true"}``), written as Azure returns them; configuration only, never a secret value.
    """

    status: Status
    resource_id: str
    resource_name: str
    subscription_id: str
    message: str
    item: str | None = None
    evidence: dict[str, str] | msgspec.UnsetType = msgspec.UNSET

    @classmethod
    def _of(
        cls,
        status: Status,
        resource: ResourceLike,
        message: str,
        item: str | None,
        evidence: Mapping[str, str] | None = None,
    ) -> Outcome:
        return cls(
            status=status,
            resource_id=resource.id,
            resource_name=resource.name,
            subscription_id=resource.subscription_id,
            message=message,
            item=item,
            evidence=dict(evidence) if evidence else msgspec.UNSET,
        )

    @classmethod
    def passed(
        cls, resource: ResourceLike, message: str, item: str | None = None, *, evidence: Mapping[str, str] | None = None
    ) -> Outcome:
        return cls._of(Status.PASS, resource, message, item, evidence)

    @classmethod
    def failed(
        cls, resource: ResourceLike, message: str, item: str | None = None, *, evidence: Mapping[str, str] | None = None
    ) -> Outcome:
        return cls._of(Status.FAIL, resource, message, item, evidence)

    @classmethod
    def skipped(cls, resource: ResourceLike, message: str, item: str | None = None) -> Outcome:
        return cls._of(Status.SKIPPED, resource, message, item)

    @classmethod
    def errored(cls, resource: ResourceLike, message: str, item: str | None = None) -> Outcome:
        return cls._of(Status.ERROR, resource, message, item)


class BaselineState(enum.Enum):
    """A failing finding compared with a baseline report (``--baseline``)."""

    NEW = "new"  # not failing in the baseline
    UNCHANGED = "unchanged"  # failing in the baseline too
    # its check did not exist in the baseline's azaudit (or was not selected): never gates, so
    # that upgrading azaudit does not fail a pipeline gated on new failures
    NEWLY_ASSESSED = "newly-assessed"


# gc=False: a finding holds only strings, enums and a dict of strings, so it can never be part of
# a reference cycle; left out of the cycle collector, each is 16 bytes smaller and the collector
# does not walk a run's 170,000 findings on each of its passes.
class Finding(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One evaluated (check, resource[, item]) pair, as reported. Check metadata lives in the
    report once, keyed by ``code``."""

    code: str
    status: Status
    severity: Severity
    resource_id: str
    resource_name: str
    resource_type: str
    subscription_id: str
    message: str
    item: str | None = None
    suppressed_by: str | None = None
    baseline: BaselineState | None = None  # FAILs only, when compared with a baseline
    # the observed property values the verdict rests on (absent: the check records none)
    evidence: dict[str, str] | msgspec.UnsetType = msgspec.UNSET

    @property
    def status_text(self) -> str:
        """``FAIL``, ``FAIL new`` for a failure the baseline did not have, or ``FAIL newly assessed``
        for one whose check the baseline did not run."""
        if self.baseline is BaselineState.NEW:
            return f"{self.status.value} new"
        if self.baseline is BaselineState.NEWLY_ASSESSED:
            return f"{self.status.value} newly assessed"
        return self.status.value

    @property
    def identity(self) -> tuple[str, str, str]:
        """What stays the same for the same problem from run to run: check, resource, item."""
        return self.code, self.resource_id.lower(), self.item or ""
