"""Fitting duration distributions: to samples (by AIC) and to reported percentiles.

>>> import lambdasim as ls
>>> fit = ls.fit.duration(samples_s)              # doctest: +SKIP
>>> fit.family, fit.aic, fit.to_config()          # doctest: +SKIP
>>> ls.fit.from_percentiles({"p50": 0.045, "p99": 0.25}).to_config()
{'dist': 'lognormal', 'p50_s': 0.045, 'p99_s': 0.25}

Samples are fitted by maximum likelihood with the location fixed at 0 (``scipy.stats``
``lognorm``, ``gamma`` and ``weibull_min`` with ``floc=0``, stack.md §2.8); the family with the
lowest AIC (2k − 2 ln L, k = 2 for each) wins. Percentiles are fitted by a lognormal:
ln q_p = μ + σ Φ⁻¹(p), exactly for two percentiles and by least squares for more; a mean and one
percentile also determine it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from lambdasim import dists

__all__ = ["FitResult", "duration", "from_percentiles"]

Constant = dists.Constant

FAMILIES = ("lognormal", "gamma", "weibull")


@dataclass(frozen=True)
class FitResult:
    """A fitted duration distribution (seconds).

    Attributes
    ----------
    family : str
        ``lognormal``, ``gamma``, ``weibull`` or ``constant``.
    params : dict
        The family's parameters (``mu``, ``sigma``; ``shape``, ``scale_s``; ``value_s``).
    dist : Distribution
        The fitted distribution, ready to sample.
    n : int
        Number of samples (or of percentiles) fitted.
    aic : dict
        AIC of every candidate family (sample fits only); lower is better.
    residual : float
        RMS error in ln-seconds of the fitted percentiles (percentile fits only).
    """

    family: str
    params: dict[str, float]
    dist: dists.Distribution
    n: int
    aic: dict[str, float] = field(default_factory=dict)
    residual: float = 0.0

    def to_config(self) -> dict[str, Any]:
        """The ``duration`` block of a function config for this fit."""
        p = self.params
        if self.family == "lognormal":
            p50 = math.exp(p["mu"])
            return {
                "dist": "lognormal",
                "p50_s": _round(p50),
                "p99_s": _round(math.exp(p["mu"] + dists.Z99 * p["sigma"])),
            }
        if self.family == "gamma":
            return {"dist": "gamma", "mean_s": _round(p["mean_s"]), "cv": _round(p["cv"])}
        if self.family == "weibull":
            return {"dist": "weibull", "shape": _round(p["shape"]), "scale_s": _round(p["scale_s"])}
        return {"dist": "constant", "value_s": _round(p["value_s"])}

    def summary(self) -> str:
        """One line: family, parameters, mean, and the AICs or the percentile residual."""
        ps = ", ".join(f"{k}={v:.4g}" for k, v in self.params.items())
        extra = (
            "AIC " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(self.aic.items(), key=_second))
            if self.aic
            else f"residual {self.residual:.3g} ln-s"
        )
        return f"{self.family}({ps}), mean {self.dist.mean:.4g} s, n={self.n}; {extra}"

    def __str__(self) -> str:
        return self.summary()


def _second(kv: tuple[str, float]) -> float:
    return kv[1]


def _round(x: float) -> float:
    # configs are read by people: 6 significant digits are far below any measurement noise
    return float(f"{x:.6g}")


def duration(samples: ArrayLike, families: Sequence[str] = FAMILIES) -> FitResult:
    """Fit durations (seconds) by maximum likelihood and choose the family by AIC.

    Parameters
    ----------
    samples : array_like
        Positive durations, seconds (zeros and non-finite values are rejected).
    families : sequence of str
        Candidates among ``lognormal``, ``gamma``, ``weibull``.

    Returns
    -------
    FitResult
        The best fit, with ``aic`` of every candidate.
    """
    from scipy import stats

    x = np.asarray(samples, dtype=np.float64).ravel()
    if x.size < 2:
        raise ValueError(f"need at least 2 samples to fit (got {x.size})")
    if not np.all(np.isfinite(x)) or np.any(x <= 0):
        raise ValueError("durations must be finite and positive")
    if np.all(x == x[0]):
        return FitResult("constant", {"value_s": float(x[0])}, dists.Constant(float(x[0])), x.size)
    fits: dict[str, FitResult] = {}
    aic: dict[str, float] = {}
    for fam in families:
        if fam == "lognormal":
            s, _, scale = stats.lognorm.fit(x, floc=0)
            ll = float(np.sum(stats.lognorm.logpdf(x, s, 0, scale)))
            mu, sigma = math.log(scale), float(s)
            fits[fam] = FitResult(
                fam, {"mu": mu, "sigma": sigma}, dists.LogNormal(mu, sigma), x.size
            )
        elif fam == "gamma":
            a, _, scale = stats.gamma.fit(x, floc=0)
            ll = float(np.sum(stats.gamma.logpdf(x, a, 0, scale)))
            mean, cv = float(a * scale), float(1.0 / math.sqrt(a))
            fits[fam] = FitResult(fam, {"mean_s": mean, "cv": cv}, dists.Gamma(mean, cv), x.size)
        elif fam == "weibull":
            c, _, scale = stats.weibull_min.fit(x, floc=0)
            ll = float(np.sum(stats.weibull_min.logpdf(x, c, 0, scale)))
            fits[fam] = FitResult(
                fam,
                {"shape": float(c), "scale_s": float(scale)},
                dists.Weibull(float(c), float(scale)),
                x.size,
            )
        else:
            raise ValueError(f"unknown family {fam!r}; choose from {FAMILIES}")
        aic[fam] = 2 * 2 - 2 * ll
    best = min(aic, key=lambda f: aic[f])
    b = fits[best]
    return FitResult(b.family, b.params, b.dist, b.n, aic)


def _level(key: str | float) -> float:
    """Percentile level in (0, 1) from ``"p99"``, ``"p99.9"``, ``"99"`` or ``99``."""
    k = str(key).strip().lower()
    if k.startswith("p"):
        k = k[1:]
    v = float(k)
    if not 0.0 < v < 100.0:
        raise ValueError(f"percentile {key!r} must be strictly between 0 and 100")
    return v / 100.0


def from_percentiles(percentiles: Mapping[str, float] | Mapping[Any, float]) -> FitResult:
    """A lognormal through reported percentiles (seconds), e.g. ``{"p50": 0.1, "p99": 0.9}``.

    Parameters
    ----------
    percentiles : mapping
        ``{"p50": s, "p99": s, ...}`` (keys ``pNN``, ``NN`` or numbers); a ``"mean"`` entry
        with exactly one percentile fixes σ from ln(mean) = μ + σ²/2 instead. Non-positive
        values are ignored (a lognormal has none).

    Returns
    -------
    FitResult
        ``lognormal``, or ``constant`` when the percentiles are all equal.
    """
    from scipy.stats import norm

    pct: Mapping[Any, float] = percentiles
    mean = pct.get("mean")
    pts = [
        (float(norm.ppf(_level(k))), math.log(float(v)))
        for k, v in pct.items()
        if k != "mean" and v is not None and float(v) > 0.0
    ]
    if len(pts) >= 2:
        z = np.array([p[0] for p in pts])
        y = np.array([p[1] for p in pts])
        if np.ptp(y) == 0.0:
            v = math.exp(float(y[0]))
            return FitResult("constant", {"value_s": v}, dists.Constant(v), len(pts))
        if np.ptp(z) == 0.0:
            raise ValueError("the same percentile was given twice with different values")
        sigma, mu = np.polyfit(z, y, 1)
        sigma = max(float(sigma), 0.0)
        res = float(np.sqrt(np.mean((mu + sigma * z - y) ** 2)))
        return FitResult(
            "lognormal",
            {"mu": float(mu), "sigma": sigma},
            dists.LogNormal(float(mu), sigma),
            len(pts),
            residual=res,
        )
    if len(pts) == 1 and mean is not None and float(mean) > 0.0:
        z0, y0 = pts[0]
        lm = math.log(float(mean))
        # ln q = μ + σ z and ln mean = μ + σ²/2  =>  σ²/2 − z σ + (ln q − ln mean) = 0
        disc = z0 * z0 - 2.0 * (y0 - lm)
        if disc < 0:
            raise ValueError("no lognormal has this mean and percentile")
        sigma = z0 - math.sqrt(disc) if z0 > 0 else z0 + math.sqrt(disc)  # the lighter tail
        sigma = max(sigma, 0.0)
        mu = y0 - sigma * z0
        return FitResult("lognormal", {"mu": mu, "sigma": sigma}, dists.LogNormal(mu, sigma), 2)
    if len(pts) == 1 or (mean is not None and float(mean) > 0.0):
        v = math.exp(pts[0][1]) if pts else float(mean)  # type: ignore[arg-type]
        return FitResult("constant", {"value_s": v}, dists.Constant(v), 1)
    raise ValueError("need at least two positive percentiles, or a mean and one percentile")
