"""The answer of ``recommend``: the chosen settings, the evidence table and the explanation."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import yaml

from lambdasim.config import Scenario
from lambdasim.recommendation.evaluate import Point
from lambdasim.recommendation.knobs import Knob
from lambdasim.recommendation.prune import Pruning
from lambdasim.recommendation.search import Outcome
from lambdasim.recommendation.slos import Objective, Slo
from lambdasim.recommendation.stats import SloStat, paired

__all__ = ["Patch", "Recommendation", "build"]

#: What ``status`` means, in one line each.
STATUS_TEXT = {
    "proven": "proven: every SLO met by its confidence interval; the search converged",
    "budget": "run budget spent before the search converged: the best point proven so far",
    "unproven": "run budget spent before any point was proven to meet every SLO",
    "infeasible": "no point meets the SLOs",
    "invalid": "no combination of the knob values is a valid configuration",
}


def _plain(v: Any) -> Any:
    """A JSON-ready value: NumPy scalars unwrapped, NaN and infinities as None."""
    if isinstance(v, Mapping):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    if hasattr(v, "item") and not isinstance(v, str | bytes):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None  # JSON has no NaN
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    return v


class Patch(dict[str, Any]):
    """The dotted changes of the recommendation: ``sc.replace(patch)``, ``--set PATH=VALUE``.

    ``str(patch)`` is YAML to merge into the config (nested: ``functions: {api: {...}}``);
    :meth:`dotted` is the flat form.
    """

    def nested(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for path, value in self.items():
            node = out
            parts = path.split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = value
        return out

    def dotted(self) -> str:
        """``PATH: VALUE`` lines."""
        return yaml.safe_dump(dict(self), sort_keys=False, default_flow_style=False)

    def __str__(self) -> str:
        return yaml.safe_dump(self.nested(), sort_keys=False, default_flow_style=False)


@dataclass(frozen=True)
class Recommendation:
    """The cheapest configuration that meets the SLOs, with its evidence.

    Attributes
    ----------
    status : str
        ``proven`` (converged, every SLO met by its interval), ``budget`` (the run budget ran
        out: the best point proven so far), ``unproven`` (no point proven before the budget ran
        out), ``infeasible`` (no point meets the SLOs; see ``closest``) or ``invalid``.
    config : Scenario or None
        The scenario with the chosen values (None without a choice).
    patch : Patch
        The chosen knob values, ``{path: value}``; ``print(rec.patch)`` shows YAML.
    table : pandas.DataFrame
        Every evaluated point: knob values, ``status``, ``n`` (replications), the objective's
        mean and ``_ci`` half-width, per SLO the worst function's mean, ``_ci`` and verdict,
        ``origin`` (screen / poll) and ``chosen``.
    frontier : pandas.DataFrame
        The rows of ``table`` not dominated in (objective, every SLO metric).
    why : str
        Plain text: the choice, which SLO binds, the runner-up and the cost difference, what
        theory pruned and how many runs the search used.
    closest : dict or None
        Without a feasible point: the point nearest to meeting the SLOs, and what it misses.
    runs, budget_runs : int
        Runs used and allowed.
    pruned : list of str
        What the closed forms removed before any run.
    """

    status: str
    config: Scenario | None
    patch: Patch
    table: pd.DataFrame
    frontier: pd.DataFrame
    why: str
    objective: str
    slos: tuple[str, ...]
    confidence: float
    runs: int
    budget_runs: int
    seed: int
    closest: dict[str, Any] | None = None
    pruned: list[str] = field(default_factory=list)
    knobs: dict[str, int] = field(default_factory=dict)
    _bounds: tuple[Slo, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether a proven point was returned (``proven`` or ``budget``)."""
        return self.status in ("proven", "budget")

    def plot(self, ax: Any = None) -> Any:
        """Objective against the binding SLO metric: means with CIs, the feasible side shaded,
        the choice marked. Returns the matplotlib Axes."""
        from lambdasim.recommendation.plot import tradeoff

        return tradeoff(self.table, self.objective, list(self._bounds), ax=ax)

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document."""
        rows = self.table.to_dict("records")
        doc = {
            "status": self.status,
            "status_text": STATUS_TEXT.get(self.status, ""),
            "patch": {k: _plain(v) for k, v in self.patch.items()},
            "objective": self.objective,
            "slos": list(self.slos),
            "confidence": self.confidence,
            "runs": self.runs,
            "budget_runs": self.budget_runs,
            "seed": self.seed,
            "why": self.why,
            "closest": self.closest,
            "pruned": self.pruned,
            "knob_values": self.knobs,
            "points": rows,
        }
        out: dict[str, Any] = _plain(doc)
        return out

    def __repr__(self) -> str:
        return (
            f"Recommendation(status={self.status!r}, patch={dict(self.patch)!r}, "
            f"runs={self.runs}/{self.budget_runs})"
        )


# --------------------------------------------------------------------------------- building


def _fmt(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if math.isinf(x):
        return "∞"
    return f"{x:.4g}"


def _pm(mean: float, hw: float) -> str:
    return f"{_fmt(mean)} ± {_fmt(hw)}"


def _values(knobs: Sequence[Knob], p: Point) -> str:
    return ", ".join(
        f"{k.field if [x.field for x in knobs].count(k.field) == 1 else k.path}="
        f"{'null' if v is None else v}"
        for k, v in zip(knobs, p, strict=True)
    )


def _table(
    knobs: Sequence[Knob], out: Outcome, obj: Objective, slo_list: Sequence[Slo]
) -> pd.DataFrame:
    rows = []
    for i, p in enumerate(out.order):
        s = out.stats[p]
        row: dict[str, Any] = {"point": i}
        row.update({k.path: v for k, v in zip(knobs, p, strict=True)})
        row["status"] = s.status
        row["n"] = s.n
        row[obj.name] = s.objective
        row[f"{obj.name}_ci"] = s.objective_hw
        for st in s.slos:
            row[st.slo.name] = st.mean
            row[f"{st.slo.name}_ci"] = st.hw
            row[f"{st.slo.name}_verdict"] = st.state
        row["origin"] = out.origin.get(p, "")
        row["chosen"] = p == out.chosen
        row["error"] = s.error
        rows.append(row)
    return pd.DataFrame(rows)


def _frontier(table: pd.DataFrame, obj: Objective, slo_list: Sequence[Slo]) -> pd.DataFrame:
    ok = table[table["status"] != "error"] if not table.empty else table
    cols: list[tuple[str, float]] = [(obj.name, 1.0)]
    for s in slo_list:
        cols.append((s.name, 1.0 if s.hi is not None else -1.0))
    keep = []
    vals = [[sign * float(r[c]) for c, sign in cols] for _, r in ok.iterrows()]
    for i, a in enumerate(vals):
        if any(math.isnan(x) for x in a):
            continue
        dominated = any(
            all(y <= x for x, y in zip(a, b, strict=True))
            and any(y < x for x, y in zip(a, b, strict=True))
            for j, b in enumerate(vals)
            if j != i and not any(math.isnan(y) for y in b)
        )
        if not dominated:
            keep.append(ok.index[i])
    return ok.loc[keep].sort_values(obj.name, kind="stable").reset_index(drop=True)


def _slo_line(st: SloStat, unit_hint: bool = True) -> str:
    s = st.slo
    where = f" ({st.function})" if st.function and s.function is None else ""
    return f"{s.text()}: {_pm(st.mean, st.hw)}{where} — {st.state}"


def _why(
    knobs: Sequence[Knob],
    out: Outcome,
    obj: Objective,
    slo_list: Sequence[Slo],
    confidence: float,
    pruned: Sequence[Pruning],
    notes: Sequence[str],
    budget: int,
) -> tuple[str, dict[str, Any] | None]:
    lines: list[str] = []
    closest: dict[str, Any] | None = None
    c = out.chosen
    if c is not None:
        s = out.stats[c]
        lines.append(
            f"Chosen: {_values(knobs, c)}: {obj.name} {_pm(s.objective, s.objective_hw)} "
            f"over {s.n} replications ({confidence:.0%} CI)."
        )
        b = s.binding()
        if b is not None:
            lines.append(f"Binding SLO: {_slo_line(b)}; slack {b.slack():+.1%} of the bound.")
            for st in s.slos:
                if st is not b:
                    lines.append(f"Also met: {_slo_line(st)}.")
        others = [p for p in out.order if p != c and out.stats[p].status == "feasible"]
        if others:
            r = min(others, key=lambda p: out.stats[p].objective)
            rs = out.stats[r]
            d, hw, n = paired(rs, s, confidence)
            rel = d / s.objective if s.objective else math.nan
            lines.append(
                f"Runner-up (also proven): {_values(knobs, r)}: {obj.name} {_fmt(rs.objective)}, "
                f"{_pm(d, hw)} ({rel:+.2%}) more than the choice (paired over {n} common "
                "replications)."
            )
        cheaper = [
            p
            for p in out.order
            if out.stats[p].objective < s.objective and out.stats[p].status != "feasible"
        ]
        if cheaper:
            r = min(cheaper, key=lambda p: (out.stats[p].violation(), -out.stats[p].objective))
            rs = out.stats[r]
            miss = rs.missed() or [x for x in rs.slos if x.state != "met"]
            why_not = "; ".join(_slo_line(x) for x in miss) or rs.status
            tag = " (unresolved at the last block)" if r in out.unresolved else ""
            lines.append(
                f"Nearest cheaper point: {_values(knobs, r)}: {obj.name} "
                f"{_fmt(rs.objective)}{tag}; {why_not}."
            )
    else:
        text = STATUS_TEXT.get(out.status, out.status)
        lines.append(text[:1].upper() + text[1:] + ".")
        if out.closest is not None:
            cs = out.stats[out.closest]
            miss = [x for x in cs.slos if x.state != "met"]
            lines.append(
                f"Closest point: {_values(knobs, out.closest)} ({cs.n} replications): "
                + ("; ".join(_slo_line(x) for x in miss) or "no SLO decided")
                + "."
            )
            closest = {
                "point": {k.path: _plain(v) for k, v in zip(knobs, out.closest, strict=True)},
                "violated": [
                    {
                        "slo": x.slo.text(),
                        "function": x.function,
                        "mean": x.mean,
                        "ci": x.hw,
                        "verdict": x.state,
                    }
                    for x in miss
                ],
            }
    for p in pruned:
        lines.append(f"Pruned by theory: {p.text()}.")
    for note in notes:
        lines.append(f"Theory: {note}.")
    steps = ", ".join(f"{k.field} {h}" for k, h in zip(knobs, out.steps, strict=True))
    lines.append(
        f"Search: {len(out.order)} point(s) simulated, {out.runs} runs of {budget} "
        f"in {out.rounds} round(s); final steps {steps}; "
        + STATUS_TEXT.get(out.status, out.status)
        + "."
    )
    if out.invalid:
        example = next(iter(out.invalid.values()))
        lines.append(f"Skipped {len(out.invalid)} invalid combination(s), e.g. {example}.")
    return "\n".join(lines), closest


def build(
    base: Scenario,
    knobs: Sequence[Knob],
    all_knobs: Mapping[str, int],
    out: Outcome,
    obj: Objective,
    slo_list: Sequence[Slo],
    *,
    confidence: float,
    budget: int,
    seed: int,
    pruned: Sequence[Pruning],
    notes: Sequence[str],
    scenario_of: Any,
) -> Recommendation:
    """Assemble the :class:`Recommendation` from the search's outcome."""
    table = _table(knobs, out, obj, slo_list)
    patch = Patch()
    config = None
    if out.chosen is not None:
        patch = Patch({k.path: _plain(v) for k, v in zip(knobs, out.chosen, strict=True)})
        sc = scenario_of(out.chosen)
        config = sc if isinstance(sc, Scenario) else None
    why, closest = _why(knobs, out, obj, slo_list, confidence, pruned, notes, budget)
    return Recommendation(
        status=out.status,
        config=config,
        patch=patch,
        table=table,
        frontier=_frontier(table, obj, slo_list),
        why=why,
        objective=obj.name,
        slos=tuple(s.text() for s in slo_list),
        confidence=confidence,
        runs=out.runs,
        budget_runs=budget,
        seed=seed,
        closest=closest,
        pruned=[p.text() for p in pruned],
        knobs=dict(all_knobs),
        _bounds=tuple(slo_list),
    )
