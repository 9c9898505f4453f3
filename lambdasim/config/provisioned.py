"""Provisioned concurrency: a flat setting, scheduled actions and target tracking.

aws-lambda-behaviour.md §9: configured PC is initialised ahead of requests; changes are
allocated after a lead time of a minute or two at up to 6,000 environments per minute, and none
of a new allocation serves until all of it is ready. Application Auto Scaling adjusts it by
scheduled actions (EventBridge cron/rate syntax, UTC) and by target tracking on
ProvisionedConcurrencyUtilization (target 0.1–0.9).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StrictInt, field_validator, model_validator

from lambdasim.config.base import NUMBER, _Model

__all__ = ["ProvisionedConcurrency", "ScheduledAction", "TargetTracking"]


class ScheduledAction(_Model):
    """Set the PC target at the times of ``cron`` (EventBridge syntax) or once at ``at_s``."""

    cron: str | None = None
    at_s: Annotated[float, Field(ge=0, allow_inf_nan=False), NUMBER] | None = None
    value: Annotated[StrictInt, Field(ge=0)]

    @model_validator(mode="after")
    def _one_time(self) -> ScheduledAction:
        if (self.cron is None) == (self.at_s is None):
            raise ValueError("give exactly one of cron or at_s")
        return self

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, v: str | None) -> str | None:
        if v is not None:
            from lambdasim.schedule import parse

            parse(v)  # ScheduleError (a ValueError) names the field and the bad value
        return v


class TargetTracking(_Model):
    """Target tracking on ProvisionedConcurrencyUtilization (§9)."""

    #: Target utilisation, 0.1–0.9 (AWS's example 0.7).
    target_utilization: Annotated[float, Field(ge=0.1, le=0.9, allow_inf_nan=False), NUMBER] = 0.7
    min: Annotated[StrictInt, Field(ge=0)] = 0
    max: Annotated[StrictInt, Field(ge=1)] = 100
    #: Consecutive 1-minute points above the target before scaling out (alarm default 3).
    scale_out_points: Annotated[StrictInt, Field(ge=1, le=60)] = 3
    #: Consecutive points below 90 % of the target before scaling in (AAS default 15).
    scale_in_points: Annotated[StrictInt, Field(ge=1, le=120)] = 15

    @model_validator(mode="after")
    def _ordered(self) -> TargetTracking:
        if self.max < self.min:
            raise ValueError(f"max ({self.max}) must be >= min ({self.min})")
        return self


class ProvisionedConcurrency(_Model):
    """``provisioned_concurrency`` when it is more than a number."""

    #: PC at t = 0, ready (the steady state of a deployed alias).
    initial: Annotated[StrictInt, Field(ge=0)] = 0
    schedule: tuple[ScheduledAction, ...] = ()
    target_tracking: TargetTracking | None = None
    #: Delay before an allocation starts: "a minute or two" (§9).
    allocation_lead_s: Annotated[float, Field(ge=0, le=600, allow_inf_nan=False), NUMBER] = 90.0
    #: Allocation speed: up to 6,000 environments per minute per function (§4.2, §9).
    allocation_per_min: Annotated[StrictInt, Field(ge=1)] = 6000

    def peak(self) -> int:
        """The largest PC this configuration can ask for."""
        vals = [self.initial, *(a.value for a in self.schedule)]
        if self.target_tracking is not None:
            vals.append(self.target_tracking.max)
        return max(vals)


def provisioned_from_number(v: Any) -> Any:
    """``provisioned_concurrency: 20`` is shorthand for ``{initial: 20}``."""
    if isinstance(v, int) and not isinstance(v, bool):
        return {"initial": v}
    return v
