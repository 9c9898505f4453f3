"""Config schema v1: validation, error locations, overrides, defaults."""

from __future__ import annotations

import math
from pathlib import Path
from statistics import NormalDist

import pydantic
import pytest

import lambdasim as ls
from lambdasim.config import COLD_START_PRESETS, ConfigError, parse_override
from tests.conftest import ROOT

pytestmark = pytest.mark.unit

QUICK = (ROOT / "configs" / "quickstart.yaml").read_text(encoding="utf-8")


def errors(text: str) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        ls.loads(text, source="x.yaml")
    return exc.value.format().splitlines()


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_quickstart_loads_with_documented_keys() -> None:
    sc = ls.load(ROOT / "configs" / "quickstart.yaml")
    api = sc.functions["api"]
    assert sc.version == 1 and sc.horizon_s == 3600 and sc.account.concurrency == 1000
    assert api.memory_mb == 512 and api.timeout_s == 10 and api.reserved_concurrency is None
    assert sc.workloads[0].invocation == "sync"


def test_memory_out_of_range_is_one_line_with_location_path_value_and_bound() -> None:
    text = QUICK.replace("memory_mb: 512", "memory_mb: 20000")
    (line,) = errors(text)
    n = line_of(text, "memory_mb: 20000")
    assert line.startswith(f"x.yaml:{n}:")
    assert "functions.api.memory_mb" in line and "20000" in line and "10240" in line


def test_all_errors_are_reported_at_once() -> None:
    text = QUICK.replace("memory_mb: 512", "memory_mb: 20000").replace(
        "timeout_s: 10", "timeout_s: 901"
    )
    lines = errors(text)
    assert len(lines) == 2
    assert any("functions.api.timeout_s" in x and "900" in x for x in lines)


def test_unknown_key_suggests_the_right_one() -> None:
    (line,) = errors(QUICK.replace("error_rate:", "eror_rate:"))
    assert "functions.api.eror_rate" in line and "did you mean 'error_rate'" in line


def test_unknown_workload_target_suggests_function() -> None:
    (line,) = errors(QUICK.replace("target: api", "target: apu"))
    assert "workloads.0.target" in line and "did you mean 'api'" in line
    assert line.startswith(f"x.yaml:{line_of(QUICK, 'target: api')}:")


def test_integer_fields_take_only_integers_and_yaml_1e3_is_a_float() -> None:
    # PyYAML alone reads 1e3 as the string '1e3' (YAML 1.1); the scenario loader reads it as a
    # float (YAML 1.2), so float fields take it and int fields do not.
    sc = ls.loads(QUICK.replace("horizon_s: 3600", "horizon_s: 1e3"))
    assert sc.horizon_s == 1000.0
    (line,) = errors(QUICK.replace("memory_mb: 512", "memory_mb: 1e3"))
    assert "functions.api.memory_mb" in line
    (line,) = errors(QUICK.replace("memory_mb: 512", "memory_mb: 512.0"))
    assert "functions.api.memory_mb" in line


def test_reserved_concurrency_must_leave_unreserved_floor() -> None:
    text = QUICK.replace("reserved_concurrency: null", "reserved_concurrency: 950")
    (line,) = errors(text)
    assert "functions.api.reserved_concurrency" in line and "0..900" in line and "950" in line


def test_distribution_errors() -> None:
    (line,) = errors(QUICK.replace("p50_s: 0.3, p99_s: 0.9", "p50_s: 0.3, p99_s: 0.1"))
    assert "functions.api.cold_start" in line and "p99_s" in line
    (line,) = errors(
        QUICK.replace("{dist: uniform, low_s: 300, high_s: 360}", "{dist: pareto, low_s: 300}")
    )
    assert "functions.api.keep_alive_s" in line and "pareto" in line


def test_yaml_syntax_error_has_location() -> None:
    (line,) = errors("version: 1\nfunctions: [unclosed\n")
    assert line.startswith("x.yaml:") and "not valid YAML" in line


def test_replace_revalidates_and_keeps_the_original() -> None:
    sc = ls.loads(QUICK)
    sc2 = sc.replace({"functions.api.memory_mb": 1024, "workloads.0.arrivals.rate_per_s": 5})
    assert sc2.functions["api"].memory_mb == 1024 and sc.functions["api"].memory_mb == 512
    assert sc2.workloads[0].arrivals.rate_per_s == 5  # type: ignore[union-attr]
    with pytest.raises(ConfigError, match=r"functions\.api\.memory_mb"):
        sc.replace({"functions.api.memory_mb": 20000})
    with pytest.raises(ConfigError, match=r"workloads\.3"):
        sc.replace({"workloads.3.target": "api"})


def test_scenario_is_frozen() -> None:
    sc = ls.loads(QUICK)
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        sc.horizon_s = 5  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        sc.functions["api"].memory_mb = 1024  # type: ignore[misc]
    assert sc.horizon_s == 3600 and sc.functions["api"].memory_mb == 512


def test_override_values_go_through_yaml_scalars() -> None:
    assert parse_override("functions.api.memory_mb=1024") == ("functions.api.memory_mb", 1024)
    assert parse_override("pricing.free_tier=true") == ("pricing.free_tier", True)
    assert parse_override("functions.api.reserved_concurrency=null")[1] is None
    with pytest.raises(ConfigError):
        parse_override("no-equals-sign")


def test_keep_alive_number_is_constant_and_defaults_follow_reference() -> None:
    sc = ls.loads(QUICK.replace("{dist: uniform, low_s: 300, high_s: 360}", "420"))
    ka = sc.functions["api"].keep_alive_s.build()
    assert ka.mean == 420 and ka.variance == 0
    minimal = ls.Scenario.from_dict(
        {
            "horizon_s": 10,
            "functions": {"f": {"duration": {"dist": "constant", "value_s": 1}}},
            "workloads": [{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 1}}],
        }
    )
    f = minimal.functions["f"]
    # aws-lambda-behaviour.md §3 and §13: 128 MB, 3 s, keep-alive 600 s, lifetime 7,200 s
    assert (f.memory_mb, f.timeout_s, f.max_lifetime_s) == (128, 3.0, 7200.0)
    assert f.keep_alive_s.build().mean == 600.0
    assert minimal.account.unreserved_floor == 100
    small = minimal.replace({"account.concurrency": 10})
    assert small.account.unreserved_floor == 10  # min(100, quota) on new accounts (§4.1)


def test_cold_start_presets_and_arm64_factor() -> None:
    sc = ls.loads(QUICK.replace("{dist: lognormal, p50_s: 0.3, p99_s: 0.9}", "{preset: java}"))
    d = sc.functions["api"].cold_start_dist()
    assert isinstance(d, ls.dists.LogNormal)
    p50, p99 = COLD_START_PRESETS["java"]
    assert 2.0 <= p50 <= 5.0  # aws-lambda-behaviour.md §2.2: Java INIT p50 2-5 s (x86_64)
    # the preset's lognormal has exactly the preset's median and 99th percentile
    z99 = NormalDist().inv_cdf(0.99)
    assert math.exp(d.mu) == pytest.approx(p50, rel=1e-12)
    assert math.exp(d.mu + z99 * d.sigma) == pytest.approx(p99, rel=1e-12)
    # arm64: every quantile × 0.8 (§2.2), so the same shape and 0.8 × the mean
    arm = sc.replace({"functions.api.architecture": "arm64"}).functions["api"].cold_start_dist()
    assert isinstance(arm, ls.dists.LogNormal)
    assert math.exp(arm.mu) == pytest.approx(0.8 * p50, rel=1e-12)
    assert arm.sigma == pytest.approx(d.sigma, rel=1e-12)
    assert arm.mean == pytest.approx(0.8 * d.mean)


def test_memory_scaling_of_duration() -> None:
    sc = ls.loads(QUICK)  # memory_ref_mb 512, cpu_bound 0.5
    f = sc.functions["api"]
    assert f.duration_factor() == 1.0
    f2 = sc.replace({"functions.api.memory_mb": 1024}).functions["api"]
    assert f2.duration_factor() == pytest.approx(0.5 * 512 / 1024 + 0.5)
    # single-threaded (duration.threads defaults to 1): one vCPU at most, reached at 1,769 MB
    # (Lambda guide "configuration-memory"), so 10,240 MB is no faster than 1,769 MB
    f3 = sc.replace({"functions.api.memory_mb": 10240}).functions["api"]
    assert f3.duration.threads == 1
    assert f3.duration_factor() == pytest.approx(0.5 * (512 / 1769) / 1.0 + 0.5)
    f4 = sc.replace({"functions.api.memory_mb": 1769}).functions["api"]
    assert f3.duration_factor() == f4.duration_factor()
    # six threads use every allocated vCPU: 10,240 / 1,769 = 5.79 (share capped at 6)
    f6 = sc.replace({"functions.api.memory_mb": 10240, "functions.api.duration.threads": 6})
    got = f6.functions["api"].duration_factor()
    assert got == pytest.approx(0.5 * (512 / 1769) / min(10240 / 1769, 6) + 0.5)


def test_load_reports_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read file"):
        ls.load(tmp_path / "nope.yaml")


#: AWS quotas and defaults of a function (aws-lambda-behaviour.md §3, §13): field, minimum,
#: maximum, default.
AWS_FUNCTION_LIMITS = [
    ("memory_mb", 128, 10240, 128),
    ("timeout_s", 1, 900, 3.0),
    ("ephemeral_storage_mb", 512, 10240, 512),
]


@pytest.mark.parametrize(("field", "low", "high", "default"), AWS_FUNCTION_LIMITS)
def test_json_schema_states_the_limits_the_validator_enforces(
    field: str, low: float, high: float, default: float
) -> None:
    """The generated schema (``lambdasim schema``) carries AWS's limits and defaults, and they
    are the bounds ``Scenario`` enforces: the limit itself loads, one past it fails at the
    field's path. (tests/unit/test_cli.py validates the shipped configs against it.)"""
    schema = ls.Scenario.model_json_schema()
    prop = schema["$defs"]["Function"]["properties"][field]
    assert (prop["minimum"], prop["maximum"], prop["default"]) == (low, high, default)
    base = ls.loads(QUICK)
    for ok in (low, high):
        assert getattr(base.replace({f"functions.api.{field}": ok}).functions["api"], field) == ok
    for bad in (low - 1, high + 1):
        with pytest.raises(ConfigError, match=rf"functions\.api\.{field}"):
            base.replace({f"functions.api.{field}": bad})
    assert getattr(ls.Scenario.from_dict(MINIMAL).functions["f"], field) == default


MINIMAL = {
    "horizon_s": 10,
    "functions": {"f": {"duration": {"dist": "constant", "value_s": 0.1}}},
    "workloads": [{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 1}}],
}


def test_json_schema_requires_what_the_validator_requires() -> None:
    schema = ls.Scenario.model_json_schema()
    assert sorted(schema["required"]) == sorted(MINIMAL)
    for key in MINIMAL:
        data = {k: v for k, v in MINIMAL.items() if k != key}
        with pytest.raises(ConfigError, match=key):
            ls.Scenario.from_dict(data)
    assert schema["$defs"]["Function"]["required"] == ["duration"]
    with pytest.raises(ConfigError, match=r"functions\.f\.duration"):
        ls.Scenario.from_dict({**MINIMAL, "functions": {"f": {"memory_mb": 256}}})


def test_wildcard_target_without_an_expander_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # config never imports workload: "*" expansion arrives through a slot that
    # lambdasim.workload fills at import; an empty slot must fail clearly, not silently.
    from lambdasim.config import wildcards

    monkeypatch.setattr(wildcards, "_expander", None)
    text = QUICK.replace("target: api", "target: '*'")
    (line,) = errors(text)
    assert "workloads.0.target" in line and "lambdasim.workload" in line
    # no wildcard: unaffected
    assert [w.target for w in ls.loads(QUICK).workloads] == ["api"]


def test_workload_registers_the_wildcard_expander() -> None:
    from lambdasim.config import wildcards
    from lambdasim.workload.expand import expand_wildcards

    assert wildcards._expander is expand_wildcards
