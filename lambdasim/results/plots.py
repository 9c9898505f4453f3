"""The slot behind ``res.plot`` and ``sweep.plot``.

Plotting sits above results (it draws them), so results cannot import it. :mod:`lambdasim.plotting`
registers its accessor classes here when it is imported; until then, the stand-ins that
``import lambdasim`` registers import it on the first ``.plot``. The accessors are built on first
use. Neither import pulls in matplotlib: pyplot is loaded inside the plot functions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["accessor", "register"]

_FACTORIES: dict[str, Callable[[Any], Any]] = {}


def register(kind: str, factory: Callable[[Any], Any]) -> None:
    """Register the accessor class for ``kind`` (``"run"`` or ``"sweep"``)."""
    _FACTORIES[kind] = factory


def accessor(kind: str, result: Any) -> Any:
    """The plot accessor of ``result`` (a RunResult or SweepResult)."""
    try:
        factory = _FACTORIES[kind]
    except KeyError:
        raise ImportError(
            f"no plot accessor for {kind} results: import lambdasim.plotting first"
        ) from None
    return factory(result)
