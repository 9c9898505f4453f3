"""The ``lambdasim`` console script and ``python -m lambdasim``: Ctrl-C while the CLI imports.

:func:`lambdasim.cli.main` turns Ctrl-C into one line and exit code 130, but importing the
command modules (typer, rich, pydantic and the models: most of a second) happens before it
runs, and a Ctrl-C then printed a traceback. This module imports the CLI under the same rule.
Only ``import lambdasim`` itself (~20 ms: the package that holds this module) and the
interpreter's own start-up remain outside it.
"""

from __future__ import annotations

import sys

from lambdasim.errors import INTERRUPTED_EXIT, interrupted

__all__ = ["main"]


def main() -> None:
    """Import and run the ``lambdasim`` command; exit 130 with one line on Ctrl-C."""
    try:
        from lambdasim.cli import main as cli_main
    except KeyboardInterrupt:
        interrupted()
        sys.exit(INTERRUPTED_EXIT)
    cli_main()
