"""The one look of every figure, shared by the report layer and by results that draw their own
figure (``result.figure()``): the colour-blind-safe palette of Okabe & Ito (2008)
(:data:`PALETTE`), the theme (:func:`theme`, :func:`set_theme`, :func:`_themed`) and a new Axes
(:func:`_axes`). :mod:`hormonestats.report.figure_theme` re-exports them; matplotlib and seaborn
are imported inside the functions, so importing this module stays light.

References
----------
Okabe, M., & Ito, K. (2008). Color universal design (CUD): How to make figures and
presentations that are friendly to colorblind people. https://jfly.uni-koeln.de/color/
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import wraps

__all__ = ["PALETTE", "set_theme", "theme"]

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
