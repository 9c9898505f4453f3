"""A sweep's Parquet directory: one part per finished task, a manifest, the canonical table.

A directory holds one ``part-p<point>-r<first>-<last>.parquet`` file per finished task and a
``_sweep.json`` manifest. Parts are written to a temporary name and renamed, so a crash leaves
either a whole part or none (``--resume`` runs only what is missing). :func:`tidy` gives a
table the same column order, dtypes and row order whether its rows came from memory or parts.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from lambdasim.errors import LambdasimError
from lambdasim.results.schema import ID_COLUMNS, metric_order

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "MANIFEST",
    "OutputError",
    "ResultsError",
    "atomic_path",
    "atomic_write_text",
    "check_output",
    "finished_reps",
    "parse_part_name",
    "part_name",
    "read_manifest",
    "set_attrs",
    "sweep_id",
    "tidy",
    "write_manifest",
    "write_part",
]

#: The manifest file of a results directory (skipped by pyarrow: it starts with ``_``).
MANIFEST = "_sweep.json"

_PART = re.compile(r"^part-p(\d+)-r(\d+)-(\d+)\.parquet$")


# --------------------------------------------------------------------------------- output paths


class OutputError(LambdasimError):
    """An output path that cannot be written: a file where a directory is needed (or the
    reverse), or a directory without write permission. One line, naming the path."""


def _existing_ancestor(path: Path) -> Path:
    p = path.absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def check_output(path: str | Path, kind: Literal["dir", "file"], what: str = "-o") -> Path:
    """Check, before any work, that ``path`` can be written as a directory or a file.

    Nothing is created: the nearest existing ancestor must be a directory in which a file can
    be created (probed with a temporary file, since ``os.access`` is wrong for root and for
    read-only mounts).

    Parameters
    ----------
    path : str or Path
        The output path.
    kind : {"dir", "file"}
        What will be written there.
    what : str
        The option, for the message (``"-o"``, ``"--plot"``).

    Returns
    -------
    Path

    Raises
    ------
    OutputError
        One line naming the path and what is wrong.
    """
    p = Path(path)
    if kind == "dir" and p.exists() and not p.is_dir():
        raise OutputError(f"{what} {p}: exists and is not a directory (a directory is needed)")
    if kind == "file" and p.is_dir():
        raise OutputError(f"{what} {p}: is a directory (a file name is needed)")
    base = (
        p if kind == "dir" and p.is_dir() else _existing_ancestor(p.parent if kind == "file" else p)
    )
    if not base.is_dir():
        raise OutputError(f"{what} {p}: {base} is a file, not a directory")
    try:
        fd, probe = tempfile.mkstemp(prefix=".lambdasim-probe-", dir=base)
    except OSError as exc:
        raise OutputError(f"{what} {p}: cannot write in {base} ({exc.strerror or exc})") from None
    os.close(fd)
    os.unlink(probe)
    return p


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary name next to ``path`` to write to; renamed onto ``path`` when the block ends.

    A crash or an exception leaves either the old file (or none) or the whole new one, never a
    half-written file; the temporary file is removed on an exception.

    Raises
    ------
    OutputError
        If the file cannot be written (the OS reason in one line).
    """
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"{target}: cannot write ({exc.strerror or exc})") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (see :func:`atomic_path`)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def tidy(frame: pd.DataFrame, grid_keys: Sequence[str]) -> pd.DataFrame:
    """Canonical column order, dtypes and row order of a sweep table.

    The same rows give the same frame whatever order the tasks finished in and whether they
    came from memory or from Parquet parts (so serial, loky and Dask tables compare equal).
    """
    import numpy as np
    import pandas as pd  # here, not at import: the CLI's atomic writes do not need pandas

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


class ResultsError(LambdasimError):
    """A results directory that cannot be read as one sweep: a corrupt part or manifest, or a
    part of another sweep. One line, naming the file."""


def sweep_id(config: str, grid: Mapping[str, Sequence[Any]], seed: int) -> str:
    """Identity of a sweep: a hash of its base config (YAML), grid and root seed.

    Stored in the manifest and in every part (``attrs["sweep_id"]``) so that a part of another
    sweep dropped into the same directory is recognised. Replications (``reps``) are left out:
    resuming with more replications adds parts to the same sweep.
    """
    doc = json.dumps(
        {"config": config, "grid": {str(k): list(v) for k, v in grid.items()}, "seed": int(seed)},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(doc.encode("utf-8")).hexdigest()[:16]


def read_manifest(directory: Path) -> dict[str, Any] | None:
    """The ``_sweep.json`` of a results directory, or None.

    Raises
    ------
    ResultsError
        If the manifest is not a JSON object (a truncated or foreign file).
    """
    path = directory / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsError(
            f"{path}: not a readable sweep manifest ({type(exc).__name__})"
        ) from None
    if not isinstance(data, dict):
        raise ResultsError(f"{path}: not a sweep manifest (a JSON object is expected)")
    return data


def write_manifest(directory: Path, provenance: Mapping[str, Any]) -> None:
    """Write ``_sweep.json`` (atomically)."""
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".{MANIFEST}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(dict(provenance), indent=2, sort_keys=True) + "\n", "utf-8")
    os.replace(tmp, directory / MANIFEST)
