"""The measured cold-start model, runtime/limit validation, power curve and calibration data.

Ranges are aws-lambda-behaviour.md §2.2 (E. Johnson 2026, x86_64, p50); the package series is
cloudbench 2019 (tests/data/cloudbench2019). Samples use fixed seeds and common random numbers,
so monotonicity is checked draw by draw.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import math
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import lambdasim as ls
from lambdasim import coldstart
from tests.conftest import scenario

pytestmark = pytest.mark.unit

DATA = Path(__file__).resolve().parent.parent / "data"
ROOT = Path(__file__).resolve().parents[2]
N = 100_000

#: §2.2 p50 ranges per family, seconds (x86_64).
P50_RANGE = {
    "python": (0.200, 0.400),
    "nodejs": (0.200, 0.350),
    "go": (0.050, 0.100),
    "rust": (0.050, 0.080),
    "java": (2.0, 5.0),
    "java-snapstart": (0.090, 0.140),
    "dotnet": (0.200, 0.400),
}


def draws(runtime: str, seed: int = 3, **kw: Any) -> np.ndarray:
    return coldstart.measured_init(runtime, **kw).sample(np.random.default_rng(seed), N)


@pytest.mark.parametrize("family", list(P50_RANGE))
@pytest.mark.parametrize("memory_mb", [128, 512, 1024, 3008, 10240])
def test_median_inside_reference_range(family: str, memory_mb: int) -> None:
    lo, hi = P50_RANGE[family]
    med = float(np.median(draws(family, memory_mb=memory_mb)))
    assert lo <= med <= hi, (family, memory_mb, med)


@pytest.mark.parametrize(
    ("runtime", "family"),
    [
        ("python3.12", "python"),
        ("nodejs22.x", "nodejs"),
        ("java21", "java"),
        ("java17.al2", "java"),
        ("java21-snapstart", "java-snapstart"),
        ("dotnet8", "dotnet"),
        ("provided.al2023", "go"),
        ("go1.x", "go"),
        ("rust", "rust"),
    ],
)
def test_runtime_identifiers(runtime: str, family: str) -> None:
    assert coldstart.runtime_family(runtime) == family


def test_package_java_and_arm64_effects_are_monotone() -> None:
    sizes = [0.0, 1.0, 5.0, 14.0, 35.0]
    runs = [draws("nodejs22.x", package_mb=s) for s in sizes]
    for a, b in itertools.pairwise(runs):
        assert np.all(b > a)  # common random numbers: every draw grows with the package
    java, py, go = (float(np.median(draws(r))) for r in ("java21", "python3.12", "go1.x"))
    assert java > py > go
    for fam in P50_RANGE:
        x86, arm = draws(fam, package_mb=3.0), draws(fam, package_mb=3.0, architecture="arm64")
        assert np.allclose(arm, 0.8 * x86)  # §2.2: arm64 × 0.8
    # memory: a small effect (§2.2), faster with more memory
    m128, m3008 = (float(np.median(draws("python", memory_mb=m))) for m in (128, 3008))
    assert 1.0 < m128 / m3008 < 1.1


def test_package_term_reproduces_cloudbench_series() -> None:
    # cloudbench 2019, Node.js: 67 % ranges of INIT at 14 and 35 MB (coldstart_aws_bydependencies)
    raw = json.loads((DATA / "cloudbench2019" / "coldstart_aws_bydependencies.json").read_text())
    ranges = {p[0].strip(): (p[4], p[5]) for p in raw["points"]}
    for size, label in ((14.0, "14 MB"), (35.0, "35 MB")):
        med = float(np.median(draws("nodejs", package_mb=size)))
        lo, hi = ranges[label]
        assert lo <= med <= hi, (size, med, lo, hi)


def test_vpc_penalty_only_in_legacy_era() -> None:
    base = draws("python", package_mb=2.0)
    assert np.array_equal(draws("python", package_mb=2.0, vpc=True), base)
    legacy = draws("python", package_mb=2.0, vpc=True, era="aws-2018")
    diff = legacy - base
    assert diff.min() >= 10.0 and diff.max() <= 15.0  # §2.3: +10-15 s before Hyperplane
    d = coldstart.measured_init("python", package_mb=2.0, vpc=True, era="aws-2018")
    assert legacy.mean() == pytest.approx(d.mean, rel=0.01)
    assert legacy.std() == pytest.approx(math.sqrt(d.variance), rel=0.02)


YAML = """
name: issue9
seed: 1
horizon_s: 200000
functions:
  api:
    runtime: python3.12
    architecture: arm64
    memory_mb: 1024
    package_mb: 12
    vpc: false
    cold_start: {model: measured}
    keep_alive_s: {preset: aws-2025}
    duration: {dist: lognormal, p50_s: 0.12, p99_s: 0.6, memory_ref_mb: 1024, cpu_bound: 0.8}
workloads:
  - target: api
    arrivals: {kind: poisson, rate_per_s: 0.004}
"""


def test_yaml_config_runs_with_measured_model_and_preset() -> None:
    sc = ls.loads(YAML)
    fn = sc.functions["api"]
    dist = fn.cold_start_dist()
    assert dist == coldstart.measured_init("python3.12", "arm64", 1024, 12.0)
    assert fn.keep_alive_s.build() == coldstart.keep_alive_preset("aws-2025")
    res = ls.run(sc, progress=False).functions["api"]
    assert res["cold_starts"] > 100  # 250-s mean gaps, keep-alive ~5 min: many reclaims
    med = float(np.median(dist.sample(np.random.default_rng(0), N)))
    assert res["init_s"]["p50"] == pytest.approx(med, rel=0.15)
    again = ls.loads(sc.to_yaml()).functions["api"]  # round trip of the effective config
    assert again.cold_start == fn.cold_start and again.keep_alive_s == fn.keep_alive_s


def fn_cfg(**kw: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"duration": {"dist": "constant", "value_s": 0.1}}
    d.update(kw)
    return d


@pytest.mark.parametrize(
    ("kw", "words"),
    [
        ({"memory_mb": 20000}, ["memory_mb", "memory limit", "10240"]),
        ({"memory_mb": 64}, ["memory_mb", "memory limit", "128"]),
        ({"timeout_s": 901}, ["timeout_s", "timeout limit", "900"]),
        ({"timeout_s": 2.5}, ["timeout_s", "2.5", "whole number of seconds"]),
        ({"package_type": "image", "package_mb": 10241}, ["package_mb", "10 GB", "image"]),
        ({"package_type": "oci"}, ["package_type", "zip", "image"]),
        ({"ephemeral_storage_mb": 256}, ["ephemeral_storage_mb", "ephemeral storage", "512"]),
        ({"package_mb": 251}, ["package_mb", "250 MB unzipped"]),
        ({"runtime": "cobol9"}, ["runtime", "unknown runtime"]),
        ({"cold_start": {"model": "measured"}}, ["needs the function's runtime"]),
        ({"keep_alive_s": {"preset": "aws-2030"}}, ["keep_alive_s", "aws-2025"]),
    ],
)
def test_limits_are_clear_errors(kw: dict[str, Any], words: list[str]) -> None:
    with pytest.raises(ls.ConfigError) as e:
        scenario(
            functions={"f": fn_cfg(**kw)},
            workloads=[{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 1}}],
        )
    msg = str(e.value)
    assert "\n" not in msg
    for w in words:
        assert w in msg, (w, msg)


def test_whole_second_timeouts_and_image_packages_load() -> None:
    # AWS: timeout in 1-s increments (Lambda guide "configuration-timeout"); dumped configs
    # write 10.0, so a whole float loads too. Images lift the 250 MB zip limit to 10 GB.
    for t in (1, 10, 10.0, 900):
        sc = scenario(
            functions={"f": fn_cfg(timeout_s=t, package_type="image", package_mb=251)},
            workloads=[{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 1}}],
        )
        f = sc.functions["f"]
        assert f.timeout_s == float(t) and f.package_type == "image" and f.package_mb == 251
        assert ls.loads(sc.to_yaml()).functions["f"].timeout_s == float(t)


def test_defaults_unchanged_without_new_keys() -> None:
    sc = scenario(
        functions={"f": fn_cfg()},
        workloads=[{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 1}}],
    )
    f = sc.functions["f"]
    assert f.runtime is None and f.package_mb is None and f.vpc is False
    assert f.package_type == "zip" and f.recursive_loop == "terminate"
    assert f.keep_alive_s.build() == ls.dists.Constant(600.0)
    assert f.cold_start_dist() == ls.dists.LogNormal.from_percentiles(0.300, 1.000)


def test_power_curve_cpu_bound_monotone_io_bound_flat() -> None:
    mems = [128, 256, 512, 1024, 1769, 3008, 5120, 10240]
    spec = {
        "dist": "lognormal",
        "p50_s": 1.0,
        "p99_s": 3.0,
        "memory_ref_mb": 1769,
        "cpu_bound": 1.0,
    }
    # six threads use every allocated vCPU (parallel code, Lambda guide "configuration-memory")
    cpu = ls.power_curve({"duration": {**spec, "threads": 6}}, mems)
    d = cpu["duration_mean_s"].to_numpy()
    assert np.all(np.diff(d) < 0)
    # all-CPU work below 6 vCPUs: duration × memory is constant: GB-s moves by 1-ms rounding only
    gbs = cpu["gb_s"].to_numpy()
    assert np.allclose(gbs, gbs[0], rtol=0.01)
    assert cpu["speedup"].iloc[-1] == pytest.approx(10240 / 128, rel=1e-9)
    assert np.array_equal(cpu["usable_vcpus"], cpu["vcpu_share"])
    # one thread (the default): no faster above 1,769 MB (one vCPU), so it only costs more
    one = ls.power_curve({"duration": spec}, mems)
    above = one[one.memory_mb >= 1769]
    assert np.all(above["duration_mean_s"].to_numpy() == above["duration_mean_s"].iloc[0])
    assert np.all(np.diff(above["cost_usd"].to_numpy()) > 0)
    assert np.array_equal(one["usable_vcpus"], np.minimum(one["vcpu_share"], 1.0))
    below = one.memory_mb <= 1769
    assert np.array_equal(one[below]["duration_mean_s"], cpu[below]["duration_mean_s"])
    io = ls.power_curve(
        {"duration": {"dist": "constant", "value_s": 0.25, "memory_ref_mb": 1024, "cpu_bound": 0}},
        mems,
        architectures=["x86_64", "arm64"],
    )
    for _, g in io.groupby("architecture"):
        assert np.all(g["duration_mean_s"].to_numpy() == 0.25)
        per_mb = (g["gb_s"] / g["memory_mb"]).to_numpy()
        assert np.allclose(per_mb, 0.25 / 1024)  # cost grows linearly with memory
    x86 = io[io.architecture == "x86_64"]["cost_usd"].to_numpy()
    arm = io[io.architecture == "arm64"]["cost_usd"].to_numpy()
    assert np.all(arm < x86)  # arm64 is cheaper per GB-s (§10.1)
    with pytest.raises(ValueError, match="memory limit"):
        ls.power_curve({"duration": {"dist": "constant", "value_s": 1}}, [64])


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "derive_calibration", ROOT / "scripts" / "derive_calibration.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_constants_rederive_from_the_test_data(tmp_path: Path) -> None:
    """The package constants are what scripts/derive_calibration.py gets from the data copies."""
    lay = {
        "aws-lambda-cirrus-2025/keep_alive/aws": DATA / "cirrus2025-keepalive",
        "aws-lambda-cloudbench-2019": DATA / "cloudbench2019",
        "aws-lambda-pacslab-2020": DATA / "pacs2020",
    }
    for rel, src in lay.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).symlink_to(src)
    got = _script().derive(tmp_path)
    assert got["KEEP_ALIVE_KNOTS"] == coldstart.KEEP_ALIVE_KNOTS
    assert got["PACKAGE_S_PER_MB"] == coldstart.PACKAGE_S_PER_MB
    assert got["PACKAGE_SIGMA"] == coldstart.PACKAGE_SIGMA


def test_piecewise_linear_cdf_sampling() -> None:
    ka = coldstart.keep_alive_preset("aws-2025")
    x = ka.sample(np.random.default_rng(9), N)
    grid = np.array([250.0, 290.0, 310.0, 320.0, 335.0, 350.0])
    emp = (x[:, None] <= grid).mean(axis=0)
    se = np.sqrt(0.25 / N)
    assert np.all(np.abs(emp - ka.cdf_at(grid)) < 4 * se)
    assert x.mean() == pytest.approx(ka.mean, abs=4 * math.sqrt(ka.variance / N))
    assert x.min() >= 60.0 and x.max() <= 360.0


def test_validate_warns_above_the_50_mb_zip_upload_limit() -> None:
    from lambdasim.config.advice import scenario_warnings

    def warnings(mb: float) -> list[str]:
        sc = scenario(
            functions={"f": fn_cfg(package_mb=mb)},
            workloads=[{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 1}}],
        )
        return [w.path for w in scenario_warnings(sc)]

    assert "functions.f.package_mb" in warnings(60.0)
    assert "functions.f.package_mb" not in warnings(50.0)


# --------------------------------------------------------------------------- cold-start profiles

#: aws-2025-2026.md §2: maxday/lambda-perf, 2025-12-21, mean Init Duration of 10 cold starts of a
#: hello-world function, ms, typed from the table. (family, architecture) -> (row, mean ms).
#: These are the rows each family's ``profile: minimal`` is built from.
LAMBDA_PERF_ROWS = {
    ("python", "x86_64"): ("python3.13 512 MB", 102.0),
    ("python", "arm64"): ("python3.13 512 MB", 91.0),
    ("nodejs", "arm64"): ("nodejs22.x 512 MB", 118.0),
    ("java", "x86_64"): ("java21 128 MB", 262.0),
    ("dotnet", "arm64"): ("dotnet8 256 MB", 262.0),
    ("go", "x86_64"): ("go provided.al2023 256 MB", 51.0),
    ("go", "arm64"): ("go provided.al2023 256 MB", 40.0),
    ("rust", "arm64"): ("rust provided.al2023 256 MB", 14.0),
}
#: Architectures the table lacks for the family's runtime, derived with the arm64 factor 0.8,
#: checked against the nearest row of the same family and architecture where the table has one.
DERIVED = {
    ("nodejs", "x86_64"): ("nodejs", "arm64", ("nodejs20.x 512 MB", 142.0)),
    ("java", "arm64"): ("java", "x86_64", ("java17 512 MB", 184.0)),
    ("dotnet", "x86_64"): ("dotnet", "arm64", None),
    ("rust", "x86_64"): ("rust", "arm64", None),
}


def minimal(family: str, arch: str) -> ls.dists.LogNormal:
    sc = scenario(
        functions={"f": fn_cfg(cold_start={"preset": family, "profile": "minimal"})},
        workloads=[{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 1}}],
    )
    d = sc.replace({"functions.f.architecture": arch}).functions["f"].cold_start_dist()
    assert isinstance(d, ls.dists.LogNormal)
    return d


@pytest.mark.parametrize(("family", "arch"), list(LAMBDA_PERF_ROWS))
def test_minimal_median_within_30_percent_of_lambda_perf(family: str, arch: str) -> None:
    row, mean_ms = LAMBDA_PERF_ROWS[(family, arch)]
    d = minimal(family, arch)
    median_ms = math.exp(d.mu) * 1000.0
    assert abs(median_ms / mean_ms - 1.0) <= 0.30, (row, median_ms, mean_ms)
    # the assumption for the spread: the lognormal's mean is the measured mean, and its p99/p50
    # is the typical preset's of the family
    assert d.mean * 1000.0 == pytest.approx(mean_ms, rel=1e-12)
    p50, p99 = coldstart.COLD_START_PRESETS[family]
    assert d.sigma == pytest.approx(math.log(p99 / p50) / ls.dists.Z99, rel=1e-12)


@pytest.mark.parametrize(("family", "arch"), list(DERIVED))
def test_minimal_missing_architecture_derived_with_the_arm64_factor(family: str, arch: str) -> None:
    _, other, near = DERIVED[(family, arch)]
    _, measured_ms = LAMBDA_PERF_ROWS[(family, other)]
    want_ms = measured_ms * 0.8 if arch == "arm64" else measured_ms / 0.8
    d = minimal(family, arch)
    assert d.mean * 1000.0 == pytest.approx(want_ms, rel=1e-12)
    assert coldstart.minimal_init_mean_s(family, arch)[1] is True  # flagged as derived
    if near is not None:
        row, near_ms = near
        assert abs(math.exp(d.mu) * 1000.0 / near_ms - 1.0) <= 0.30, (row, d)


def test_profiles_typical_is_the_default_and_unchanged() -> None:
    base = fn_cfg(cold_start={"preset": "python"})
    sc = scenario(
        functions={"f": base},
        workloads=[{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 1}}],
    )
    cs = sc.functions["f"].cold_start
    assert isinstance(cs, ls.config.ColdStartPreset) and cs.profile == "typical"
    assert sc.functions["f"].cold_start_dist() == ls.dists.LogNormal.from_percentiles(0.3, 1.0)
    # minimal functions start faster than production-like ones, except dotnet: the typical
    # preset is Native AOT, lambda-perf's dotnet8 the managed runtime (about the same median)
    for family in coldstart.MINIMAL_INIT_MS:
        for arch in ("x86_64", "arm64"):
            typ = coldstart.preset_percentiles(family, arch, "typical")
            mini = coldstart.preset_percentiles(family, arch, "minimal")
            if family == "dotnet":
                assert 0.8 < mini[0] / typ[0] < 1.1, arch
            else:
                assert 1.5 < typ[0] / mini[0] < 15 and mini[1] < typ[1], (family, arch)
    with pytest.raises(ls.ConfigError, match="java-snapstart"):
        sc.replace({"functions.f.cold_start": {"preset": "java-snapstart", "profile": "minimal"}})
    with pytest.raises(ls.ConfigError, match=r"functions\.f\.cold_start"):
        sc.replace({"functions.f.cold_start": {"preset": "python", "profile": "hello"}})
