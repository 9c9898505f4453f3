"""Dated AWS Lambda price tables and cost arithmetic on billing totals.

Prices live in versioned YAML tables shipped as package data (``lambdasim/cost/pricing/``), never in
code, and every result names the table it was priced with (stack.md §2.11). This module holds
pure functions of per-function totals; it knows nothing about the simulation.

Units: prices in USD; ``*_ms`` milliseconds, ``seconds``/``*_s`` seconds, ``*_mb`` MB
(1 GB = 1,024 MB), ``gb_s`` = (memory MB / 1,024) × billed seconds.

Billing rules implemented (aws-lambda-behaviour.md §10, validation.md §1 item 5):

* cost = requests × price per request + Σ billed GB-s × tiered duration price
  + ephemeral GB-s above 512 MB × storage price;
* duration tiers are marginal and apply to the aggregate GB-s of one architecture;
* on-demand INIT is billed only when the table's ``effective_from`` is on or after
  ``billing_rules.init_billed_on_demand_from`` (2025-08-01, §10.2).

Nothing is rounded here; callers round for display.
"""

from __future__ import annotations

import itertools
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "ARCHITECTURES",
    "COST_COLUMNS",
    "DEFAULT_TABLE",
    "ArchitecturePricing",
    "BillingRules",
    "BillingTotals",
    "DurationTier",
    "FreeTier",
    "PricingTable",
    "RegionPricing",
    "SqsPricing",
    "available_tables",
    "billed_gb_s",
    "cost_from_usage",
    "init_billed",
    "load_table",
    "monthly_projection",
    "run_cost",
]

#: Lambda instruction set architectures, in the order the account-level free tier is applied
#: (see :func:`monthly_projection`).
ARCHITECTURES: tuple[str, ...] = ("x86_64", "arm64")

#: Columns of the frames returned by :func:`run_cost` and :func:`monthly_projection`.
COST_COLUMNS: tuple[str, ...] = (
    "architecture",
    "memory_mb",
    "requests",
    "billed_gb_s",
    "requests_usd",
    "duration_usd",
    "ephemeral_usd",
    "provisioned_usd",
    "total_usd",
)

_PRICING_DIR = Path(__file__).resolve().parent / "pricing"
# Shipped file names are ``<family>-<YYYY-MM>.yaml`` and carry id ``<family>@<YYYY-MM>``; the
# id is derived from the name so that listing tables does not parse every file.
_FILE_RE = re.compile(r"^(?P<family>[a-z0-9][a-z0-9-]*?)-(?P<ym>\d{4}-\d{2})\.yaml$")
# 1 GB = 1,024 MB and 1 s = 1,000 ms: ms × MB / 1,024,000 = GB-s in one correctly rounded division.
_MS_MB_PER_GB_S = 1000 * 1024
_FREE_EPHEMERAL_MB = 512  # §3 / §10.1: the first 512 MB of /tmp are included in the price
_MEMORY_RANGE_MB = (128, 10_240)  # §3
_EPHEMERAL_RANGE_MB = (512, 10_240)  # §3
_SECONDS_PER_DAY = 86_400.0


# --------------------------------------------------------------------------------------------
# Totals
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BillingTotals:
    """Billing totals of one function over one run, the input of every cost function.

    Parameters
    ----------
    function : str
        Function name; one row of the cost frame.
    architecture : str
        ``"x86_64"`` or ``"arm64"``.
    memory_mb : int
        Configured memory in MB (128–10,240).
    requests : int
        Invocations that ran, i.e. billed requests; throttled requests are not billed.
    billed_ms : int
        Σ over invocations of the duration rounded up to 1 ms, in ms, INIT excluded.
    init_billed_ms_delta : int
        Σ over cold starts of ``ceil(init + duration) − ceil(duration)`` in ms: what billing
        INIT adds. Counted only under tables where on-demand INIT is billed
        (:func:`init_billed`).
    seconds : float
        Simulated seconds the totals cover (horizon − warm-up), in s.
    ephemeral_storage_mb : int, default 512
        Configured ``/tmp`` size in MB; only the part above 512 MB is charged.
    pc_allocated_gb_s : float, default 0
        Provisioned concurrency allocated, GB-s, each allocation already rounded up to 5
        minutes (aws-lambda-behaviour.md §9, §10.3).
    pc_billed_ms : int, default 0
        Σ billed ms of invokes that ran on provisioned environments (PC duration price; not in
        ``billed_ms``).
    pc_init_ms : int, default 0
        Billed INIT of provisioned environments (allocation and recycling), ms, at the PC
        duration price (the rate for PC inits is not stated by AWS, §10.3 [UNVERIFIED]).
    """

    function: str
    architecture: str
    memory_mb: int
    requests: int
    billed_ms: int
    init_billed_ms_delta: int
    seconds: float
    ephemeral_storage_mb: int = 512
    pc_allocated_gb_s: float = 0.0
    pc_billed_ms: int = 0
    pc_init_ms: int = 0

    def __post_init__(self) -> None:
        # Validate here so that a bad total fails where it is made, not deep in a cost frame.
        if self.architecture not in ARCHITECTURES:
            raise ValueError(
                f"{self.function}: architecture {self.architecture!r} is not one of {ARCHITECTURES}"
            )
        lo, hi = _MEMORY_RANGE_MB
        if not lo <= self.memory_mb <= hi:
            raise ValueError(f"{self.function}: memory_mb={self.memory_mb} outside {lo}–{hi} MB")
        lo, hi = _EPHEMERAL_RANGE_MB
        if not lo <= self.ephemeral_storage_mb <= hi:
            raise ValueError(
                f"{self.function}: ephemeral_storage_mb={self.ephemeral_storage_mb} "
                f"outside {lo}–{hi} MB"
            )
        for name in ("requests", "billed_ms", "init_billed_ms_delta", "pc_billed_ms", "pc_init_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"{self.function}: {name} must be >= 0")
        if not (self.seconds >= 0.0 and math.isfinite(self.seconds)):
            raise ValueError(f"{self.function}: seconds must be finite and >= 0")


# --------------------------------------------------------------------------------------------
# Table schema
# --------------------------------------------------------------------------------------------


class _Frozen(BaseModel):
    # Tables are shared (cached) objects: freeze them, and reject unknown keys so a typo in a
    # user table fails loudly instead of silently pricing at the default.
    model_config = ConfigDict(frozen=True, extra="forbid")


class DurationTier(_Frozen):
    """One marginal duration tier.

    Parameters
    ----------
    up_to_gb_s_per_month : float or None
        Upper bound of the tier in GB-s of monthly aggregate usage; ``None`` = unbounded (last).
    usd_per_gb_s : float
        Price of each GB-s inside the tier, USD.
    """

    up_to_gb_s_per_month: float | None = Field(gt=0)
    usd_per_gb_s: float = Field(ge=0)


class ArchitecturePricing(_Frozen):
    """Lambda prices of one architecture in one region (all USD).

    Parameters
    ----------
    usd_per_request : float
        Price of one request (USD; $0.20 per 1M is 2e-7).
    duration_tiers : tuple of DurationTier
        Marginal tiers, bounds strictly increasing, the last one unbounded.
    provisioned_concurrency_usd_per_gb_s : float
        Provisioned concurrency allocation (configured memory × time enabled), USD per GB-s.
    provisioned_duration_usd_per_gb_s : float
        Duration of invocations running on provisioned concurrency, USD per GB-s.
    ephemeral_storage_usd_per_gb_s : float
        ``/tmp`` storage above 512 MB, USD per GB-s.
    """

    usd_per_request: float = Field(ge=0)
    duration_tiers: tuple[DurationTier, ...] = Field(min_length=1)
    provisioned_concurrency_usd_per_gb_s: float = Field(ge=0)
    provisioned_duration_usd_per_gb_s: float = Field(ge=0)
    ephemeral_storage_usd_per_gb_s: float = Field(ge=0)

    @field_validator("duration_tiers")
    @classmethod
    def _tiers_ordered(cls, tiers: tuple[DurationTier, ...]) -> tuple[DurationTier, ...]:
        # The marginal-tier sum in _tiered_cost assumes contiguous, increasing bounds that end
        # unbounded; anything else would leave usage unpriced.
        if tiers[-1].up_to_gb_s_per_month is not None:
            raise ValueError(
                "the last duration tier must be unbounded (up_to_gb_s_per_month: null)"
            )
        finite = [t.up_to_gb_s_per_month for t in tiers[:-1]]
        bounds = [b for b in finite if b is not None]
        if len(bounds) != len(finite):
            raise ValueError("only the last duration tier may be unbounded")
        if any(b1 >= b2 for b1, b2 in itertools.pairwise(bounds)):
            raise ValueError("duration tier bounds must be strictly increasing")
        return tiers


class FreeTier(_Frozen):
    """Always-free monthly allowance, account level, x86_64 and arm64 combined (§10.1).

    Parameters
    ----------
    requests : int
        Free requests per month.
    gb_s : float
        Free duration per month, GB-s.
    """

    requests: int = Field(ge=0)
    gb_s: float = Field(ge=0)


class SqsPricing(_Frozen):
    """Amazon SQS request prices (§10.5), kept in the table for the queue cost model.

    Parameters
    ----------
    standard_usd_per_request : float
        Standard queue, USD per request (first 100 B requests/month).
    fifo_usd_per_request : float
        FIFO queue, USD per request.
    free_requests : int
        Free requests per month.
    request_chunk_kb : int
        Each chunk of this many KB of payload counts as one request.
    empty_receives_billed : bool
        Whether empty receives (idle long polls) count as requests.
    provisioned_poller_usd_per_epu_hour : float
        SQS event source mapping in provisioned mode, USD per event-poller-unit hour
        (aws-lambda-behaviour.md §7.5: $0.00925 from a third-party compilation of the Price
        List API, to be verified).
    """

    provisioned_poller_usd_per_epu_hour: float = Field(default=0.00925, ge=0)
    standard_usd_per_request: float = Field(ge=0)
    fifo_usd_per_request: float = Field(ge=0)
    free_requests: int = Field(ge=0)
    request_chunk_kb: int = Field(gt=0)
    empty_receives_billed: bool


class RegionPricing(_Frozen):
    """All prices of one region.

    Parameters
    ----------
    architectures : dict of str to ArchitecturePricing
        Keyed by ``"x86_64"`` / ``"arm64"``.
    free_tier : FreeTier
        Always-free allowance.
    sqs : SqsPricing
        SQS request prices.
    """

    architectures: dict[str, ArchitecturePricing]
    free_tier: FreeTier
    sqs: SqsPricing

    @field_validator("architectures")
    @classmethod
    def _known_architectures(
        cls, archs: dict[str, ArchitecturePricing]
    ) -> dict[str, ArchitecturePricing]:
        unknown = sorted(set(archs) - set(ARCHITECTURES))
        if unknown:
            raise ValueError(f"unknown architectures {unknown}; expected {list(ARCHITECTURES)}")
        return archs


class BillingRules(_Frozen):
    """Dated billing rules, so that old traces can be priced under the rules of their date.

    Parameters
    ----------
    duration_granularity_ms : int
        Rounding of each invocation's billed duration, ms (1 since Dec 2020; 100 before). Applied
        where ``billed_ms`` is computed (:func:`lambdasim.units.billed_ms`), not here.
    init_billed_on_demand_from : datetime.date
        Date from which INIT is billed for on-demand ZIP / managed-runtime functions.
    provisioned_rounding_s : int
        Provisioned concurrency time is rounded up to a multiple of this, s.
    """

    duration_granularity_ms: int = Field(gt=0)
    init_billed_on_demand_from: date
    provisioned_rounding_s: int = Field(gt=0)


def _deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    # Region entries override only what differs from `default`; nested mappings merge key by
    # key, anything else (numbers, tier lists) replaces the default value whole.
    out = dict(base)
    for key, value in override.items():
        old = out.get(key)
        if isinstance(old, Mapping) and isinstance(value, Mapping):
            out[key] = _deep_merge(old, value)
        else:
            out[key] = value
    return out


class PricingTable(_Frozen):
    """A dated price table (schema of ``lambdasim/cost/pricing/*.yaml``).

    Parameters
    ----------
    id : str
        Table id, e.g. ``"aws-lambda@2026-11"``; stored with every priced result.
    currency : str
        Currency of every price (``"USD"``).
    effective_from : datetime.date
        First day the prices and rules apply; also decides the INIT rule (:func:`init_billed`).
    retrieved_on : datetime.date
        Day the numbers were checked against their sources.
    source : tuple of str
        Where the numbers come from (reference sections, URLs).
    billing_rules : BillingRules
        Dated billing rules.
    regions : dict of str to RegionPricing
        ``"default"`` plus per-region entries. In YAML a region entry holds only overrides of
        ``default``; after loading every entry is complete.
    """

    id: str = Field(min_length=1)
    currency: str = "USD"
    effective_from: date
    retrieved_on: date
    source: tuple[str, ...] = ()
    billing_rules: BillingRules
    regions: dict[str, RegionPricing]

    @model_validator(mode="before")
    @classmethod
    def _merge_regions(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        regions = data.get("regions")
        if not isinstance(regions, Mapping) or "default" not in regions:
            return data  # the after-validator reports the missing default
        base = regions["default"]
        if isinstance(base, BaseModel):
            base = base.model_dump()
        if not isinstance(base, Mapping):
            return data
        merged: dict[str, Any] = {}
        for name, override in regions.items():
            if name == "default" or isinstance(override, BaseModel):
                merged[name] = override
            elif override is None:  # `eu-west-1:` with nothing under it = same as default
                merged[name] = base
            elif isinstance(override, Mapping):
                merged[name] = _deep_merge(base, override)
            else:
                merged[name] = override  # let field validation report the wrong type
        return {**data, "regions": merged}

    @model_validator(mode="after")
    def _has_default(self) -> PricingTable:
        if "default" not in self.regions:
            raise ValueError("regions must contain a 'default' entry")
        return self

    def for_region(self, region: str) -> tuple[RegionPricing, list[str]]:
        """Prices of ``region``, falling back to ``default``.

        Parameters
        ----------
        region : str
            AWS region name, e.g. ``"us-east-1"``.

        Returns
        -------
        prices : RegionPricing
            The region's prices, or the ``default`` ones if the table has no such region.
        warnings : list of str
            One message if the fallback was used, else empty.
        """
        if region in self.regions:
            return self.regions[region], []
        return self.regions["default"], [
            f"pricing table {self.id!r} has no region {region!r}; using its 'default' prices"
        ]


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def _shipped() -> dict[str, Path]:
    tables: dict[str, Path] = {}
    if _PRICING_DIR.is_dir():
        for path in _PRICING_DIR.iterdir():
            m = _FILE_RE.match(path.name)
            if m:
                tables[f"{m['family']}@{m['ym']}"] = path
    return tables


def available_tables() -> list[str]:
    """Ids of the price tables shipped with lambdasim.

    Returns
    -------
    list of str
        Sorted ids such as ``["aws-lambda@2025-06", "aws-lambda@2026-11"]``.
    """
    return sorted(_shipped())


def _newest(ids: Sequence[str]) -> str:
    # Newest by date, ties broken by family name, so that a later family cannot win on spelling.
    return max(ids, key=lambda i: (i.rsplit("@", 1)[1], i))


#: Id of the newest shipped table; what ``load_table(None)`` returns.
DEFAULT_TABLE: str = _newest(available_tables())


def _read(path: Path) -> PricingTable:
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a pricing table must be a YAML mapping")
    return PricingTable.model_validate(data)


@cache
def _load_shipped(table_id: str) -> PricingTable:
    # Cached: sweeps price thousands of runs with the same (frozen) table.
    table = _read(_shipped()[table_id])
    if table.id != table_id:
        raise ValueError(f"shipped table file for {table_id!r} declares id {table.id!r}")
    return table


def load_table(table: str | os.PathLike[str] | None = None) -> PricingTable:
    """Load a shipped price table by id, or a user table from a YAML file.

    Parameters
    ----------
    table : str, path-like or None
        A shipped id such as ``"aws-lambda@2026-11"``, a path to a YAML file in the same schema
        (e.g. with Savings Plans or enterprise discounts), or ``None`` for
        :data:`DEFAULT_TABLE`.

    Returns
    -------
    PricingTable
        The validated table.

    Raises
    ------
    ValueError
        Unknown id (the message lists the shipped ids) or an invalid table.
    FileNotFoundError
        A path that does not exist.
    """
    if table is None:
        table = DEFAULT_TABLE
    if isinstance(table, str) and table in _shipped():
        return _load_shipped(table)
    path = Path(table)
    looks_like_path = (
        not isinstance(table, str)
        or path.suffix in (".yaml", ".yml")
        or os.sep in table
        or "/" in table
        or path.is_file()
    )
    if looks_like_path:
        if not path.is_file():
            raise FileNotFoundError(f"pricing table file not found: {path}")
        return _read(path)
    raise ValueError(
        f"unknown pricing table {table!r}; available: {', '.join(available_tables())} "
        "(or pass the path of a YAML table)"
    )


# --------------------------------------------------------------------------------------------
# Arithmetic
# --------------------------------------------------------------------------------------------


def init_billed(table: PricingTable) -> bool:
    """Whether on-demand INIT time is billed under ``table``.

    Parameters
    ----------
    table : PricingTable
        Price table.

    Returns
    -------
    bool
        ``table.effective_from >= table.billing_rules.init_billed_on_demand_from``. Before the
        2025-08-01 change only custom runtimes, container images and provisioned concurrency
        paid for INIT (§10.2); the totals do not say which runtime a function uses, so callers
        pricing such functions under an old table add their INIT to ``billed_ms`` themselves.
    """
    return table.effective_from >= table.billing_rules.init_billed_on_demand_from


def _billed_ms_total(t: BillingTotals, table: PricingTable) -> int:
    return t.billed_ms + (t.init_billed_ms_delta if init_billed(table) else 0)


def billed_gb_s(t: BillingTotals, table: PricingTable) -> float:
    """Billed duration of ``t`` in GB-s under ``table``'s INIT rule.

    Parameters
    ----------
    t : BillingTotals
        Totals of one function.
    table : PricingTable
        Decides whether ``t.init_billed_ms_delta`` counts.

    Returns
    -------
    float
        ``(billed_ms + init delta if billed) / 1000 × memory_mb / 1024``, GB-s.
    """
    # Integer product first, then a single division: the result is the correctly rounded
    # value of the exact quotient (e.g. 3e9 ms × 512 MB → exactly 1.5e6 GB-s).
    return _billed_ms_total(t, table) * t.memory_mb / _MS_MB_PER_GB_S


def _ephemeral_gb_s(t: BillingTotals, table: PricingTable) -> float:
    # /tmp above 512 MB is charged for the same billed duration as memory.
    extra_mb = t.ephemeral_storage_mb - _FREE_EPHEMERAL_MB
    return _billed_ms_total(t, table) * extra_mb / _MS_MB_PER_GB_S


def _tiered_cost(start_gb_s: float, end_gb_s: float, tiers: Sequence[DurationTier]) -> float:
    # Price of the usage interval [start, end) of a month's aggregate GB-s under marginal
    # tiers. Pricing an interval (not an amount) lets the free tier remove the *first* GB-s
    # of the month while the tier bounds still count all usage.
    parts: list[float] = []
    lower = 0.0
    for tier in tiers:
        upper = math.inf if tier.up_to_gb_s_per_month is None else tier.up_to_gb_s_per_month
        lo = max(start_gb_s, lower)
        hi = min(end_gb_s, upper)
        if hi > lo:
            parts.append(tier.usd_per_gb_s * (hi - lo))
        lower = upper
    return math.fsum(parts)


def _usage_cost(
    prices: ArchitecturePricing,
    requests: float,
    gb_s: float,
    free_requests: float,
    free_gb_s: float,
) -> tuple[float, float]:
    # Core shared by every public cost function: (requests_usd, duration_usd) of one
    # architecture's aggregate usage after the given free allowances.
    billable_requests = max(0.0, requests - free_requests)
    requests_usd = billable_requests * prices.usd_per_request
    duration_usd = _tiered_cost(min(free_gb_s, gb_s), gb_s, prices.duration_tiers)
    return requests_usd, duration_usd


def _arch_prices(
    region: RegionPricing, architecture: str, table: PricingTable
) -> ArchitecturePricing:
    try:
        return region.architectures[architecture]
    except KeyError:
        raise ValueError(
            f"pricing table {table.id!r} has no prices for architecture {architecture!r}"
        ) from None


def cost_from_usage(
    *,
    architecture: str,
    memory_mb: int,
    requests: int,
    gb_s: float,
    table: PricingTable,
    free_tier: bool,
    region: str = "us-east-1",
) -> dict[str, float]:
    """Cost of one usage amount priced on its own (one function, one architecture, one month).

    Parameters
    ----------
    architecture : str
        ``"x86_64"`` or ``"arm64"``.
    memory_mb : int
        Configured memory, MB; validated only (``gb_s`` already includes it).
    requests : int
        Billed requests.
    gb_s : float
        Billed duration, GB-s; duration tiers apply to it from 0.
    table : PricingTable
        Price table.
    free_tier : bool
        Deduct the whole monthly free tier (requests and GB-s) from this usage.
    region : str, default "us-east-1"
        Region; missing regions use the table's ``default`` prices (see
        :meth:`PricingTable.for_region` for the warning).

    Returns
    -------
    dict of str to float
        ``requests_usd``, ``duration_usd``, ``total_usd`` in USD, unrounded.
    """
    lo, hi = _MEMORY_RANGE_MB
    if not lo <= memory_mb <= hi:
        raise ValueError(f"memory_mb={memory_mb} outside {lo}–{hi} MB")
    if requests < 0 or not gb_s >= 0.0:
        raise ValueError("requests and gb_s must be >= 0")
    prices, _ = table.for_region(region)
    arch = _arch_prices(prices, architecture, table)
    free_requests = float(prices.free_tier.requests) if free_tier else 0.0
    free_gb_s = prices.free_tier.gb_s if free_tier else 0.0
    requests_usd, duration_usd = _usage_cost(arch, requests, gb_s, free_requests, free_gb_s)
    return {
        "requests_usd": requests_usd,
        "duration_usd": duration_usd,
        "total_usd": math.fsum((requests_usd, duration_usd)),
    }


def _share(amount: float, part: float, whole: float) -> float:
    # Pro-rata share. part / whole first, so that a lone function (part == whole) gets
    # exactly `amount`, not amount × part / whole with two roundings.
    return amount * (part / whole) if whole > 0 else 0.0


def _cost_frame(
    totals: Sequence[BillingTotals],
    table: PricingTable,
    *,
    region: str,
    scale: Sequence[float],
    free_tier: bool,
) -> pd.DataFrame:
    names = [t.function for t in totals]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        # Rows are per function; merging totals of different configurations is the caller's call.
        raise ValueError(f"duplicate functions in totals: {duplicates}")
    prices, warnings = table.for_region(region)

    requests = [t.requests * s for t, s in zip(totals, scale, strict=True)]
    gb_s = [billed_gb_s(t, table) * s for t, s in zip(totals, scale, strict=True)]
    eph_gb_s = [_ephemeral_gb_s(t, table) * s for t, s in zip(totals, scale, strict=True)]

    # Tiers and the free tier act on aggregates per architecture; functions then get pro-rata
    # shares, so each row is the function's part of what the account would pay.
    free_requests = float(prices.free_tier.requests) if free_tier else 0.0
    free_gb_s = prices.free_tier.gb_s if free_tier else 0.0
    arch_cost: dict[str, tuple[float, float, float, float]] = {}
    for arch in ARCHITECTURES:  # x86_64 first: the free-tier order (see monthly_projection)
        idx = [i for i, t in enumerate(totals) if t.architecture == arch]
        if not idx:
            continue
        arch_requests = math.fsum(requests[i] for i in idx)
        arch_gb_s = math.fsum(gb_s[i] for i in idx)
        used_requests = min(free_requests, arch_requests)
        used_gb_s = min(free_gb_s, arch_gb_s)
        req_usd, dur_usd = _usage_cost(
            _arch_prices(prices, arch, table), arch_requests, arch_gb_s, used_requests, used_gb_s
        )
        free_requests -= used_requests
        free_gb_s -= used_gb_s
        arch_cost[arch] = (arch_requests, arch_gb_s, req_usd, dur_usd)

    columns: dict[str, list[Any]] = {c: [] for c in COST_COLUMNS}
    for i, t in enumerate(totals):
        arch_requests, arch_gb_s, req_usd, dur_usd = arch_cost[t.architecture]
        eph_price = _arch_prices(prices, t.architecture, table).ephemeral_storage_usd_per_gb_s
        row_req = _share(req_usd, requests[i], arch_requests)
        row_dur = _share(dur_usd, gb_s[i], arch_gb_s)
        row_eph = eph_gb_s[i] * eph_price
        # Provisioned concurrency: allocation and execution at their own prices, no tiers and
        # no free tier (§10.3).
        ap = _arch_prices(prices, t.architecture, table)
        pc_exec_gb_s = (t.pc_billed_ms + t.pc_init_ms) / _MS_MB_PER_GB_S * t.memory_mb
        row_pc = scale[i] * (
            t.pc_allocated_gb_s * ap.provisioned_concurrency_usd_per_gb_s
            + pc_exec_gb_s * ap.provisioned_duration_usd_per_gb_s
        )
        columns["architecture"].append(t.architecture)
        columns["memory_mb"].append(t.memory_mb)
        columns["requests"].append(requests[i])
        columns["billed_gb_s"].append(gb_s[i])
        columns["requests_usd"].append(row_req)
        columns["duration_usd"].append(row_dur)
        columns["ephemeral_usd"].append(row_eph)
        columns["provisioned_usd"].append(row_pc)
        columns["total_usd"].append(math.fsum((row_req, row_dur, row_eph, row_pc)))

    frame = pd.DataFrame(columns, index=pd.Index(names, name="function"))
    # Fix numeric dtypes so that an empty frame has the same schema as a full one.
    frame = frame.astype(
        {c: "float64" for c in COST_COLUMNS[2:]} | {"architecture": "str", "memory_mb": "int64"}
    )
    # Provenance travels with the numbers (stack.md §2.5): which table, which rules, fallbacks.
    frame.attrs["pricing_table"] = table.id
    frame.attrs["region"] = region
    frame.attrs["init_billed"] = init_billed(table)
    frame.attrs["free_tier"] = free_tier
    frame.attrs["warnings"] = warnings
    return frame


def run_cost(
    totals: Sequence[BillingTotals], table: PricingTable, *, region: str = "us-east-1"
) -> pd.DataFrame:
    """Cost of the run itself, per function, without the free tier.

    Parameters
    ----------
    totals : sequence of BillingTotals
        One entry per function (names must be unique).
    table : PricingTable
        Price table; its date decides the INIT rule.
    region : str, default "us-east-1"
        Region; a missing region falls back to ``default`` and is listed in
        ``frame.attrs["warnings"]``.

    Returns
    -------
    pandas.DataFrame
        Index ``function``; columns ``architecture``, ``memory_mb``, ``requests`` (int),
        ``billed_gb_s`` (GB-s), ``requests_usd``, ``duration_usd``, ``ephemeral_usd``,
        ``total_usd`` (USD, unrounded). Duration tiers apply to the aggregate GB-s of each
        architecture in ``totals`` as if it were a month's usage; each function's
        ``duration_usd`` is its GB-s share of its architecture's tiered cost. ``attrs`` holds
        ``pricing_table``, ``region``, ``init_billed``, ``free_tier`` and ``warnings``.
    """
    frame = _cost_frame(totals, table, region=region, scale=[1.0] * len(totals), free_tier=False)
    # Unscaled request counts are whole numbers; keep them integral.
    return frame.astype({"requests": "int64"})


def monthly_projection(
    totals: Sequence[BillingTotals],
    table: PricingTable,
    *,
    free_tier: bool = False,
    days: float = 30.0,
    region: str = "us-east-1",
) -> pd.DataFrame:
    """Monthly bill projected from a run, per function.

    Each function's totals are scaled by ``days × 86,400 / seconds`` (its own ``seconds``) and
    priced like :func:`run_cost`, with the duration tiers applied to the projected monthly
    aggregate per architecture.

    With ``free_tier`` the always-free allowance (1M requests and 400,000 GB-s per month,
    §10.1) is deducted once at account level, across architectures: x86_64 usage uses it
    first, then arm64 gets what is left. AWS does not document the split; x86_64 first
    matches the pricing page's worked examples (all x86_64) and, x86_64 being the dearer
    rate, gives the lower bound of the bill (the other order costs at most
    400,000 × (x86 − arm tier-1 rate) ≈ $1.33 more). Within an architecture the free GB-s are
    the month's first GB-s (priced at tier 1; tier bounds still count all usage), and each
    function gets a pro-rata share of its architecture's discounted cost.

    Parameters
    ----------
    totals : sequence of BillingTotals
        One entry per function; ``seconds`` must be > 0.
    table : PricingTable
        Price table; its date decides the INIT rule.
    free_tier : bool, default False
        Deduct the always-free allowance.
    days : float, default 30.0
        Length of the projected month, days.
    region : str, default "us-east-1"
        Region; a missing region falls back to ``default`` (see ``attrs["warnings"]``).

    Returns
    -------
    pandas.DataFrame
        Same columns as :func:`run_cost`; ``requests`` and ``billed_gb_s`` are the projected
        monthly amounts (``requests`` is a float). ``attrs`` also holds ``days``.
    """
    if not days > 0.0:
        raise ValueError("days must be > 0")
    for t in totals:
        if not t.seconds > 0.0:
            raise ValueError(f"{t.function}: seconds must be > 0 to project a month")
    month_s = days * _SECONDS_PER_DAY
    scale = [month_s / t.seconds for t in totals]
    frame = _cost_frame(totals, table, region=region, scale=scale, free_tier=free_tier)
    frame.attrs["days"] = days
    return frame
