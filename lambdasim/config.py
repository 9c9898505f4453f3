"""Scenario configuration, schema version 1: YAML in, frozen pydantic v2 models out.

Every AWS default cites ``aws-lambda-behaviour.md`` (the project's behavioural reference, in
``shared/reference``) by section. Unknown keys are errors (``extra="forbid"``) with a "did you
mean" hint; integer fields take only integers. Errors carry the YAML file, line and column, the
dotted field path, the bad value and the allowed range (see :class:`ConfigError`).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    StrictBool,
    StrictInt,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from lambdasim import dists

__all__ = [
    "COLD_START_PRESETS",
    "Account",
    "ClientRetry",
    "ConfigError",
    "ConfigIssue",
    "Function",
    "Output",
    "Pricing",
    "Scaling",
    "Scenario",
    "Workload",
    "load",
    "loads",
]

# --------------------------------------------------------------------------- base and helpers

_FROZEN = ConfigDict(extra="forbid", frozen=True)

PosFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegFloat = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


class _Model(BaseModel):
    model_config = _FROZEN


# --------------------------------------------------------------------------- distributions


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


class EmpiricalDist(_Model):
    """Resample from observed values in seconds."""

    dist: Literal["empirical"]
    samples_s: Annotated[tuple[NonNegFloat, ...], Field(min_length=1)]

    def build(self) -> dists.Distribution:
        return dists.Empirical(self.samples_s)


DistSpec = Annotated[
    ConstantDist | ExponentialDist | UniformDist | LognormalDist | GammaDist | EmpiricalDist,
    Field(discriminator="dist"),
]


class _MemoryScaling(_Model):
    """How handler duration responds to memory (aws-lambda-behaviour.md §3).

    ``memory_ref_mb`` is the memory at which the distribution was measured; ``cpu_bound`` is the
    fraction of the time that scales with the vCPU share (``memory/1769``, at most 6 vCPUs).
    """

    memory_ref_mb: Annotated[StrictInt, Field(ge=128, le=10240)] | None = None
    cpu_bound: Fraction = 0.0


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


class EmpiricalDuration(EmpiricalDist, _MemoryScaling):
    """Empirical handler duration."""


DurationSpec = Annotated[
    ConstantDuration
    | ExponentialDuration
    | UniformDuration
    | LognormalDuration
    | GammaDuration
    | EmpiricalDuration,
    Field(discriminator="dist"),
]

#: INIT-duration presets (p50_s, p99_s) per runtime family: the suggested defaults of
#: aws-lambda-behaviour.md §2.2 "Model implications (2)", from E. Johnson, "Cold Starts Are Dead"
#: (Apr 2026), x86_64. arm64 multiplies them by :data:`ARM64_INIT_FACTOR`.
COLD_START_PRESETS: dict[str, tuple[float, float]] = {
    "python": (0.300, 1.000),
    "nodejs": (0.275, 0.800),
    "go": (0.075, 0.200),
    "rust": (0.065, 0.150),
    "java": (3.500, 8.000),
    "java-snapstart": (0.115, 0.300),
    "dotnet": (0.300, 0.650),
}

#: arm64 INIT is 13–40 % faster than x86_64; the reference suggests 0.8 (§2.2).
ARM64_INIT_FACTOR = 0.8


class ColdStartPreset(_Model):
    """INIT duration from a runtime preset (aws-lambda-behaviour.md §2.2)."""

    preset: Literal["python", "nodejs", "go", "rust", "java", "java-snapstart", "dotnet"]

    def build_for(self, architecture: str) -> dists.Distribution:
        p50, p99 = COLD_START_PRESETS[self.preset]
        f = ARM64_INIT_FACTOR if architecture == "arm64" else 1.0
        return dists.LogNormal.from_percentiles(p50 * f, p99 * f)


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


# --------------------------------------------------------------------------- account, pricing


class Scaling(_Model):
    """Per-function scaling rate (aws-lambda-behaviour.md §4.2).

    Since Nov 2023 each function may add up to 1,000 execution environments every 10 s, refilled
    continuously and without accrual: a token bucket of capacity ``envs_per_10s`` refilled at
    ``envs_per_10s / 10`` per second. ``mode: none`` switches the limit off.
    """

    mode: Literal["per_function", "none"] = "per_function"
    envs_per_10s: Annotated[StrictInt, Field(ge=1, le=1_000_000)] = 1000


class Account(_Model):
    """Regional account limits (aws-lambda-behaviour.md §4.1, §13)."""

    region: str = "us-east-1"
    #: Regional ConcurrentExecutions quota; AWS default 1,000 (§4.1).
    concurrency: Annotated[StrictInt, Field(ge=1, le=1_000_000)] = 1000
    #: Units Lambda keeps unreserved: 100, or the quota itself on small new accounts (§4.1, §13).
    min_unreserved: Annotated[StrictInt, Field(ge=0)] | None = None
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


# --------------------------------------------------------------------------- functions


class Function(_Model):
    """One Lambda function (SAM ``AWS::Serverless::Function``)."""

    architecture: Literal["x86_64", "arm64"] = "x86_64"  #: Architectures[0]
    #: MemorySize, 128–10,240 MB, default 128 (§3).
    memory_mb: Annotated[StrictInt, Field(ge=128, le=10240)] = 128
    #: Timeout, 1–900 s, default 3 (§3).
    timeout_s: Annotated[float, Field(ge=1, le=900, allow_inf_nan=False)] = 3.0
    #: EphemeralStorage, 512–10,240 MB; above 512 MB is billed (§3, §10.1).
    ephemeral_storage_mb: Annotated[StrictInt, Field(ge=512, le=10240)] = 512
    #: ReservedConcurrentExecutions: cap and guarantee (§4.4); null = uses the unreserved pool.
    reserved_concurrency: Annotated[StrictInt, Field(ge=0)] | None = None
    #: Handler duration (CloudWatch Duration), optionally scaled by memory.
    duration: DurationSpec
    #: INIT duration of a new execution environment (§2).
    cold_start: ColdStartSpec = ColdStartPreset(preset="python")
    #: Idle time before an environment is reclaimed, drawn per idle period. Default 600 s (§13).
    keep_alive_s: Annotated[DistSpec, Field(discriminator="dist")] = ConstantDist(
        dist="constant", value_s=600.0
    )
    #: Environments are retired when idle after this age; AWS: "every few hours", observed
    #: ≈ 2 h (§1.4, §13). null = never.
    max_lifetime_s: PosFloat | None = 7200.0
    #: On-demand INIT limit: an INIT longer than this times out and is retried inside the first
    #: invoke, bounded by the function timeout (§1.2). null = no limit.
    init_limit_s: PosFloat | None = 10.0
    #: Probability that one attempt fails with a function error.
    error_rate: Fraction = 0.0

    @field_validator("keep_alive_s", mode="before")
    @classmethod
    def _keep_alive_shorthand(cls, v: Any) -> Any:
        return _number_is_constant(v)

    def cold_start_dist(self) -> dists.Distribution:
        """The INIT-duration distribution for this function's architecture."""
        cs = self.cold_start
        if isinstance(cs, ColdStartPreset):
            return cs.build_for(self.architecture)
        return cs.build()

    def duration_factor(self) -> float:
        """Multiplier applied to sampled durations for ``memory_mb`` (1.0 without scaling).

        The CPU-bound fraction scales with the vCPU share ``min(memory/1769, 6)`` relative to
        ``memory_ref_mb`` (aws-lambda-behaviour.md §3: 1,769 MB = 1 vCPU, 6 vCPUs at 10,240 MB).
        """
        d = self.duration
        if d.memory_ref_mb is None or d.cpu_bound == 0.0:
            return 1.0
        share_ref = min(d.memory_ref_mb / 1769.0, 6.0)
        share = min(self.memory_mb / 1769.0, 6.0)
        return d.cpu_bound * share_ref / share + (1.0 - d.cpu_bound)


# --------------------------------------------------------------------------- workloads


class PoissonArrivals(_Model):
    """Poisson arrivals at ``rate_per_s`` requests per second."""

    kind: Literal["poisson"]
    rate_per_s: PosFloat


class ConstantArrivals(_Model):
    """Evenly spaced arrivals, ``rate_per_s`` per second, the first at ``1/rate_per_s``."""

    kind: Literal["constant"]
    rate_per_s: PosFloat


class TraceArrivals(_Model):
    """Replay a CSV of arrival timestamps in seconds (relative to the start of the run)."""

    kind: Literal["trace"]
    path: str
    time_column: str = "timestamp"


ArrivalSpec = Annotated[
    PoissonArrivals | ConstantArrivals | TraceArrivals, Field(discriminator="kind")
]


class ClientRetry(_Model):
    """Caller-side retry of throttled (429) sync requests, like the AWS SDKs.

    Exponential backoff with full jitter: before retry ``k`` (k = 1, 2, ...) the caller waits
    ``uniform(0, min(cap_s, base_s × 2^k))``.
    """

    max_attempts: Annotated[StrictInt, Field(ge=1, le=100)] = 3
    base_s: PosFloat = 0.05
    cap_s: PosFloat = 20.0


class Workload(_Model):
    """A stream of requests to one function."""

    target: str
    invocation: Literal["sync"] = "sync"
    arrivals: ArrivalSpec
    client_retry: ClientRetry | None = None
    name: str | None = None

    def label(self, index: int) -> str:
        """A stable name for this workload (its random stream key)."""
        return self.name or f"{index}:{self.target}"


# --------------------------------------------------------------------------- scenario


class Output(_Model):
    """What the results report."""

    percentiles: Annotated[
        tuple[Annotated[float, Field(gt=0, lt=100)], ...], Field(min_length=1)
    ] = (50.0, 90.0, 99.0, 99.9)
    timeseries_step_s: PosFloat = 60.0


class Scenario(_Model):
    """One simulated scenario: account, pricing, functions, workloads and output options.

    Build one with :func:`load` (a YAML file), :func:`loads` or :meth:`from_dict`, which run the
    cross-field checks as well; change it with :meth:`replace`.
    """

    version: Literal[1] = 1
    name: str = "scenario"
    seed: Annotated[StrictInt, Field(ge=0)] | None = None
    horizon_s: PosFloat
    warmup_s: NonNegFloat = 0.0
    account: Account = Account()
    pricing: Pricing = Pricing()
    functions: dict[str, Function]
    workloads: Annotated[list[Workload], Field(min_length=1)]
    output: Output = Output()

    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)
    _source: str | None = PrivateAttr(default=None)

    # ---------------------------------------------------------------- construction

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, base_dir: Path | None = None, source: str | None = None
    ) -> Scenario:
        """Validate ``data`` (as read from YAML) into a Scenario.

        Raises
        ------
        ConfigError
            With one :class:`ConfigIssue` per problem.
        """
        try:
            sc = cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigError.from_validation(exc, source=source) from None
        issues = sc.cross_check()
        if issues:
            raise ConfigError(issues, source=source)
        sc._base_dir = base_dir if base_dir is not None else Path.cwd()
        sc._source = source
        return sc

    def cross_check(self) -> list[ConfigIssue]:
        """Checks that span several fields (AWS rejects these configurations)."""
        issues: list[ConfigIssue] = []
        if self.warmup_s >= self.horizon_s:
            issues.append(
                ConfigIssue(
                    "warmup_s", f"must be less than horizon_s ({self.horizon_s})", self.warmup_s
                )
            )
        acct = self.account
        floor = acct.unreserved_floor
        if floor > acct.concurrency:
            issues.append(
                ConfigIssue(
                    "account.min_unreserved",
                    f"must be at most account.concurrency ({acct.concurrency})",
                    floor,
                )
            )
        budget = acct.concurrency - floor
        total = 0
        for fname, fn in self.functions.items():
            rc = fn.reserved_concurrency
            if rc is None:
                continue
            total += rc
            # AWS rejects PutFunctionConcurrency that leaves less than the unreserved minimum
            # (aws-lambda-behaviour.md §4.1).
            if total > budget:
                issues.append(
                    ConfigIssue(
                        f"functions.{fname}.reserved_concurrency",
                        f"reserved concurrency of all functions ({total}) must leave at least "
                        f"{floor} unreserved of account.concurrency {acct.concurrency}: "
                        f"allowed 0..{budget - (total - rc)}",
                        rc,
                    )
                )
        names = list(self.functions)
        for i, w in enumerate(self.workloads):
            if w.target not in self.functions:
                hint = difflib.get_close_matches(w.target, names, n=1)
                issues.append(
                    ConfigIssue(
                        f"workloads.{i}.target",
                        "unknown function"
                        + (f"; did you mean '{hint[0]}'?" if hint else f"; known: {names}"),
                        w.target,
                    )
                )
        return issues

    def replace(self, changes: Mapping[str, Any]) -> Scenario:
        """Return a re-validated copy with dotted-path changes applied.

        Parameters
        ----------
        changes : mapping
            ``{"functions.api.memory_mb": 1024, ...}``; list items are addressed by index
            (``"workloads.0.arrivals.rate_per_s"``).
        """
        data = self.model_dump(mode="json", exclude_unset=True)
        for path, value in changes.items():
            _set_path(data, path, value)
        return Scenario.from_dict(data, base_dir=self._base_dir, source=self._source)

    # ---------------------------------------------------------------- helpers

    @property
    def base_dir(self) -> Path:
        """Directory that relative paths (traces) are resolved against."""
        return self._base_dir

    def resolve_path(self, path: str) -> Path:
        """Resolve a path given in the config relative to the config file."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self._base_dir / p

    def to_yaml(self) -> str:
        """The effective configuration as YAML (all defaults filled in)."""
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False)


def _set_path(data: Any, path: str, value: Any) -> None:
    parts = path.split(".")
    node = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            try:
                idx = int(part)
                if last:
                    node[idx] = value
                    return
                node = node[idx]
            except (ValueError, IndexError):
                raise ConfigError(
                    [ConfigIssue(path, f"'{part}' is not an index of a list of {len(node)}", value)]
                ) from None
            continue
        if not isinstance(node, dict):
            raise ConfigError(
                [ConfigIssue(path, f"'{'.'.join(parts[:i])}' is not a mapping", value)]
            )
        if last:
            node[part] = value
        else:
            node = node.setdefault(part, {})


# --------------------------------------------------------------------------- errors


class ConfigIssue:
    """One problem in a configuration: where, what, and the offending value."""

    __slots__ = ("col", "line", "message", "path", "value")

    def __init__(
        self,
        path: str,
        message: str,
        value: Any = None,
        line: int | None = None,
        col: int | None = None,
    ) -> None:
        self.path = path
        self.message = message
        self.value = value
        self.line = line
        self.col = col

    def format(self, source: str | None = None) -> str:
        """``file:line:col: path: message (got value)``."""
        where = source or "<config>"
        if self.line is not None:
            where += f":{self.line}:{self.col}"
        got = "" if self.value is _MISSING else f" (got {_short(self.value)})"
        return f"{where}: {self.path or '<root>'}: {self.message}{got}"

    def __repr__(self) -> str:
        return f"ConfigIssue({self.format()!r})"


_MISSING: Any = object()


def _short(v: Any) -> str:
    s = repr(v) if isinstance(v, str) else yaml.safe_dump(v, default_flow_style=True).strip()
    if s.endswith("\n..."):
        s = s[:-4].strip()
    if s.endswith("..."):
        s = s[:-3].strip()
    return s if len(s) <= 80 else s[:77] + "..."


def _all_field_names() -> set[str]:
    names: set[str] = set()
    todo: list[type[BaseModel]] = [Scenario]
    seen: set[type[BaseModel]] = set()
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        names.update(m.model_fields)
        for sub in _MODELS:
            if sub not in seen:
                todo.append(sub)
    return names


class ConfigError(ValueError):
    """A configuration that cannot be simulated; holds one :class:`ConfigIssue` per problem."""

    def __init__(self, issues: list[ConfigIssue], *, source: str | None = None) -> None:
        self.issues = issues
        self.source = source
        super().__init__(self.format())

    def format(self) -> str:
        """All issues, one per line."""
        return "\n".join(i.format(self.source) for i in self.issues)

    def locate(self, text: str) -> ConfigError:
        """Fill in line and column of each issue from the YAML ``text``; returns self."""
        locate(self.issues, text)
        self.args = (self.format(),)
        return self

    @classmethod
    def from_validation(cls, exc: ValidationError, *, source: str | None = None) -> ConfigError:
        """Turn pydantic's errors into issues with dotted paths and bounds."""
        issues = []
        known = _all_field_names()
        for err in exc.errors(include_url=False):
            loc = [str(p) for p in err["loc"]]
            # Drop discriminator tags (e.g. "lognormal", "function-after[...]") pydantic puts in
            # loc: they are not keys of the user's file.
            path = [p for p in loc if not _is_tag(p)]
            msg = err["msg"]
            value = err.get("input", _MISSING)
            etype = err["type"]
            if etype == "extra_forbidden":
                key = path[-1] if path else ""
                hint = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
                msg = "unknown key" + (f"; did you mean '{hint[0]}'?" if hint else "")
                value = _MISSING
            elif etype == "missing":
                msg = "required field is missing"
                value = _MISSING
            elif etype == "union_tag_invalid" or etype == "union_tag_not_found":
                msg = msg.replace("Input tag", "value")
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
            if isinstance(value, dict | list) and etype not in ("missing",):
                value = _MISSING if len(str(value)) > 80 else value
            issues.append(ConfigIssue(".".join(path), msg, value))
        return cls(issues, source=source)


def _is_tag(part: str) -> bool:
    return (
        part in _TAGS
        or part.startswith("function-")
        or part.startswith("constrained-")
        or part.startswith("lax-")
        or part.startswith("json-")
    )


_TAGS = {
    "constant",
    "exponential",
    "uniform",
    "lognormal",
    "gamma",
    "empirical",
    "preset",
    "dist",
    "poisson",
    "trace",
    "int",
    "float",
    "str",
    "none",
    "bool",
}


class _Loader(yaml.SafeLoader):
    pass


def locate(issues: list[ConfigIssue], text: str) -> None:
    """Set ``line``/``col`` of each issue from the YAML ``text`` (where its path is found)."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return
    for issue in issues:
        node = _find_node(root, issue.path.split(".") if issue.path else [])
        if node is not None:
            issue.line = node.start_mark.line + 1
            issue.col = node.start_mark.column + 1


def _find_node(node: yaml.Node | None, path: list[str]) -> yaml.Node | None:
    """Walk a composed YAML node tree along ``path``; return the deepest node reached.

    An unknown key is not in the tree, so the error points at the mapping that holds it.
    """
    for part in path:
        nxt: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == part:
                    nxt = v
                    break
        elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            nxt = node.value[int(part)]
        if nxt is None:
            return node
        node = nxt
    return node


# --------------------------------------------------------------------------- loading


def loads(text: str, *, source: str | None = None, base_dir: Path | None = None) -> Scenario:
    """Validate a scenario from YAML text.

    Raises
    ------
    ConfigError
        For YAML syntax errors and for every invalid field, with line and column.
    """
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        issue = ConfigIssue("", f"not valid YAML: {getattr(exc, 'problem', exc)}", _MISSING)
        if mark is not None:
            issue.line, issue.col = mark.line + 1, mark.column + 1
        raise ConfigError([issue], source=source) from None
    if not isinstance(data, dict):
        raise ConfigError(
            [ConfigIssue("", "a scenario must be a YAML mapping", _MISSING, 1, 1)], source=source
        )
    try:
        return Scenario.from_dict(data, base_dir=base_dir, source=source)
    except ConfigError as exc:
        raise exc.locate(text) from None


def load(path: str | Path) -> Scenario:
    """Load and validate a scenario YAML file (``ls.load("configs/quickstart.yaml")``).

    Relative paths inside the file (traces) are resolved against the file's directory.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            [ConfigIssue("", f"cannot read file: {exc.strerror}", _MISSING)], source=str(path)
        ) from None
    return loads(text, source=str(path), base_dir=p.resolve().parent)


def parse_override(item: str) -> tuple[str, Any]:
    """Parse ``PATH=VALUE`` (the CLI's ``--set``); VALUE goes through the YAML scalar parser."""
    if "=" not in item:
        raise ConfigError([ConfigIssue(item, "expected PATH=VALUE", _MISSING)], source="--set")
    path, raw = item.split("=", 1)
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    return path.strip(), value


_MODELS: list[type[BaseModel]] = [
    Scenario,
    Account,
    Scaling,
    Pricing,
    Function,
    Workload,
    ClientRetry,
    Output,
    PoissonArrivals,
    ConstantArrivals,
    TraceArrivals,
    ColdStartPreset,
    ConstantDuration,
    ExponentialDuration,
    UniformDuration,
    LognormalDuration,
    GammaDuration,
    EmpiricalDuration,
]
