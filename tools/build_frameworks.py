"""Build the framework mappings (azaudit/frameworks/data/*.json) from their sources.

Two steps, both reproducible:

``--extract CHECKOUT``
    Read the Azure Policy initiatives named in ``INITIATIVES`` from a local git checkout of
    https://github.com/Azure/azure-policy and save, under ``tools/framework_sources/azure-policy/``,
    what the mapping needs from each: its display name and version, the control groups it
    declares, and which built-in definition (GUID) it puts in which groups. Each extract records
    the checkout's commit and the file's URL at that commit.

(no option)
    Write one data file per framework from those extracts, the hand-kept titles and notes in
    ``tools/framework_sources/controls.json`` and the checks' own ``mcsb=`` and ``policies=``
    metadata. A check maps to a control when Azure Policy puts one of the check's built-in
    definitions in that control's group; for MCSB, also when the check names the control itself.

``--check`` writes nothing and exits 1 when a data file is not what the sources give (the test
suite runs it, so the data never drifts from the checks).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "tools" / "framework_sources"
EXTRACTS = SOURCES / "azure-policy"
DATA = ROOT / "azaudit" / "frameworks" / "data"
REPOSITORY = "https://github.com/Azure/azure-policy"
SETS = "built-in-policies/policySetDefinitions"

# framework id -> (initiative file in Azure/azure-policy, the group-name prefix it uses)
INITIATIVES: dict[str, tuple[str, str]] = {
    "mcsb-v1": ("Security Center/AzureSecurityCenter.json", "Azure_Security_Benchmark_v3.0_"),
    "cis-azure-3.0.0": ("Regulatory Compliance/CIS_Azure_Foundations_v3.0.0.json", "CIS_Azure_Foundations_v3.0.0_"),
    "nist-800-53-r5": ("Regulatory Compliance/NIST_SP_800-53_R5.json", "NIST_SP_800-53_R5_"),
    "iso-27001-2022": ("Regulatory Compliance/ISO_IEC_27001_2022.json", "ISO_IEC_27001_2022_"),
    "pci-dss-4.0.1": ("Regulatory Compliance/PCI_DSS_v4.0.1.json", "PCI_DSS_v4.0.1_"),
    "soc-2": ("Regulatory Compliance/SOC_2.json", "SOC_2_"),
}


def extract(checkout: Path) -> None:
    """Save the parts of each initiative the mapping reads, with the commit they came from."""

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(checkout), *args], check=True, capture_output=True, text=True).stdout  # noqa: S603, S607

    commit = git("rev-parse", "HEAD").strip()
    EXTRACTS.mkdir(parents=True, exist_ok=True)
    for framework, (path, prefix) in INITIATIVES.items():
        document = json.loads(git("show", f"HEAD:{SETS}/{path}"))
        properties = document.get("properties", document)
        definitions: dict[str, list[str]] = {}
        for entry in properties["policyDefinitions"]:
            guid = entry["policyDefinitionId"].rsplit("/", 1)[1].lower()
            groups = sorted({_strip(name, prefix) for name in entry.get("groupNames", [])})
            definitions[guid] = sorted(set(definitions.get(guid, [])) | set(groups))
        extract_document = {
            "source": f"{REPOSITORY}/blob/{commit}/{SETS}/{path}".replace(" ", "%20"),
            "commit": commit,
            "path": f"{SETS}/{path}",
            "display_name": properties["displayName"],
            "initiative_version": properties.get("metadata", {}).get("version", ""),
            "groups": [_strip(group["name"], prefix) for group in properties.get("policyDefinitionGroups", [])],
            "definitions": dict(sorted(definitions.items())),
        }
        target = EXTRACTS / f"{framework}.json"
        target.write_text(json.dumps(extract_document, indent=1, sort_keys=False) + "\n", encoding="utf-8")
        print(f"wrote {target.relative_to(ROOT)}")


def _strip(name: str, prefix: str) -> str:
    if not name.startswith(prefix):
        raise SystemExit(f"group {name!r} does not start with {prefix!r}")
    return name[len(prefix) :]


def builtin_checks() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Every built-in check's code -> (its MCSB ids, its Azure Policy definition GUIDs)."""
    sys.path[:0] = [str(ROOT), str(ROOT / "checks")]
    from azaudit import catalogue

    return {code: (chk.meta.mcsb, chk.meta.policies) for code, chk in catalogue.load().items() if chk.meta.builtin}


def build() -> dict[str, str]:
    """Every framework's data file name -> its text."""
    notes = json.loads((SOURCES / "controls.json").read_text(encoding="utf-8"))
    checks = builtin_checks()
    out: dict[str, str] = {}
    for framework in INITIATIVES:
        initiative = json.loads((EXTRACTS / f"{framework}.json").read_text(encoding="utf-8"))
        kept = notes[framework]
        groups: list[str] = initiative["groups"]
        # a group another group extends ("3.1" before "3.1.4") is a section, not a control
        sections = {g for g in groups if any(other.startswith(g + ".") for other in groups)}
        controls: dict[str, set[str]] = {g: set() for g in groups if g not in sections}
        for extra in kept.get("controls", {}):
            controls.setdefault(extra, set())
        mapped: dict[str, set[str]] = {}
        for code, (mcsb, policies) in checks.items():
            found: set[str] = set()
            for guid in policies:
                found |= set(initiative["definitions"].get(guid, ()))
            if framework == "mcsb-v1":
                found |= set(mcsb)
            found |= set(kept.get("also", {}).get(code, {}).get("controls", ()))
            found -= sections
            for control in found:
                if control not in controls:
                    raise SystemExit(f"{framework}: {code} maps to {control}, which the initiative does not declare")
                controls[control].add(code)
            mapped[code] = found
        unmapped_reasons: dict[str, str] = kept.get("unmapped", {})
        unmapped = {}
        for code, found in mapped.items():
            if found:
                continue
            reason = unmapped_reasons.get(code) or unmapped_reasons.get(code.rstrip("0123456789"))
            if not reason:
                reason = kept["unmapped_default"]
            unmapped[code] = reason
        titles: dict[str, dict[str, str]] = kept.get("controls", {})
        domains: dict[str, str] = kept.get("domains", {})
        document = {
            "id": framework,
            "title": kept["title"],
            "version": kept["version"],
            "note": kept.get("note", ""),
            "source": {
                "initiative": initiative["display_name"],
                "initiative_version": initiative["initiative_version"],
                "url": initiative["source"],
                "commit": initiative["commit"],
                "titles": kept["titles_source"],
            },
            "derivation": kept["derivation"],
            "controls": {
                control: {
                    "title": titles.get(control, {}).get("title", ""),
                    "domain": domains.get(_domain_key(framework, control), ""),
                    "checks": sorted(codes, key=list(checks).index),
                    **(
                        {"notes": {c: kept["also"][c]["reason"] for c in sorted(codes) if c in kept.get("also", {})}}
                        if any(c in kept.get("also", {}) for c in codes)
                        else {}
                    ),
                }
                for control, codes in sorted(controls.items(), key=lambda item: _order(item[0]))
            },
            "unmapped": unmapped,
        }
        out[f"{framework}.json"] = _dump(document)
    return out


def _dump(document: dict[str, object]) -> str:
    """Indented JSON with one line per control and per unmapped check, so a diff shows what moved."""
    head = {key: value for key, value in document.items() if key not in ("controls", "unmapped")}
    lines = json.dumps(head, indent=2, ensure_ascii=False).rstrip("}\n").rstrip() + ","
    parts = [lines]
    for key in ("controls", "unmapped"):
        body = document[key]
        assert isinstance(body, dict)
        entries = [f"    {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in body.items()]
        parts.append(f'  "{key}": {{' + ("\n" + ",\n".join(entries) + "\n  }" if entries else "}"))
    return parts[0] + "\n" + ",\n".join(parts[1:]) + "\n}\n"


def _domain_key(framework: str, control: str) -> str:
    """The key of a control's domain: its family letters (NS, AC, CC6) or its first number (3, 9)."""
    if framework in ("mcsb-v1", "nist-800-53-r5"):
        return control.split("-", 1)[0]
    if framework == "soc-2":
        return control.split(".", 1)[0]
    return control.split(".", 1)[0]


def _order(control: str) -> tuple[object, ...]:
    """Natural order: NS-2 before NS-10, 3.1.4.1 before 3.3.1, AC-2 before AC-2(12)."""
    import re

    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", control) if part)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extract", type=Path, metavar="CHECKOUT", help="a git checkout of Azure/azure-policy")
    parser.add_argument("--check", action="store_true", help="exit 1 if the data files are out of date")
    args = parser.parse_args()
    if args.extract:
        extract(args.extract)
        return 0
    built = build()
    stale = [
        name
        for name, text in built.items()
        if not (DATA / name).is_file() or (DATA / name).read_text(encoding="utf-8") != text
    ]
    if args.check:
        for name in stale:
            print(f"azaudit/frameworks/data/{name} is out of date: run python tools/build_frameworks.py")
        return 1 if stale else 0
    DATA.mkdir(parents=True, exist_ok=True)
    for name in stale:
        (DATA / name).write_text(built[name], encoding="utf-8")
        print(f"wrote azaudit/frameworks/data/{name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
