"""Command line: ``lambdasim validate | run | schema | pricing | sweep | report | import | …``.

One module per command group, each registering its commands on the app of
:mod:`lambdasim.cli._app`: :mod:`~lambdasim.cli.run` (validate, run, schema, pricing show),
:mod:`~lambdasim.cli.sweep` (sweep, report) and :mod:`~lambdasim.cli.imports` (import
cloudwatch, azure2019) and :mod:`~lambdasim.cli.validation` (validation). Importing this
package imports them all, in the order ``--help`` lists them; :func:`main` is the
console-script entry point (``lambdasim.cli:main``).
"""

from __future__ import annotations

import sys

from lambdasim.cli import imports as imports
from lambdasim.cli import run as run
from lambdasim.cli import sweep as sweep
from lambdasim.cli import validation as validation
from lambdasim.cli._app import app

__all__ = ["app", "main"]


def main() -> None:
    """Run the ``lambdasim`` command (console-script entry point); exit 130 on Ctrl-C."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
