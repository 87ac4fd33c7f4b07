"""Figures of whole families of tests: forest plots of a hypothesis family, power curves.

Used through :mod:`hormonestats.plots`. Each takes a tidy table (or a result with ``.table``)
first, draws on ``ax`` (a new figure when ``None``) and returns the Axes.
"""

from __future__ import annotations

import numpy as np

from .figure_theme import _GREY, _ZERO, PALETTE, _axes, _colour, _levels, _num, _require, _themed
from .tables import as_frame, format_p

__all__ = ["forest", "power_curve"]


@_themed
def forest(table, *, label: str = "hypothesis", ax=None, alpha: float = 0.05):
    """Forest plot: estimates with CIs, one row per hypothesis/term/SNP, zero line.

    Significant rows (``p_fdr`` < ``alpha`` when the table has it, else ``p_value``) get filled
    markers, the others open ones.

    Parameters
    ----------
    table : DataFrame or result
        Needs ``estimate, conf_low, conf_high`` and the ``label`` column (``term`` is used when
        ``label`` is absent).
    label : str
        Column naming the rows.
    ax : matplotlib Axes, optional
    alpha : float

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import pandas as pd
    >>> tab = pd.DataFrame({"hypothesis": ["H1", "H2"], "estimate": [0.3, -0.1],
    ...                     "conf_low": [0.1, -0.3], "conf_high": [0.5, 0.1],
    ...                     "p_fdr": [0.01, 0.4]})
    >>> ax = forest(tab)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['H1', 'H2']
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    frame = as_frame(table)
    if label not in frame.columns and "term" in frame.columns:
        label = "term"
    _require(frame, [label, "estimate", "conf_low", "conf_high"], "forest")
    p_col = next((c for c in ("p_fdr", "p_value") if c in frame.columns), None)
    n = len(frame)
    ax = _axes(ax, figsize=(6.0, 1.2 + 0.42 * n))
    ypos = np.arange(n)[::-1].astype(float)
    est = frame["estimate"].to_numpy(float)
    err = np.vstack([est - frame["conf_low"].to_numpy(float), frame["conf_high"] - est])
    sig = (
        (frame[p_col].to_numpy(float) < alpha) if p_col else np.zeros(n, dtype=bool)
    )  # NaN -> False
    what = "FDR-adjusted p" if p_col == "p_fdr" else "p"
    for mask, filled in ((sig, True), (~sig, False)):
        if not mask.any():
            continue
        ax.errorbar(
            est[mask],
            ypos[mask],
            xerr=err[:, mask],
            fmt="o",
            color=PALETTE[3],
            markerfacecolor=PALETTE[3] if filled else "white",
            markeredgecolor=PALETTE[3],
            markersize=7,
            capsize=3,
            linewidth=1.6,
            label=(f"{what} < {_alpha_text(alpha)}" if filled else f"{what} ≥ {_alpha_text(alpha)}")
            if p_col
            else None,
        )
    ax.axvline(0, **_ZERO)
    ax.set_yticks(ypos, [str(v) for v in frame[label]])
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlabel("Estimate (95% CI)" if "conf_low" in frame.columns else "Estimate")
    if p_col:
        # above the rows, so the legend never hides an estimate
        ax.legend(fontsize="small", loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2,
                  borderaxespad=0.2)
    return ax


def _alpha_text(alpha: float) -> str:
    return format_p(alpha, 2) if alpha >= 0.01 else format_p(alpha, 3)


@_themed
def power_curve(table, *, target: float = 0.8, ax=None, by: str | None = None):
    """Simulated power against sample size with a ±1.96 Monte Carlo SE band.

    Parameters
    ----------
    table : DataFrame
        From ``hs.power``: ``n, power, mc_se`` (and ``hypothesis``/``term`` for several
        curves).
    target : float
        Power target drawn as a dashed line.
    ax : matplotlib Axes, optional
    by : str, optional
        Column separating curves (default ``hypothesis`` or ``term`` when present).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import pandas as pd
    >>> tab = pd.DataFrame({"n": [50, 100, 200], "power": [0.3, 0.55, 0.85],
    ...                     "mc_se": [0.02, 0.02, 0.01]})
    >>> ax = power_curve(tab)
    >>> ax.lines[0].get_ydata().tolist(), ax.get_ylabel()
    ([0.3, 0.55, 0.85], 'Power')
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    frame = as_frame(table)
    _require(frame, ["n", "power"], "power_curve")
    if by is None:
        by = next((c for c in ("hypothesis", "term") if c in frame.columns), None)
    ax = _axes(ax)
    levels = _levels(frame[by]) if by else [None]
    for i, level in enumerate(levels):
        part = frame if level is None else frame.loc[frame[by] == level]
        part = part.sort_values("n")
        n_values, power = _num(part["n"]), _num(part["power"])
        ax.plot(
            n_values,
            power,
            marker="o",
            linewidth=1.8,
            color=_colour(i),
            label=None if level is None else str(level),
        )
        if "mc_se" in part.columns:
            half = 1.96 * _num(part["mc_se"])
            ax.fill_between(
                n_values,
                np.clip(power - half, 0, 1),
                np.clip(power + half, 0, 1),
                color=_colour(i),
                alpha=0.2,
                linewidth=0,
            )
    ax.axhline(target, color=_GREY, linestyle="--", linewidth=1, label=f"target {target:g}")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("Sample size (n)")
    ax.set_ylabel("Power")
    ax.legend(title=str(by) if by else None, fontsize="small")
    return ax
