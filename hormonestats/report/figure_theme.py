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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import wraps
from pathlib import Path

import numpy as np
import pandas as pd

from ..checks import require_columns
from ..errors import HormoneStatsError

__all__ = ["PALETTE", "save", "set_theme", "theme"]

#: Okabe & Ito (2008) colour-blind-safe palette; yellow and black last (low contrast / reserved)
PALETTE: tuple[str, ...] = (
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#F0E442",  # yellow
    "#000000",  # black
)
_GREY = "#7F7F7F"
_ZERO = dict(color="#4D4D4D", linewidth=0.9, linestyle="--", zorder=1)


def _colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _rc(context: str = "notebook", font_scale: float = 1.0) -> dict:
    import seaborn as sns
    from cycler import cycler

    rc = {**sns.axes_style("ticks"), **sns.plotting_context(context, font_scale)}
    rc.update(
        {
            "axes.prop_cycle": cycler(color=list(PALETTE)),
            "axes.spines.top": False,
            "axes.spines.right": False,
            "legend.frameon": False,
            "svg.hashsalt": "hormonestats",
            "savefig.bbox": "tight",
        }
    )
    return rc


@contextmanager
def theme(context: str = "notebook", font_scale: float = 1.0) -> Iterator[None]:
    """Temporarily apply the package theme (seaborn "ticks", Okabe–Ito colours).

    On exit only the theme's own keys get their earlier values back. Unlike
    ``matplotlib.rc_context``, nothing else is reset, so a backend set up while the first
    figure is made inside the context (Jupyter's inline backend turns on interactive mode and
    loads its own settings then) stays set up, and every later figure displays (docs/architecture.md, rule 13).

    Examples
    --------
    >>> import matplotlib as mpl
    >>> with theme():
    ...     mpl.rcParams["axes.prop_cycle"].by_key()["color"][0]
    '#E69F00'
    """
    import matplotlib as mpl

    rc = _rc(context, font_scale)
    saved = {key: mpl.rcParams[key] for key in rc}
    mpl.rcParams.update(rc)
    applied = {key: mpl.rcParams[key] for key in rc}  # as validated by matplotlib
    try:
        yield
    finally:
        # restore only what the theme changed and nobody changed since
        mpl.rcParams.update(
            {k: v for k, v in saved.items() if _same(mpl.rcParams[k], applied[k])}
        )


def _same(a, b) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return a is b


def set_theme(context: str = "notebook", font_scale: float = 1.0) -> None:
    """Apply the package theme globally (e.g. once at the top of a notebook)."""
    import matplotlib as mpl

    mpl.rcParams.update(_rc(context, font_scale))


def _themed(fn):
    """Run a plotting function inside :func:`theme` so every figure looks the same."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        with theme():
            return fn(*args, **kwargs)

    return wrapper


def _axes(ax, figsize=(5.5, 4.0)):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


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
