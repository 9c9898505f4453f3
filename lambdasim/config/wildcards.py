"""The configuration's side of ``target: "*"`` (every function of a trace, at load time).

Expanding a wildcard workload means reading the trace, which is :mod:`lambdasim.workload`'s
job; and workload imports config. So that config never imports workload (no import cycle, not
even a lazy one), config only holds a slot for the expander and :mod:`lambdasim.workload`
fills it when it is imported. ``import lambdasim`` fills it first with a stand-in that imports
:mod:`lambdasim.workload` at the first ``"*"`` target (which then installs its own expander),
and ``import lambdasim.config`` imports :mod:`lambdasim` first, so the slot is always filled
for users; code that empties it gets a :class:`~lambdasim.config.errors.ConfigError` for a
``"*"`` target (and nothing changes for any other scenario).

``import lambdasim`` imports this module, so it imports nothing but the standard library at
import time (no pydantic, no PyYAML: :mod:`.errors` is imported only to report a ``"*"`` target
nobody can expand), and the lazy :mod:`lambdasim.config` package imports none of its models
for it (issue 16).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

__all__ = ["WildcardExpander", "expand", "register_expander"]


class WildcardExpander(Protocol):
    """Replaces ``target: "*"`` workloads of raw scenario data by one workload per function.

    Returns ``data`` itself when there is no wildcard; raises
    :class:`~lambdasim.config.errors.ConfigError` when a trace cannot be expanded.
    """

    def __call__(
        self, data: Mapping[str, Any], *, base_dir: Path | None, source: str | None
    ) -> Mapping[str, Any]: ...


_expander: WildcardExpander | None = None


def register_expander(fn: WildcardExpander | None) -> None:
    """Install the expander :meth:`Scenario.from_dict <lambdasim.config.Scenario.from_dict>`
    calls (:mod:`lambdasim.workload` installs its own at import); None removes it."""
    global _expander
    _expander = fn


def expand(
    data: Mapping[str, Any], *, base_dir: Path | None, source: str | None
) -> Mapping[str, Any]:
    """``data`` with its wildcard workloads expanded by the registered expander.

    Parameters
    ----------
    data : mapping
        A scenario as read from YAML, not yet validated.
    base_dir : Path or None
        Directory relative trace paths are resolved against (None: the working directory).
    source : str or None
        The file name, for error messages.

    Raises
    ------
    ConfigError
        A ``"*"`` target with no expander registered, or the expander's own errors.
    """
    if _expander is not None:
        return _expander(data, base_dir=base_dir, source=source)
    workloads = data.get("workloads")
    if not isinstance(workloads, list):
        return data
    # imported here: this module is imported by ``import lambdasim``, errors imports pydantic
    from lambdasim.config.errors import ConfigError, ConfigIssue

    issues = [
        ConfigIssue(
            f"workloads.{i}.target",
            "'*' (every function of a trace) needs lambdasim.workload to read the trace; "
            "import lambdasim before building the scenario",
            "*",
        )
        for i, w in enumerate(workloads)
        if isinstance(w, Mapping) and w.get("target") == "*"
    ]
    if issues:
        raise ConfigError(issues, source=source)
    return data
