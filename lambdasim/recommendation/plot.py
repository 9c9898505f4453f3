"""``Recommendation.plot()``: the objective against the binding SLO metric."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from lambdasim.recommendation.slos import Slo

__all__ = ["tradeoff"]

_COLOURS = {"feasible": "tab:green", "infeasible": "tab:red", "unsure": "tab:orange"}


def _binding(table: pd.DataFrame, slos: Sequence[Slo]) -> Slo | None:
    """The SLO with the least relative slack at the chosen point (else the first)."""
    if not slos:
        return None
    chosen = table[table["chosen"]] if "chosen" in table else table.iloc[:0]
    if chosen.empty:
        return slos[0]
    row = chosen.iloc[0]

    def slack(s: Slo) -> float:
        m = float(row[s.name]) + float(row[f"{s.name}_ci"]) * (1 if s.hi is not None else -1)
        if math.isnan(m):
            return math.inf
        b = s.hi if s.hi is not None else s.lo
        assert b is not None
        return (b - m) / max(abs(b), 1e-12) * (1 if s.hi is not None else -1)

    return min(slos, key=slack)


def tradeoff(table: pd.DataFrame, objective: str, slos: Sequence[Slo], *, ax: Any = None) -> Any:
    """Scatter of every evaluated point: x the binding SLO metric (worst function's mean with
    its CI), y the objective (mean with CI); the side of the bound that meets the SLO shaded;
    the chosen point marked with a star. Without SLOs, x is the point number.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(7, 5))
    s = _binding(table, slos)
    t = table[table["status"] != "error"]
    xcol = s.name if s is not None else "point"
    for status, colour in _COLOURS.items():
        rows = t[t["status"] == status]
        if rows.empty:
            continue
        ax.errorbar(
            rows[xcol],
            rows[objective],
            xerr=rows[f"{xcol}_ci"].clip(upper=1e300).fillna(0.0) if s is not None else None,
            yerr=rows[f"{objective}_ci"].clip(upper=1e300).fillna(0.0),
            fmt="o",
            ms=4,
            capsize=2,
            color=colour,
            alpha=0.8,
            label=status,
        )
    if s is not None:
        bound = s.hi if s.hi is not None else s.lo
        ax.axvline(bound, color="0.3", ls="--", lw=1)
        lo, hi = ax.get_xlim()
        if s.hi is not None:
            ax.axvspan(min(lo, bound), bound, color="tab:green", alpha=0.08, label="meets the SLO")
        else:
            ax.axvspan(bound, max(hi, bound), color="tab:green", alpha=0.08, label="meets the SLO")
        ax.set_xlim(lo, hi)
    chosen = t[t["chosen"]]
    if not chosen.empty:
        ax.plot(
            chosen[xcol],
            chosen[objective],
            marker="*",
            ms=16,
            color="gold",
            markeredgecolor="black",
            ls="none",
            label="chosen",
        )
    ax.set_xlabel(s.text() if s is not None else "point")
    ax.set_ylabel(objective)
    ax.set_title("recommend: evaluated points (means with CIs)")
    ax.legend(fontsize=8)
    return ax
