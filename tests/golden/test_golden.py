"""Every shipped config reproduces its stored snapshot exactly (see ``snapshots.py``)."""

from __future__ import annotations

import difflib

import pytest

from tests.golden import snapshots as g

pytestmark = pytest.mark.golden


def _same(got: str, want: str, label: str) -> None:
    if got != want:
        diff = "".join(
            list(
                difflib.unified_diff(
                    want.splitlines(keepends=True),
                    got.splitlines(keepends=True),
                    "stored",
                    "now",
                    n=1,
                )
            )[:60]
        )
        pytest.fail(f"{label} differs from its golden snapshot:\n{diff}")


@pytest.mark.parametrize("case", sorted(g.CASES))
def test_run_outputs_unchanged(case: str) -> None:
    for part, text in g.snapshot(case).items():
        _same(text, g.path(case, part).read_text(encoding="utf-8"), f"{case} {part}")


def test_schema_unchanged() -> None:
    _same(g.schema_text(), (g.DATA / "schema.json").read_text(encoding="utf-8"), "schema")


def test_sweep_and_trace_unchanged() -> None:
    for part, text in g.sweep_snapshot().items():
        want = (g.DATA / f"quickstart.{part}.json").read_text(encoding="utf-8")
        _same(text, want, f"quickstart {part}")
