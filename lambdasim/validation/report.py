"""Rows of the validation report and their Markdown table."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from lambdasim._version import __version__

__all__ = ["Row", "headline", "to_markdown"]


@dataclass(frozen=True)
class Row:
    """One statistic of one data set: measured (or theory) against simulated.

    Attributes
    ----------
    dataset : str
        The data set and the part of it (a run, a probe gap, a closed-form case).
    metric : str
        What is compared, with its unit.
    measured : float
        The measured value (or the closed form's, for theory rows).
    simulated : float
        What lambdasim gives for the same inputs.
    se : float or None
        Standard error of ``simulated`` (Monte-Carlo), when known.
    simfaas : float or None
        SimFaaS's published value for the same case, when there is one.
    pacsltk : float or None
        The analytical Mahmoudi–Khazaei model (pacsltk), where it applies.
    parameters : str
        Which model parameters came from which measurement.
    """

    dataset: str
    metric: str
    measured: float
    simulated: float
    se: float | None = None
    simfaas: float | None = None
    pacsltk: float | None = None
    parameters: str = ""

    @property
    def error(self) -> float:
        """simulated − measured (in the metric's unit)."""
        return self.simulated - self.measured

    @property
    def relative_error(self) -> float:
        """(simulated − measured) / measured; NaN when the measured value is 0."""
        return self.error / self.measured if self.measured != 0 else math.nan


def _fmt(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if x == 0:
        return "0"
    a = abs(x)
    if a >= 1000:
        return f"{x:,.0f}"
    if a >= 1:
        return f"{x:.3f}"
    return f"{x:.4g}"


def _err(r: Row) -> str:
    rel = r.relative_error
    absolute = _fmt(r.error)
    return absolute if math.isnan(rel) else f"{absolute} ({rel:+.1%})"


def _informative(r: Row) -> bool:
    # a proportion measured as exactly 0 or 1 has no relative error worth a median: leave it out
    return r.measured != 0 and not (r.metric.startswith("P(") and r.measured == 1.0)


def _median_abs_rel(pairs: list[tuple[float, float]]) -> float | None:
    errs = sorted(abs(v / m - 1.0) for m, v in pairs)
    if not errs:
        return None
    k = len(errs)
    return errs[k // 2] if k % 2 else 0.5 * (errs[k // 2 - 1] + errs[k // 2])


def headline(
    rows: Sequence[Row],
) -> list[tuple[str, int, float | None, float | None, float | None]]:
    """Per data-set family: rows, and the median |relative error| of lambdasim, SimFaaS and
    pacsltk against the measured value (over the rows where each has a value; rows whose
    measured value is 0, or a proportion of exactly 1, are left out)."""
    out = []
    groups: dict[str, list[Row]] = {}
    for r in rows:
        groups.setdefault(r.dataset.split(":")[0], []).append(r)
    for name, rows_ in groups.items():
        group = [r for r in rows_ if _informative(r)]
        out.append(
            (
                name,
                len(rows_),
                _median_abs_rel([(r.measured, r.simulated) for r in group]),
                _median_abs_rel([(r.measured, r.simfaas) for r in group if r.simfaas is not None]),
                _median_abs_rel([(r.measured, r.pacsltk) for r in group if r.pacsltk is not None]),
            )
        )
    return out


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.1%}"


def to_markdown(rows: Sequence[Row], *, quick: bool, command: str = "") -> str:
    """The report: a short header, then one table per group of rows (data set family)."""
    mode = "quick (shorter runs, fewer probes)" if quick else "full"
    lines = [
        "# lambdasim validation report",
        "",
        f"Written by `{command or 'lambdasim validation'}` with lambdasim {__version__}, "
        f"{mode} mode. Every number is simulated afresh from the data in `tests/data` "
        "(seeds fixed, so the report is reproducible). *error* is simulated − measured "
        "(relative in brackets); *± SE* the Monte-Carlo standard error of the simulated "
        "value; SimFaaS and pacsltk columns are those models' values for the same case where "
        "published (SimFaaS: the README of pacslab/simfaas and validation.md; pacsltk: "
        "`lambdasim.theory.steady_state_cold_start`, which reproduces pacsltk's published "
        "outputs). For the closed-form rows *measured* is the closed form's value.",
        "",
        "## Headline: median |relative error| against the measurement",
        "",
        "| data set | rows | lambdasim | SimFaaS | pacsltk |",
        "|---|---|---|---|---|",
        *(
            f"| {name} | {n} | {_pct(a)} | {_pct(b)} | {_pct(c)} |"
            for name, n, a, b, c in headline(rows)
        ),
        "",
        "Medians leave out rows whose measured value is 0 or a proportion of exactly 1 (no "
        "relative error to speak of); SimFaaS and pacsltk medians are over the rows where they "
        "have a value, so a column compares like with like only within its rows. For the closed "
        "forms the reference *is* the model, so pacsltk has no column there.",
        "",
    ]
    groups: dict[str, list[Row]] = {}
    for r in rows:
        groups.setdefault(r.dataset.split(":")[0], []).append(r)
    for name, group in groups.items():
        lines += [f"## {name}", ""]
        params = sorted({r.parameters for r in group if r.parameters})
        for p in params:
            lines.append(f"*Parameters:* {p}")
        if params:
            lines.append("")
        lines += [
            "| case | metric | measured | simulated | ± SE | error | SimFaaS | pacsltk |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in group:
            case = r.dataset.split(":", 1)[1].strip() if ":" in r.dataset else r.dataset
            lines.append(
                f"| {case} | {r.metric} | {_fmt(r.measured)} | {_fmt(r.simulated)} | "
                f"{_fmt(r.se)} | {_err(r)} | {_fmt(r.simfaas)} | {_fmt(r.pacsltk)} |"
            )
        lines.append("")
    return "\n".join(lines)
