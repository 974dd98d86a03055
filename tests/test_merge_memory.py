"""Merging many shard reports holds every finding of every shard at once: a report read back shares
each repeated text among its findings, the merge keeps the findings it does not change, and the
JSON renderer does not hold every intermediate copy of the text (bench/RESULTS.md: 100 shards of
1,000 resources). The figures are the benchmark's; these tests pin the mechanisms."""

from __future__ import annotations

from collections import Counter

import msgspec
import pytest

from azaudit.audit import Audit
from azaudit.model import BaselineState, Status
from azaudit.render.json_document import render
from azaudit.reports import model
from azaudit.reports.io import ReportFileError, load
from azaudit.reports.merge import merge_reports


def test_a_report_read_back_shares_repeated_texts(sample_audit: Audit) -> None:
    report = load(render(sample_audit.report), "report.json")
    assert report == load(render(sample_audit.report), "again.json")  # the same values
    by_resource: dict[str, list[str]] = {}
    for finding in report.findings:
        by_resource.setdefault(finding.resource_id, []).append(finding.resource_id)
    repeated = [ids for ids in by_resource.values() if len(ids) > 1]
    assert repeated and all(all(i is ids[0] for i in ids) for ids in repeated)
    messages = Counter(f.message for f in report.findings)
    message, count = messages.most_common(1)[0]
    assert count > 1
    assert len({id(f.message) for f in report.findings if f.message == message}) == 1


def _elsewhere(text: str, subscriptions: set[str]) -> str:
    """The same report, as if it audited other subscriptions (a separate audit's report)."""
    for number, subscription in enumerate(sorted(subscriptions)):
        text = text.replace(subscription, f"00000000-0000-4000-8000-{number:012d}")
    return text


def test_the_merge_keeps_the_findings_it_does_not_change(sample_audit: Audit) -> None:
    text = render(sample_audit.report)
    subscriptions = {s.subscription_id for s in sample_audit.report.run.subscriptions}
    first, second = load(text, "a.json"), load(_elsewhere(text, subscriptions), "b.json")
    merged = merge_reports([("a.json", first), ("b.json", second)])
    assert len(merged.findings) == len(first.findings) + len(second.findings)
    assert all(m is f for m, f in zip(merged.findings, (*first.findings, *second.findings), strict=True))


def test_a_job_baseline_state_is_still_dropped(sample_audit: Audit) -> None:
    text = render(sample_audit.report)
    subscriptions = {s.subscription_id for s in sample_audit.report.run.subscriptions}
    first = load(text, "a.json")
    failing = next(i for i, f in enumerate(first.findings) if f.status is Status.FAIL)
    findings = list(first.findings)
    findings[failing] = msgspec.structs.replace(findings[failing], baseline=BaselineState.NEW)
    first = msgspec.structs.replace(first, findings=tuple(findings))
    merged = merge_reports([("a.json", first), ("b.json", load(_elsewhere(text, subscriptions), "b.json"))])
    assert all(f.baseline is None for f in merged.findings)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"schema_version": 1', "not a JSON document"),
        ("[1, 2]", "expected an object"),
        ('{"runs": []}', "no schema_version"),
        ('{"schema_version": null}', "schema_version None is not 1"),
        ('{"schema_version": 2, "findings": []}', "schema_version 2 is not 1"),
    ],
)
def test_what_is_not_a_report_is_one_line(text: str, expected: str) -> None:
    with pytest.raises(ReportFileError, match=expected):
        load(text, "x.json")


def test_subscription_names_are_looked_up_in_a_table_made_once(sample_audit: Audit) -> None:
    """Renderers ask for a subscription's name once per finding: a merge of 100 shards asked 1.6
    million times through 1,000 subscriptions (the Markdown of 10 shards spent 40 of its 130 s there)."""
    report = sample_audit.report
    first = report.run.subscriptions[0]
    assert report.subscription_name(first.subscription_id.upper()) == first.name
    assert report.subscription_name("not-audited") == "not-audited"
    twice = msgspec.structs.replace(
        report.run, subscriptions=(*report.run.subscriptions, msgspec.structs.replace(first, display_name="later"))
    )
    assert msgspec.structs.replace(report, run=twice).subscription_name(first.subscription_id) == first.name
    table = model._subscription_names(report.run.subscriptions)
    assert model._subscription_names(report.run.subscriptions) is table
