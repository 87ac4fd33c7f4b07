"""The specification-curve figure of a multiverse analysis (Simonsohn, Simmons & Nelson 2020).

Top panel: every specification's estimate with its confidence interval, sorted by the estimate,
significant ones (p < alpha) filled, the default specification marked. Bottom panel: the
decisions dashboard, one row per decision and choice, a mark where a specification uses it.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError

__all__ = ["specification_curve"]

_BLUE, _GREY, _ORANGE = "#0072B2", "#999999", "#E69F00"  # Okabe-Ito


def specification_curve(result, *, ax=None, max_labels: int = 40):
    """Draw a :class:`~hormonestats.workflows.multiverse.MultiverseResult` as a specification curve.

    Parameters
    ----------
    result : MultiverseResult
    ax : pair of matplotlib Axes, optional
        ``(curve_axes, dashboard_axes)``; a new figure when omitted.
    max_labels : int
        Dashboard rows beyond this many are still drawn but not labelled.

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib.pyplot as plt

    table = getattr(result, "table", None)
    if table is None or "estimate" not in table:
        raise DataError("specification_curve needs a multiverse result (hs.multiverse)")
    tested = table[table["status"] == "tested"].sort_values("estimate", kind="stable")
    if tested.empty:
        raise DataError("specification_curve: no specification was tested")
    rows = [(name, choice) for name, choices in result.decisions.items()
            for choice in choices if len(choices) > 1]
    if ax is None:
        height = 2.6 + 0.22 * max(len(rows), 1)
        fig, (top, bottom) = plt.subplots(
            2, 1, figsize=(7.0, height), sharex=True,
            gridspec_kw={"height_ratios": [2.4, 0.22 * max(len(rows), 1) + 0.4]},
            layout="constrained",
        )
    else:
        top, bottom = ax
        fig = top.figure
    x = np.arange(len(tested))
    sig = (tested["p_value"] < result.alpha).to_numpy()
    est = tested["estimate"].to_numpy()
    lo, hi = tested["conf_low"].to_numpy(), tested["conf_high"].to_numpy()
    top.vlines(x, lo, hi, color=np.where(sig, _BLUE, _GREY), linewidth=0.8, alpha=0.6)
    top.scatter(x[sig], est[sig], s=10, color=_BLUE, label=f"p < {result.alpha:g}", zorder=3)
    top.scatter(x[~sig], est[~sig], s=10, facecolor="white", edgecolor=_GREY,
                label="not significant", zorder=3)
    default = tested["is_default"].to_numpy()
    if default.any():
        top.scatter(x[default], est[default], s=60, marker="D", facecolor="none",
                    edgecolor=_ORANGE, linewidth=1.5, label="default", zorder=4)
    top.axhline(0, color="black", linewidth=0.8)
    top.set_ylabel("estimate (95% CI)")
    top.set_title(f"Specification curve: {result.hypothesis} ({len(tested)} specifications)",
                  loc="left", fontsize="medium")
    top.legend(fontsize="small", frameon=False, loc="upper left")
    for k, (name, choice) in enumerate(rows):
        used = (tested[name].astype(str) == choice).to_numpy()
        bottom.scatter(x[used], np.full(used.sum(), k), s=40, marker="|", linewidths=1.2,
                       color=np.where(sig[used], _BLUE, _GREY))
    bottom.set_yticks(range(len(rows)))
    labels = [f"{name}: {choice}" for name, choice in rows]
    bottom.set_yticklabels([lab if k < max_labels else "" for k, lab in enumerate(labels)],
                           fontsize="small")
    bottom.set_ylim(len(rows) - 0.5, -0.5)
    bottom.set_xlabel("specification (sorted by estimate)")
    bottom.set_xlim(-1, len(tested))
    return fig
