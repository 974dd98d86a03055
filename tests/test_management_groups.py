"""--management-group: audit the enabled subscriptions a group holds, at any depth."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from azaudit.cli import app
from azaudit.errors import UsageError
from azaudit.render.markdown import render as markdown
from azaudit.shard import Shard
from tests.conftest import SAMPLE_TENANT, audit_replay

runner = CliRunner()


def audited(*groups: str, **overrides: object) -> set[str]:
    audit = audit_replay(management_groups=groups, **overrides)
    assert audit.report.run.management_groups == groups
    return {s.display_name for s in audit.report.run.subscriptions}


def test_a_group_yields_its_enabled_subscriptions_at_any_depth_across_pages() -> None:
    # contoso-prod sits in a child group on the first page, contoso-dev on the second (nextLink);
    # contoso-legacy is in the group but disabled; contoso-sandbox is in another group.
    assert audited("contoso-landing-zones") == {"contoso-prod", "contoso-dev"}


def test_several_groups_add_up() -> None:
    assert audited("contoso-prod-lz", "contoso-sandbox-lz") == {"contoso-prod", "contoso-sandbox"}


def test_findings_stay_within_the_groups_subscriptions() -> None:
    audit = audit_replay(management_groups=("contoso-sandbox-lz",))
    subscriptions = {s.subscription_id for s in audit.report.run.subscriptions}
    assert audit.report.findings
    assert {f.subscription_id for f in audit.report.findings} <= subscriptions
    assert "- Management group(s): `contoso-sandbox-lz`" in markdown(audit.report)


def test_a_subscription_the_group_holds_but_the_identity_cannot_see_is_named() -> None:
    with pytest.raises(UsageError, match=r"c0ffee00-1d2e-4f3a-9b8c-7d6e5f4a3b21 \(in contoso-acquired\)"):
        audit_replay(management_groups=("contoso-acquired",))


def test_a_group_combines_with_shards() -> None:
    slices = [audited("contoso-landing-zones", shard=Shard(k, 2)) for k in (1, 2)]
    assert slices[0] | slices[1] == {"contoso-prod", "contoso-dev"} and not slices[0] & slices[1]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-m", "contoso-finance"], "cannot read management group 'contoso-finance' (HTTP 403)"),
        (["-m", "contoso-acquired"], "subscription(s) not visible to this credential"),
        (["-m", "contoso-prod-lz", "contoso-dev"], "name subscriptions or management groups, not both"),
    ],
)
def test_cli_errors_are_clear_and_exit_2(args: list[str], expected: str) -> None:
    result = runner.invoke(app, ["subscription", "--replay", str(SAMPLE_TENANT), *args])
    assert result.exit_code == 2
    assert expected in " ".join(result.output.replace("│", " ").split())  # usage errors come boxed
    assert "Traceback" not in result.output
