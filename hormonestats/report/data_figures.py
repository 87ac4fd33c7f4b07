"""Figures of the data and their quality: cortisol curves, the menstrual cycle, assay QC.

Used through :mod:`hormonestats.plots`. Every function takes a tidy table first, draws on
``ax`` (a new figure when ``None``) and returns the Axes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import HormoneStatsError
from .figure_theme import _GREY, _ZERO, PALETTE, _axes, _colour, _levels, _num, _require, _themed
from .tables import as_frame

__all__ = ["cortisol_curves", "cycle", "qc_cv", "qc_lod"]


# ----------------------------------------------------------------------------- hormones
def _mean_se(frame: pd.DataFrame, keys: list[str], y: str) -> pd.DataFrame:
    return (
        frame.groupby(keys, sort=True, dropna=True)[y]
        .agg(mean="mean", sd="std", n="count")
        .reset_index()
        .assign(se=lambda d: d["sd"] / np.sqrt(d["n"]))
    )


@_themed
def cortisol_curves(
    data: pd.DataFrame,
    *,
    y: str = "value",
    time: str = "sample_time",
    group: str | None = None,
    subject: str = "subject_id",
    ax=None,
):
    """Mean ± SE of ``y`` over sampling time, one line per group.

    Each subject's replicate rows at one time are averaged first, so every subject counts once
    per time point; SE = SD / sqrt(n subjects).

    Parameters
    ----------
    data : DataFrame
        Long cortisol data (``subject_id, [group], sample_time, value``).
    y, time, group, subject : str
        Column names.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> d = pd.DataFrame({"subject_id": ["a", "a", "b", "b"], "sample_time": [0, 30, 0, 30],
    ...                   "value": [10.0, 15.0, 12.0, 19.0]})
    >>> ax = cortisol_curves(d)
    >>> ax.lines[0].get_ydata().tolist()
    [11.0, 17.0]
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    keys = [subject, time] + ([group] if group else [])
    _require(data, [*keys, y], "cortisol_curves")
    per_subject = data.groupby(keys, sort=True, dropna=True)[y].mean().reset_index()
    ax = _axes(ax)
    groups = _levels(per_subject[group]) if group else [None]
    for i, level in enumerate(groups):
        part = per_subject if level is None else per_subject.loc[per_subject[group] == level]
        stats = _mean_se(part, [time], y)
        ax.errorbar(
            _num(stats[time]),
            _num(stats["mean"]),
            yerr=_num(stats["se"].fillna(0.0)),
            marker="o",
            capsize=3,
            linewidth=1.8,
            color=_colour(i),
            label=None if level is None else str(level),
        )
    ax.set_xlabel(str(time))
    ax.set_ylabel(f"{y} (mean ± SE)")
    if group:
        ax.legend(title=str(group))
    return ax


@_themed
def cycle(
    data: pd.DataFrame,
    *,
    y: str,
    day: str = "cycle_day",
    subject: str = "subject_id",
    align: str = "menses",
    ax=None,
):
    """Hormone across the menstrual cycle: thin line per person, mean ± SE in bold.

    Parameters
    ----------
    data : DataFrame
        One row per subject and cycle day.
    y : str
        Hormone column.
    day : str
        Cycle-day column: forward day since menses onset (``align="menses"``) or day relative
        to ovulation (``align="ovulation"``, day 0 marked).
    subject : str
    align : {"menses", "ovulation"}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    if align not in ("menses", "ovulation"):
        raise HormoneStatsError(f"align must be 'menses' or 'ovulation', got {align!r}")
    _require(data, [subject, day, y], "cycle")
    frame = data.loc[data[day].notna() & data[y].notna(), [subject, day, y]]
    ax = _axes(ax, figsize=(6.5, 4.0))
    for _sid, part in frame.groupby(subject, sort=True):
        part = part.sort_values(day)
        ax.plot(_num(part[day]), _num(part[y]), color=_GREY, linewidth=0.6, alpha=0.45)
    stats = _mean_se(frame, [day], y)
    days, mean, se = _num(stats[day]), _num(stats["mean"]), _num(stats["se"].fillna(0.0))
    ax.fill_between(days, mean - se, mean + se, color=PALETTE[4], alpha=0.25, lw=0)
    ax.plot(days, mean, color=PALETTE[4], linewidth=2.4, label="mean ± SE")
    if align == "ovulation":
        ax.axvline(0, **_ZERO)
        ax.set_xlabel(f"{day} (days relative to ovulation)")
    else:
        ax.set_xlabel(f"{day} (days since menses onset)")
    ax.set_ylabel(str(y))
    ax.legend()
    return ax


# ----------------------------------------------------------------------------- assay QC
@_themed
def qc_cv(cv_table, *, cv: str | None = None, max_cv: float | None = 15.0, ax=None,
          col_wrap: int = 3):
    """Intra-assay CV per plate with the acceptance limit; one small panel per analyte.

    Parameters
    ----------
    cv_table : DataFrame
        ``plate_id, analyte, cv`` (from ``hs.intra_assay_cv``); without ``plate_id`` one bar
        per analyte.
    cv : str, optional
        CV column (default the first of ``cv``, ``intra_cv``, ``inter_cv``).
    max_cv : float or None
        Acceptance limit in % drawn as a dashed line (None: no line).
    ax : matplotlib Axes, optional
        Draw every analyte on this one Axes (bars grouped by analyte) instead of panels.
    col_wrap : int
        Panels per row before they wrap (several analytes, no ``ax``).

    Returns
    -------
    matplotlib Axes
        The (first) panel; ``ax.figure.axes`` holds one panel per analyte, each with only the
        plates that analyte was assayed on, sharing the CV axis.
    """
    frame = as_frame(cv_table)
    cv = cv or next((c for c in ("cv", "intra_cv", "inter_cv") if c in frame.columns), "cv")
    x = "plate_id" if "plate_id" in frame.columns else "analyte"
    hue = "analyte" if x == "plate_id" and "analyte" in frame.columns else None
    _require(frame, [x, cv], "qc_cv")
    hues = sorted(frame[hue].dropna().unique(), key=str) if hue else [None]
    if ax is None and len(hues) > 1:
        return _qc_cv_panels(frame, x, hue, hues, cv, max_cv, col_wrap)
    cats = sorted(frame[x].dropna().unique(), key=str)
    ax = _axes(ax, figsize=(min(10.0, max(4.5, 0.6 * len(cats) * len(hues) + 2)), 3.8))
    width = 0.8 / len(hues)
    for j, level in enumerate(hues):
        part = frame if level is None else frame.loc[frame[hue] == level]
        values = part.groupby(x)[cv].mean().reindex(cats)
        pos = np.arange(len(cats)) - 0.4 + width * (j + 0.5)
        ax.bar(
            pos,
            values.to_numpy(float),
            width=width * 0.95,
            color=_colour(j),
            label=None if level is None else str(level),
        )
    _cv_limit(ax, max_cv)
    ax.set_xticks(range(len(cats)), [str(c) for c in cats])
    ax.set_xlabel("Plate" if x == "plate_id" else "Analyte")
    ax.set_ylabel("CV (%)")
    if hue or max_cv is not None:
        ax.legend(fontsize="small")
    return ax


def _cv_limit(ax, max_cv):
    if max_cv is not None:
        ax.axhline(
            max_cv, color=PALETTE[4], linestyle="--", linewidth=1.2, label=f"limit {max_cv:g}%"
        )


def _qc_cv_panels(frame, x, hue, hues, cv, max_cv, col_wrap):
    """Small multiples: one panel per analyte with its own plates, wrapping after col_wrap."""
    import matplotlib.pyplot as plt

    most = max(frame.loc[frame[hue] == h, x].nunique() for h in hues)
    ncols = max(1, min(int(col_wrap), len(hues)))
    nrows = -(-len(hues) // ncols)
    panel_w = min(4.0, max(2.4, 0.32 * most + 1.0))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(panel_w * ncols, 2.6 * nrows + 0.4), sharey=True,
        layout="constrained", squeeze=False,
    )
    flat = axes.ravel()
    for j, level in enumerate(hues):
        panel = flat[j]
        part = frame.loc[frame[hue] == level]
        values = part.groupby(x)[cv].mean()
        values = values.reindex(sorted(values.index, key=str))
        panel.bar(np.arange(len(values)), values.to_numpy(float), width=0.7, color=_colour(j))
        _cv_limit(panel, max_cv)
        panel.set_xticks(range(len(values)), [str(c) for c in values.index],
                         rotation=90 if len(values) > 6 else 0, fontsize="small")
        panel.set_title(str(level), fontsize="medium")
        if j % ncols == 0:
            panel.set_ylabel("CV (%)")
    for panel in flat[len(hues):]:
        panel.set_visible(False)
    fig.supxlabel("Plate", fontsize="medium")
    if max_cv is not None:
        flat[0].legend(fontsize="small", loc="upper left")
    return flat[0]


@_themed
def qc_lod(lod_table, *, ax=None):
    """Percentage of readings below the LOD per analyte (and matrix), with counts on the bars.

    Parameters
    ----------
    lod_table : DataFrame
        From ``hs.lod_summary``: ``analyte, [matrix], n, n_below_lod, pct_below_lod``.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    frame = as_frame(lod_table)
    _require(frame, ["analyte", "pct_below_lod"], "qc_lod")
    show_matrix = "matrix" in frame.columns and frame["matrix"].nunique() > 1
    labels = [
        f"{r['analyte']}\n({r['matrix']})" if show_matrix else str(r["analyte"])
        for r in frame.to_dict("records")
    ]
    pct = frame["pct_below_lod"].to_numpy(float)
    ax = _axes(ax, figsize=(max(4.0, 0.9 * len(frame) + 1.5), 3.6))
    ax.bar(np.arange(len(frame)), pct, color=PALETTE[1], width=0.7)
    if {"n", "n_below_lod"} <= set(frame.columns):
        for i, r in enumerate(frame.to_dict("records")):
            ax.text(
                i,
                pct[i],
                f"{int(r['n_below_lod'])}/{int(r['n'])}",
                ha="center",
                va="bottom",
                fontsize="small",
            )
    ax.set_xticks(range(len(frame)), labels)
    top = np.nanmax(pct) if len(pct) and np.isfinite(pct).any() else 0.0
    ax.set_ylim(0, max(5.0, top * 1.2))
    ax.set_ylabel("% below LOD")
    ax.set_xlabel("Analyte")
    return ax
