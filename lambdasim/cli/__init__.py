"""Command line: ``lambdasim validate | run | schema | pricing | sweep | report | import | …``.

One module per command group, each registering its commands on the app of
:mod:`lambdasim.cli._app`: :mod:`~lambdasim.cli.run` (validate, run, schema, pricing show),
:mod:`~lambdasim.cli.sweep` (sweep, report) and :mod:`~lambdasim.cli.imports` (import
cloudwatch, azure2019) and :mod:`~lambdasim.cli.validation` (validation). Importing this
package imports them all, in the order ``--help`` lists them; :func:`main` is the
entry point of the console script and ``python -m lambdasim`` (through
:mod:`lambdasim._entry`, which catches a Ctrl-C while this package imports).
"""

from __future__ import annotations

import sys

from lambdasim.cli import imports as imports
from lambdasim.cli import recommend as recommend
from lambdasim.cli import run as run
from lambdasim.cli import sweep as sweep
from lambdasim.cli import validation as validation
from lambdasim.cli._app import app
from lambdasim.errors import INTERRUPTED_EXIT, interrupted

# isort: split
from lambdasim.cli import compare as compare  # registered last: after `validation` in --help

__all__ = ["app", "main"]


def main() -> None:
    """Run the ``lambdasim`` command (console-script entry point); exit 130 on Ctrl-C.

    Ctrl-C prints one line to stderr, no traceback. Every file lambdasim writes is renamed into
    place when complete, so an interrupted ``run -o`` or ``sweep -o`` leaves whole files only
    (``sweep --resume`` finishes a sweep).
    """
    try:
        app()
    except KeyboardInterrupt:
        interrupted()
        sys.exit(INTERRUPTED_EXIT)
    except SystemExit as exc:
        # Typer turns Ctrl-C into a silent exit 130 (the KeyboardInterrupt is in the chain).
        if exc.code == INTERRUPTED_EXIT and _caused_by_ctrl_c(exc):
            interrupted()
        raise


def _caused_by_ctrl_c(exc: BaseException) -> bool:
    """Whether a KeyboardInterrupt is among the causes / contexts of ``exc``."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        if isinstance(e, KeyboardInterrupt):
            return True
        seen.add(id(e))
        e = e.__cause__ or e.__context__
    return False
