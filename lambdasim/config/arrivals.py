"""Arrival processes of workloads (``workloads[].arrivals``): synthetic, scheduled and replayed.

Every model is discriminated by ``kind``. Times are seconds from the start of the run; rates are
per second. The generators live in :mod:`lambdasim.workload`; these models only validate.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeGuard

from pydantic import (
    AfterValidator,
    AliasChoices,
    Discriminator,
    Field,
    SerializerFunctionWrapHandler,
    StrictInt,
    Tag,
    field_validator,
    model_serializer,
    model_validator,
)

from lambdasim.config.base import NUMBER, NonNegFloat, PosFloat, _Model
from lambdasim.config.distributions import DistSpec

__all__ = [
    "TRACE_FORMATS",
    "ArrivalSpec",
    "BurstyArrivals",
    "ConstantArrivals",
    "DiurnalArrivals",
    "PiecewiseArrivals",
    "PoissonArrivals",
    "RateStep",
    "RenewalArrivals",
    "ScheduleArrivals",
    "StartTime",
    "SuperposeArrivals",
    "TraceArrivals",
]


def _as_utc(v: datetime) -> datetime:
    # EventBridge schedules are UTC; a date without an offset is read as UTC, not local time.
    return v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)


#: The scenario's ``start_time``: an ISO datetime, UTC (no offset = UTC).
StartTime = Annotated[datetime, AfterValidator(_as_utc)]


class PoissonArrivals(_Model):
    """Poisson arrivals at ``rate_per_s`` requests per second."""

    kind: Literal["poisson"]
    rate_per_s: PosFloat


class ConstantArrivals(_Model):
    """Evenly spaced arrivals, ``rate_per_s`` per second, the first at ``1/rate_per_s``."""

    kind: Literal["constant"]
    rate_per_s: PosFloat


class RenewalArrivals(_Model):
    """A renewal process: independent inter-arrival times from ``interarrival`` (seconds).

    The first arrival is one inter-arrival time after 0.
    """

    kind: Literal["renewal"]
    interarrival: DistSpec

    @field_validator("interarrival")
    @classmethod
    def _positive_mean(cls, v: Any) -> Any:
        if v.build().mean <= 0.0:
            raise ValueError("the mean inter-arrival time must be positive")
        return v


class DiurnalArrivals(_Model):
    """Non-homogeneous Poisson arrivals with a daily (or any ``period_s``) cycle, by thinning.

    ``shape: sine``: λ(t) = m (1 + (r − 1) cos(2π (t − peak_at_s) / period_s)), with m =
    ``mean_rate_per_s`` and r = ``peak_to_mean`` in [1, 2] (above 2 the trough would be negative).
    ``shape: exp_sine``: λ(t) = m exp(κ cos(...)) / I₀(κ) with κ chosen so that the peak is r × m;
    any r ≥ 1, a sharper peak and a long quiet night. Both have mean m over a period.
    """

    kind: Literal["diurnal"]
    mean_rate_per_s: PosFloat
    peak_to_mean: Annotated[float, Field(ge=1.0, le=1000.0, allow_inf_nan=False), NUMBER] = 2.0
    period_s: PosFloat = 86400.0
    #: When in the period the rate peaks, seconds from the start of the run (default: mid-day).
    peak_at_s: NonNegFloat = 50400.0
    shape: Literal["sine", "exp_sine"] = "sine"

    @model_validator(mode="after")
    def _shape_fits(self) -> DiurnalArrivals:
        if self.shape == "sine" and self.peak_to_mean > 2.0:
            raise ValueError(
                f"peak_to_mean {self.peak_to_mean:g} > 2 makes a sine rate negative at the "
                "trough; use shape: exp_sine"
            )
        return self


class RateStep(_Model):
    """From ``at_s`` on, the rate is ``rate_per_s``; with ``ramp_to_per_s`` it changes linearly
    to that value at the next step's ``at_s`` (a ramp)."""

    at_s: NonNegFloat
    rate_per_s: NonNegFloat
    ramp_to_per_s: NonNegFloat | None = Field(
        default=None, validation_alias=AliasChoices("ramp_to_per_s", "ramp_to")
    )


class PiecewiseArrivals(_Model):
    """Poisson arrivals with a piecewise-constant or piecewise-linear rate (steps, ramps, spikes).

    The rate is 0 before the first step; the last step lasts to the end of the run. A spike is a
    step up followed by a step down.
    """

    kind: Literal["piecewise"]
    steps: Annotated[list[RateStep], Field(min_length=1)]

    @model_validator(mode="after")
    def _ordered(self) -> PiecewiseArrivals:
        at = [s.at_s for s in self.steps]
        for i in range(1, len(at)):
            if at[i] <= at[i - 1]:
                raise ValueError(
                    f"steps must have increasing at_s (step {i}: {at[i]:g} after {at[i - 1]:g})"
                )
        if self.steps[-1].ramp_to_per_s is not None:
            raise ValueError("the last step cannot ramp (a ramp ends at the next step's at_s)")
        return self


class BurstyArrivals(_Model):
    """A two-state Markov-modulated Poisson process (MMPP-2).

    The process alternates between a base state (rate ``base_rate_per_s``, exponential sojourn of
    mean ``mean_off_s``) and a burst state (``burst_rate_per_s``, mean ``mean_on_s``); it starts
    in the base state. Long-run rate: (base · off + burst · on) / (on + off).
    """

    kind: Literal["bursty"]
    base_rate_per_s: NonNegFloat
    burst_rate_per_s: PosFloat
    mean_on_s: PosFloat
    mean_off_s: PosFloat

    @property
    def long_run_rate_per_s(self) -> float:
        """Stationary mean rate of the MMPP, per second."""
        on, off = self.mean_on_s, self.mean_off_s
        return (self.base_rate_per_s * off + self.burst_rate_per_s * on) / (on + off)


class ScheduleArrivals(_Model):
    """EventBridge schedule: ``cron(...)`` or ``rate(...)``, UTC, relative to the scenario's
    ``start_time``; ``count`` invocations at each firing."""

    kind: Literal["schedule"]
    expression: str
    count: Annotated[StrictInt, Field(ge=1, le=1_000_000)] = 1

    @field_validator("expression")
    @classmethod
    def _parses(cls, v: str) -> str:
        from lambdasim.schedule import parse

        parse(v)  # ScheduleError is a ValueError: pydantic reports it at this field
        return v


#: Trace formats of ``kind: trace``.
TRACE_FORMATS = (
    "csv",
    "parquet",
    "azure2019",
    "azure2021",
    "cloudwatch",
    "pacs",
    "cloudwatch_logs",
)


class TraceArrivals(_Model):
    """Replay of a recorded trace (streamed in chunks; memory stays flat).

    Times: ``t_run = (t_trace − start_s) / speedup`` for ``start_s ≤ t_trace < end_s``, where
    ``t_trace`` is the file's time in seconds (``time_scale`` × the column value, or seconds
    after ``origin`` for ISO datetimes). Recorded durations are not sped up.
    """

    kind: Literal["trace"]
    #: ``csv`` / ``parquet`` (a timestamp column), ``azure2019`` (a directory), ``azure2021``,
    #: ``cloudwatch`` (get-metric-data JSON or a timestamp,value CSV), ``pacs``,
    #: ``cloudwatch_logs`` (a function's CloudWatch Logs: START/REPORT lines, recorded durations).
    format: Literal[
        "csv", "parquet", "azure2019", "azure2021", "cloudwatch", "pacs", "cloudwatch_logs"
    ] = "csv"
    #: File (or directory for azure2019; a glob for several cloudwatch pages), relative to the
    #: config file.
    path: str
    time_column: str = "timestamp"
    #: Column naming the function of each row (csv/parquet); rows are selected by ``function``.
    function_column: str | None = None
    #: Column of recorded durations in seconds (csv/parquet).
    duration_column: str | None = None
    #: Column of payload sizes in KB (csv/parquet); read and validated, informational.
    payload_column: str | None = None
    #: Column of tenant ids (csv/parquet; any non-empty text) for a function in tenant
    #: isolation mode: each row's request goes to its tenant's environments.
    tenant_column: str | None = None
    #: Replay only the rows of this trace function (its id in the trace).
    function: str | None = None
    #: Trace function id → scenario function name (``target: "*"``).
    function_map: dict[str, str] = Field(default_factory=dict)
    #: Seconds per unit of the time column (0.001 for milliseconds).
    time_scale: PosFloat = 1.0
    #: ISO datetime that is t = 0 for ISO timestamps (default: the first row).
    origin: datetime | None = None
    start_s: NonNegFloat = 0.0
    end_s: PosFloat | None = None
    #: Time compression: 2 replays the trace twice as fast.
    speedup: PosFloat = 1.0
    #: Use recorded durations (csv/parquet duration column, azure2021, pacs) for each invoke.
    use_durations: bool = True
    #: Memory the durations were recorded at, MB (scales them with the function's memory and
    #: ``cpu_bound``); pacs default 128. None = recorded at the function's memory.
    memory_mb: Annotated[StrictInt, Field(ge=1, le=10240)] | None = None
    #: What to do with a bad row: ``error`` (default) or ``skip`` (counted and reported).
    on_bad_row: Literal["error", "skip"] = "error"
    #: azure2019 / cloudwatch: how the invocations of one minute (period) are spread.
    spread: Literal["uniform", "equidistant", "poisson"] | None = None
    #: azure2019 with ``target: "*"``: keep the N busiest functions ...
    top: Annotated[StrictInt, Field(ge=1)] | None = None
    #: ... or a random sample of N functions (drawn with ``sample_seed``).
    sample: Annotated[StrictInt, Field(ge=1)] | None = None
    sample_seed: Annotated[StrictInt, Field(ge=0)] = 0
    #: ``target: "*"``: configuration shared by every function of the trace (a partial
    #: ``functions.NAME`` block; a ``functions:`` entry of the same name overrides it).
    function_defaults: dict[str, Any] = Field(default_factory=dict)
    #: pacs: rows may be out of order by up to this many seconds (concurrent clients).
    reorder_s: NonNegFloat = 60.0

    @model_validator(mode="after")
    def _consistent(self) -> TraceArrivals:
        if self.end_s is not None and self.end_s <= self.start_s:
            raise ValueError(f"end_s ({self.end_s:g}) must be greater than start_s")
        if self.top is not None and self.sample is not None:
            raise ValueError("give top or sample, not both")
        if self.spread is not None and self.format not in ("azure2019", "cloudwatch"):
            raise ValueError("spread applies to the azure2019 and cloudwatch formats")
        if self.tenant_column is not None:
            if self.format not in ("csv", "parquet"):
                raise ValueError("tenant_column applies to the csv and parquet formats")
            if self.tenant_column in (self.time_column, self.duration_column):
                raise ValueError(f"tenant_column {self.tenant_column!r} is another column's")
        return self

    @model_serializer(mode="wrap")
    def _omit_unused(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("tenant_column", 0) is None:  # dumps without it stay as they were
            del data["tenant_column"]
        return data

    @property
    def spread_or_default(self) -> str:
        """``spread``, or the format's default (azure2019 uniform, cloudwatch poisson)."""
        if self.spread is not None:
            return self.spread
        return "poisson" if self.format == "cloudwatch" else "uniform"


class SuperposeArrivals(_Model):
    """The sum of several arrival processes; process ``i`` draws from its own random stream
    (``arrivals``, ``"<workload>/<i>"``). ``{superpose: [...]}`` is shorthand."""

    kind: Literal["superpose"]
    processes: Annotated[list[ArrivalSpec], Field(min_length=1)]

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        if isinstance(v, Mapping) and "superpose" in v and "processes" not in v:
            out = {k: x for k, x in v.items() if k != "superpose"}
            out.setdefault("kind", "superpose")
            out["processes"] = v["superpose"]
            return out
        return v

    @field_validator("processes")
    @classmethod
    def _no_traces(cls, v: list[Any]) -> list[Any]:
        for p in v:
            if isinstance(p, TraceArrivals) and p.tenant_column is not None:
                raise ValueError("a trace with a tenant_column cannot be superposed")
            if isinstance(p, TraceArrivals) and p.use_durations and p.format in _DURATION_FORMATS:
                # a merged stream carries times only; say so rather than drop durations quietly
                raise ValueError(
                    "a trace with recorded durations cannot be superposed; set use_durations: "
                    "false on it"
                )
        return v


_DURATION_FORMATS = ("csv", "parquet", "azure2021", "pacs", "cloudwatch_logs")


def _kind_tag(v: Any) -> str | None:
    if isinstance(v, Mapping):
        if "kind" in v:
            return str(v["kind"])
        return "superpose" if "superpose" in v else None
    return getattr(v, "kind", None)


ArrivalSpec = Annotated[
    Annotated[PoissonArrivals, Tag("poisson")]
    | Annotated[ConstantArrivals, Tag("constant")]
    | Annotated[RenewalArrivals, Tag("renewal")]
    | Annotated[DiurnalArrivals, Tag("diurnal")]
    | Annotated[PiecewiseArrivals, Tag("piecewise")]
    | Annotated[BurstyArrivals, Tag("bursty")]
    | Annotated[ScheduleArrivals, Tag("schedule")]
    | Annotated[SuperposeArrivals, Tag("superpose")]
    | Annotated[TraceArrivals, Tag("trace")],
    Discriminator(
        _kind_tag,
        custom_error_type="arrival_kind",
        custom_error_message="kind must be one of poisson, constant, renewal, diurnal, "
        "piecewise, bursty, schedule, superpose, trace",
    ),
]

SuperposeArrivals.model_rebuild()


def has_recorded_durations(spec: Any) -> TypeGuard[TraceArrivals]:
    """Whether replaying ``spec`` yields a recorded duration for each arrival."""
    return (
        isinstance(spec, TraceArrivals)
        and spec.use_durations
        and (
            spec.format in ("azure2021", "pacs", "cloudwatch_logs")
            or (spec.format in ("csv", "parquet") and spec.duration_column is not None)
        )
    )


def exp_sine_kappa(peak_to_mean: float) -> float:
    """κ with exp(κ) / I₀(κ) = ``peak_to_mean`` (the exp_sine diurnal shape)."""
    from scipy.optimize import brentq
    from scipy.special import i0e

    if peak_to_mean <= 1.0:
        return 0.0
    # exp(κ)/I0(κ) = 1/i0e(κ), increasing in κ from 1 to ∞ (≈ sqrt(2πκ) for large κ)
    hi = max(1.0, 2.0 * peak_to_mean**2)
    return float(brentq(lambda k: 1.0 / i0e(k) - peak_to_mean, 0.0, hi))
