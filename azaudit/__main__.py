"""``python -m azaudit`` runs the command-line interface."""

from azaudit.cli import main

main()
