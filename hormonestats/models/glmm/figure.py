"""The standard figure of a generalized mixed model: its fixed effects on the response scale
(odds ratios for the logit link, rate ratios for the log link, with their intervals; a probit
model's effects on the probit scale), in the package's theme (:mod:`hormonestats.figure_style`).
"""

from __future__ import annotations

import numpy as np

from ...figure_style import _ZERO, PALETTE, _axes, _themed

RATIO_LABEL = {"logit": "Odds ratio", "log": "Rate ratio"}


@_themed
def fixed_effects_figure(result, ax=None):
    """Fixed effects other than the intercept with their intervals (those of ``result.table``:
    t on between-within df, or Wald z), on the ratio scale where the link has one; a dashed line
    marks no effect. Returns the matplotlib Figure.

    >>> import hormonestats as hs, matplotlib.pyplot as plt
    >>> d, _ = hs.simulate_trust_trials(n_subjects=16, seed=3)
    >>> res = hs.mixed(d, formula="choice ~ oxytocin + face_trust + (1 | subject) + (1 | face)",
    ...                family="binomial")
    >>> fig = res.figure()
    >>> fig.axes[0].get_xlabel(), [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ('Odds ratio (95% CI)', ['oxytocin', 'face_trust'])
    >>> plt.close(fig)
    """
    tab = result.table[result.table["term"] != "Intercept"]
    if not len(tab):
        tab = result.table
    ratio = RATIO_LABEL.get(result.link)
    est, lo, hi = (tab[c].to_numpy(float) for c in ("estimate", "conf_low", "conf_high"))
    if ratio:
        est, lo, hi = np.exp(est), np.exp(lo), np.exp(hi)
    n = len(tab)
    ax = _axes(ax, figsize=(5.5, 1.4 + 0.5 * n))
    y = np.arange(n)[::-1].astype(float)
    ax.errorbar(est, y, xerr=np.vstack([est - lo, hi - est]), fmt="o", color=PALETTE[3],
                ecolor=PALETTE[3], capsize=3, markersize=6, zorder=3)
    ax.axvline(1.0 if ratio else 0.0, **_ZERO)
    if ratio:
        ax.set_xscale("log")
    ax.set_yticks(y, tab["term"].tolist())
    level = int(round(100 * result.conf_level))
    ax.set_xlabel(f"{ratio or 'Estimate (' + result.link + ' scale)'} ({level}% CI)")
    ax.set_title(f"{result.y}: {result.distribution} mixed model", loc="left", fontsize="medium")
    return ax.figure
