"""The base of every error a user can cause: one clear line (or one line per problem), no traceback.

The CLI catches :class:`LambdasimError`, prints its message and exits with code 2; the Python API
raises the same exception with the same message. :class:`lambdasim.ConfigError` (a scenario that
cannot be simulated), trace errors and pricing-table errors are subclasses.
"""

from __future__ import annotations

__all__ = ["LambdasimError"]


class LambdasimError(Exception):
    """A user mistake: bad input, a file that cannot be read or written, a foreign result set."""
