"""Cold-start and keep-alive models calibrated from measurements.

Two things live here:

* :func:`measured_init` — the INIT-duration distribution of ``cold_start: {model: measured}``,
  built from a function's runtime family, architecture, deployment-package size, memory and
  (legacy era only) VPC attachment. Each factor cites its source below and in the README section
  "How the cold-start model is built".
* :func:`keep_alive_preset` — ``keep_alive_s: {preset: aws-2019 | aws-2020 | aws-2025}``: the
  distribution of idle time before AWS reclaims an environment, as measured in each era.

The numbers derived from data sets (keep-alive curves, package slope) are stored as constants,
not as raw data; ``scripts/derive_calibration.py`` re-derives them from ``../shared/data`` (and
``--check`` compares them with the values here). References to ``§`` are sections of
``aws-lambda-behaviour.md``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np

from lambdasim import dists
from lambdasim.dists import FloatArray

__all__ = [
    "ARM64_FACTOR",
    "COLD_START_PRESETS",
    "KEEP_ALIVE_ERAS",
    "KEEP_ALIVE_KNOTS",
    "MEMORY_EXPONENT",
    "MEMORY_REF_MB",
    "PACKAGE_LIMIT_UNZIPPED_MB",
    "PACKAGE_LIMIT_ZIPPED_MB",
    "PACKAGE_SIGMA",
    "PACKAGE_S_PER_MB",
    "RUNTIME_FAMILIES",
    "VPC_LEGACY_PENALTY_S",
    "InitFactors",
    "MeasuredInit",
    "PiecewiseLinearCDF",
    "init_factors",
    "keep_alive_preset",
    "measured_init",
    "runtime_family",
]

Family = Literal["python", "nodejs", "java", "java-snapstart", "dotnet", "go", "rust"]

#: Runtime families of the measured model (§2.2 has one row per family).
RUNTIME_FAMILIES: tuple[Family, ...] = (
    "python",
    "nodejs",
    "java",
    "java-snapstart",
    "dotnet",
    "go",
    "rust",
)

# AWS runtime identifiers → family. ``provided.*`` (OS-only runtimes) and the retired ``go1.x``
# are the Go row of §2.2 (Go ships on provided.al2023 since go1.x was deprecated); Rust has no
# AWS identifier of its own (it also runs on provided.*), so it is chosen by the family name.
_RUNTIME_PATTERNS: tuple[tuple[str, Family], ...] = (
    (r"python(3(\.\d+)?)?", "python"),
    (r"nodejs(\d+(\.x)?)?", "nodejs"),
    (r"java(\d+(\.al2)?)?-snapstart", "java-snapstart"),
    (r"java(\d+(\.al2)?)?", "java"),
    (r"dotnet(\d+)?|dotnetcore\d+\.\d+", "dotnet"),
    (r"go(1\.x)?|provided(\.al2|\.al2023)?", "go"),
    (r"rust", "rust"),
)


def runtime_family(runtime: str) -> Family:
    """The family of an AWS runtime identifier (``python3.12`` → ``python``).

    Accepts the family names themselves, ``python3.x``, ``nodejsNN.x``, ``javaNN`` /
    ``javaNN.al2`` (``-snapstart`` suffix or ``java-snapstart`` for SnapStart), ``dotnetN`` /
    ``dotnetcoreN.N``, ``go1.x`` / ``provided`` / ``provided.al2`` / ``provided.al2023`` (the Go
    row of §2.2) and ``rust``.

    Raises
    ------
    ValueError
        For an unknown identifier, listing what is accepted.
    """
    rt = runtime.strip().lower()
    for pattern, family in _RUNTIME_PATTERNS:
        if re.fullmatch(pattern, rt):
            return family
    raise ValueError(
        f"unknown runtime {runtime!r}: use python3.x, nodejsNN.x, javaNN, javaNN-snapstart, "
        "dotnetN, go1.x / provided.al2023, rust, or a family name "
        f"({', '.join(RUNTIME_FAMILIES)})"
    )


# --------------------------------------------------------------------------- INIT factors

#: arm64 INIT is 13–40 % faster than x86_64 for any runtime; 0.8 is the reference's suggested
#: multiplier (§2.2 and its "Model implications (2)"; E. Johnson 2026). The one arm64 factor:
#: presets (``cold_start: {preset: ...}``) and the measured model both use it.
ARM64_FACTOR = 0.8

#: INIT-duration presets (p50_s, p99_s) per runtime family: the suggested defaults of
#: aws-lambda-behaviour.md §2.2 "Model implications (2)", from E. Johnson, "Cold Starts Are Dead"
#: (Apr 2026), x86_64. arm64 multiplies them by :data:`ARM64_FACTOR`.
COLD_START_PRESETS: dict[str, tuple[float, float]] = {
    "python": (0.300, 1.000),
    "nodejs": (0.275, 0.800),
    "go": (0.075, 0.200),
    "rust": (0.065, 0.150),
    "java": (3.500, 8.000),
    "java-snapstart": (0.115, 0.300),
    "dotnet": (0.300, 0.650),
}

#: Memory the §2.2 runtime figures are taken to describe, MB. The source does not state it; 1 GB
#: is a common benchmark size and, with the small exponent below, moving it by 4× changes INIT
#: by < 4 %.
MEMORY_REF_MB = 1024.0

#: INIT ∝ memory^MEMORY_EXPONENT. From Wang et al. (ATC'18) as encoded in OpenDC (§2.2): mean
#: cold start 265 ms at 128 MB and 246 ms at 2,048 MB, so ln(246/265)/ln(2048/128) = −0.0268:
#: a small effect because on-demand INIT is CPU-boosted (§1.2, §2.2). cloudbench's 2019
#: by-memory series (Node.js 0.257/0.236/0.242/0.361/0.403 s at 128…2,048 MB) shows no
#: consistent trend and is not used.
MEMORY_EXPONENT = math.log(246.0 / 265.0) / math.log(2048.0 / 128.0)

#: Seconds of INIT added per MB of zipped deployment package (median of the added term), and the
#: lognormal sigma of that term. Least squares through cloudbench's 2019 by-dependency series
#: (Node.js: 0.292 s at 1 KB, 1.910 s at 14 MB, 4.211 s at 35 MB; sigma from the 67 % ranges);
#: re-derived by scripts/derive_calibration.py. 2019 is the only published size series, and the
#: fleet has become faster since (§2.2), so treat large-package INIT as an upper estimate.
PACKAGE_S_PER_MB = 0.1125
PACKAGE_SIGMA = 0.119

#: Deployment-package limits (§3 "zip 50 MB zipped / 250 MB unzipped"; Lambda guide quotas).
#: ``package_mb`` is the zipped size: the size one uploads, and what cloudbench varied. A zip
#: above 50 MB must be uploaded through S3; a zip above 250 MB cannot unzip to ≤ 250 MB.
PACKAGE_LIMIT_ZIPPED_MB = 50.0
PACKAGE_LIMIT_UNZIPPED_MB = 250.0

#: Pre-Hyperplane VPC cold start: an ENI created and attached during INIT, "+10 s or more,
#: commonly quoted 10–15 s" (§2.3, [3P]). Removed by the Hyperplane rollout (Sept–Nov 2019).
VPC_LEGACY_PENALTY_S = (10.0, 15.0)


@dataclass(frozen=True, slots=True)
class InitFactors:
    """The pieces of a measured INIT model, for documentation and tests.

    Attributes
    ----------
    family : str
        Runtime family.
    p50_s, p99_s : float
        Runtime INIT percentiles at x86_64, ``MEMORY_REF_MB``, empty package (s).
    scale : float
        Architecture × memory multiplier applied to runtime and package terms.
    package_s : float
        Median seconds the package adds before ``scale``.
    vpc_s : tuple of float or None
        Uniform range of the legacy VPC penalty (s), or None.
    """

    family: Family
    p50_s: float
    p99_s: float
    scale: float
    package_s: float
    vpc_s: tuple[float, float] | None


def init_factors(
    runtime: str,
    architecture: str = "x86_64",
    memory_mb: float = MEMORY_REF_MB,
    package_mb: float = 0.0,
    vpc: bool = False,
    era: str = "current",
) -> InitFactors:
    """Resolve the factors of the measured INIT model (see :func:`measured_init`)."""
    family = runtime_family(runtime)
    p50, p99 = COLD_START_PRESETS[family]
    arch = ARM64_FACTOR if architecture == "arm64" else 1.0
    mem = (memory_mb / MEMORY_REF_MB) ** MEMORY_EXPONENT
    # SnapStart restores a snapshot taken after INIT at publish time (§2.4): code loading is not
    # repeated, so the package term does not apply.
    pkg = 0.0 if family == "java-snapstart" else PACKAGE_S_PER_MB * package_mb
    return InitFactors(
        family=family,
        p50_s=p50,
        p99_s=p99,
        scale=arch * mem,
        package_s=pkg,
        vpc_s=VPC_LEGACY_PENALTY_S if (vpc and era == "aws-2018") else None,
    )


@dataclass(frozen=True, slots=True)
class MeasuredInit:
    """INIT = scale·(R + P) + V, seconds, with independent terms.

    ``R`` lognormal runtime INIT (``mu``, ``sigma``); ``P`` the package term, lognormal with
    median ``package_s`` and sigma ``package_sigma`` (0 when ``package_s`` is 0); ``V`` uniform on
    ``vpc_s`` (absent when None).
    """

    mu: float
    sigma: float
    scale: float
    package_s: float = 0.0
    package_sigma: float = PACKAGE_SIGMA
    vpc_s: tuple[float, float] | None = None

    @property
    def mean(self) -> float:
        m = math.exp(self.mu + 0.5 * self.sigma**2)
        if self.package_s > 0:
            m += self.package_s * math.exp(0.5 * self.package_sigma**2)
        m *= self.scale
        if self.vpc_s is not None:
            m += 0.5 * (self.vpc_s[0] + self.vpc_s[1])
        return m

    @property
    def variance(self) -> float:
        s2 = self.sigma**2
        v = math.expm1(s2) * math.exp(2 * self.mu + s2)
        if self.package_s > 0:
            p2 = self.package_sigma**2
            v += math.expm1(p2) * self.package_s**2 * math.exp(p2)
        v *= self.scale**2
        if self.vpc_s is not None:
            v += (self.vpc_s[1] - self.vpc_s[0]) ** 2 / 12.0
        return v

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        x = rng.lognormal(self.mu, self.sigma, size)
        if self.package_s > 0:
            x = x + self.package_s * rng.lognormal(0.0, self.package_sigma, size)
        x = x * self.scale
        if self.vpc_s is not None:
            x = x + rng.uniform(self.vpc_s[0], self.vpc_s[1], size)
        return x


def measured_init(
    runtime: str,
    architecture: str = "x86_64",
    memory_mb: float = MEMORY_REF_MB,
    package_mb: float = 0.0,
    vpc: bool = False,
    era: str = "current",
) -> MeasuredInit:
    """The INIT-duration distribution of the measured cold-start model, seconds.

    ``INIT = a·m·(R + P) + V`` where

    * ``R`` — runtime family: lognormal through the p50/p99 of §2.2 "Model implications (2)"
      (python 300/1000 ms, nodejs 275/800, go 75/200, rust 65/150, java 3500/8000,
      java-snapstart 115/300, dotnet 300/650; E. Johnson 2026, x86_64, "hello world");
    * ``a`` — architecture: :data:`ARM64_FACTOR` (0.8) on arm64, §2.2;
    * ``m`` — memory: ``(memory_mb / 1024)^-0.0268`` (Wang et al. 2018 via OpenDC, §2.2);
    * ``P`` — package: lognormal with median ``0.1125 s × package_mb`` (zipped MB) and sigma
      0.119 (cloudbench 2019 by-dependency series); none for java-snapstart (§2.4);
    * ``V`` — VPC: uniform 10–15 s when ``vpc`` and ``era == "aws-2018"`` (pre-Hyperplane,
      §2.3); nothing otherwise.

    Parameters
    ----------
    runtime : str
        AWS runtime identifier or family (see :func:`runtime_family`).
    architecture : {"x86_64", "arm64"}
        Instruction set.
    memory_mb : float
        Configured memory, MB.
    package_mb : float
        Zipped deployment package, MB.
    vpc : bool
        Function attached to a VPC.
    era : {"current", "aws-2018"}
        ``aws-2018`` applies the pre-Hyperplane VPC penalty.
    """
    f = init_factors(runtime, architecture, memory_mb, package_mb, vpc, era)
    ln = dists.LogNormal.from_percentiles(f.p50_s, f.p99_s)
    return MeasuredInit(ln.mu, ln.sigma, f.scale, f.package_s, PACKAGE_SIGMA, f.vpc_s)


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
