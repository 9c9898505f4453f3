"""Probability distributions of durations, in seconds.

Each distribution is a small immutable object with ``sample(rng, size)``, ``mean`` and
``variance``. The simulator never samples one value at a time from numpy; it wraps ``sample`` in
:func:`lambdasim.rng.sampler`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Z99",
    "Constant",
    "Distribution",
    "Empirical",
    "Exponential",
    "Gamma",
    "LogNormal",
    "Uniform",
    "Weibull",
]

#: Standard normal 99th percentile, Φ⁻¹(0.99): a lognormal given by p50 and p99 has
#: σ = ln(p99/p50)/Z99 (aws-lambda-behaviour.md §2, model implications).
Z99 = 2.3263478740408408

FloatArray = NDArray[np.float64]


@runtime_checkable
class Distribution(Protocol):
    """A non-negative random duration in seconds."""

    @property
    def mean(self) -> float:
        """Mean in seconds."""
        ...

    @property
    def variance(self) -> float:
        """Variance in seconds²."""
        ...

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        """Draw ``size`` independent values (seconds)."""
        ...


@dataclass(frozen=True, slots=True)
class Constant:
    """Always ``value_s`` seconds."""

    value_s: float

    @property
    def mean(self) -> float:
        return self.value_s

    @property
    def variance(self) -> float:
        return 0.0

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return np.full(size, self.value_s, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class Exponential:
    """Exponential with mean ``mean_s`` seconds."""

    mean_s: float

    @property
    def mean(self) -> float:
        return self.mean_s

    @property
    def variance(self) -> float:
        return self.mean_s**2

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return rng.exponential(self.mean_s, size)


@dataclass(frozen=True, slots=True)
class Uniform:
    """Uniform on ``[low_s, high_s]`` seconds."""

    low_s: float
    high_s: float

    @property
    def mean(self) -> float:
        return 0.5 * (self.low_s + self.high_s)

    @property
    def variance(self) -> float:
        return (self.high_s - self.low_s) ** 2 / 12.0

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return rng.uniform(self.low_s, self.high_s, size)


@dataclass(frozen=True, slots=True)
class LogNormal:
    """Lognormal: ``ln X ~ Normal(mu, sigma)``, X in seconds.

    Build it with :meth:`from_percentiles` (p50/p99, the way latency is usually reported) or
    :meth:`from_mean_cv`.
    """

    mu: float
    sigma: float

    @classmethod
    def from_percentiles(cls, p50_s: float, p99_s: float) -> LogNormal:
        """Lognormal with median ``p50_s`` and 99th percentile ``p99_s`` (seconds)."""
        return cls(math.log(p50_s), math.log(p99_s / p50_s) / Z99)

    @classmethod
    def from_mean_cv(cls, mean_s: float, cv: float) -> LogNormal:
        """Lognormal with mean ``mean_s`` seconds and coefficient of variation ``cv``."""
        s2 = math.log1p(cv * cv)
        return cls(math.log(mean_s) - 0.5 * s2, math.sqrt(s2))

    @property
    def mean(self) -> float:
        return math.exp(self.mu + 0.5 * self.sigma**2)

    @property
    def variance(self) -> float:
        s2 = self.sigma**2
        return math.expm1(s2) * math.exp(2 * self.mu + s2)

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return rng.lognormal(self.mu, self.sigma, size)


@dataclass(frozen=True, slots=True)
class Gamma:
    """Gamma with mean ``mean_s`` seconds and coefficient of variation ``cv``."""

    mean_s: float
    cv: float

    @property
    def shape(self) -> float:
        return 1.0 / (self.cv * self.cv)

    @property
    def mean(self) -> float:
        return self.mean_s

    @property
    def variance(self) -> float:
        return (self.cv * self.mean_s) ** 2

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        k = self.shape
        return rng.gamma(k, self.mean_s / k, size)


@dataclass(frozen=True, slots=True)
class Weibull:
    """Weibull with shape ``k`` and scale ``scale_s`` seconds (what :func:`lambdasim.fit.duration`
    may choose)."""

    shape: float
    scale_s: float

    @property
    def mean(self) -> float:
        return self.scale_s * math.gamma(1.0 + 1.0 / self.shape)

    @property
    def variance(self) -> float:
        g1 = math.gamma(1.0 + 1.0 / self.shape)
        return self.scale_s**2 * (math.gamma(1.0 + 2.0 / self.shape) - g1 * g1)

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return self.scale_s * rng.weibull(self.shape, size)


@dataclass(frozen=True, slots=True)
class Empirical:
    """Resample uniformly from observed values (seconds)."""

    samples_s: tuple[float, ...]

    @property
    def mean(self) -> float:
        return float(np.mean(self.samples_s))

    @property
    def variance(self) -> float:
        return float(np.var(self.samples_s))

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return rng.choice(np.asarray(self.samples_s, dtype=np.float64), size)
