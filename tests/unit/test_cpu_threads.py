"""``duration.threads``: the CPU-bound part scales with min(memory / 1,769, 6, threads) vCPUs.

AWS: "At 1,769 MB, a function has the equivalent of one vCPU (one vCPU-second of credits per
second)", up to 6 vCPUs at 10,240 MB, and code that runs sequentially uses one vCPU whatever is
allocated (Lambda guide "configuration-memory"; aws-2025-2026.md §1). Expected values are worked
out by hand from that rule; the cases are chosen so that the floating-point arithmetic is exact
(1,769 MB is exactly one vCPU, 3,538 MB exactly two, 7,076 MB exactly four).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pytest

import lambdasim as ls
from lambdasim.units import cpu_duration_factor, usable_vcpus, vcpu_share
from lambdasim.workload.replay import recorded_duration_factor

pytestmark = pytest.mark.unit


def function(memory_mb: int, threads: int | None = None, **duration: Any) -> ls.config.Function:
    d: dict[str, Any] = {"dist": "constant", "value_s": 1.0, **duration}
    if threads is not None:
        d["threads"] = threads
    return ls.config.Function.model_validate({"memory_mb": memory_mb, "duration": d})


def test_usable_vcpus_is_the_allocation_capped_by_threads() -> None:
    assert usable_vcpus(1769, 1) == 1.0 and usable_vcpus(10240, 1) == 1.0
    assert usable_vcpus(3538, 6) == 2.0 and usable_vcpus(3538, 2) == 2.0
    assert usable_vcpus(7076, 2) == 2.0 and usable_vcpus(7076, 4) == 4.0
    # below one vCPU every handler gets the same fraction of it
    for t in range(1, 7):
        assert usable_vcpus(884.5, t) == 0.5
    assert usable_vcpus(10240, 6) == vcpu_share(10240) == 10240 / 1769  # 5.79 vCPUs allocated
    with pytest.raises(ValueError, match="threads"):
        usable_vcpus(1024, 0)
    with pytest.raises(ValueError, match="threads"):
        usable_vcpus(1024, 7)


def test_single_thread_is_no_faster_above_1769_mb() -> None:
    # measured at 1,769 MB, half CPU-bound: one thread already has its one vCPU there
    at_1769 = cpu_duration_factor(0.5, 1769, 1769)
    assert at_1769 == 1.0
    assert cpu_duration_factor(0.5, 1769, 10240) == at_1769
    assert cpu_duration_factor(0.5, 1769, 3538, threads=1) == 1.0
    # through the config: the default is one thread
    assert function(1769).duration.threads == 1
    f1769 = function(1769, cpu_bound=0.5, memory_ref_mb=512)
    f10240 = function(10240, cpu_bound=0.5, memory_ref_mb=512)
    assert f1769.duration_factor() == f10240.duration_factor()
    # measured with one thread at 3,008 MB and run at 1,769 MB: the same single vCPU, factor 1
    assert cpu_duration_factor(1.0, 3008, 1769) == 1.0


def test_six_threads_scale_with_every_allocated_vcpu() -> None:
    # ideal scaling of the CPU-bound part: 1,769 MB (1 vCPU) → 10,240 MB (10,240/1,769 = 5.79
    # vCPUs: AWS's "6 vCPUs at 10,240 MB" are six cores of which the credits fill 5.79)
    for cb in (1.0, 0.5, 0.25):
        want = float(Fraction(cb) * Fraction(1769, 10240) + (1 - Fraction(cb)))
        assert cpu_duration_factor(cb, 1769, 10240, threads=6) == pytest.approx(want, rel=1e-15)
    f = function(10240, threads=6, cpu_bound=1.0, memory_ref_mb=1769)
    assert f.duration_factor() == pytest.approx(1769 / 10240, rel=1e-15)
    # whole vCPUs, exact: 2 threads at 3,538 MB halve the CPU-bound part; 4 at 7,076 quarter it
    assert cpu_duration_factor(0.5, 1769, 3538, threads=2) == 0.75
    assert cpu_duration_factor(0.5, 1769, 7076, threads=4) == 0.625
    # two threads cannot use four vCPUs; six threads cannot use more than the two allocated
    assert cpu_duration_factor(0.5, 1769, 7076, threads=2) == 0.75
    assert cpu_duration_factor(0.5, 1769, 3538, threads=6) == 0.75


@pytest.mark.parametrize("mem", [128, 256, 512, 1024, 1536, 1769])
def test_threads_make_no_difference_at_or_below_1769_mb(mem: int) -> None:
    one = cpu_duration_factor(0.8, 128, mem, threads=1)
    assert one == pytest.approx(0.8 * 128 / mem + 0.2, rel=1e-15)
    for t in range(2, 7):
        assert cpu_duration_factor(0.8, 128, mem, threads=t) == one
        assert function(mem, t, cpu_bound=0.8, memory_ref_mb=128).duration_factor() == one


def test_trace_replay_uses_the_threads() -> None:
    # durations recorded at 1,769 MB (one vCPU), replayed at 3,538 MB (two)
    one = function(3538, cpu_bound=1.0)
    two = function(3538, threads=2, cpu_bound=1.0)
    assert recorded_duration_factor(one, 1769) == 1.0
    assert recorded_duration_factor(two, 1769) == 0.5
    assert recorded_duration_factor(two, None) == 1.0  # unknown recording memory


def test_power_curve_reports_allocated_and_usable_vcpus() -> None:
    spec = {"dist": "constant", "value_s": 2.0, "memory_ref_mb": 1769, "cpu_bound": 1.0}
    mems = [1769, 3538, 7076, 10240]
    pc = ls.power_curve({"duration": {**spec, "threads": 2}}, mems, samples=10)
    assert pc["vcpu_share"].tolist() == [1.0, 2.0, 4.0, 10240 / 1769]
    assert pc["usable_vcpus"].tolist() == [1.0, 2.0, 2.0, 2.0]
    assert pc["duration_mean_s"].tolist() == [2.0, 1.0, 1.0, 1.0]
    # the flat part costs more in proportion to memory
    assert np.allclose(pc["gb_s"].to_numpy()[1:] / pc["memory_mb"].to_numpy()[1:], 1.0 / 1024)


def test_threads_is_an_integer_from_1_to_6() -> None:
    for bad in (0, 7, 2.0, "2"):
        with pytest.raises(ls.ConfigError, match=r"duration\.threads"):
            ls.Scenario.from_dict(
                {
                    "horizon_s": 10,
                    "functions": {
                        "f": {"duration": {"dist": "constant", "value_s": 1, "threads": bad}}
                    },
                    "workloads": [
                        {"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 1}}
                    ],
                }
            )
    schema = ls.Scenario.model_json_schema()["$defs"]["ConstantDuration"]["properties"]["threads"]
    assert (schema["minimum"], schema["maximum"], schema["default"]) == (1, 6, 1)
