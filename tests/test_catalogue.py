"""Meta-tests over the catalogue: every check is well-formed, documented and exercised."""

from __future__ import annotations

import re

import pytest

from azaudit import catalogue
from azaudit.audit import Audit
from azaudit.catalogue import CatalogueError, check
from azaudit.inventory.coverage import Dataset
from azaudit.model import Severity, Status
from tests.conftest import names

CHECKS = catalogue.load()
RECOMMENDATIONS = {
    "private-registry",
    "scan-images",
    "protect-credentials",
    "vuln-to-running",
    "approved-images",
    "approved-registries",
    "image-integrity",
    "least-privilege-runtime",
    "resource-limits",
    "network-segmentation",
    "monitor-activity",
    "log-admin-access",
    "defender",
}
MCSB = re.compile(r"^(NS|IM|PA|DP|AM|LT|IR|PV|ES|BR|DS|GS)-\d{1,2}$")
PREFIX_TYPES = {
    "ACR": {"Microsoft.ContainerRegistry/registries"},
    "ACI": {"Microsoft.ContainerInstance/containerGroups"},
    "KV": {"Microsoft.KeyVault/vaults"},
    "LOG": {"Microsoft.ContainerRegistry/registries", "Microsoft.KeyVault/vaults", "Microsoft.Resources/subscriptions"},
    "RBAC": {
        "Microsoft.Authorization/roleAssignments",
        "Microsoft.Authorization/roleDefinitions",
        "Microsoft.Resources/subscriptions",
    },
    "DEF": {"Microsoft.Resources/subscriptions"},
    "IMG": {"Microsoft.ContainerInstance/containerGroups"},
}


def test_catalogue_is_not_empty() -> None:
    assert len(CHECKS) >= 6


@pytest.mark.parametrize("code", sorted(CHECKS))
def test_check_metadata_is_well_formed(code: str) -> None:
    meta = CHECKS[code].meta
    prefix = re.match(r"^[A-Z]+", code)
    assert prefix is not None
    assert meta.resource_type in PREFIX_TYPES[prefix.group(0)]
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", meta.name), "names are kebab-case"
    assert not re.match(r"(?i)^(ensure|check|verify)\b", meta.title)
    assert isinstance(meta.severity, Severity)
    assert meta.requires, "a check must say which datasets it reads (coverage depends on it)"
    assert all(isinstance(d, Dataset) for d in meta.requires)
    assert meta.recommendations and set(meta.recommendations) <= RECOMMENDATIONS
    assert all(MCSB.match(m) for m in meta.mcsb)


@pytest.mark.parametrize("code", sorted(CHECKS))
def test_check_is_documented(code: str) -> None:
    docs = CHECKS[code].meta.docs
    assert len(docs.what) > 40 and len(docs.why) > 40
    assert "```bash" in docs.fix and "az " in docs.fix, "How to fix shows an az command"
    assert docs.references
    for ref in docs.references:
        assert ref.startswith("https://"), ref
        assert not re.search(r"/[a-z]{2}-[a-z]{2}/", ref), f"locale in {ref}"


def test_names_are_unique_within_a_service() -> None:
    all_names = [(c.meta.service, c.meta.name) for c in CHECKS.values()]
    assert len(all_names) == len(set(all_names))


@pytest.mark.parametrize("code", sorted(CHECKS))
def test_every_check_fails_and_passes_in_the_sample_tenant(code: str, sample_audit: Audit) -> None:
    findings = sample_audit.report.findings
    assert names(findings, code, Status.FAIL), f"{code} has no FAIL case in the sample tenant"
    assert names(findings, code, Status.PASS), f"{code} has no PASS case in the sample tenant"


def _documented(ctx: object) -> None:
    """
    ## What it checks
    x

    ## Why it matters
    x

    ## How to fix
    x

    ## References
    - https://learn.microsoft.com/azure
    """


@pytest.mark.parametrize(
    ("code", "name", "expected"),
    [
        ("ACR001", "some-other-name", "duplicate check code ACR001"),
        ("ACR999", "admin-user-enabled", "duplicate check name admin-user-enabled"),
    ],
)
def test_duplicates_are_refused(code: str, name: str, expected: str) -> None:
    register = check(
        code=code,
        name=name,
        title="t",
        severity=Severity.LOW,
        resource_type="Microsoft.ContainerRegistry/registries",
        requires=(Dataset.REGISTRIES,),
        recommendations=("private-registry",),
    )
    with pytest.raises(CatalogueError, match=expected):
        register(_documented)  # type: ignore[arg-type]


def test_docstring_sections_are_required() -> None:
    with pytest.raises(CatalogueError, match="lacks section"):
        catalogue.parse_docs("ACR998", "## What it checks\nx\n")


@pytest.mark.parametrize(
    ("code", "recommendations", "expected"),
    [
        ("XYZ001", (), "codes are a known service prefix and three digits"),
        ("CONTOSO-ACR001", (), "built-in check codes have no organisation prefix"),
        ("ACR997", ("cost-control",), r"unknown recommendation tag\(s\) cost-control"),
    ],
)
def test_malformed_metadata_is_refused(code: str, recommendations: tuple[str, ...], expected: str) -> None:
    with pytest.raises(CatalogueError, match=expected):
        check(
            code=code,
            name="x",
            title="t",
            severity=Severity.LOW,
            resource_type="x",
            requires=(),
            recommendations=recommendations,
        )


def test_selection_by_prefix_and_unknown_pattern() -> None:
    chosen = catalogue.select(CHECKS, include=["ACR", "ACI"], exclude=["ACR001"])
    assert chosen
    assert all(c.meta.code[:3] in ("ACR", "ACI") and c.meta.code != "ACR001" for c in chosen)
    from azaudit.errors import UsageError

    with pytest.raises(UsageError, match="ZZZ"):
        catalogue.select(CHECKS, include=["ZZZ"])


def test_readme_check_table_matches_the_catalogue() -> None:
    from pathlib import Path

    from azaudit.docs import with_check_table

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert with_check_table(readme) == readme, "run `nox -s docs` (python -m azaudit.docs) to regenerate"


def test_check_pages_match_the_catalogue() -> None:
    from pathlib import Path

    from azaudit.docs import check_pages

    folder = Path(__file__).resolve().parents[1] / "docs" / "checks"
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in folder.glob("*.md")}
    assert on_disk == check_pages(), "run `nox -s docs` (python -m azaudit.docs) to regenerate"
    assert len(on_disk) == len(CHECKS) + 1


def test_every_built_in_check_comes_from_azaudit() -> None:
    assert all(c.meta.builtin and c.meta.origin == "azaudit" for c in CHECKS.values())
