"""The sample tenant is generated: the committed JSON is exactly what tools/make_sample_tenant.py
writes, so a change to the generator cannot be forgotten in the fixtures (or the reverse)."""

from __future__ import annotations

from pathlib import Path

from tools import make_sample_tenant

COMMITTED = Path(__file__).resolve().parents[1] / "fixtures" / "tenants" / "contoso"


def _files(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def test_the_sample_tenant_is_what_its_generator_writes(tmp_path: Path) -> None:
    make_sample_tenant.main(tmp_path)
    generated, committed = _files(tmp_path), _files(COMMITTED)
    assert sorted(generated) == sorted(committed), "regenerate: .venv/bin/python tools/make_sample_tenant.py"
    stale = [name for name in generated if generated[name] != committed[name]]
    assert not stale, f"regenerate: .venv/bin/python tools/make_sample_tenant.py (differs: {', '.join(stale)})"
