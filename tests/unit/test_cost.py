"""Exact cost arithmetic: validation.md §4 examples, INIT rule, tiers, table loading, SQS."""

from __future__ import annotations

import importlib
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import lambdasim as ls
from lambdasim import Scenario
from lambdasim import cost as costmod
from lambdasim.cost import (
    DEFAULT_TABLE,
    BillingTotals,
    PricingTable,
    available_tables,
    billed_gb_s,
    cost_from_usage,
    epu_cost_usd,
    epu_hours,
    init_billed,
    load_table,
    monthly_projection,
    monthly_scale,
    queue_request_cost_usd,
    run_cost,
    sqs_cost_totals,
    sqs_monthly_usd,
    sqs_request_price,
)
from lambdasim.cost.lambda_ import COST_COLUMNS, monthly_rows, run_cost_rows
from lambdasim.cost.managed_instances import load_execution_model_prices
from tests.conftest import ROOT

pytestmark = pytest.mark.unit

MONTH_S = 30 * 86400
SUBMODULES = ("tables", "totals", "lambda_", "sqs")

# The historic pricing page (validation.md §4 items 22–23) used $0.00001667 per GB-s and no
# tiers; a user table in the shipped schema reproduces it.
HISTORIC_YAML = """\
id: "user@historic"
effective_from: 2020-12-01
retrieved_on: 2026-11-27
source: ["validation.md §4 items 22-23 (historic AWS Lambda pricing page)"]
billing_rules:
  duration_granularity_ms: 1
  init_billed_on_demand_from: 2025-08-01
  provisioned_rounding_s: 300
regions:
  default:
    architectures:
      x86_64:
        usd_per_request: 0.0000002
        duration_tiers:
          - {up_to_gb_s_per_month: null, usd_per_gb_s: 0.00001667}
        provisioned_concurrency_usd_per_gb_s: 0.0000041667
        provisioned_duration_usd_per_gb_s: 0.0000097222
        ephemeral_storage_usd_per_gb_s: 0.0000000309
    free_tier: {requests: 1000000, gb_s: 400000}
    sqs:
      standard_usd_per_request: 0.0000004
      fifo_usd_per_request: 0.0000005
      free_requests: 1000000
      request_chunk_kb: 64
      empty_receives_billed: true
"""


@pytest.fixture
def historic(tmp_path: Path) -> PricingTable:
    path = tmp_path / "historic.yaml"
    path.write_text(HISTORIC_YAML, encoding="utf-8")
    return load_table(path)


@pytest.fixture
def table() -> PricingTable:
    return load_table("aws-lambda@2026-11")


def example1() -> BillingTotals:
    # 512 MB, 3 M invocations/month of 1 s each.
    return BillingTotals("ex1", "x86_64", 512, 3_000_000, 3_000_000 * 1000, 0, MONTH_S)


def example2() -> BillingTotals:
    # 128 MB, 30 M invocations/month of 200 ms each.
    return BillingTotals("ex2", "x86_64", 128, 30_000_000, 30_000_000 * 200, 0, MONTH_S)


def tier_price(table: PricingTable, arch: str, i: int) -> float:
    return table.regions["us-east-1"].architectures[arch].duration_tiers[i].usd_per_gb_s


def request_price(table: PricingTable, arch: str = "x86_64") -> float:
    return table.regions["us-east-1"].architectures[arch].usd_per_request


# --- validation.md §4, historic page prices ---------------------------------------------------


def test_example1_pricing_page(historic: PricingTable) -> None:
    df = monthly_projection([example1()], historic, free_tier=True)
    row = df.loc["ex1"]
    assert row["billed_gb_s"] == 1_500_000.0
    assert row["duration_usd"] == pytest.approx(18.34, abs=0.005)
    assert row["requests_usd"] == pytest.approx(0.40, abs=0.005)
    assert row["total_usd"] == pytest.approx(18.74, abs=0.005)
    # The user table has no us-east-1 entry: default prices, and the fallback is reported.
    assert df.attrs["pricing_table"] == "user@historic"
    assert any("us-east-1" in w for w in df.attrs["warnings"])


def test_example2_pricing_page(historic: PricingTable) -> None:
    row = monthly_projection([example2()], historic, free_tier=True).loc["ex2"]
    assert row["billed_gb_s"] == 750_000.0
    assert row["duration_usd"] == pytest.approx(5.83, abs=0.005)
    assert row["requests_usd"] == pytest.approx(5.80, abs=0.005)
    assert row["total_usd"] == pytest.approx(11.63, abs=0.005)


def test_examples_via_cost_from_usage(historic: PricingTable) -> None:
    c = cost_from_usage(
        architecture="x86_64",
        memory_mb=512,
        requests=3_000_000,
        gb_s=1_500_000.0,
        table=historic,
        free_tier=True,
    )
    assert c["total_usd"] == pytest.approx(18.74, abs=0.005)
    c = cost_from_usage(
        architecture="x86_64",
        memory_mb=128,
        requests=30_000_000,
        gb_s=750_000.0,
        table=historic,
        free_tier=True,
    )
    assert c["total_usd"] == pytest.approx(11.63, abs=0.005)


# --- same inputs, shipped table ------------------------------------------------------------


def test_example1_shipped_table(table: PricingTable) -> None:
    row = monthly_projection([example1()], table, free_tier=True).loc["ex1"]
    duration = (1_500_000 - 400_000) * tier_price(table, "x86_64", 0)
    requests = (3_000_000 - 1_000_000) * request_price(table)
    assert row["duration_usd"] == pytest.approx(duration, rel=1e-12)
    assert row["requests_usd"] == pytest.approx(requests, rel=1e-12)
    assert row["ephemeral_usd"] == 0.0
    assert row["total_usd"] == pytest.approx(duration + requests, rel=1e-12)


def test_example2_shipped_table(table: PricingTable) -> None:
    row = monthly_projection([example2()], table, free_tier=True).loc["ex2"]
    duration = (750_000 - 400_000) * tier_price(table, "x86_64", 0)
    requests = (30_000_000 - 1_000_000) * request_price(table)
    assert row["total_usd"] == pytest.approx(duration + requests, rel=1e-12)


def test_no_free_tier_in_run_cost(table: PricingTable) -> None:
    row = run_cost([example1()], table).loc["ex1"]
    assert row["requests"] == 3_000_000
    assert row["requests_usd"] == pytest.approx(3_000_000 * request_price(table), rel=1e-12)
    assert row["duration_usd"] == pytest.approx(1_500_000 * tier_price(table, "x86_64", 0))


def test_free_tier_is_account_level_x86_first(table: PricingTable) -> None:
    x86 = BillingTotals("x", "x86_64", 1024, 600_000, 300_000 * 1000, 0, MONTH_S)  # 300k GB-s
    arm = BillingTotals("a", "arm64", 1024, 600_000, 300_000 * 1000, 0, MONTH_S)  # 300k GB-s
    df = monthly_projection([x86, arm], table, free_tier=True)
    assert df.loc["x", "duration_usd"] == 0.0
    # 100k free GB-s left for arm64; 200k billed at the arm tier-1 rate.
    assert df.loc["a", "duration_usd"] == pytest.approx(200_000 * tier_price(table, "arm64", 0))
    # 1M free requests, 1.2M made: 200k billed in all.
    assert df["requests_usd"].sum() == pytest.approx(200_000 * request_price(table), rel=1e-12)


# --- INIT billing rule (aws-lambda-behaviour.md §10.2) -----------------------------------------


def test_init_rule_by_table_date() -> None:
    old, new = load_table("aws-lambda@2025-06"), load_table("aws-lambda@2026-11")
    assert not init_billed(old)
    assert init_billed(new)
    t = BillingTotals("f", "x86_64", 1024, 10, 10_000, 2_500, 3600.0)
    assert billed_gb_s(t, old) == 10.0
    assert billed_gb_s(t, new) == 12.5
    assert run_cost([t], old).loc["f", "duration_usd"] == pytest.approx(
        10.0 * tier_price(old, "x86_64", 0), rel=1e-12
    )
    assert run_cost([t], new).loc["f", "duration_usd"] == pytest.approx(
        12.5 * tier_price(new, "x86_64", 0), rel=1e-12
    )


def test_init_billed_always_counts_under_old_tables() -> None:
    # Custom runtimes and container images paid for INIT before 2025-08-01 (AWS Compute Blog,
    # "AWS Lambda standardizes billing for INIT phase", Apr 2025): their delta counts under
    # the 2025-06 table as under 2026-11.
    old, new = load_table("aws-lambda@2025-06"), load_table("aws-lambda@2026-11")
    t = BillingTotals("f", "x86_64", 1024, 10, 10_000, 2_500, 3600.0, init_billed_always=True)
    assert billed_gb_s(t, old) == 12.5
    assert billed_gb_s(t, new) == 12.5


def _init_run(table: str) -> ls.RunResult:
    # One cold start each: 100-ms handler, 500-ms INIT, 1,024 MB. Billed without INIT 100 ms
    # (0.1 GB-s), with it ceil(600) ms (0.6 GB-s).
    def f(**kw: Any) -> dict[str, Any]:
        return {
            "memory_mb": 1024,
            "duration": {"dist": "constant", "value_s": 0.1},
            "cold_start": {"dist": "constant", "value_s": 0.5},
            **kw,
        }

    functions = {
        "custom": f(runtime="provided.al2023"),
        "image": f(package_type="image", runtime="python3.12"),
        "python": f(runtime="python3.12"),
    }
    sc = Scenario.from_dict(
        {
            "name": "init-billing",
            "seed": 1,
            "horizon_s": 10.0,
            "functions": functions,
            "workloads": [
                {"target": n, "arrivals": {"kind": "constant", "rate_per_s": 0.2}}
                for n in functions
            ],
            "pricing": {"table": table},
        }
    )
    return ls.run(sc, progress=False)


def test_init_billing_before_2025_08_by_runtime_and_package() -> None:
    # aws-lambda@2025-06 (before the change): the provided.al2023 function and the container
    # image pay for INIT, the python zip function does not; under 2026-11 all three do.
    old = _init_run("aws-lambda@2025-06")
    assert {n: f["cold_starts"] for n, f in old.functions.items()} == dict.fromkeys(
        ("custom", "image", "python"), 1
    )
    assert {n: f["billed_gb_s"] for n, f in old.functions.items()} == {
        "custom": pytest.approx(0.6),
        "image": pytest.approx(0.6),
        "python": pytest.approx(0.1),
    }
    new = old.cost_with(table="aws-lambda@2026-11")["billed_gb_s"].to_dict()
    assert new == {n: pytest.approx(0.6) for n in ("custom", "image", "python")}
    assert _init_run("aws-lambda@2026-11").functions["python"]["billed_gb_s"] == pytest.approx(0.6)
    price = tier_price(load_table("aws-lambda@2025-06"), "x86_64", 0)
    cost = old.cost["duration_usd"]
    assert cost["custom"] == pytest.approx(0.6 * price, rel=1e-12)
    assert cost["python"] == pytest.approx(0.1 * price, rel=1e-12)


def test_totals_reject_negative_pc_gb_s() -> None:
    with pytest.raises(ValueError, match="pc_enabled_gb_s"):
        BillingTotals("f", "x86_64", 1024, 0, 0, 0, 1.0, pc_enabled_gb_s=-1.0)


def test_ephemeral_storage_above_512mb(table: PricingTable) -> None:
    t = BillingTotals("f", "x86_64", 1024, 1, 2000, 0, 60.0, ephemeral_storage_mb=2048)
    price = table.regions["us-east-1"].architectures["x86_64"].ephemeral_storage_usd_per_gb_s
    assert run_cost([t], table).loc["f", "ephemeral_usd"] == pytest.approx(2.0 * 1.5 * price)


# --- tiers ---------------------------------------------------------------------------------


def test_x86_tier_boundary_is_marginal(table: PricingTable) -> None:
    gb_s = 7.25e9
    c = cost_from_usage(
        architecture="x86_64", memory_mb=1024, requests=0, gb_s=gb_s, table=table, free_tier=False
    )
    t1, t2 = tier_price(table, "x86_64", 0), tier_price(table, "x86_64", 1)
    # Same operations in the same order as the marginal-tier sum: exact equality.
    assert c["duration_usd"] == t1 * 6e9 + t2 * (gb_s - 6e9)
    assert c["requests_usd"] == 0.0


def test_arm64_uses_arm_prices(table: PricingTable) -> None:
    gb_s = 8e9
    c = cost_from_usage(
        architecture="arm64", memory_mb=2048, requests=0, gb_s=gb_s, table=table, free_tier=False
    )
    a1, a2 = tier_price(table, "arm64", 0), tier_price(table, "arm64", 1)
    assert a1 != tier_price(table, "x86_64", 0)
    assert c["duration_usd"] == a1 * 7.5e9 + a2 * (gb_s - 7.5e9)
    small = BillingTotals("f", "arm64", 1024, 1, 1000, 0, 1.0)
    assert run_cost([small], table).loc["f", "duration_usd"] == pytest.approx(a1, rel=1e-12)


def test_tiers_apply_to_architecture_aggregate(table: PricingTable) -> None:
    # Two x86 functions of 4 B GB-s each straddle the 6 B boundary only together.
    ms = 4_000_000_000_000  # 4e9 GB-s at 1024 MB
    f = BillingTotals("f", "x86_64", 1024, 0, ms, 0, MONTH_S)
    g = BillingTotals("g", "x86_64", 1024, 0, ms, 0, MONTH_S)
    df = run_cost([f, g], table)
    t1, t2 = tier_price(table, "x86_64", 0), tier_price(table, "x86_64", 1)
    expected = t1 * 6e9 + t2 * 2e9
    assert df["duration_usd"].sum() == pytest.approx(expected, rel=1e-12)
    assert df.loc["f", "duration_usd"] == pytest.approx(expected / 2, rel=1e-12)


# --- projection ----------------------------------------------------------------------------


def test_projection_of_one_hour_scales_linearly(table: PricingTable) -> None:
    t = BillingTotals("f", "x86_64", 256, 3600, 3600 * 120, 40_000, 3600.0, 1024)
    hour = run_cost([t], table).loc["f"]
    month = monthly_projection([t], table, free_tier=False, days=30.0).loc["f"]
    for col in ("requests", "billed_gb_s", "requests_usd", "duration_usd", "ephemeral_usd"):
        assert month[col] == pytest.approx(hour[col] * 720, rel=1e-12), col
    assert month["total_usd"] == pytest.approx(hour["total_usd"] * 720, rel=1e-12)


# --- tables --------------------------------------------------------------------------------


def test_default_table() -> None:
    assert DEFAULT_TABLE == "aws-lambda@2026-11"
    assert load_table().id == DEFAULT_TABLE
    assert available_tables() == sorted(available_tables())
    assert {"aws-lambda@2025-06", "aws-lambda@2026-11"} <= set(available_tables())


def test_unknown_table_lists_ids() -> None:
    with pytest.raises(ValueError, match="aws-lambda@2026-11") as err:
        load_table("aws-lambda@1999-01")
    for table_id in available_tables():
        assert table_id in str(err.value)


def test_region_fallback_warns(table: PricingTable) -> None:
    df = run_cost([example1()], table, region="eu-west-1")
    assert df.attrs["warnings"] and "eu-west-1" in df.attrs["warnings"][0]
    assert run_cost([example1()], table).attrs["warnings"] == []


def test_public_names_are_the_one_copy_in_their_module() -> None:
    # Callers use `costmod.NAME`, `from lambdasim.cost import NAME` and `import *`: the star
    # import gives exactly __all__, and each name is the object of the submodule that defines
    # it (no second copy of a price rule behind a stale alias).
    star: dict[str, object] = {}
    exec("from lambdasim.cost import *", star)
    assert {k for k in star if not k.startswith("__")} == set(costmod.__all__)
    homes = [importlib.import_module(f"lambdasim.cost.{m}") for m in SUBMODULES]
    for name in costmod.__all__:
        defined_in = [m for m in homes if name in vars(m)]
        assert defined_in, f"{name} is not defined in any of {SUBMODULES}"
        assert all(vars(m)[name] is star[name] for m in defined_in), name


# --- SQS (aws-lambda-behaviour.md §10.5, §7.5) ----------------------------------------------


def test_sqs_request_cost_standard_and_fifo(table: PricingTable) -> None:
    sqs = table.regions["us-east-1"].sqs
    assert sqs_request_price(False, table, "us-east-1") == sqs.standard_usd_per_request
    assert sqs_request_price(True, table, "us-east-1") == sqs.fifo_usd_per_request
    assert queue_request_cost_usd(1_000_000, False, table, "us-east-1") == pytest.approx(0.40)
    assert queue_request_cost_usd(1_000_000, True, table, "us-east-1") == pytest.approx(0.50)
    # Shipped tables bill empty receives: telling the function about them changes nothing.
    assert queue_request_cost_usd(
        1000, False, table, "us-east-1", empty_receives=400
    ) == queue_request_cost_usd(1000, False, table, "us-east-1")


def test_unbilled_empty_receives_are_taken_out(tmp_path: Path) -> None:
    path = tmp_path / "no-empty.yaml"
    path.write_text(
        HISTORIC_YAML.replace("empty_receives_billed: true", "empty_receives_billed: false"),
        encoding="utf-8",
    )
    t = load_table(path)
    price = t.regions["default"].sqs.standard_usd_per_request
    assert queue_request_cost_usd(1000, False, t, "us-east-1", empty_receives=400) == 600 * price
    month = sqs_monthly_usd(
        1000, False, t, "us-east-1", window_s=3600.0, free_tier=False, empty_receives=400
    )
    assert month == 600 * 30.0 * 86400.0 / 3600.0 * price
    with pytest.raises(ValueError, match="empty_receives"):
        queue_request_cost_usd(10, False, t, "us-east-1", empty_receives=11)


def test_sqs_monthly_projection_and_free_tier(table: PricingTable) -> None:
    price = sqs_request_price(False, table, "us-east-1")
    # 1,000 requests in an hour → 720,000 in 30 days: below the 1M free requests.
    assert sqs_monthly_usd(1000, False, table, "us-east-1", window_s=3600.0, free_tier=True) == 0
    paid = sqs_monthly_usd(1000, False, table, "us-east-1", window_s=3600.0, free_tier=False)
    assert paid == 1000 * 30.0 * 86400.0 / 3600.0 * price
    free = sqs_monthly_usd(2000, False, table, "us-east-1", window_s=3600.0, free_tier=True)
    assert free == (2000 * 30.0 * 86400.0 / 3600.0 - 1_000_000) * price


def test_monthly_scale_keeps_operation_order() -> None:
    x, w = 0.1234567, 17.3
    assert monthly_scale(x, w) == x * 30.0 * 86400.0 / w
    assert monthly_scale(x, w, days=7.0) == x * 7.0 * 86400.0 / w
    with pytest.raises(ValueError, match="window_s"):
        monthly_scale(1.0, 0.0)


def test_epu_cost(table: PricingTable) -> None:
    price = table.regions["us-east-1"].sqs.provisioned_poller_usd_per_epu_hour
    assert epu_hours(7200.0) == 2.0
    assert epu_cost_usd(7200.0, table, "us-east-1") == 2.0 * price
    assert epu_cost_usd(0.0, table, "us-east-1") == 0.0


def test_sqs_cost_totals() -> None:
    tot = sqs_cost_totals(
        queue_usd=[0.1, 0.2], queue_monthly_usd=[3.0], poller_usd=[0.5], window_s=3600.0
    )
    assert tot.requests_usd == 0.1 + 0.2
    assert tot.pollers_usd == 0.5
    assert tot.requests_monthly_usd == 3.0
    assert tot.pollers_monthly_usd == 0.5 * 30.0 * 86400.0 / 3600.0
    empty = sqs_cost_totals(queue_usd=[], queue_monthly_usd=[], poller_usd=[], window_s=60.0)
    assert (empty.requests_usd, empty.pollers_usd, empty.pollers_monthly_usd) == (0, 0, 0.0)


# --- frame-free arithmetic (issue 16) ---------------------------------------------------------


def test_cost_rows_are_the_frames_numbers(table: PricingTable) -> None:
    arm = BillingTotals("arm", "arm64", 1024, 10, 12_345, 678, 60.0, ephemeral_storage_mb=1024)
    totals = [example1(), arm]
    for rows, frame in [
        (run_cost_rows(totals, table), run_cost(totals, table)),
        (
            monthly_rows(totals, table, free_tier=True, days=7.0),
            monthly_projection(totals, table, free_tier=True, days=7.0),
        ),
    ]:
        assert list(frame.index) == list(rows.functions) == ["ex1", "arm"]
        assert list(frame.columns) == list(rows.columns) == list(COST_COLUMNS)
        for c in COST_COLUMNS:
            assert frame[c].tolist() == rows.columns[c], c  # the very numbers, no rounding
        assert frame.attrs == rows.attrs
        pd.testing.assert_frame_equal(rows.frame(), frame, check_exact=True)
    assert run_cost_rows(totals, table).columns["requests"] == [3_000_000, 10]  # integers
    assert monthly_rows(totals, table, days=7.0).attrs["days"] == 7.0
    # an empty table keeps the schema: the dtypes of a full one
    empty = run_cost([], table)
    assert len(empty) == 0 and empty.index.name == "function"
    assert dict(empty.dtypes.astype(str)) == dict(run_cost(totals, table).dtypes.astype(str))
    # each frame gets its own attrs: changing one leaves the next one as it was
    rows = run_cost_rows([arm], table, region="eu-west-1")
    first = rows.frame()
    first.attrs["warnings"].append("changed")
    assert rows.frame().attrs["warnings"] == rows.attrs["warnings"] != first.attrs["warnings"]


def test_import_of_the_cost_package_loads_no_pandas() -> None:
    code = "import sys, lambdasim.cost\nprint('pandas' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "False"  # the frames import it when one is asked for


# --- res.cost holds the execution models' charges (issue 19) -----------------------------------


def _json_and_frame_agree(res: ls.RunResult) -> tuple[pd.DataFrame, dict[str, Any]]:
    """res.cost row by row against the ``--json`` document; its total against the document's."""
    doc = res.to_dict()
    cost = res.cost
    for fname, block in doc["functions"].items():
        assert cost.loc[fname, "total_usd"] == block["cost_usd"]["total"], fname
    assert (doc["cost_usd"]["sqs_requests"], doc["cost_usd"]["sqs_pollers"]) == (0, 0)
    assert sum(cost["total_usd"].tolist()) == doc["cost_usd"]["total"]  # no SQS: all Lambda
    # the Lambda columns are the Lambda table's frame, untouched
    lam = run_cost(res.totals, load_table(res.pricing_table))
    pd.testing.assert_frame_equal(cost[list(COST_COLUMNS[:-1])], lam[list(COST_COLUMNS[:-1])])
    # and the projection carries the same columns, its total the document's
    month = res.monthly_cost()
    assert list(month.columns) == list(cost.columns)
    monthly = doc["cost_usd"]["monthly_projection"]
    assert month["total_usd"].to_dict() == monthly["functions"]
    # cost_with under the same table is the same frame; under another only the Lambda part moves
    pd.testing.assert_frame_equal(res.cost_with(), cost, check_exact=True)
    other = res.cost_with(table="aws-lambda@2025-06")
    charges = [c for c in cost.columns if c not in COST_COLUMNS]
    assert charges  # every caller here runs an execution model
    pd.testing.assert_frame_equal(other[charges], cost[charges], check_exact=True)
    lam_other = run_cost(res.totals, load_table("aws-lambda@2025-06"))["total_usd"]
    extra = other[charges].fillna(0.0).sum(axis=1)
    assert (other["total_usd"] - extra).to_numpy() == pytest.approx(lam_other.to_numpy(), rel=1e-12)
    return cost, doc


def test_run_cost_includes_managed_instances() -> None:
    sc = ls.load(ROOT / "configs" / "lmi-vs-on-demand.yaml").replace({"horizon_s": 900})
    res = ls.run(sc, progress=False)
    cost, doc = _json_and_frame_agree(res)
    assert "snapstart_usd" not in cost and "tenant_isolation_usd" not in cost
    fleet = doc["functions"]["api-lmi"]["managed_instances"]["fleet"]
    # one function on the fleet: its share is the whole EC2 + 15 % fee on the on-demand price
    prices = load_execution_model_prices().managed_instances
    hourly = prices.instances_usd_per_hour["c7g.xlarge"]  # the file's instance type
    on_demand = fleet["instance_seconds"] / 3600.0 * hourly
    want = on_demand * (1.0 - 0.0) + on_demand * prices.management_fee  # discount 0 in the file
    assert cost.loc["api-lmi", "managed_instances_usd"] == pytest.approx(want, rel=1e-12)
    assert cost.loc["api-on-demand", "managed_instances_usd"] == 0.0
    lmi = cost.loc["api-lmi"]
    assert lmi["billed_gb_s"] == 0.0 and lmi["duration_usd"] == 0.0  # no GB-s on LMI
    assert lmi["total_usd"] == pytest.approx(lmi["requests_usd"] + want, rel=1e-12)
    # before issue 16's follow-up res.cost had the requests only: the fleet is most of the bill
    assert lmi["total_usd"] > 10 * lmi["requests_usd"]


def test_run_cost_includes_snapstart_for_python() -> None:
    sc = Scenario.from_dict(
        {
            "name": "snap",
            "seed": 4,
            "horizon_s": 7200.0,  # under the cache's 3-hour minimum
            "functions": {
                "snap": {
                    "runtime": "python3.12",
                    "memory_mb": 2048,
                    "duration": {"dist": "constant", "value_s": 0.1},
                    "cold_start": {"snapstart": True},
                    "keep_alive_s": 300,
                },
                "plain": {"duration": {"dist": "constant", "value_s": 0.1}},
            },
            "workloads": [
                {"target": t, "arrivals": {"kind": "poisson", "rate_per_s": 0.01}}
                for t in ("snap", "plain")
            ],
        }
    )
    res = ls.run(sc, progress=False)
    cost, doc = _json_and_frame_agree(res)
    restores = doc["functions"]["snap"]["cold_starts"]
    assert restores > 0 and doc["functions"]["snap"]["snapstart"]["restores"] == restores
    p = load_execution_model_prices().snapstart
    gb = 2048 / 1024
    want = gb * max(7200.0, p.cache_minimum_s) * p.cache_usd_per_gb_s + (
        gb * restores * p.restore_usd_per_gb
    )
    assert p.cache_minimum_s == 3 * 3600.0
    assert cost.loc["snap", "snapstart_usd"] == pytest.approx(want, rel=1e-12)
    assert cost.loc["plain", "snapstart_usd"] == 0.0
    assert "managed_instances_usd" not in cost


def test_run_cost_includes_tenant_isolation_nan_without_a_price() -> None:
    def fn(arch: str) -> dict[str, Any]:
        return {
            "architecture": arch,
            "duration": {"dist": "exponential", "mean_s": 1.0},
            "keep_alive_s": 60,
            "tenant_isolation": True,
            "tenants": {"count": 5, "distribution": "uniform"},
        }

    sc = Scenario.from_dict(
        {
            "name": "ten",
            "seed": 2,
            "horizon_s": 600.0,
            "functions": {"x": fn("x86_64"), "a": fn("arm64")},
            "workloads": [
                {"target": t, "arrivals": {"kind": "poisson", "rate_per_s": 1.0}} for t in "xa"
            ],
        }
    )
    res = ls.run(sc, progress=False)
    cost, doc = _json_and_frame_agree(res)
    price = load_execution_model_prices().tenant_isolation.usd_per_gb_created
    created = doc["functions"]["x"]["tenancy"]["environments_created"]
    assert created >= 5  # one environment per tenant at least
    want = created * 128 / 1024 * price["x86_64"]  # the default 128 MB
    assert cost.loc["x", "tenant_isolation_usd"] == pytest.approx(want, rel=1e-12)
    assert price["arm64"] is None and math.isnan(cost["tenant_isolation_usd"].to_dict()["a"])
    assert cost.loc["a", "total_usd"] == pytest.approx(
        cost.loc["a", ["requests_usd", "duration_usd"]].sum(), rel=1e-12
    )  # an unknown charge is not in the total (as in the document)
