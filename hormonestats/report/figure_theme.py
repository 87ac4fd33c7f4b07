"""The look and the files of every figure: theme, palette, shared axes helpers and :func:`save`.

Used through :mod:`hormonestats.plots`. All figures share one theme (:func:`theme`,
:func:`set_theme`) and the colour-blind-safe palette of Okabe & Ito (2008), :data:`PALETTE`.

References
----------
Okabe, M., & Ito, K. (2008). Color universal design (CUD): How to make figures and
presentations that are friendly to colorblind people. https://jfly.uni-koeln.de/color/
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..checks import require_columns
from ..errors import HormoneStatsError
from ..figure_style import (  # noqa: F401  (the shared look, re-exported for the figures)
    _GREY,
    _ZERO,
    PALETTE,
    _axes,
    _colour,
    _rc,
    _same,
    _themed,
    set_theme,
    theme,
)

__all__ = ["PALETTE", "save", "set_theme", "theme"]

def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    require_columns(frame, columns, table="data", step=f"the {what} figure")


def _num(values) -> np.ndarray:
    """Plain float array (matplotlib keeps what it is given; tests and users read it back)."""
    return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)


def _levels(series: pd.Series) -> list:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return [c for c in series.cat.categories if (series == c).any()]
    return list(pd.unique(series.dropna()))



def _figure_of(obj):
    if hasattr(obj, "savefig"):
        return obj
    fig = getattr(obj, "figure", None)
    if fig is None or not hasattr(fig, "savefig"):
        raise HormoneStatsError(f"expected a matplotlib Figure or Axes, got {type(obj).__name__}")
    return fig


_METADATA = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}


def save(fig_or_ax, path_stem, formats: Sequence[str] = ("png", "svg"), *, dpi: int = 300,
         protect=None):
    """Write a figure in each format as ``<path_stem>.<format>``; returns the written paths.

    ``protect``: the run's inputs (:func:`hormonestats.report.output_guard.run_inputs`); a
    figure is never written over one of them nor into a data folder.

    Files carry no timestamps, so saving the same figure twice gives the same SVG/PDF bytes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from hormonestats.report.plots import power_curve
    >>> ax = power_curve(pd.DataFrame({"n": [50, 100], "power": [0.4, 0.7]}))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     paths = save(ax, pathlib.Path(d, "power"))
    ...     [(p.name, p.stat().st_size > 0) for p in paths]
    [('power.png', True), ('power.svg', True)]
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    import matplotlib as mpl

    from .output_guard import check_output_file

    fig = _figure_of(fig_or_ax)
    stem = Path(path_stem)
    paths = []
    for fmt in formats:
        fmt = str(fmt).lower().lstrip(".")
        if not re.fullmatch(r"[a-z]{2,5}", fmt):
            raise HormoneStatsError(f"unknown figure format {fmt!r}")
        paths.append((fmt, stem.with_name(f"{stem.name}.{fmt}")))
        check_output_file(paths[-1][1], protect, what="figure")
    stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt, path in paths:
        with mpl.rc_context({"svg.hashsalt": "hormonestats"}):
            fig.savefig(path, format=fmt, dpi=dpi, bbox_inches="tight", metadata=_METADATA.get(fmt))
        written.append(path)
    return written
