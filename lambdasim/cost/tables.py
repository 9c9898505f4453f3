"""Dated price tables: the schema of ``lambdasim/cost/pricing/*.yaml`` and how tables are found.

Prices live in versioned YAML tables shipped as package data, never in code, and every result
names the table it was priced with (stack.md §2.11). A table is a frozen pydantic model; shipped
tables are loaded once and cached.

Units: prices in USD; GB-s = (memory MB / 1,024) × billed seconds; ``*_ms`` milliseconds,
``*_s`` seconds, ``*_kb`` KB.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Mapping, Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from lambdasim.cost.yamlfile import TableLoader
from lambdasim.errors import LambdasimError

__all__ = [
    "ARCHITECTURES",
    "DEFAULT_TABLE",
    "ArchitecturePricing",
    "BillingRules",
    "DurationTier",
    "FreeTier",
    "PricingError",
    "PricingTable",
    "RegionPricing",
    "SqsPricing",
    "available_tables",
    "load_table",
]

#: Lambda instruction set architectures, in the order the account-level free tier is applied
#: (see :func:`lambdasim.cost.monthly_projection`).
ARCHITECTURES: tuple[str, ...] = ("x86_64", "arm64")

_PRICING_DIR = Path(__file__).resolve().parent / "pricing"
# Shipped file names are ``<family>-<YYYY-MM>.yaml`` and carry id ``<family>@<YYYY-MM>``; the
# id is derived from the name so that listing tables does not parse every file.
_FILE_RE = re.compile(r"^(?P<family>[a-z0-9][a-z0-9-]*?)-(?P<ym>\d{4}-\d{2})\.yaml$")


#: Largest pricing table file read, bytes (a table is a few KB: a bigger file is the wrong one).
MAX_TABLE_BYTES = 1 << 20


class PricingError(LambdasimError, ValueError):
    """A pricing table that cannot be used (unknown id, missing or unreadable file, bad YAML,
    wrong schema): one line per problem, naming the id or file. A ValueError as before."""


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
        # The marginal-tier sum in lambda_._tiered_cost assumes contiguous, increasing bounds
        # that end unbounded; anything else would leave usage unpriced.
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
        Each chunk of this many KB of payload counts as one request. Chunks are counted by the
        simulated queue when a message is sent: :mod:`lambdasim.simulation` passes this value
        to every queue.
    empty_receives_billed : bool
        Whether empty receives (idle long polls) count as billed requests; read by
        :func:`lambdasim.cost.queue_request_cost_usd` and :func:`lambdasim.cost.sqs_monthly_usd`.
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
        Provisioned concurrency time is rounded up to a multiple of this, s. The rounding is
        done where allocations are timed, so the cost package receives it already applied
        (``BillingTotals.pc_allocated_gb_s``); the simulator currently rounds with its own
        300-s constant (``lambdasim.service.provisioned.BILLING_STEP_S``), equal to every
        shipped table's value.
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
        First day the prices and rules apply; also decides the INIT rule
        (:func:`lambdasim.cost.init_billed`).
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


def _valid_ids() -> str:
    return ", ".join(available_tables())


def _yaml_problem(exc: yaml.YAMLError) -> str:
    # One line: "line L, column C: what", from PyYAML's marks (1-based for people).
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return f"{where}{problem}"


def _short(value: Any) -> str:  # a value for a message, never a screenful
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _schema_problems(src: str, exc: ValidationError) -> list[str]:
    lines = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        got = f" (got {_short(err['input'])})" if "input" in err else ""
        msg = str(err["msg"]).replace("Value error, ", "")
        lines.append(f"{src}: {loc}: {msg}{got}")
    return lines


def _read(path: Path) -> PricingTable:
    src = f"pricing table {path}"
    try:
        size = path.stat().st_size
        if size > MAX_TABLE_BYTES:
            raise PricingError(
                f"{src}: {size:,} bytes is not a pricing table (limit {MAX_TABLE_BYTES:,} bytes)"
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise PricingError(f"{src}: cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PricingError(
            f"{src}: not UTF-8 text (byte {exc.start}); a pricing table is a YAML file"
        ) from None
    try:
        data = yaml.load(text, Loader=TableLoader)  # safe: no Python tags, no duplicate keys
    except yaml.YAMLError as exc:
        raise PricingError(f"{src}: invalid YAML: {_yaml_problem(exc)}") from None
    if not isinstance(data, dict):
        raise PricingError(
            f"{src}: a pricing table must be a YAML mapping (got {type(data).__name__}); "
            f"see the shipped tables: {_valid_ids()}"
        )
    try:
        return PricingTable.model_validate(data)
    except ValidationError as exc:
        raise PricingError("\n".join(_schema_problems(src, exc))) from None


@cache
def _load_shipped(table_id: str) -> PricingTable:
    # Cached: sweeps price thousands of runs with the same (frozen) table.
    table = _read(_shipped()[table_id])
    if table.id != table_id:
        raise PricingError(f"shipped table file for {table_id!r} declares id {table.id!r}")
    return table


def _resolve(
    table: str | os.PathLike[str] | None, base_dir: str | os.PathLike[str] | None
) -> str | Path:
    # A shipped id, or the file to read (relative paths against base_dir, else the cwd).
    if table is None:
        return DEFAULT_TABLE
    if isinstance(table, str) and table in _shipped():
        return table
    path = Path(table).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    looks_like_path = (
        not isinstance(table, str)
        or path.suffix in (".yaml", ".yml")
        or os.sep in table
        or "/" in table
        or path.is_file()
    )
    if not looks_like_path:
        raise PricingError(
            f"unknown pricing table {table!r}; available: {_valid_ids()} "
            "(or pass the path of a YAML table)"
        )
    return path


def load_table(
    table: str | os.PathLike[str] | None = None,
    *,
    base_dir: str | os.PathLike[str] | None = None,
) -> PricingTable:
    """Load a shipped price table by id, or a user table from a YAML file.

    Parameters
    ----------
    table : str, path-like or None
        A shipped id such as ``"aws-lambda@2026-11"``, a path to a YAML file in the same schema
        (e.g. with Savings Plans or enterprise discounts), or ``None`` for
        :data:`DEFAULT_TABLE`.
    base_dir : path-like, optional
        Directory a relative path is resolved against. A scenario's ``pricing.table`` is
        resolved against the config file's directory (like trace paths); without ``base_dir``
        (``lambdasim pricing show --table``) against the working directory.

    Returns
    -------
    PricingTable
        The validated table.

    Raises
    ------
    PricingError
        Unknown id (the message lists the shipped ids), a file that does not exist or cannot
        be read, invalid YAML, or a table that breaks the schema (one line per field: its path,
        what is wrong and the value). A :class:`ValueError` too.
    """
    where = _resolve(table, base_dir)
    if isinstance(where, str):
        return _load_shipped(where)
    if not where.exists():
        hint = " (relative to the config file's directory)" if base_dir is not None else ""
        raise PricingError(
            f"pricing table {table!s}: file not found: {where}{hint}; shipped ids: {_valid_ids()}"
        )
    if where.is_dir():
        raise PricingError(f"pricing table {where}: is a directory, not a YAML file")
    return _read(where)
