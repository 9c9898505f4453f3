"""The base of every error a user can cause: one clear line (or one line per problem), no traceback.

The CLI catches :class:`LambdasimError`, prints its message and exits with code 2; the Python API
raises the same exception with the same message. :class:`lambdasim.ConfigError` (a scenario that
cannot be simulated), trace errors and pricing-table errors are subclasses.
"""

from __future__ import annotations

import sys

__all__ = ["INTERRUPTED_EXIT", "LambdasimError", "interrupted"]

#: Exit code of a run stopped by Ctrl-C (128 + SIGINT, as a shell reports it).
INTERRUPTED_EXIT = 130


class LambdasimError(Exception):
    """A user mistake: bad input, a file that cannot be read or written, a foreign result set."""


def interrupted() -> None:
    """Print the one line of Ctrl-C to stderr (the CLI then exits with :data:`INTERRUPTED_EXIT`).

    Also tells CPython that the KeyboardInterrupt was handled. A Ctrl-C that lands while an
    extension module runs code through ``PyRun_String`` (pyo3 and Cython modules do, as they
    import) sets CPython's private ``_Py_UnhandledKeyboardInterrupt`` flag even when the
    exception is caught further up, and at exit the interpreter then kills itself with SIGINT:
    exit status -2 instead of 130 (seen in about one run in five of a Ctrl-C at start-up).
    """
    try:
        print("lambdasim: interrupted (Ctrl-C)", file=sys.stderr)
    except (OSError, KeyboardInterrupt):
        pass  # stderr closed or a second Ctrl-C: the exit code still says it
    _forget_unhandled_interrupt()


def _forget_unhandled_interrupt() -> None:
    """Clear CPython's unhandled-KeyboardInterrupt flag, where the interpreter exports it."""
    import ctypes  # here: only a Ctrl-C needs it

    try:
        ctypes.c_int.in_dll(ctypes.pythonapi, "_Py_UnhandledKeyboardInterrupt").value = 0
    except (AttributeError, ValueError, OSError):
        pass  # another interpreter, or a build that hides the symbol: the status may be -2
