"""Developer sessions: tests, lint, types, package (and bench, not part of CI)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "types"]
nox.options.reuse_existing_virtualenvs = True
nox.options.default_venv_backend = "uv|virtualenv"

DEMO = ["subscription", "--replay", "fixtures/tenants/contoso"]


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite against an editable install."""
    session.install("-e", ".[test]")
    session.run("pytest", *(session.posargs or ["-q"]))


@nox.session(python=["3.11", "3.12", "3.13"])
def interpreters(session: nox.Session) -> None:
    """The test suite on every supported Python found on this machine (missing ones are skipped),
    with the newest dependency versions the bounds allow, as a fresh machine would install them."""
    session.install("--upgrade", "-e", ".[test]")
    session.run("pytest", *(session.posargs or ["-q"]))


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", "azaudit", "checks", "examples", "tests", "tools", "noxfile.py")
    session.run("ruff", "format", "--check", "azaudit", "checks", "examples", "tests", "tools", "noxfile.py")


@nox.session
def types(session: nox.Session) -> None:
    session.install("-e", ".[test]", "mypy", "types-tabulate", "types-requests")
    session.run("mypy")


@nox.session
def docs(session: nox.Session) -> None:
    """Regenerate the README check table and the per-check pages (docs/checks) from the catalogue."""
    session.install("-e", ".")
    session.run("python", "-m", "azaudit.docs")


@nox.session
def bench(session: nox.Session) -> None:
    """The benchmark (not part of CI): 1,000 and 10,000 resources at 50 ms per request, over HTTPS
    against a local fake Azure (``-- --network memory``: answers from memory, no sockets)."""
    session.install("-e", ".[bench]")
    session.run("python", "-m", "bench.run", *session.posargs)


@nox.session
def package(session: nox.Session) -> None:
    """Build the wheel, install it alone in a fresh environment, and run the catalogue and demo."""
    session.install("build")
    dist = Path(tempfile.mkdtemp(prefix="azaudit-dist-"))
    session.run("python", "-m", "build", "--wheel", "--outdir", str(dist))
    wheel = next(dist.glob("azaudit-*.whl"))
    venv = Path(tempfile.mkdtemp(prefix="azaudit-venv-"))
    session.run("python", "-m", "venv", str(venv))
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    session.run(str(bindir / "python"), "-m", "pip", "install", "--quiet", str(wheel), external=True)
    session.run(str(bindir / "azaudit"), "checks", external=True)
    # The demo exits 1 because the sample tenant has failing findings: that is the expected result.
    session.run(str(bindir / "azaudit"), *DEMO, external=True, success_codes=[1])
