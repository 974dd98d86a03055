"""The command line: parse options, hand them to the module that owns the work, print what comes back.

``azaudit.cli:main`` is the console script; ``app`` is the Typer application (tests invoke it).
"""

from azaudit.cli.app import app, main

__all__ = ["app", "main"]
