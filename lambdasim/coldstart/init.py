"""INIT (cold-start) durations calibrated from measurements: runtime presets and profiles, and
:func:`measured_init`, the distribution of ``cold_start: {model: measured}`` built from a
function's runtime family, architecture, deployment-package size, memory and (legacy era only) VPC
attachment. Each factor cites its source below and in the README section "How the cold-start model
is built". References to ``§`` are sections of ``aws-lambda-behaviour.md``.
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
    "COLD_START_PROFILES",
    "MEMORY_EXPONENT",
    "MEMORY_REF_MB",
    "MINIMAL_INIT_MS",
    "PACKAGE_LIMIT_UNZIPPED_MB",
    "PACKAGE_LIMIT_ZIPPED_MB",
    "PACKAGE_SIGMA",
    "PACKAGE_S_PER_MB",
    "RUNTIME_FAMILIES",
    "VPC_LEGACY_PENALTY_S",
    "InitFactors",
    "MeasuredInit",
    "init_factors",
    "measured_init",
    "minimal_init_mean_s",
    "preset_percentiles",
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

#: INIT-duration presets (p50_s, p99_s) per runtime family, ``profile: typical`` (the default):
#: the suggested defaults of aws-lambda-behaviour.md §2.2 "Model implications (2)", from
#: E. Johnson, "Cold Starts Are Dead" (Apr 2026), x86_64. These describe **production-like**
#: functions (SDKs, frameworks, user INIT code), not hello-world ones: minimal functions start
#: 1.6–14× faster by median (aws-2025-2026.md §2; ``profile: minimal``, :data:`MINIMAL_INIT_MS`).
#: The dotnet preset is .NET 8 Native AOT (§2.2).
#: arm64 multiplies them by :data:`ARM64_FACTOR`.
COLD_START_PRESETS: dict[str, tuple[float, float]] = {
    "python": (0.300, 1.000),
    "nodejs": (0.275, 0.800),
    "go": (0.075, 0.200),
    "rust": (0.065, 0.150),
    "java": (3.500, 8.000),
    "java-snapstart": (0.115, 0.300),
    "dotnet": (0.300, 0.650),
}

#: The cold-start profiles of ``cold_start: {preset: FAMILY, profile: ...}``.
COLD_START_PROFILES: tuple[str, ...] = ("typical", "minimal")

#: ``profile: minimal``: mean ``Init Duration`` (ms) of hello-world functions, per family and
#: architecture, with the row it comes from. Source: maxday/lambda-perf
#: (https://github.com/maxday/lambda-perf), the daily run of 2025-12-21, 10 forced cold starts per
#: runtime × memory × architecture, as summarised in aws-2025-2026.md §2. The data set has no
#: licence: only these summary statistics are used, none of its files. One row per family, the
#: runtime version of the typical preset's row where the table has it (python3.13, nodejs22.x,
#: java21), at one memory for both architectures where possible. An architecture the table lacks
#: is derived with the one arm64 factor (:func:`minimal_init_mean_s`): nodejs22.x, dotnet8 and
#: rust have arm64 only, java21 x86_64 only. java-snapstart has no row (lambda-perf measures INIT,
#: not SnapStart restores), so it has no minimal profile. The dotnet8 row is the managed
#: runtime (JIT), while the typical dotnet preset is Native AOT: its minimal median is about the
#: typical one (x86_64: 310 vs 300 ms), not below it.
MINIMAL_INIT_MS: dict[str, dict[str, tuple[float, str]]] = {
    "python": {"x86_64": (102.0, "python3.13 512 MB"), "arm64": (91.0, "python3.13 512 MB")},
    "nodejs": {"arm64": (118.0, "nodejs22.x 512 MB")},
    "java": {"x86_64": (262.0, "java21 128 MB")},
    "dotnet": {"arm64": (262.0, "dotnet8 256 MB")},
    "go": {
        "x86_64": (51.0, "provided.al2023 (Go) 256 MB"),
        "arm64": (40.0, "provided.al2023 (Go) 256 MB"),
    },
    "rust": {"arm64": (14.0, "provided.al2023 (Rust) 256 MB")},
}


def minimal_init_mean_s(family: str, architecture: str) -> tuple[float, bool]:
    """Mean minimal-function INIT (s) of ``family`` on ``architecture``, and whether it is derived.

    Measured where :data:`MINIMAL_INIT_MS` has the architecture; otherwise derived from the other
    one with :data:`ARM64_FACTOR` (arm64 = 0.8 × x86_64), the same factor every preset uses.

    Raises
    ------
    ValueError
        For a family without a minimal-function row (java-snapstart).
    """
    try:
        rows = MINIMAL_INIT_MS[family]
    except KeyError:
        raise ValueError(
            f"cold_start profile 'minimal' has no data for {family!r}: maxday/lambda-perf "
            f"(aws-2025-2026.md §2) measures {', '.join(MINIMAL_INIT_MS)}; use profile: typical"
        ) from None
    if architecture in rows:
        return rows[architecture][0] / 1000.0, False
    if architecture == "arm64":
        return rows["x86_64"][0] / 1000.0 * ARM64_FACTOR, True
    return rows["arm64"][0] / 1000.0 / ARM64_FACTOR, True


def preset_percentiles(
    family: str, architecture: str, profile: str = "typical"
) -> tuple[float, float]:
    """(p50_s, p99_s) of the INIT lognormal of ``cold_start: {preset: family, profile: ...}``.

    * ``typical`` — :data:`COLD_START_PRESETS` (production-like functions), × :data:`ARM64_FACTOR`
      on arm64.
    * ``minimal`` — from the hello-world means of :data:`MINIMAL_INIT_MS`. lambda-perf reports
      means of 10 cold starts, no percentiles, so the spread is an assumption: the same p99/p50
      ratio as the family's typical preset (σ = ln(p99/p50)/2.326), and the median chosen so that
      the lognormal's **mean** is the measured mean: p50 = mean / exp(σ²/2) (5–13 % below the
      mean, by family). A hello-world INIT probably varies less than a production one, so the
      minimal p99 is, if anything, pessimistic.
    """
    p50, p99 = COLD_START_PRESETS[family]
    if profile == "typical":
        f = ARM64_FACTOR if architecture == "arm64" else 1.0
        return p50 * f, p99 * f
    if profile != "minimal":
        raise ValueError(
            f"unknown cold_start profile {profile!r}: {', '.join(COLD_START_PROFILES)}"
        )
    ratio = p99 / p50
    sigma = math.log(ratio) / dists.Z99
    mean, _ = minimal_init_mean_s(family, architecture)
    median = mean / math.exp(0.5 * sigma * sigma)
    return median, median * ratio


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
      java-snapstart 115/300, dotnet 300/650; E. Johnson 2026, x86_64, production-like
      functions: the ``typical`` presets, aws-2025-2026.md §2);
    * ``a`` — architecture: :data:`ARM64_FACTOR` (0.8) on arm64, §2.2;
    * ``m`` — memory: ``(memory_mb / 1024)^-0.0268`` (Wang et al. 2018 via OpenDC, §2.2);
    * ``P`` — package: lognormal with median ``0.1125 s × package_mb`` (zipped MB) and sigma
      0.119 (cloudbench 2019 by-dependency series); none for java-snapstart (§2.4). The slope
      is from .zip packages; for a container image (``package_type: image``) the same term is
      applied to ``package_mb`` as given, unchanged, as there is no image series to fit. Lambda
      loads image chunks on demand, cached and deduplicated across functions, rather than the
      whole image (Brooker et al., "On-demand Container Loading in AWS Lambda", USENIX ATC
      2023), so give the MB of code and dependencies INIT actually reads, not the image size
      (1 GB would add ≈ 112 s);
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
        Zipped deployment package, MB (for an image: the MB its INIT reads, see ``P``).
    vpc : bool
        Function attached to a VPC.
    era : {"current", "aws-2018"}
        ``aws-2018`` applies the pre-Hyperplane VPC penalty.
    """
    f = init_factors(runtime, architecture, memory_mb, package_mb, vpc, era)
    ln = dists.LogNormal.from_percentiles(f.p50_s, f.p99_s)
    return MeasuredInit(ln.mu, ln.sigma, f.scale, f.package_s, PACKAGE_SIGMA, f.vpc_s)
