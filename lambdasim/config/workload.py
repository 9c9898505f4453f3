"""Workloads: a stream of requests to a function, or of messages to a queue or stream.

Every AWS default cites ``aws-lambda-behaviour.md`` (the project's behavioural reference) by
section. The arrival processes themselves live in :mod:`lambdasim.config.arrivals`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    SerializerFunctionWrapHandler,
    StrictInt,
    model_serializer,
    model_validator,
)

from lambdasim.config.arrivals import ArrivalSpec
from lambdasim.config.base import NUMBER, PosFloat, _Model
from lambdasim.config.tenancy import TenantPopulation

__all__ = ["ClientRetry", "Workload"]


class ClientRetry(_Model):
    """Caller-side retry of throttled (429) sync requests, like the AWS SDKs.

    Exponential backoff with full jitter: before retry ``k`` (k = 1, 2, ...) the caller waits
    ``uniform(0, min(cap_s, base_s × 2^k))``.
    """

    max_attempts: Annotated[StrictInt, Field(ge=1, le=100)] = 3
    base_s: PosFloat = 0.05
    cap_s: PosFloat = 20.0


class Workload(_Model):
    """A stream of requests to one function, or of messages to a queue (``queue:NAME``)."""

    #: A function name, or ``queue:NAME`` to send SQS messages that the queue's event source
    #: mapping delivers to its function.
    target: str
    #: ``sync`` (RequestResponse: API Gateway, ALB, SDK) or ``async`` (Event: S3, SNS,
    #: EventBridge), aws-lambda-behaviour.md §5–6.
    invocation: Literal["sync", "async"] = "sync"
    #: Label of the event source, carried into results.
    source: Literal["api", "s3", "sns", "eventbridge", "sdk"] | None = None
    #: Event payload, KB: sync up to 6 MB, async up to 1 MB (§3); async events above 256 KB
    #: are billed one extra request per 64 KB (§6).
    payload_kb: Annotated[float, Field(gt=0, allow_inf_nan=False), NUMBER] = 1.0
    arrivals: ArrivalSpec
    client_retry: ClientRetry | None = None
    name: str | None = None
    #: SQS message size, KB (max 1 MiB, §7.6); every 64 KB is one request (§10.5).
    message_kb: Annotated[float, Field(gt=0, le=1024, allow_inf_nan=False), NUMBER] = 1.0
    #: FIFO queues: messages are spread evenly over this many message groups (§7.4).
    message_groups: Annotated[StrictInt, Field(ge=1)] = 1
    #: Streams (``stream:NAME`` targets): records get one of this many partition keys, spread
    #: over the shards by hash (§8).
    partition_keys: Annotated[StrictInt, Field(ge=1)] = 1000
    #: Streams: the share of records that fail every time they are processed (poison records).
    poison_probability: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False), NUMBER] = 0.0
    #: Tenant isolation: this workload's own tenant population; for its requests it wins over
    #: the function's ``tenants`` (:mod:`lambdasim.config.tenancy`). Sync workloads only.
    tenants: TenantPopulation | None = None

    @model_serializer(mode="wrap")
    def _omit_unused(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("tenants", 0) is None:  # dumps of configs without it stay as they were
            del data["tenants"]
        return data

    @model_validator(mode="after")
    def _own_tenants(self) -> Workload:
        column = getattr(self.arrivals, "tenant_column", None)
        if self.tenants is not None and column is not None:
            raise ValueError("give tenants or arrivals.tenant_column, not both")
        if self.tenants is None and column is None:
            return self
        what = "tenants" if self.tenants is not None else "arrivals.tenant_column"
        if self.target.startswith(("queue:", "stream:")):
            raise ValueError(f"{what} applies to workloads that invoke a function directly")
        if self.invocation == "async":
            raise ValueError(
                f"{what} applies to sync workloads: lambdasim's async queue carries no tenant "
                "id, so async events take the function's tenants"
            )
        return self

    @property
    def stream(self) -> str | None:
        """The stream name for a ``stream:NAME`` target, else None."""
        return self.target[7:] if self.target.startswith("stream:") else None

    @property
    def queue(self) -> str | None:
        """The queue name for a ``queue:NAME`` target, else None."""
        return self.target[6:] if self.target.startswith("queue:") else None

    def label(self, index: int) -> str:
        """A stable name for this workload (its random stream key)."""
        return self.name or f"{index}:{self.target}"
