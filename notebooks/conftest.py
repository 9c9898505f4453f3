"""Run the notebooks under pytest (nbmake) in quick mode and headless.

The kernels nbmake starts inherit this process's environment, so setting the variables here
shortens every notebook's horizons (``LAMBDASIM_NB_QUICK=1``, read by each notebook's
``parameters`` cell) and keeps matplotlib off any display (``MPLBACKEND=Agg``). Set
``LAMBDASIM_NB_QUICK=0`` to execute the full-size notebooks instead.

Even in quick mode the notebooks take a minute or more of kernel time, so they are marked
``slow`` (below): the quick local run ``pytest -m "not slow"`` skips them.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("LAMBDASIM_NB_QUICK", "1")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.hookimpl(tryfirst=True)  # before pytest's own -m deselection reads the markers
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every notebook is ``slow``: ``pytest -m "not slow"`` leaves them out, ``pytest`` runs them.

    nbmake collects one ``nbmake.pytest_items.NotebookItem`` per ``.ipynb`` file (node id
    ``notebooks/NAME.ipynb::NAME.ipynb``); it is matched by the file suffix, which does not
    depend on nbmake's internal class names.
    """
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.slow)
