"""Lambda billing arithmetic on per-function totals: requests, tiered duration, INIT, PC.

Pure functions of :class:`BillingTotals` and a :class:`~lambdasim.cost.tables.PricingTable`; this
module knows nothing about the simulation.

Units: prices in USD; ``*_ms`` milliseconds, ``seconds``/``*_s`` seconds, ``*_mb`` MB
(1 GB = 1,024 MB), ``gb_s`` = (memory MB / 1,024) × billed seconds.

Billing rules implemented (aws-lambda-behaviour.md §10, validation.md §1 item 5):

* cost = requests × price per request + Σ billed GB-s × tiered duration price
  + ephemeral GB-s above 512 MB × storage price;
* duration tiers are marginal and apply to the aggregate GB-s of one architecture;
* on-demand INIT is billed when the table's ``effective_from`` is on or after
  ``billing_rules.init_billed_on_demand_from`` (2025-08-01, §10.2), and under older tables too
  for functions whose totals say ``init_billed_always`` (custom runtimes and container images:
  AWS Compute Blog, "AWS Lambda standardizes billing for INIT phase", Apr 2025);
* provisioned concurrency is billed at its own allocation and duration prices, without tiers
  or free tier (§10.3); its INIT is billed under every table. The run's cost uses the PC
  GB-s rounded up to 5 minutes per configuration interval, the monthly projection the
  unrounded GB-s scaled to the month (https://aws.amazon.com/lambda/pricing/, "Provisioned
  Concurrency Pricing").

Durations arrive already rounded to billed milliseconds (:func:`lambdasim.units.billed_ms`);
nothing is rounded here, callers round for display.

The arithmetic returns :class:`CostRows` (:func:`run_cost_rows`, :func:`monthly_rows`): the
columns as lists, no pandas. :func:`run_cost` and :func:`monthly_projection` turn them into
DataFrames (:meth:`CostRows.frame`); a run's JSON document and a sweep's rows read the lists,
so a run that nobody asks for ``res.cost`` builds no frame (issue 16: two small frames were
4–7 ms of every run's fixed cost). pandas is imported by :meth:`CostRows.frame` only.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lambdasim.cost.tables import (
    ARCHITECTURES,
    ArchitecturePricing,
    DurationTier,
    PricingTable,
    RegionPricing,
)
from lambdasim.cost.totals import FREE_EPHEMERAL_MB, MEMORY_RANGE_MB, BillingTotals

if TYPE_CHECKING:  # pandas is imported by CostRows.frame, when a frame is asked for
    import pandas as pd

__all__ = [
    "COST_COLUMNS",
    "CostRows",
    "billed_gb_s",
    "cost_from_usage",
    "init_billed",
    "monthly_projection",
    "monthly_rows",
    "run_cost",
    "run_cost_rows",
]

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

#: dtypes of the frame's columns (fixed, so that an empty frame has the schema of a full one)
_DTYPES: dict[str, str] = {c: "float64" for c in COST_COLUMNS[2:]} | {
    "architecture": "str",
    "memory_mb": "int64",
}

# 1 GB = 1,024 MB and 1 s = 1,000 ms: ms × MB / 1,024,000 = GB-s in one correctly rounded division.
_MS_MB_PER_GB_S = 1000 * 1024
_SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class CostRows:
    """A cost table without pandas: one row per function, the columns as lists.

    Attributes
    ----------
    functions : tuple of str
        Row labels (the frame's index, named ``function``).
    columns : dict of str to list
        Column name -> one value per function, in :data:`COST_COLUMNS` order (callers may add
        columns before ``total_usd``); USD, GB-s and counts as in :func:`run_cost`.
    dtypes : dict of str to str
        The frame's dtype of each column.
    attrs : dict
        Provenance: ``pricing_table``, ``region``, ``init_billed``, ``free_tier``,
        ``warnings`` (and ``days`` for a projection).
    """

    functions: tuple[str, ...]
    columns: dict[str, list[Any]]
    dtypes: dict[str, str]
    attrs: dict[str, Any]

    def frame(self) -> pd.DataFrame:
        """The table as a DataFrame (index ``function``, the dtypes above, ``attrs``)."""
        import pandas as pd

        frame = pd.DataFrame(self.columns, index=pd.Index(list(self.functions), name="function"))
        frame = frame.astype(self.dtypes)
        frame.attrs.update(copy.deepcopy(self.attrs))  # each frame its own (mutable) attrs
        return frame


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
        ``table.effective_from >= table.billing_rules.init_billed_on_demand_from``: the rule
        for every on-demand function. Before the 2025-08-01 change only custom runtimes,
        container images and provisioned concurrency paid for INIT (§10.2): the totals of a
        custom-runtime or image function say so (``BillingTotals.init_billed_always``) and its
        INIT is billed under every table, as PC INIT (``pc_init_ms``) always is.
    """
    return table.effective_from >= table.billing_rules.init_billed_on_demand_from


def _billed_ms_total(t: BillingTotals, table: PricingTable) -> int:
    billed = t.init_billed_always or init_billed(table)
    return t.billed_ms + (t.init_billed_ms_delta if billed else 0)


def billed_gb_s(t: BillingTotals, table: PricingTable) -> float:
    """Billed duration of ``t`` in GB-s under ``table``'s INIT rule.

    Parameters
    ----------
    t : BillingTotals
        Totals of one function.
    table : PricingTable
        Decides whether ``t.init_billed_ms_delta`` counts (unless ``t.init_billed_always``).

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
    extra_mb = t.ephemeral_storage_mb - FREE_EPHEMERAL_MB
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
    lo, hi = MEMORY_RANGE_MB
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


def _provisioned_usd(
    t: BillingTotals, prices: ArchitecturePricing, scale: float, projected: bool
) -> float:
    # Provisioned concurrency: allocation and execution at their own prices, no tiers and no
    # free tier (§10.3). The run's allocation GB-s arrive already rounded to the table's
    # provisioned_rounding_s by whoever timed the configurations. A projection scales the
    # unrounded GB-s instead: scaling the rounded ones would bill a 60-s run's 300-s rounding
    # 43,200 times in a 30-day month (issue 14 item 3).
    enabled_gb_s = t.pc_allocated_gb_s
    if projected and t.pc_enabled_gb_s is not None:
        enabled_gb_s = t.pc_enabled_gb_s
    pc_exec_gb_s = (t.pc_billed_ms + t.pc_init_ms) / _MS_MB_PER_GB_S * t.memory_mb
    return scale * (
        enabled_gb_s * prices.provisioned_concurrency_usd_per_gb_s
        + pc_exec_gb_s * prices.provisioned_duration_usd_per_gb_s
    )


def _cost_rows(
    totals: Sequence[BillingTotals],
    table: PricingTable,
    *,
    region: str,
    scale: Sequence[float],
    free_tier: bool,
    projected: bool,
) -> CostRows:
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
        row_pc = _provisioned_usd(
            t, _arch_prices(prices, t.architecture, table), scale[i], projected
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

    # Provenance travels with the numbers (stack.md §2.5): which table, which rules, fallbacks.
    attrs = {
        "pricing_table": table.id,
        "region": region,
        "init_billed": init_billed(table),
        "free_tier": free_tier,
        "warnings": warnings,
    }
    return CostRows(tuple(names), columns, dict(_DTYPES), attrs)


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
    return run_cost_rows(totals, table, region=region).frame()


def run_cost_rows(
    totals: Sequence[BillingTotals], table: PricingTable, *, region: str = "us-east-1"
) -> CostRows:
    """:func:`run_cost` without the frame: the same numbers as :class:`CostRows`."""
    rows = _cost_rows(
        totals, table, region=region, scale=[1.0] * len(totals), free_tier=False, projected=False
    )
    # Unscaled request counts are whole numbers; keep them integral.
    rows.columns["requests"] = [int(r) for r in rows.columns["requests"]]
    rows.dtypes["requests"] = "int64"
    return rows


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
    aggregate per architecture. Provisioned concurrency is projected from its unrounded GB-s
    (``BillingTotals.pc_enabled_gb_s``): the month is billed as one long run, so runs of any
    length with the same PC pattern project the same month.

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
    return monthly_rows(totals, table, free_tier=free_tier, days=days, region=region).frame()


def monthly_rows(
    totals: Sequence[BillingTotals],
    table: PricingTable,
    *,
    free_tier: bool = False,
    days: float = 30.0,
    region: str = "us-east-1",
) -> CostRows:
    """:func:`monthly_projection` without the frame: the same numbers as :class:`CostRows`."""
    if not days > 0.0:
        raise ValueError("days must be > 0")
    for t in totals:
        if not t.seconds > 0.0:
            raise ValueError(f"{t.function}: seconds must be > 0 to project a month")
    month_s = days * _SECONDS_PER_DAY
    scale = [month_s / t.seconds for t in totals]
    rows = _cost_rows(
        totals, table, region=region, scale=scale, free_tier=free_tier, projected=True
    )
    rows.attrs["days"] = days
    return rows
