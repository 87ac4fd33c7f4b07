"""Figures of plate assays: the standard curve with its standards, and a plate heat map.

Both follow :mod:`hormonestats.report.plots`: a result or table first, ``ax`` optional (a new
figure when ``None``), the Axes returned, the package theme and Okabe & Ito (2008) colours,
no ``plt.show()``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataError
from .figure_theme import PALETTE, _axes, _themed

__all__ = ["plate_heatmap", "standard_curve"]

_TYPE_MARK = {"standard": "S", "blank": "B", "nsb": "N", "control": "C", "sample": "",
              "unused": "·"}


@_themed
def standard_curve(curve, *, ax=None, unit: str | None = None, limits: bool = True):
    """A fitted standard curve on log concentration, its standards and back-fitted points.

    Circles are the standards' ODs at their nominal concentrations; crosses the same ODs at
    their back-calculated concentrations (a cross far from its circle is a poorly recovered
    standard). Dashed lines mark the LLOQ and ULOQ, a dotted line the LOD.

    Parameters
    ----------
    curve : StandardCurve
        From :func:`~hormonestats.derive.standard_curves.fit_standard_curve`.
    unit : str, optional
        Concentration unit for the axis label.
    limits : bool
        Draw the LLOQ, ULOQ and LOD.
    """
    ax = _axes(ax, (5.5, 4.0))
    res = curve.residuals
    lo, hi = curve.standards_range
    grid = np.geomspace(lo / 3, hi * 3, 300)
    ax.plot(grid, curve.predict(grid), color=PALETTE[3], linewidth=1.6,
            label=f"{curve.model.upper()} fit")
    ax.scatter(res["concentration"], res["od"], color=PALETTE[0], zorder=3, s=28,
               label="standards")
    back = res.dropna(subset=["back_calculated"])
    ax.scatter(back["back_calculated"], back["od"], marker="x", color=PALETTE[4], zorder=4,
               s=30, label="back-fitted")
    if limits:
        for value, style, name in ((curve.lloq, "--", "LLOQ"), (curve.uloq, "--", "ULOQ"),
                                   (curve.lod, ":", "LOD")):
            if np.isfinite(value):
                ax.axvline(value, color="#4D4D4D", linestyle=style, linewidth=0.9)
                ax.annotate(name, (value, 1.0), xycoords=("data", "axes fraction"),
                            ha="center", va="bottom", fontsize="small")
    ax.set_xscale("log")
    ax.set_xlabel(f"Concentration{f' ({unit})' if unit else ''}")
    ax.set_ylabel("Optical density")
    ax.set_title(f"Plate {curve.plate_id}", loc="left", pad=14)
    ax.legend(loc="best", fontsize="small")
    return ax


@_themed
def plate_heatmap(wells: pd.DataFrame, *, plate: str | None = None, value: str = "od",
                  ax=None, annotate: bool = True):
    """One plate as an 8 x 12 heat map of ``value`` (OD by default), wells marked by type.

    Letters mark standards (S), blanks (B), NSB (N) and controls (C); a dot an unused well.
    Edge effects show as a frame of lighter or darker wells.

    Raises
    ------
    DataError
        Several plates without ``plate``, or a missing column.
    """
    for col in ("well", value):
        if col not in wells.columns:
            raise DataError(f"plate_heatmap: the well table has no column {col!r}")
    data = wells
    if "plate_id" in wells.columns:
        plates = list(dict.fromkeys(wells["plate_id"]))
        if plate is None and len(plates) > 1:
            raise DataError(f"plate_heatmap: {len(plates)} plates; choose one with plate=...")
        plate = plates[0] if plate is None else plate
        data = wells[wells["plate_id"] == plate]
    ax = _axes(ax, (7.0, 4.2))
    grid = np.full((8, 12), np.nan)
    marks = np.full((8, 12), "", dtype=object)
    for r in data.itertuples():
        i, j = "ABCDEFGH".index(r.well[0]), int(r.well[1:]) - 1
        grid[i, j] = getattr(r, value)
        marks[i, j] = _TYPE_MARK.get(getattr(r, "type", "sample"), "")
    image = ax.imshow(grid, cmap="viridis", aspect="equal")
    ax.figure.colorbar(image, ax=ax, label=value, shrink=0.8)
    ax.set_xticks(range(12), [str(k) for k in range(1, 13)])
    ax.set_yticks(range(8), list("ABCDEFGH"))
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    if annotate:
        finite = grid[np.isfinite(grid)]
        mid = float(np.median(finite)) if finite.size else 0.0
        for i in range(8):
            for j in range(12):
                if marks[i, j]:
                    ax.text(j, i, marks[i, j], ha="center", va="center", fontsize="small",
                            color="white" if grid[i, j] < mid else "black")
    ax.set_title(f"Plate {plate}" if plate is not None else "Plate", loc="left")
    return ax
