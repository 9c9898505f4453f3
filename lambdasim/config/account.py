"""The account: regional concurrency quota, scaling rate, and which pricing table applies.

Every AWS default cites ``aws-lambda-behaviour.md`` (the project's behavioural reference) by
section.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, StrictInt

from lambdasim.config.base import _Model

__all__ = ["Account", "Pricing", "Scaling"]


class Scaling(_Model):
    """Per-function scaling rate (aws-lambda-behaviour.md §4.2).

    Since Nov 2023 each function may add up to 1,000 execution environments every 10 s, refilled
    continuously and without accrual: a token bucket of capacity ``envs_per_10s`` refilled at
    ``envs_per_10s / 10`` per second. ``mode: none`` switches the limit off.
    """

    mode: Literal["per_function", "none", "legacy_burst"] = "per_function"
    envs_per_10s: Annotated[StrictInt, Field(ge=1, le=1_000_000)] = 1000
    #: ``legacy_burst`` (before Nov 2023, §4.3): an account-level burst shared by all functions,
    #: 3,000 in us-east-1/us-west-2/eu-west-1, 1,000 in ap-northeast-1/eu-central-1/us-east-2,
    #: 500 elsewhere (null = by region) ...
    initial_burst: Annotated[StrictInt, Field(ge=1)] | None = None
    #: ... then this many more environments per minute.
    per_minute: Annotated[StrictInt, Field(ge=1)] = 500

    def burst_for(self, region: str) -> int:
        """The legacy initial burst in ``region`` (aws-lambda-behaviour.md §4.3)."""
        if self.initial_burst is not None:
            return self.initial_burst
        if region in ("us-east-1", "us-west-2", "eu-west-1"):
            return 3000
        if region in ("ap-northeast-1", "eu-central-1", "us-east-2"):
            return 1000
        return 500


def _rps_default(data: dict[str, Any]) -> int | None:
    # 10 requests per second per unit of the concurrency quota (lambda-concurrency page). The
    # factory sees the validated fields before rps_limit; a bad concurrency has its own error.
    concurrency = data.get("concurrency")
    return 10 * concurrency if isinstance(concurrency, int) else None


class Account(_Model):
    """Regional account limits (aws-lambda-behaviour.md §4.1, §13)."""

    region: str = "us-east-1"
    #: Regional ConcurrentExecutions quota; AWS default 1,000 (§4.1).
    concurrency: Annotated[StrictInt, Field(ge=1, le=1_000_000)] = 1000
    #: Units Lambda keeps unreserved: 100, or the quota itself on small new accounts (§4.1, §13).
    min_unreserved: Annotated[StrictInt, Field(ge=0)] | None = None
    #: Synchronous requests per second across all functions; above it in a second, requests get
    #: a 429 (§4.1). Default 10 × ``concurrency``: "Across all functions in your account, Lambda
    #: enforces a requests per second limit that's equal to 10 times your account concurrency"
    #: (Lambda guide, "lambda-concurrency", "Understanding concurrency and requests per
    #: second"); the quotas page: synchronous invocations 10 × the concurrency limit,
    #: asynchronous ones "based only on concurrency" ("gettingstarted-limits", "Lambda API
    #: requests"). null = no limit. An unset value follows ``concurrency`` (also in sweeps).
    rps_limit: Annotated[StrictInt, Field(ge=1)] | None = Field(default_factory=_rps_default)
    scaling: Scaling = Scaling()

    @property
    def unreserved_floor(self) -> int:
        """The effective minimum unreserved concurrency."""
        if self.min_unreserved is not None:
            return self.min_unreserved
        return min(100, self.concurrency)


class Pricing(_Model):
    """Which dated pricing table prices the run (``lambdasim pricing show`` lists them)."""

    table: str | None = None
    free_tier: StrictBool = False
