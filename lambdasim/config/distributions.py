"""Distributions in configuration files (seconds), and INIT presets per runtime."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Discriminator, Field, StrictInt, Tag, model_validator

from lambdasim import dists
from lambdasim.coldstart import ARM64_FACTOR, minimal_init_mean_s, preset_percentiles
from lambdasim.config.base import Fraction, NonNegFloat, PosFloat, _Model
from lambdasim.units import MAX_THREADS


class ConstantDist(_Model):
    """Always ``value_s`` seconds."""

    dist: Literal["constant"]
    value_s: NonNegFloat

    def build(self) -> dists.Distribution:
        return dists.Constant(self.value_s)


class ExponentialDist(_Model):
    """Exponential with mean ``mean_s`` seconds."""

    dist: Literal["exponential"]
    mean_s: PosFloat

    def build(self) -> dists.Distribution:
        return dists.Exponential(self.mean_s)


class UniformDist(_Model):
    """Uniform between ``low_s`` and ``high_s`` seconds."""

    dist: Literal["uniform"]
    low_s: NonNegFloat
    high_s: NonNegFloat

    @model_validator(mode="after")
    def _ordered(self) -> UniformDist:
        if self.high_s < self.low_s:
            raise ValueError(f"high_s ({self.high_s}) must be >= low_s ({self.low_s})")
        return self

    def build(self) -> dists.Distribution:
        return dists.Uniform(self.low_s, self.high_s)


class LognormalDist(_Model):
    """Lognormal given by ``p50_s`` and ``p99_s``, or by ``mean_s`` and ``cv``."""

    dist: Literal["lognormal"]
    p50_s: PosFloat | None = None
    p99_s: PosFloat | None = None
    mean_s: PosFloat | None = None
    cv: PosFloat | None = None

    @model_validator(mode="after")
    def _one_pair(self) -> LognormalDist:
        pct = self.p50_s is not None and self.p99_s is not None
        mom = self.mean_s is not None and self.cv is not None
        if pct == mom:
            raise ValueError("give either p50_s and p99_s, or mean_s and cv")
        if pct and self.p99_s <= self.p50_s:  # type: ignore[operator]
            raise ValueError(f"p99_s ({self.p99_s}) must be greater than p50_s ({self.p50_s})")
        return self

    def build(self) -> dists.Distribution:
        if self.p50_s is not None and self.p99_s is not None:
            return dists.LogNormal.from_percentiles(self.p50_s, self.p99_s)
        assert self.mean_s is not None and self.cv is not None
        return dists.LogNormal.from_mean_cv(self.mean_s, self.cv)


class GammaDist(_Model):
    """Gamma with mean ``mean_s`` seconds and coefficient of variation ``cv``."""

    dist: Literal["gamma"]
    mean_s: PosFloat
    cv: PosFloat

    def build(self) -> dists.Distribution:
        return dists.Gamma(self.mean_s, self.cv)


class WeibullDist(_Model):
    """Weibull with ``shape`` k and scale ``scale_s`` seconds."""

    dist: Literal["weibull"]
    shape: PosFloat
    scale_s: PosFloat

    def build(self) -> dists.Distribution:
        return dists.Weibull(self.shape, self.scale_s)


class EmpiricalDist(_Model):
    """Resample from observed values in seconds."""

    dist: Literal["empirical"]
    samples_s: Annotated[tuple[NonNegFloat, ...], Field(min_length=1)]

    def build(self) -> dists.Distribution:
        return dists.Empirical(self.samples_s)


DistSpec = Annotated[
    ConstantDist
    | ExponentialDist
    | UniformDist
    | LognormalDist
    | GammaDist
    | WeibullDist
    | EmpiricalDist,
    Field(discriminator="dist"),
]


class _MemoryScaling(_Model):
    """How handler duration responds to memory (aws-lambda-behaviour.md §3).

    ``memory_ref_mb`` is the memory at which the distribution was measured; ``cpu_bound`` is the
    fraction of the time that scales with the vCPUs the handler can use,
    ``min(memory/1769, 6, threads)`` (:func:`lambdasim.units.usable_vcpus`).
    """

    memory_ref_mb: Annotated[StrictInt, Field(ge=128, le=10240)] | None = None
    cpu_bound: Fraction = 0.0
    #: Threads (or processes) running the CPU-bound part in parallel, 1–6. AWS: "At 1,769 MB, a
    #: function has the equivalent of one vCPU" (up to 6 at 10,240 MB), and sequential code uses
    #: one vCPU whatever is allocated, so with the default 1 the handler stops getting faster
    #: above 1,769 MB (Lambda guide "configuration-memory",
    #: https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html).
    threads: Annotated[StrictInt, Field(ge=1, le=MAX_THREADS)] = 1


class ConstantDuration(ConstantDist, _MemoryScaling):
    """Constant handler duration."""


class ExponentialDuration(ExponentialDist, _MemoryScaling):
    """Exponential handler duration."""


class UniformDuration(UniformDist, _MemoryScaling):
    """Uniform handler duration."""


class LognormalDuration(LognormalDist, _MemoryScaling):
    """Lognormal handler duration."""


class GammaDuration(GammaDist, _MemoryScaling):
    """Gamma handler duration."""


class WeibullDuration(WeibullDist, _MemoryScaling):
    """Weibull handler duration."""


class EmpiricalDuration(EmpiricalDist, _MemoryScaling):
    """Empirical handler duration."""


DurationSpec = Annotated[
    ConstantDuration
    | ExponentialDuration
    | UniformDuration
    | LognormalDuration
    | GammaDuration
    | WeibullDuration
    | EmpiricalDuration,
    Field(discriminator="dist"),
]

#: Kept for old imports: the same object as :data:`lambdasim.coldstart.ARM64_FACTOR`.
ARM64_INIT_FACTOR = ARM64_FACTOR


class ColdStartPreset(_Model):
    """INIT duration from a runtime preset (aws-lambda-behaviour.md §2.2, aws-2025-2026.md §2).

    ``profile: typical`` (the default): production-like functions (E. Johnson 2026);
    ``profile: minimal``: hello-world functions (maxday/lambda-perf, 2025-12-21). Numbers and
    sources: lambdasim.coldstart.preset_percentiles.
    """

    preset: Literal["python", "nodejs", "go", "rust", "java", "java-snapstart", "dotnet"]
    #: ``typical``: production-like functions (today's presets, the default); ``minimal``:
    #: hello-world functions, 1.6–14× faster by median except dotnet (no data for
    #: java-snapstart).
    profile: Literal["typical", "minimal"] = "typical"

    @model_validator(mode="after")
    def _profile_has_data(self) -> ColdStartPreset:
        if self.profile == "minimal":
            minimal_init_mean_s(self.preset, "x86_64")  # raises, naming the families with data
        return self

    def build_for(self, architecture: str) -> dists.Distribution:
        """The INIT lognormal (seconds) on ``architecture``."""
        p50, p99 = preset_percentiles(self.preset, architecture, self.profile)
        return dists.LogNormal.from_percentiles(p50, p99)


def _cold_start_tag(v: Any) -> str:
    if isinstance(v, Mapping):
        return "preset" if "preset" in v else "dist"
    if isinstance(v, BaseModel):
        return "preset" if isinstance(v, ColdStartPreset) else "dist"
    return "dist"


ColdStartSpec = Annotated[
    Annotated[ColdStartPreset, Tag("preset")] | Annotated[DistSpec, Tag("dist")],
    Discriminator(_cold_start_tag),
]


def _number_is_constant(v: Any) -> Any:
    # ``keep_alive_s: 600`` is shorthand for a constant distribution.
    if isinstance(v, int | float) and not isinstance(v, bool):
        return {"dist": "constant", "value_s": v}
    return v
