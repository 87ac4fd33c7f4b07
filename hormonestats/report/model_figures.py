"""Figures of model results: interactions, Johnson–Neyman, simple slopes, mediation paths.

Used through :mod:`hormonestats.plots`. Every function takes a result or a tidy table first,
draws on ``ax`` (a new figure when ``None``) and returns the Axes.

References
----------
Bauer, D. J., & Curran, P. J. (2005). Probing interactions in fixed and multilevel regression:
Inferential and graphical techniques. Multivariate Behavioral Research, 40, 373-400.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataError, HormoneStatsError
from ..models._slopes import JohnsonNeyman
from .figure_theme import _ZERO, PALETTE, _axes, _colour, _levels, _num, _require, _themed
from .tables import as_frame, format_ci, format_number

__all__ = ["interaction", "johnson_neyman", "mediation_paths", "simple_slopes"]


# ----------------------------------------------------------------------------- moderation
def _names(result) -> tuple[str, str, str]:
    """(y, x, m) names of a two-way interaction result (gene x environment: env, gene)."""
    y = getattr(result, "y", None) or "y"
    x = getattr(result, "x", None) or getattr(result, "env", None) or "x"
    m = getattr(result, "m", None) or getattr(result, "gene", None) or "moderator"
    return str(y), str(x), str(m)


@_themed
def interaction(result, *, ax=None, n_points: int = 50, categorical_x: bool | None = None):
    """Predicted outcome against ``x``, one line and CI band per moderator level.

    Parameters
    ----------
    result : moderation result
        Needs ``.predictions(n_points=)`` (``x_value, m_label, m_value, estimate, conf_low,
        conf_high``) and ``.x``, ``.y``, ``.m`` names (``.env``/``.gene`` for gene x
        environment results).
    ax : matplotlib Axes, optional
    n_points : int
        Points along ``x`` per line.
    categorical_x : bool, optional
        Draw ``x`` as categories (points with CIs at each observed level, dodged by moderator
        level) rather than as a continuous axis. Default: when the model's ``x`` takes at most
        six equally spaced values (a 0/1 treatment arm, a dose in steps).

    Returns
    -------
    matplotlib Axes
    """
    if not hasattr(result, "predictions"):
        raise DataError(
            f"interaction: a {type(result).__name__} has no predicted lines (.predictions); "
            "plot hs.moderation or hs.gxe results here, and the slopes of a mixed model with "
            "hs.plots.simple_slopes or hs.plots.johnson_neyman"
        )
    y, x, m = _names(result)
    levels_x = _x_levels(result, x)
    if categorical_x is None:
        categorical_x = levels_x is not None
    elif categorical_x and levels_x is None:
        raise DataError(
            f"interaction: {x} takes more than six values or unevenly spaced ones; it cannot be "
            "drawn as categories (categorical_x=False draws it as a continuous axis)"
        )
    if categorical_x:
        pred = result.predictions(n_points=len(levels_x))
    else:
        pred = result.predictions(n_points=n_points)
    _require(pred, ["x_value", "m_label", "estimate", "conf_low", "conf_high"], "interaction")
    ax = _axes(ax)
    m_levels = _levels(pred["m_label"])
    for i, level in enumerate(m_levels):
        part = pred.loc[pred["m_label"] == level].sort_values("x_value")
        if categorical_x:
            pos = np.arange(len(part)) + (i - (len(m_levels) - 1) / 2) * 0.12
            est = _num(part["estimate"])
            ax.errorbar(
                pos,
                est,
                yerr=[est - _num(part["conf_low"]), _num(part["conf_high"]) - est],
                fmt="o-",
                color=_colour(i),
                capsize=4,
                markersize=7,
                linewidth=1.6,
                label=str(level),
            )
            continue
        ax.fill_between(
            _num(part["x_value"]),
            _num(part["conf_low"]),
            _num(part["conf_high"]),
            color=_colour(i),
            alpha=0.2,
            linewidth=0,
        )
        ax.plot(
            _num(part["x_value"]),
            _num(part["estimate"]),
            color=_colour(i),
            linewidth=2,
            label=str(level),
        )
    if categorical_x:
        ax.set_xticks(range(len(levels_x)), [f"{v:g}" for v in levels_x])
        ax.set_xlim(-0.5, len(levels_x) - 0.5)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.legend(title=m)
    return ax


def _x_levels(result, x: str) -> list[float] | None:
    """The observed levels of ``x`` when it is categorical (at most six equally spaced values:
    a 0/1 arm, a dose in steps), read from the fitted model's design; None when continuous."""
    inner = getattr(result, "moderation", None)  # gene x environment: its moderation model
    if inner is not None and hasattr(inner, "x_range"):
        result, x = inner, str(getattr(inner, "x", x))
    model = getattr(getattr(result, "fit", None), "model", None)
    names = list(getattr(model, "exog_names", None) or [])
    lo, hi = (float(v) for v in getattr(result, "x_range", (np.nan, np.nan)))
    if x not in names or not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
        return None
    column = np.asarray(model.exog, dtype=float)[:, names.index(x)]
    values = np.unique(np.round(column, 9))
    if not 2 <= len(values) <= 6:
        return None
    steps = np.diff(values)
    if not np.allclose(steps, steps[0], rtol=1e-6):
        return None
    levels = np.linspace(lo, hi, len(values))
    if not np.isclose(levels[1] - levels[0], steps[0], rtol=1e-6):
        return None
    return [float(v) for v in levels]


def _significant_spans(jn: JohnsonNeyman) -> list[tuple[float, float]]:
    """Sub-intervals of the observed moderator range where the slope is significant."""
    lo, hi = jn.m_range
    cuts = [lo, *sorted(b for b, inside in zip(jn.bounds, jn.in_range) if inside), hi]
    grid = jn.grid
    spans = []
    for a, b in zip(cuts[:-1], cuts[1:]):
        if b <= a:
            continue
        mid = (a + b) / 2
        low = np.interp(mid, grid["m_value"], grid["conf_low"])
        high = np.interp(mid, grid["m_value"], grid["conf_high"])
        if low > 0 or high < 0:
            spans.append((a, b))
    return spans


@_themed
def johnson_neyman(result_or_jn, *, ax=None):
    """Johnson–Neyman plot: the slope of ``x`` with its CI across the observed moderator range.

    The region where the CI excludes zero is shaded and the boundaries inside the observed
    range are marked (Bauer & Curran 2005). Nothing is drawn beyond the observed range.

    Parameters
    ----------
    result_or_jn : moderation result or JohnsonNeyman
        A result with ``.johnson_neyman()``, or its :class:`JohnsonNeyman`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from hormonestats.models._slopes import johnson_neyman_from_cov
    >>> p = pd.Series({"x": 0.2, "x:m": 1.0})
    >>> v = pd.DataFrame([[0.01, 0.0], [0.0, 0.01]], index=p.index, columns=p.index)
    >>> jn = johnson_neyman_from_cov(p, v, x_term="x", xm_term="x:m", m_range=(-2, 2), m="m")
    >>> ax = johnson_neyman(jn)
    >>> ax.get_xlabel(), ax.get_ylabel(), [float(v) for v in ax.get_xlim()]
    ('m', 'Slope of x', [-2.0, 2.0])
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    if isinstance(result_or_jn, JohnsonNeyman):
        jn = result_or_jn
    elif callable(getattr(result_or_jn, "johnson_neyman", None)):
        jn = result_or_jn.johnson_neyman()
    else:
        raise HormoneStatsError(
            "johnson_neyman() needs a JohnsonNeyman or a result with .johnson_neyman(), got "
            f"{type(result_or_jn).__name__}"
        )
    grid = jn.grid
    ax = _axes(ax)
    for a, b in _significant_spans(jn):
        ax.axvspan(
            a,
            b,
            color=PALETTE[2],
            alpha=0.12,
            linewidth=0,
            label=f"slope ≠ 0 ({jn.conf_level:.0%} CI excludes 0)",
        )
    ax.fill_between(
        _num(grid["m_value"]),
        _num(grid["conf_low"]),
        _num(grid["conf_high"]),
        color=PALETTE[3],
        alpha=0.25,
        linewidth=0,
        label=f"{jn.conf_level:.0%} CI",
    )
    ax.plot(
        _num(grid["m_value"]), _num(grid["estimate"]), color=PALETTE[3], linewidth=2, label="slope"
    )
    ax.axhline(0, **_ZERO)
    for bound, inside in zip(jn.bounds, jn.in_range):
        if inside:
            ax.axvline(bound, color=PALETTE[4], linestyle=":", linewidth=1.2)
            ax.annotate(
                format_number(bound, 2),
                xy=(bound, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(2, -2),
                textcoords="offset points",
                va="top",
                fontsize="small",
                color=PALETTE[4],
            )
    ax.set_xlim(float(jn.m_range[0]), float(jn.m_range[1]))
    ax.set_xlabel(str(jn.m))
    ax.set_ylabel(f"Slope of {jn.x}")
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(unique.values(), unique.keys(), fontsize="small")
    return ax


@_themed
def simple_slopes(result, *, ax=None):
    """Point-range plot of the simple slopes of ``x`` at each moderator level or group.

    Parameters
    ----------
    result : moderation result
        Needs ``.simple_slopes()`` (``m_label, m_value, estimate, conf_low, conf_high``) and
        ``.x``, ``.m``.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ss = result.simple_slopes()
    _require(ss, ["m_label", "estimate", "conf_low", "conf_high"], "simple_slopes")
    ax = _axes(ax, figsize=(4.5, 4.0))
    labels = []
    for i, row in enumerate(ss.to_dict("records")):
        est = float(row["estimate"])
        ax.errorbar(
            i,
            est,
            yerr=[[est - row["conf_low"]], [row["conf_high"] - est]],
            fmt="o",
            color=_colour(i),
            capsize=4,
            markersize=7,
            linewidth=1.8,
        )
        label = str(row["m_label"])
        value = row.get("m_value")
        if value is not None and pd.notna(value) and label != format_number(value, 2):
            label += f"\n({format_number(value, 2)})"
        labels.append(label)
    ax.axhline(0, **_ZERO)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_xlim(-0.6, len(labels) - 0.4)
    _y, x, m = _names(result)
    ax.set_xlabel(m)
    ax.set_ylabel(f"Slope of {x}")
    return ax


# ----------------------------------------------------------------------------- mediation
def _path_row(table: pd.DataFrame, term: str, mediator=None):
    rows = table.loc[table["term"] == term]
    if mediator is not None and "mediator" in table.columns:
        rows = rows.loc[rows["mediator"].astype(str) == str(mediator)]
    return None if rows.empty else rows.iloc[0]


def _path_label(symbol: str, row, digits: int) -> str:
    if row is None:
        return f"{symbol} = n/a"
    text = f"{symbol} = {format_number(row['estimate'], digits)}"
    if "conf_low" in row.index and pd.notna(row["conf_low"]):
        text += " " + format_ci(row["conf_low"], row["conf_high"], digits)
    return text


def _edge(center, size, toward):
    """Point where the segment from a box's center toward ``toward`` leaves the box."""
    (cx, cy), (w, h) = center, size
    dx, dy = toward[0] - cx, toward[1] - cy
    t = min(
        (w / 2) / abs(dx) if dx else np.inf,
        (h / 2) / abs(dy) if dy else np.inf,
    )
    return cx + t * dx, cy + t * dy


@_themed
def mediation_paths(result, *, ax=None, digits: int = 2):
    """Path diagram of a mediation model with a, b, c, c' and the indirect effect(s).

    Boxes (X, mediators, Y) and arrows are matplotlib patches; each path is labelled with its
    estimate and CI; the total and indirect effects (with their bootstrap CIs) are listed
    under the diagram.

    Parameters
    ----------
    result : mediation result
        ``.table`` with ``term`` in a, b, total, direct, indirect (and total_indirect) and a
        ``mediator`` column; ``.x`` and ``.y`` names.
    ax : matplotlib Axes, optional
    digits : int

    Returns
    -------
    matplotlib Axes
    """
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    table = as_frame(result)
    _require(table, ["term", "estimate"], "mediation_paths")
    x_name, y_name = str(result.x), str(result.y)
    if "mediator" in table.columns:
        mediators = [
            m
            for m in _levels(table.loc[table["term"].isin(["a", "b", "indirect"]), "mediator"])
            if str(m)
        ]
    else:
        mediators = [getattr(result, "mediator", "M")]
    if not mediators:
        raise DataError("mediation_paths: the table names no mediator for the a/b paths")
    k = len(mediators)
    ax = _axes(ax, figsize=(7.5, 4.4 + 1.1 * max(k - 1, 0)))
    ax.set_axis_off()
    size = (0.2, 0.1) if k == 1 else (0.16, 0.1)
    if k == 1:  # the classic triangle
        med_ys = np.array([0.8])
        x_c, y_c = (0.13, 0.42), (0.87, 0.42)
    else:  # mediators in a column; X and Y level with its middle; c' runs underneath
        med_ys = np.linspace(0.94, 0.94 - max(0.32, 0.2 * (k - 1)), k)
        x_c, y_c = (0.08, float(med_ys.mean())), (0.92, float(med_ys.mean()))
    med_cs = [(0.5, float(yy)) for yy in med_ys]
    low = min(x_c[1], med_ys.min()) - size[1] / 2 - 0.09  # level of c' (k > 1)
    summary_top = (x_c[1] - 0.12) if k == 1 else (low - 0.08)
    n_lines = 1 + k + (k > 1)
    ax.set_xlim(-0.03, 1.03)
    ax.set_ylim(0.0 if k == 1 else summary_top - 0.055 * n_lines - 0.03, 1.0)

    def box(center, text):
        ax.add_patch(
            FancyBboxPatch(
                (center[0] - size[0] / 2, center[1] - size[1] / 2),
                size[0],
                size[1],
                boxstyle="round,pad=0.01",
                facecolor="white",
                edgecolor="#222222",
                linewidth=1.3,
                zorder=2,
            )
        )
        ax.text(*center, text, ha="center", va="center", fontsize="medium", zorder=3)

    def label(start, end, text, side=1.0, at=0.5):
        """Text beside the segment start -> end, on its left (side=1) or right (side=-1);
        with several mediators, on the segment over a white patch (the arrows fan out)."""
        dx, dy = end[0] - start[0], end[1] - start[1]
        norm = float(np.hypot(dx, dy)) or 1.0
        gap = 0.045 if k == 1 or dy == 0 else 0.0
        nx, ny = -dy / norm * side * gap, dx / norm * side * gap
        pos = (start[0] + at * dx + nx, start[1] + at * dy + ny)
        bbox = None if gap else dict(boxstyle="round,pad=0.15", facecolor="white", linewidth=0)
        ax.text(*pos, text, ha="center", va="center", fontsize="small", zorder=3, bbox=bbox)

    def arrow(src, dst, text, colour="#222222", side=1.0, at=0.5):
        start, end = _edge(src, size, dst), _edge(dst, size, src)
        ax.add_patch(
            FancyArrowPatch(
                start,
                end,
                arrowstyle="-|>",
                mutation_scale=14,
                linewidth=1.3,
                color=colour,
                shrinkA=2,
                shrinkB=2,
                zorder=1,
            )
        )
        label(start, end, text, side, at)

    box(x_c, x_name)
    box(y_c, y_name)
    suffix = (lambda j: f"{j + 1}") if k > 1 else (lambda j: "")
    for j, (med, mc) in enumerate(zip(mediators, med_cs)):
        box(mc, str(med))
        a_text = _path_label(f"a{suffix(j)}", _path_row(table, "a", med), digits)
        b_text = _path_label(f"b{suffix(j)}", _path_row(table, "b", med), digits)
        arrow(x_c, mc, a_text, _colour(j), side=1.0, at=0.5)
        arrow(mc, y_c, b_text, _colour(j), side=1.0, at=0.5)
    c_text = _path_label("c'", _path_row(table, "direct"), digits)
    if k == 1:
        arrow(x_c, y_c, c_text, side=-1.0)
    else:
        from matplotlib.path import Path as MplPath

        bottom_x = (x_c[0], x_c[1] - size[1] / 2 - 0.01)
        bottom_y = (y_c[0], y_c[1] - size[1] / 2 - 0.01)
        route = MplPath([bottom_x, (x_c[0], low), (y_c[0], low), bottom_y])
        ax.add_patch(
            FancyArrowPatch(
                path=route,
                arrowstyle="-|>",
                mutation_scale=14,
                linewidth=1.3,
                color="#222222",
                zorder=1,
            )
        )
        label((x_c[0], low), (y_c[0], low), c_text, side=-1.0)
    lines = [f"Total effect: {_path_label('c', _path_row(table, 'total'), digits)}"]
    for j, med in enumerate(mediators):
        row = _path_row(table, "indirect", med)
        lines.append(
            f"Indirect effect via {med}: {_path_label(f'a{suffix(j)}b{suffix(j)}', row, digits)}"
        )
    if k > 1 and _path_row(table, "total_indirect") is not None:
        total = _path_label("Σab", _path_row(table, "total_indirect"), digits)
        lines.append(f"Total indirect effect: {total}")
    ax.text(0.5, summary_top, "\n".join(lines), ha="center", va="top", fontsize="small")
    return ax
