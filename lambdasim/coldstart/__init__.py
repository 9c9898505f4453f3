"""Cold-start and keep-alive models calibrated from measurements.

* :mod:`.init` — INIT durations: the runtime presets (``typical`` production-like functions and
  ``minimal`` hello-world ones), the one arm64 factor, and :func:`measured_init`
  (``cold_start: {model: measured}``);
* :mod:`.keepalive` — :func:`keep_alive_preset` (``keep_alive_s: {preset: aws-2019 | aws-2020
  | aws-2025}``).
"""

from __future__ import annotations

from lambdasim.coldstart.init import (
    ARM64_FACTOR,
    COLD_START_PRESETS,
    COLD_START_PROFILES,
    MEMORY_EXPONENT,
    MEMORY_REF_MB,
    MINIMAL_INIT_MS,
    PACKAGE_LIMIT_UNZIPPED_MB,
    PACKAGE_LIMIT_ZIPPED_MB,
    PACKAGE_S_PER_MB,
    PACKAGE_SIGMA,
    RUNTIME_FAMILIES,
    VPC_LEGACY_PENALTY_S,
    InitFactors,
    MeasuredInit,
    init_factors,
    measured_init,
    minimal_init_mean_s,
    preset_percentiles,
    runtime_family,
)
from lambdasim.coldstart.keepalive import (
    KEEP_ALIVE_ERAS,
    KEEP_ALIVE_KNOTS,
    PiecewiseLinearCDF,
    keep_alive_preset,
)

__all__ = [
    "ARM64_FACTOR",
    "COLD_START_PRESETS",
    "COLD_START_PROFILES",
    "KEEP_ALIVE_ERAS",
    "KEEP_ALIVE_KNOTS",
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
    "PiecewiseLinearCDF",
    "init_factors",
    "keep_alive_preset",
    "measured_init",
    "minimal_init_mean_s",
    "preset_percentiles",
    "runtime_family",
]
