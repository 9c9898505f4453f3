"""The base of every error a user can cause: one clear line (or one line per problem), no traceback.

The CLI catches :class:`LambdasimError`, prints its message and exits with code 2; the Python API
raises the same exception with the same message. :class:`lambdasim.ConfigError` (a scenario that
cannot be simulated), trace errors and pricing-table errors are subclasses.
"""

from __future__ import annotations

import sys

__all__ = ["LambdasimError", "interrupted"]

#: Exit code of a run stopped by Ctrl-C (128 + SIGINT, as a shell reports it).
INTERRUPTED_EXIT = 130


class LambdasimError(Exception):
    """A user mistake: bad input, a file that cannot be read or written, a foreign result set."""


def interrupted() -> None:
    """Print the one line of Ctrl-C to stderr (the CLI then exits with :data:`INTERRUPTED_EXIT`)."""
    try:
        print("lambdasim: interrupted (Ctrl-C)", file=sys.stderr)
    except (OSError, KeyboardInterrupt):
        pass  # stderr closed or a second Ctrl-C: the exit code still says it
