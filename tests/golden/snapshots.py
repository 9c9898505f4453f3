"""Golden snapshots: the exact outputs of every shipped config at a shortened horizon.

The reorganisation of the package (issue 13) must not change a single number. These snapshots
were written by the code *before* it moved; the test compares today's outputs with them as
canonical JSON text, so a float that differs in its last bit fails.

Regenerate (only when a behaviour change is intended, and say why in the commit)::

    python -m tests.golden.snapshots --write
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd

import lambdasim as ls

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"

#: config file -> overrides that shorten it while keeping its mechanisms in the window
#: (start times moved so that schedules and cron batches still fire).
CASES: dict[str, dict[str, Any]] = {
    "quickstart": {"horizon_s": 900},
    "sqs-buffer": {"horizon_s": 1200},
    "image-pipeline": {"horizon_s": 1200},
    "pc-schedule": {"horizon_s": 2400, "start_time": "2026-03-02T06:40:00Z"},
    "dynamodb-stream": {"horizon_s": 900},
    "diurnal": {"horizon_s": 1800, "start_time": "2026-01-01T00:40:00Z"},
    "azure-sample": {"horizon_s": 1200},
}

#: keys of the ``--json`` document that are wall-clock measurements, not results
WALL_KEYS = ("wall_s",)


def _clean(x: Any) -> Any:
    """JSON-ready, with NaN/inf spelled out so that the text compares exactly."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    if hasattr(x, "item") and not isinstance(x, str):  # numpy scalars
        x = x.item()
    if isinstance(x, float):
        if math.isnan(x):
            return "NaN"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return x
    if x is None or isinstance(x, bool | int | str):
        return x
    if x is pd.NA or x is pd.NaT:
        return "NA"
    return str(x)


def _frame(df: pd.DataFrame) -> dict[str, Any]:
    return {
        "index": _clean(list(df.index)),
        "index_name": _clean(df.index.name),
        "columns": _clean(list(df.columns)),
        "dtypes": [str(t) for t in df.dtypes],
        "data": _clean(df.astype(object).to_numpy().tolist()),
    }


def scenario_for(case: str) -> ls.Scenario:
    """The shipped config ``case`` with its golden overrides."""
    sc = ls.load(ROOT / "configs" / f"{case}.yaml")
    return sc.replace(CASES[case])


def snapshot(case: str) -> dict[str, str]:
    """Canonical texts of one case: the run document, summary, timeseries and the YAML."""
    sc = scenario_for(case)
    res = ls.run(sc)
    doc = res.to_dict()
    for k in WALL_KEYS:
        doc.pop(k, None)
    dump = json.dumps
    return {
        "json": dump(_clean(doc), indent=1, sort_keys=True),
        "summary": dump(_frame(res.summary), indent=1),
        "timeseries": dump(_frame(res.timeseries), indent=0),
        "yaml": ls.load(ROOT / "configs" / f"{case}.yaml").to_yaml(),
    }


def sweep_snapshot() -> dict[str, str]:
    """A small sweep (the quickstart's own grid, 2 replications, 300 s) and a traced run."""
    sc = scenario_for("quickstart").replace({"horizon_s": 300})
    sw = ls.sweep(sc, reps=2, seed=3, n_jobs=1, progress=False)
    table = sw.table.drop(columns=[c for c in sw.table.columns if "wall" in c])
    traced = ls.run(sc.replace({"horizon_s": 60}), trace=True)
    assert traced.invocations is not None
    return {
        "sweep": json.dumps(_frame(table), indent=0),
        "sweep_summary": json.dumps(_frame(sw.summary().reset_index()), indent=0),
        "trace": json.dumps(_frame(traced.invocations), indent=0),
    }


def schema_text() -> str:
    """What ``lambdasim schema`` prints."""
    out = subprocess.run(
        [sys.executable, "-m", "lambdasim", "schema"],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return out.stdout


SUFFIX = {
    "json": ".json",
    "summary": ".summary.json",
    "timeseries": ".timeseries.json",
    "yaml": ".yaml",
}


def path(case: str, part: str) -> Path:
    return DATA / f"{case}{SUFFIX[part]}"


def write() -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    for case in CASES:
        for part, text in snapshot(case).items():
            path(case, part).write_text(text, encoding="utf-8")
        print("wrote", case)
    (DATA / "schema.json").write_text(schema_text(), encoding="utf-8")
    for part, text in sweep_snapshot().items():
        (DATA / f"quickstart.{part}.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="overwrite the stored snapshots")
    if ap.parse_args().write:
        write()
    else:
        ap.print_help()
