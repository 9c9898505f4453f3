"""Every billing rule of a pricing table is read: change it in a custom table and the bill follows.

aws-lambda-behaviour.md §10.3 (PC enabled time rounded up to 5 minutes), §10.5 (each 64 KB of an
SQS payload is one request; empty receives are billed). The shipped tables carry AWS's values;
a planner's own table (``pricing.table: my-prices.yaml``) may differ.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import lambdasim as ls
from tests.conftest import scenario

pytestmark = pytest.mark.unit

SHIPPED = Path(ls.__file__).parent / "cost" / "pricing" / "aws-lambda-2026-11.yaml"


def _table(tmp_path: Path, edit: Any) -> str:
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    data["id"] = "custom@2026-11"
    edit(data)
    p = tmp_path / "custom.yaml"
    p.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(p)


def _sqs(data: dict[str, Any]) -> dict[str, Any]:
    sqs: dict[str, Any] = data["regions"]["default"]["sqs"]
    return sqs


def _pc_run(table: str | None) -> dict[str, Any]:
    sc = scenario(
        functions={
            "f": {
                "duration": {"dist": "constant", "value_s": 1.0},
                "cold_start": {"dist": "constant", "value_s": 0.5},
                "memory_mb": 1024,
                "provisioned_concurrency": {
                    "initial": 2,
                    "allocation_lead_s": 0,
                    "schedule": [{"at_s": 100, "value": 0}],
                },
            }
        },
        workloads=[{"target": "f", "arrivals": {"kind": "constant", "rate_per_s": 0.01}}],
        horizon_s=1000.0,
        **({"pricing": {"table": table}} if table else {}),
    )
    return ls.run(sc, progress=False).functions["f"]["provisioned"]


def test_pc_rounding_comes_from_the_table(tmp_path: Path) -> None:
    # 2 environments enabled for 100 s: 5-minute rounding bills 2 × 300 s, 1-minute 2 × 120 s
    shipped = _pc_run(None)
    assert shipped["allocated_gb_s"] == pytest.approx(2 * 300 * 1.0)

    def one_minute(d: dict[str, Any]) -> None:
        d["billing_rules"]["provisioned_rounding_s"] = 60

    custom = _pc_run(_table(tmp_path, one_minute))
    assert custom["allocated_gb_s"] == pytest.approx(2 * 120 * 1.0)


def _queue_run(table: str | None, message_kb: float) -> dict[str, Any]:
    sc = scenario(
        functions={
            "w": {
                "duration": {"dist": "constant", "value_s": 0.01},
                "trigger": {"sqs": {"queue": "q", "batch_size": 1}},
            }
        },
        queues={"q": {"kind": "standard"}},
        workloads=[
            {
                "target": "queue:q",
                "message_kb": message_kb,
                "arrivals": {"kind": "constant", "rate_per_s": 1.0},
            }
        ],
        horizon_s=100.0,
        **({"pricing": {"table": table}} if table else {}),
    )
    return ls.run(sc, progress=False).to_dict()["queues"]["q"]


def test_sqs_request_chunk_comes_from_the_table(tmp_path: Path) -> None:
    def chunk_32(d: dict[str, Any]) -> None:
        _sqs(d)["request_chunk_kb"] = 32

    # a 64-KB message is one SendMessage request at 64-KB chunks and two at 32-KB chunks;
    # receives, deletes and empty receives do not depend on the payload
    a = _queue_run(None, 64.0)
    b = _queue_run(_table(tmp_path, chunk_32), 64.0)
    assert a["sent"] == b["sent"] > 0
    assert b["requests"] - a["requests"] == a["sent"]


def test_unbilled_empty_receives_come_off_the_bill(tmp_path: Path) -> None:
    def free_empties(d: dict[str, Any]) -> None:
        _sqs(d)["empty_receives_billed"] = False

    a = _queue_run(None, 1.0)
    b = _queue_run(_table(tmp_path, free_empties), 1.0)
    assert a["requests"] == b["requests"]  # the count is what SQS saw
    price = _sqs(yaml.safe_load(SHIPPED.read_text(encoding="utf-8")))["standard_usd_per_request"]
    assert a["cost_usd"] - b["cost_usd"] == pytest.approx(a["empty_receives"] * price)
