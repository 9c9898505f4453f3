"""Run the notebooks under pytest (nbmake) in quick mode and headless.

The kernels nbmake starts inherit this process's environment, so setting the variables here
shortens every notebook's horizons (``LAMBDASIM_NB_QUICK=1``, read by each notebook's
``parameters`` cell) and keeps matplotlib off any display (``MPLBACKEND=Agg``). Set
``LAMBDASIM_NB_QUICK=0`` to execute the full-size notebooks instead.
"""

from __future__ import annotations

import os

os.environ.setdefault("LAMBDASIM_NB_QUICK", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
