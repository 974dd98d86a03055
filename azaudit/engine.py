"""Run checks over an inventory and turn their outcomes into findings.

Coverage is applied here, once, for every check: an outcome about a resource whose data a
collection error lost is replaced by an ERROR finding for that scope, so a 403 never reads as
PASS or FAIL. A check that raises becomes an ERROR finding; the run goes on. A check's
``applies_to`` selectors are applied here too, before it runs: each resource it does not apply to
gets one SKIPPED outcome in the same words for every check, and the check sees only the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import msgspec

from azaudit.applicability import RECORDS
from azaudit.catalogue import Check, CheckContext
from azaudit.inventory.coverage import CollectionError, ErrorIndex
from azaudit.model import CheckMeta, Finding, Outcome, Status


class Shared:
    """One copy of each repeated message and evidence among a run's findings. PASS messages and
    evidence recur from resource to resource ("admin user disabled", ``{"properties.
    adminUserEnabled": "false"}``), and a check makes each of them anew: 170,000 findings held
    about 100 MB of copies. Equal evidence becomes one dict, shared: a finding's evidence is never
    changed once it is made."""

    __slots__ = ("_evidence", "_texts")

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}
        self._evidence: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}

    def findings(self, meta: CheckMeta, outcomes: Iterable[Outcome]) -> list[Finding]:
        """The findings of ``meta``'s check, one per outcome, in order. One loop with the tables at
        hand: a call or two per finding (170,000 at 10,000 resources) cost more than the sharing."""
        texts, shared = self._texts, self._evidence
        code, severity, resource_type = meta.code, meta.severity, meta.resource_type
        findings: list[Finding] = []
        append = findings.append
        for outcome in outcomes:
            message, evidence = outcome.message, outcome.evidence
            if not isinstance(evidence, msgspec.UnsetType):
                key = tuple(evidence.items())
                found = shared.get(key)
                if found is None:
                    found = shared[key] = {texts.setdefault(k, k): texts.setdefault(v, v) for k, v in key}
                evidence = found
            append(
                Finding(
                    code=code,
                    status=outcome.status,
                    severity=severity,
                    resource_id=outcome.resource_id,
                    resource_name=outcome.resource_name,
                    resource_type=resource_type,
                    subscription_id=outcome.subscription_id,
                    message=texts.setdefault(message, message),
                    item=outcome.item,
                    evidence=evidence,
                )
            )
        return findings


def _not_assessed(meta: CheckMeta, error: CollectionError, context: CheckContext) -> Finding:
    scope_id = error.resource_id or f"/subscriptions/{error.subscription_id}"
    subscription = context.inventory.subscription(error.subscription_id)
    name = error.resource_name or (subscription.name if subscription else scope_id)
    return Finding(
        code=meta.code,
        status=Status.ERROR,
        severity=meta.severity,
        resource_id=scope_id,
        resource_name=name,
        resource_type=meta.resource_type if error.resource_id else "Microsoft.Resources/subscriptions",
        subscription_id=error.subscription_id,
        message=f"not assessed: {error.describe()}",
    )


def _crashed(meta: CheckMeta, exc: BaseException, reported: int) -> Finding:
    if reported:
        name = "(the resources it had not reached)"
        message = f"check stopped after {reported} result(s); the resources it had not reached are not assessed"
    else:
        name, message = "(every resource)", "check crashed, nothing was assessed"
    return Finding(
        code=meta.code,
        status=Status.ERROR,
        severity=meta.severity,
        resource_id="",
        resource_name=name,
        resource_type=meta.resource_type,
        subscription_id="",
        message=f"{message}: {type(exc).__name__}: {exc}",
    )


def _applicable(check: Check, context: CheckContext) -> tuple[CheckContext, list[tuple[str, Outcome | None]]]:
    """The context the check runs with (its resources narrowed to those it applies to), and every
    resource of its type in inventory order: its id with a SKIPPED outcome, or None where the
    check applies."""
    if not check.applies_to:
        return context, []
    field = RECORDS[check.meta.resource_type]
    kept, order = [], []
    for record in getattr(context.inventory, field):
        failed = next((s for s in check.applies_to if not s.test(record)), None)
        skipped = None if failed is None else Outcome.skipped(record, failed.skip_message(record))
        order.append((record.id.lower(), skipped))
        if skipped is None:
            kept.append(record)
    narrowed = msgspec.structs.replace(context.inventory, **{field: tuple(kept)})
    return msgspec.structs.replace(context, inventory=narrowed), order


def _in_order(order: list[tuple[str, Outcome | None]], outcomes: list[Outcome]) -> list[Outcome]:
    """Skipped and judged outcomes in inventory order, as if the check had skipped them itself;
    outcomes about other resources follow."""
    if not order:
        return outcomes
    by_resource: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        by_resource.setdefault(outcome.resource_id.lower(), []).append(outcome)
    merged: list[Outcome] = []
    for resource_id, skipped in order:
        merged.extend([skipped] if skipped is not None else by_resource.pop(resource_id, []))
    merged.extend(o for rest in by_resource.values() for o in rest)
    return merged


def evaluate(check: Check, context: CheckContext, shared: Shared | None = None) -> list[Finding]:
    """The findings of one check, with coverage applied; ``shared`` holds the texts and evidence
    of the run's findings so far (see :class:`Shared`)."""
    shared = shared or Shared()
    datasets = list(check.meta.requires)
    errors = context.inventory.errors_for(datasets)
    context, order = _applicable(check, context)
    outcomes: list[Outcome] = []
    crashed: Finding | None = None
    try:
        # one by one: a check that trips over one odd resource keeps what it judged before it
        for outcome in check.run(context):
            outcomes.append(outcome)
    except Exception as exc:  # the one deliberate catch-all: a broken check is a result
        crashed = _crashed(check.meta, exc, len(outcomes))
    outcomes = _in_order(order, outcomes)
    if errors:
        index = ErrorIndex(errors)
        outcomes = [o for o in outcomes if not index.covers(o.resource_id, o.subscription_id)]
    findings = shared.findings(check.meta, outcomes)
    if crashed is not None:
        findings.append(crashed)
    seen: set[tuple[str, str]] = set()
    for error in errors:
        scope = (error.subscription_id.lower(), error.resource_id.lower())
        if scope not in seen:
            seen.add(scope)
            findings.append(_not_assessed(check.meta, error, context))
    return findings


def _suppress(findings: Iterable[Finding], context: CheckContext) -> list[Finding]:
    if not context.settings.suppress:
        return list(findings)
    result = []
    for finding in findings:
        rule = next(
            (
                s
                for s in context.settings.suppress
                if finding.status is Status.FAIL and s.matches(finding.code, finding.resource_id, finding.resource_name)
            ),
            None,
        )
        if rule is None:
            result.append(finding)
        else:
            result.append(
                msgspec.structs.replace(
                    finding,
                    status=Status.SKIPPED,
                    message=f"suppressed: {finding.message}",
                    suppressed_by=f"{rule.reason} (until {rule.expires.isoformat()})",
                )
            )
    return result


def run_checks(checks: Sequence[Check], context: CheckContext) -> tuple[Finding, ...]:
    findings: list[Finding] = []
    shared = Shared()
    for chk in checks:
        findings.extend(evaluate(chk, context, shared))
    return tuple(_suppress(findings, context))
