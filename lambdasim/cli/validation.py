"""``lambdasim validation``: the model against the shipped real data and the closed forms."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from lambdasim.cli._app import app, fail
from lambdasim.errors import LambdasimError
from lambdasim.results.store import atomic_write_text, check_output

__all__ = ["validation"]

#: The names of :data:`lambdasim.validation.CASES`, for ``--help``: the cases themselves import
#: the simulator, pandas and the data readers, which ``lambdasim --help`` should not pay for.
#: tests/unit/test_startup.py checks that the two lists agree.
CASE_NAMES = (
    "pacs-logs",
    "pacs-summaries",
    "cirrus2025",
    "cloudbench2019",
    "azure2019",
    "theory",
)


@app.command()
def validation(
    quick: Annotated[
        bool, typer.Option("--quick", help="Shorter runs and fewer probes (about a minute).")
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the Markdown report to this file.")
    ] = None,
    data: Annotated[
        Path | None, typer.Option(help="Test-data directory (default: the checkout's tests/data).")
    ] = None,
    case: Annotated[
        list[str] | None, typer.Option(help=f"Only these cases: {', '.join(CASE_NAMES)}.")
    ] = None,
) -> None:
    """Run the model against every shipped data set and closed form; print or write the report."""
    from lambdasim.validation import CASES, run_validation, to_markdown

    unknown = [c for c in case or [] if c not in CASES]
    if unknown:
        fail(f"--case: unknown case {unknown[0]!r} (one of: {', '.join(CASES)})")
    if out is not None:
        try:
            check_output(out, "file")  # before minutes of runs, not after
        except LambdasimError as exc:
            fail(str(exc))
    t0 = time.perf_counter()
    try:
        rows = run_validation(data, quick=quick, cases=case)
    except FileNotFoundError as exc:
        fail(str(exc))
    cmd = "lambdasim validation" + (" --quick" if quick else "")
    text = to_markdown(rows, quick=quick, command=cmd)
    if out is None:
        typer.echo(text)
    else:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(out, text)  # a temporary name, renamed: nothing half-written
        except OSError as exc:
            fail(f"-o {out}: cannot write ({exc.strerror or exc})")
        except LambdasimError as exc:
            fail(str(exc))
        typer.echo(f"validation report written to {out} ({len(rows)} rows)", err=True)
    print(f"validation: {len(rows)} rows in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
