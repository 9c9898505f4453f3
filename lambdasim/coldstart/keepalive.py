"""Keep-alive presets: how long AWS kept an idle execution environment, as measured in each era.

``keep_alive_s: {preset: aws-2019 | aws-2020 | aws-2025}`` is the distribution of idle time before
AWS reclaims an environment. The curves derived from data sets are stored as constants, not as raw
data; ``scripts/derive_calibration.py`` re-derives them from ``../shared/data`` (and ``--check``
compares them with the values here). References to ``§`` are sections of
``aws-lambda-behaviour.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lambdasim.dists import FloatArray

__all__ = ["KEEP_ALIVE_ERAS", "KEEP_ALIVE_KNOTS", "PiecewiseLinearCDF", "keep_alive_preset"]


# --------------------------------------------------------------------------- keep-alive


@dataclass(frozen=True, slots=True)
class PiecewiseLinearCDF:
    """A distribution given by CDF knots, linear in between (seconds).

    ``knots_s`` increasing, ``cdf`` nondecreasing from 0 to 1. Sampled by inversion.
    """

    knots_s: tuple[float, ...]
    cdf: tuple[float, ...]

    def __post_init__(self) -> None:
        x = np.asarray(self.knots_s)
        f = np.asarray(self.cdf)
        if (
            len(x) != len(f)
            or len(x) < 2
            or np.any(np.diff(x) <= 0)
            or np.any(np.diff(f) < 0)
            or f[0] != 0.0
            or f[-1] != 1.0
            or x[0] < 0
        ):
            raise ValueError("knots must increase and the CDF must rise from 0 to 1")

    def _segments(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        x = np.asarray(self.knots_s, dtype=np.float64)
        f = np.asarray(self.cdf, dtype=np.float64)
        return x[:-1], x[1:], np.diff(f)

    @property
    def mean(self) -> float:
        x0, x1, w = self._segments()
        return float(np.sum(w * 0.5 * (x0 + x1)))

    @property
    def variance(self) -> float:
        x0, x1, w = self._segments()
        m2 = float(np.sum(w * (x0 * x0 + x0 * x1 + x1 * x1) / 3.0))
        return m2 - self.mean**2

    def cdf_at(self, x_s: float | FloatArray) -> FloatArray:
        """P(K ≤ x) at ``x_s`` seconds."""
        return np.asarray(np.interp(x_s, self.knots_s, self.cdf, left=0.0, right=1.0))

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        x = np.asarray(self.knots_s, dtype=np.float64)
        f = np.asarray(self.cdf, dtype=np.float64)
        u = 1.0 - rng.random(size)  # in (0, 1], so F[i-1] < u <= F[i] with i >= 1
        i = np.clip(np.searchsorted(f, u, side="left"), 1, len(f) - 1)
        f0, f1 = f[i - 1], f[i]
        t = (u - f0) / (f1 - f0)
        return x[i - 1] + t * (x[i] - x[i - 1])


#: Keep-alive presets: CDF knots ``((idle_s, P(reclaimed by then)), ...)``, derived by
#: scripts/derive_calibration.py (isotonic NPMLE of the probes' cold fraction by idle time, minus
#: the ≈1 % floor of cold starts that come from lifetime recycling rather than idleness; see the
#: script's docstring). Sources (§1.4 table; validation.md §3 item 9):
#:
#: * ``aws-2019`` — cloudbench scatter, Jan–Feb 2019, 3,731 probes, 1-minute bins (Shilkov):
#:   reclaim between ≈25 and ≈65 min.
#: * ``aws-2020`` — PACS low-rate runs, May–June 2020 (three runs, λ < 0.003/s, 609 clean
#:   probes): warm up to 636.8 s, cold from 642.3 s; one early reclaim at 494 s (1.8 %).
#: * ``aws-2025`` — CIRRUS probes, 2025, 100 per idle time (Lin, Ma, Shahrad, EuroSys 2026):
#:   8 % at 300 s, 43 % at 315 s, 100 % from 360 s.
KEEP_ALIVE_KNOTS: dict[str, tuple[tuple[float, float], ...]] = {
    "aws-2019": (
        (1290.0, 0.0),
        (1350.0, 0.001),
        (1470.0, 0.001),
        (1530.0, 0.1012),
        (1590.0, 0.2615),
        (1650.0, 0.2615),
        (1710.0, 0.275),
        (1890.0, 0.275),
        (1950.0, 0.2752),
        (2130.0, 0.2752),
        (2190.0, 0.3278),
        (2250.0, 0.4007),
        (2490.0, 0.4007),
        (2550.0, 0.4185),
        (3030.0, 0.4185),
        (3090.0, 0.4718),
        (3150.0, 0.4805),
        (3270.0, 0.4805),
        (3330.0, 0.5781),
        (3510.0, 0.5781),
        (3570.0, 0.5819),
        (3630.0, 0.6097),
        (3690.0, 0.655),
        (3750.0, 0.8429),
        (3810.0, 0.8429),
        (3870.0, 0.9136),
        (3930.0, 0.9982),
        (4770.0, 0.9982),
        (4830.0, 1.0),
    ),
    "aws-2020": ((493.8, 0.0), (494.4, 0.0182), (636.8, 0.0182), (642.3, 1.0)),
    "aws-2025": (
        (60.0, 0.0),
        (120.0, 0.0034),
        (240.0, 0.0034),
        (270.0, 0.0235),
        (300.0, 0.0738),
        (315.0, 0.4262),
        (330.0, 0.6779),
        (345.0, 0.9396),
        (360.0, 1.0),
    ),
}

#: The preset names, oldest first.
KEEP_ALIVE_ERAS: tuple[str, ...] = tuple(KEEP_ALIVE_KNOTS)


def keep_alive_preset(era: str) -> PiecewiseLinearCDF:
    """Idle time before reclaim (seconds) as measured in ``era`` (aws-2019, aws-2020, aws-2025).

    A probe after idle time ``x`` finds the environment gone with probability ``F(x)``, the CDF
    returned here, so a simulated probe experiment reproduces the era's measured curve.
    """
    try:
        knots = KEEP_ALIVE_KNOTS[era]
    except KeyError:
        raise ValueError(
            f"unknown keep-alive preset {era!r}: {', '.join(KEEP_ALIVE_ERAS)}"
        ) from None
    xs = tuple(k[0] for k in knots)
    fs = tuple(k[1] for k in knots)
    if xs[0] > 0.0:  # no reclaim before the first knot
        xs, fs = (0.0, *xs), (0.0, *fs)
    return PiecewiseLinearCDF(xs, fs)
