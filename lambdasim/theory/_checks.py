"""Argument checks shared by the closed forms: they reject what the formulas are undefined for."""

from __future__ import annotations

import math
import operator

import numpy as np

__all__ = ["check_count", "check_nonnegative", "check_positive"]


def check_nonnegative(name: str, value: float) -> float:
    """Return ``value`` as a float, raising ``ValueError`` unless it is finite and >= 0."""
    try:
        x = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a real number, got {value!r}") from exc
    if not math.isfinite(x) or x < 0.0:
        raise ValueError(f"{name} must be finite and >= 0, got {value!r}")
    return x


def check_positive(name: str, value: float) -> float:
    """Return ``value`` as a float, raising ``ValueError`` unless it is finite and > 0."""
    x = check_nonnegative(name, value)
    if x == 0.0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return x


def check_count(name: str, value: int, minimum: int) -> int:
    """Return ``value`` as an int, raising ``ValueError`` unless it is an integer >= minimum.

    Booleans and floats (even integral ones) are rejected; NumPy integers are accepted.
    """
    if isinstance(value, bool | np.bool_):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    try:
        n = operator.index(value)
    except TypeError as exc:
        raise ValueError(f"{name} must be an integer, got {value!r}") from exc
    if n < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return n
