"""The config file: where it is found, and one clear line (exit 2) for anything malformed."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from azaudit.audit import resolve_settings
from azaudit.cli import app
from azaudit.errors import ConfigError
from azaudit.settings import load_settings, parse_settings
from tests.conftest import SAMPLE_TENANT, replay_config

runner = CliRunner()


def run_cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def audit_with_config(path: Path) -> tuple[int, str, str]:
    return run_cli("subscription", "--replay", str(SAMPLE_TENANT), "--select", "ACR001", "--config", str(path))


def assert_one_clear_line(code: int, err: str) -> str:
    assert code == 2
    line = err.strip()
    assert line.startswith("azaudit: ") and "\n" not in line and "Traceback" not in err
    return line


def suppression(check: str = "ACR001", resource: str = "contosolegacyacr", reason: str = "ticket SEC-1") -> str:
    return f"[[suppress]]\ncheck = {check!r}\nresource = {resource!r}\nreason = {reason!r}\nexpires = 2099-01-01\n"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        # an unknown key names the file, the key and the keys that exist
        (
            "[registries]\naproved = ['x.azurecr.io']\n",
            ["unknown key `registries.aproved`", "expected one of: approved"],
        ),
        ("[registry]\napproved = []\n", ["unknown key `registry`", "registries, keyvault, rbac, images, suppress"]),
        # a malformed value names the key and shows the expected form
        (
            "[registries]\napproved = 'contoso.azurecr.io'\n",
            ["`registries.approved` must be a list, not a string", 'approved = ["contosoprodacr.azurecr.io"'],
        ),
        ("[registries]\napproved = [42]\n", ["`registries.approved[0]` must be a string, not a whole number"]),
        (
            "[registries]\napproved = ['mcr.microsoft.com', 'https://contoso.azurecr.io']\n",
            ["`registries.approved[1]`", "is not a registry host", "`*.` wildcard"],
        ),
        ("registries = 'x'\n", ["`registries` must be a table, not a string", "[registries]"]),
        ("[keyvault]\nstale_secret_days = 'ten'\n", ["`keyvault.stale_secret_days` must be a whole number"]),
        # out of range, or not a whole number: one line naming the key and the range, not a crashed check
        ("[keyvault]\nstale_secret_days = -1\n", ["`keyvault.stale_secret_days` must be a whole number from 1 to"]),
        (
            "[keyvault]\nstale_secret_days = 100000000000000000000000\n",
            ["`keyvault.stale_secret_days` must be a whole number from 1 to 3650", "stale_secret_days = 365"],
        ),
        ("[keyvault]\nstale_secret_days = 0\n", ["`keyvault.stale_secret_days` must be a whole number from 1 to 3650"]),
        ("[keyvault]\nexpiring_soon_days = 3651\n", ["`keyvault.expiring_soon_days` must be a whole number from 0"]),
        ("[keyvault]\nexpiring_soon_days = 30.0\n", ["`keyvault.expiring_soon_days` must be a whole number, not a"]),
        ("[rbac]\nmax_subscription_owners = true\n", ["`rbac.max_subscription_owners` must be a whole number, not"]),
        ("[rbac]\nmax_subscription_owners = -3\n", ["`rbac.max_subscription_owners` must be a whole number from 0"]),
        ("[rbac]\nmin_subscription_owners = -1\n", ["`rbac.min_subscription_owners` must be a whole number from 0"]),
        # [images]: the error says the expected form, not "see the README"
        (
            "[images]\nmax_age_days = 0\n",
            ["`images.max_age_days` must be a whole number from 1 to", "max_age_days = 90"],
        ),
        (
            "[images]\nvulnerability_min_severity = 'severe'\n",
            ["`images.vulnerability_min_severity`", '"critical", "high", "medium", "low"'],
        ),
        ("images = 'x'\n", ["`images` must be a table, not a string", "[images] with max_age_days"]),
        # a minimum above the maximum would fail every subscription
        (
            "[rbac]\nmax_subscription_owners = 1\n",
            ["`rbac.min_subscription_owners` (2) is above `rbac.max_subscription_owners` (1)", "set both to 0"],
        ),
        (
            "[[suppress]]\ncheck = 'ACR001'\nreason = 'x'\nexpires = 2099-01-01\n",
            ["missing key `suppress[0].resource`", "[[suppress]] with check ="],
        ),
        (
            "[[suppress]]\ncheck = 'ACR001'\nresource = 'x'\nreason = 'x'\nexpires = 'soon'\n",
            ["`suppress[0].expires`", "expires = 2027-03-31"],
        ),
        # a suppression must name one known check, one resource (not all of them) and a reason
        (suppression(check=""), ["`suppress[0].check` must name one check code"]),
        (suppression(check="*"), ["`suppress[0].check` must name one check code", "--ignore"]),
        (suppression(check="**"), ["`suppress[0].check` must name one check code"]),
        (suppression(check="ACR999"), ["`suppress[0].check` names no check ('ACR999')", "azaudit checks"]),
        (suppression(check="ACR"), ["`suppress[0].check` names no check ('ACR')"]),
        (suppression(resource="*"), ["`suppress[0].resource` matches every resource", "--ignore"]),
        (suppression(resource="**"), ["`suppress[0].resource` matches every resource"]),
        (suppression(resource=""), ["`suppress[0].resource` matches every resource"]),
        (suppression(resource="*?"), ["`suppress[0].resource` matches every resource"]),
        (suppression(reason=""), ["`suppress[0].reason` is empty"]),
        (suppression(reason="   "), ["`suppress[0].reason` is empty"]),
        # not TOML at all
        ("[registries\napproved = []\n", ["not valid TOML"]),
    ],
)
def test_a_malformed_config_is_one_clear_line(tmp_path: Path, content: str, expected: list[str]) -> None:
    path = tmp_path / "azaudit.toml"
    path.write_text(content, encoding="utf-8")
    code, out, err = audit_with_config(path)
    line = assert_one_clear_line(code, err)
    assert str(path) in line
    for words in expected:
        assert words in line, line
    assert not out


def test_pyproject_tool_table_in_the_working_directory_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[project]\nname = 'x'\n\n[tool.azaudit.registries]\napprovd = ['x.azurecr.io']\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli("subscription", "--replay", str(SAMPLE_TENANT), "--select", "ACR001")
    line = assert_one_clear_line(code, err)
    assert "pyproject.toml [tool.azaudit]" in line and "unknown key `registries.approvd`" in line


def test_azaudit_toml_wins_over_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.azaudit.registries]\napproved = ['b.example']\n")
    (tmp_path / "azaudit.toml").write_text("[registries]\napproved = ['a.example']\n")
    settings, source = load_settings(None, tmp_path)
    assert settings.registries.approved == ("a.example",) and source == str(tmp_path / "azaudit.toml")


def test_pyproject_without_a_tool_table_means_defaults(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    settings, source = load_settings(None, tmp_path)
    assert settings.registries.approved == () and source is None


def test_a_missing_explicit_config_file_is_one_clear_line(tmp_path: Path) -> None:
    code, _, err = audit_with_config(tmp_path / "nope.toml")
    line = assert_one_clear_line(code, err)
    assert "nope.toml" in line and "not found" in line


def test_the_command_line_overrides_the_approved_registries(tmp_path: Path) -> None:
    (tmp_path / "azaudit.toml").write_text("[registries]\napproved = ['from-file.example']\n")
    settings, _ = resolve_settings(replay_config(working_directory=tmp_path))
    assert settings.registries.approved == ("from-file.example",)
    settings, _ = resolve_settings(
        replay_config(working_directory=tmp_path, approved_registries=("ghcr.io", "*.azurecr.io"))
    )
    assert settings.registries.approved == ("ghcr.io", "*.azurecr.io")


def test_parse_settings_never_quotes_more_than_one_line() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings({"registries": {"approved": ["ok"], "extra": {"deep": [1, 2, 3]}}}, "cfg.toml")
    assert "\n" not in str(caught.value) and "unknown key `registries.extra`" in str(caught.value)


def test_a_suppression_names_one_check_exactly(tmp_path: Path) -> None:
    path = tmp_path / "azaudit.toml"
    path.write_text(suppression(check="acr001", resource="contosolegacyacr"), encoding="utf-8")
    settings, _ = load_settings(path, tmp_path)
    (entry,) = settings.suppress
    assert entry.matches("ACR001", "/subscriptions/x/y", "contosolegacyacr")
    assert not entry.matches("ACR0011", "/subscriptions/x/y", "contosolegacyacr"), "a code, not a prefix"


@pytest.mark.parametrize("pattern", ["", "  "])
@pytest.mark.parametrize("option", ["--select", "--ignore"])
def test_an_empty_select_or_ignore_is_refused_not_an_empty_audit(option: str, pattern: str) -> None:
    code, out, err = run_cli("subscription", "--replay", str(SAMPLE_TENANT), option, pattern)
    line = assert_one_clear_line(code, err)
    assert option in line and "empty check code" in line
    assert not out


def test_a_selection_that_leaves_no_check_is_refused() -> None:
    code, out, err = run_cli("subscription", "--replay", str(SAMPLE_TENANT), "--select", "ACR", "--ignore", "AC")
    line = assert_one_clear_line(code, err)
    assert "leave no check to run" in line and not out
