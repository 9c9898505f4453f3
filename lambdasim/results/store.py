"""A sweep's Parquet directory: one part per finished task, a manifest, the canonical table.

A directory holds one ``part-p<point>-r<first>-<last>.parquet`` file per finished task and a
``_sweep.json`` manifest. Parts are written to a temporary name and renamed, so a crash leaves
either a whole part or none (``--resume`` runs only what is missing). :func:`tidy` gives a
table the same column order, dtypes and row order whether its rows came from memory or parts.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lambdasim.results.schema import ID_COLUMNS, metric_order

__all__ = [
    "MANIFEST",
    "finished_reps",
    "parse_part_name",
    "part_name",
    "read_manifest",
    "set_attrs",
    "tidy",
    "write_manifest",
    "write_part",
]

#: The manifest file of a results directory (skipped by pyarrow: it starts with ``_``).
MANIFEST = "_sweep.json"

_PART = re.compile(r"^part-p(\d+)-r(\d+)-(\d+)\.parquet$")


def tidy(frame: pd.DataFrame, grid_keys: Sequence[str]) -> pd.DataFrame:
    """Canonical column order, dtypes and row order of a sweep table.

    The same rows give the same frame whatever order the tasks finished in and whether they
    came from memory or from Parquet parts (so serial, loky and Dask tables compare equal).
    """
    df = frame.copy()
    ident = ["point", *grid_keys, *ID_COLUMNS]
    for c in ident:
        if c not in df.columns:
            df[c] = "" if c in ("function", "status", "error") else np.nan
    for c in ("point", "rep", "seed"):
        df[c] = df[c].astype("int64")
    for c in ("function", "status", "error"):
        df[c] = df[c].fillna("").astype(str)
    for c in grid_keys:
        # Re-infer from Python objects: [None, 10, 20] becomes float64 both when it comes
        # from one list of dicts and when concatenated from parts holding one value each.
        df[c] = pd.Series(df[c].tolist(), index=df.index)
    metrics = sorted((c for c in df.columns if c not in ident), key=metric_order)
    for c in metrics:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    df = df[ident + metrics]
    df = df.sort_values(["point", "rep"], kind="stable").reset_index(drop=True)
    setattr(df, "attrs", dict(frame.attrs))  # noqa: B010 (pandas-stubs: Hashable keys)
    return df


def set_attrs(frame: pd.DataFrame, attrs: Mapping[str, Any]) -> None:
    """Replace ``frame.attrs`` (provenance that Parquet keeps in its pandas metadata)."""
    setattr(frame, "attrs", dict(attrs))  # noqa: B010 (pandas-stubs: Hashable keys)


def part_name(point: int, first: int, last: int) -> str:
    """File name of the part holding replications ``first``…``last`` (inclusive) of ``point``."""
    return f"part-p{point:06d}-r{first:06d}-{last:06d}.parquet"


def parse_part_name(name: str) -> tuple[int, int, int] | None:
    """``(point, first, last)`` of a part file name, or None for other files."""
    m = _PART.match(name)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def write_part(frame: pd.DataFrame, directory: Path, point: int, first: int, last: int) -> Path:
    """Write one part atomically: a crash leaves either the whole file or none (for --resume)."""
    path = directory / part_name(point, first, last)
    tmp = directory / f".{path.name}.{os.getpid()}.tmp"
    try:
        frame.to_parquet(tmp, index=False)
    except (TypeError, ValueError):
        # pyarrow refuses object columns of mixed types (a grid over [null, "x", 3]):
        # store such grid values as text rather than lose the part.
        fixed = frame.copy()
        for c in fixed.columns:
            if fixed[c].dtype == object:
                fixed[c] = [None if v is None else str(v) for v in fixed[c]]
        fixed.to_parquet(tmp, index=False)
    os.replace(tmp, path)
    return path


def finished_reps(directory: Path) -> set[tuple[int, int]]:
    """The (point, rep) pairs that have a complete part in ``directory``."""
    done: set[tuple[int, int]] = set()
    if not directory.is_dir():
        return done
    for p in directory.iterdir():
        parsed = parse_part_name(p.name)
        if parsed is not None:
            point, first, last = parsed
            done.update((point, r) for r in range(first, last + 1))
    return done


def read_manifest(directory: Path) -> dict[str, Any] | None:
    """The ``_sweep.json`` of a results directory, or None."""
    path = directory / MANIFEST
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def write_manifest(directory: Path, provenance: Mapping[str, Any]) -> None:
    """Write ``_sweep.json`` (atomically)."""
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".{MANIFEST}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(dict(provenance), indent=2, sort_keys=True) + "\n", "utf-8")
    os.replace(tmp, directory / MANIFEST)
