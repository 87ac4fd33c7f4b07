"""Figures of the study designs: crossover profiles, actor and partner effects, within-person
slopes, item-level accuracy.

Used through :mod:`hormonestats.plots`. Every function takes a table or a result first, draws on
``ax`` (a new figure when ``None``) and returns the Axes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataError
from .figure_theme import _GREY, _ZERO, PALETTE, _axes, _colour, _levels, _num, _require, _themed

__all__ = ["actor_partner", "crossover_profiles", "item_accuracy", "within_person"]


@_themed
def crossover_profiles(
    data: pd.DataFrame, *, y: str, drug: str, period: str, subject: str = "subject_id",
    sequence: str | None = None, ax=None,
):
    """A crossover trial's outcome by period: a thin line per person, mean ± SE per sequence.

    Each person's line joins their periods, coloured by the sequence (the order of the
    conditions), so the within-person drug effect shows as the lines of the two sequences
    crossing, a period effect as both sloping the same way.

    Examples
    --------
    >>> d = pd.DataFrame({"id": [1, 1, 2, 2], "period": ["p1", "p2", "p1", "p2"],
    ...                   "drug": [1, 0, 0, 1], "y": [5.0, 3.0, 4.0, 6.0]})
    >>> ax = crossover_profiles(d, y="y", drug="drug", period="period", subject="id")
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['1-0 (1, 0)', '0-1 (0, 1)']
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    cols = [subject, period, drug, y] + ([sequence] if sequence else [])
    _require(data, cols, "crossover_profiles")
    frame = data.loc[data[y].notna(), cols].copy()
    if sequence is None:
        sequence = "_sequence"
        order = frame.sort_values([subject, period]).groupby(subject, sort=False)[drug]
        frame[sequence] = frame[subject].map(order.agg(lambda s: "-".join(map(str, s))))
    periods = _levels(frame[period])
    pos = {p: i for i, p in enumerate(periods)}
    ax = _axes(ax, figsize=(5.5, 4.2))
    for k, seq in enumerate(_levels(frame[sequence])):
        part = frame.loc[frame[sequence] == seq]
        for _sid, person in part.groupby(subject, sort=True):
            person = person.sort_values(period)
            ax.plot([pos[p] for p in person[period]], _num(person[y]), color=_colour(k),
                    linewidth=0.5, alpha=0.25)
        stats = part.groupby(period, sort=True)[y].agg(["mean", "std", "count"])
        conds = part.groupby(period, sort=True)[drug].first()
        xs = [pos[p] for p in stats.index]
        se = _num(stats["std"] / np.sqrt(stats["count"]))
        ax.errorbar(xs, _num(stats["mean"]), yerr=np.nan_to_num(se), marker="o", capsize=3,
                    linewidth=2.2, color=_colour(k), label=f"{seq} ({', '.join(map(str, conds))})")
    ax.set_xticks(range(len(periods)), [str(p) for p in periods])
    ax.set_xlabel(f"{period} (condition in brackets by sequence)")
    ax.set_ylabel(f"{y} (person lines; mean ± SE)")
    ax.legend(title=f"sequence ({drug})")
    return ax


@_themed
def actor_partner(result, *, ax=None):
    """Actor and partner effects of an actor-partner model with their CIs (one row per role).

    ``result`` is a :func:`hormonestats.apim` result; distinguishable dyads show each role's
    effects, indistinguishable ones the pooled pair.
    """
    table = getattr(result, "table", None)
    x = getattr(result, "x", None)
    if table is None or x is None:
        raise DataError(f"actor_partner needs an hs.apim result, got a {type(result).__name__}")
    roles = [str(r) for r in getattr(result, "role_levels", ())] or [None]
    rows = []
    for role in roles:
        for kind, term in (("actor", x), ("partner", f"{x}_partner")):
            name = term if role is None else f"{term}[{role}]"
            hit = table.loc[table["term"].astype(str) == name]
            if len(hit):
                r = hit.iloc[0]
                rows.append((kind if role is None else f"{kind}: {role}", r["estimate"],
                             r["conf_low"], r["conf_high"], kind))
    if not rows:
        raise DataError(f"actor_partner: the result has no actor or partner terms of {x!r}")
    ax = _axes(ax, figsize=(5.5, 1.2 + 0.5 * len(rows)))
    for i, (_label, est, lo, hi, kind) in enumerate(reversed(rows)):
        colour = PALETTE[0] if kind == "actor" else PALETTE[1]
        ax.errorbar([est], [i], xerr=[[est - lo], [hi - est]], fmt="o", capsize=3, color=colour)
        ax.text(hi, i, f"  {est:.2f}", va="center", fontsize=8)
    ax.set_yticks(range(len(rows)), [r[0] for r in reversed(rows)])
    ax.axvline(0, **_ZERO)
    level = int(round(100 * float(getattr(result, "conf_level", 0.95))))
    ax.set_xlabel(f"effect of {x} on {getattr(result, 'y', 'y')} ({level}% CI)")
    return ax


@_themed
def within_person(data: pd.DataFrame, *, y: str, x: str, subject: str = "subject_id", ax=None):
    """Within-person association: each person's deviations from their own means of ``x`` and
    ``y`` (person-mean centring, Curran & Bauer 2011), with the pooled within-person line.

    The line is the least-squares slope of the deviations (the fixed within-person slope of a
    random-intercept model with balanced data); the mixed model's estimate is in its table.

    Examples
    --------
    >>> d = pd.DataFrame({"id": [1, 1, 2, 2], "x": [1.0, 2.0, 5.0, 6.0], "y": [0.0, 1.0, 3.0, 4.0]})
    >>> ax = within_person(d, y="y", x="x", subject="id")
    >>> [round(float(v), 2) for v in ax.lines[-1].get_ydata()]
    [-0.5, 0.5]
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    _require(data, [subject, x, y], "within_person")
    frame = data.loc[data[x].notna() & data[y].notna(), [subject, x, y]]
    dx = frame[x] - frame.groupby(subject)[x].transform("mean")
    dy = frame[y] - frame.groupby(subject)[y].transform("mean")
    ax = _axes(ax)
    ax.scatter(_num(dx), _num(dy), s=10, color=_GREY, alpha=0.6, linewidths=0)
    slope = float((dx * dy).sum() / (dx * dx).sum()) if (dx * dx).sum() > 0 else np.nan
    xs = np.array([dx.min(), dx.max()], dtype=float)
    ax.axhline(0, **_ZERO)
    ax.plot(xs, slope * xs, color=PALETTE[0], linewidth=2.2,
            label=f"within-person slope {slope:.2f}")
    ax.set_xlabel(f"{x}: deviation from the person's mean")
    ax.set_ylabel(f"{y}: deviation from the person's mean")
    ax.legend()
    return ax


@_themed
def item_accuracy(result, *, ax=None):
    """Predicted accuracy per item by the hormone, one line per treatment level, with intervals.

    ``result`` is an item-level accuracy result (:func:`hormonestats.models.item_accuracy.
    item_accuracy`): the probability of a correct answer from the fixed effects (subject and
    item random effects at zero) over the observed range of the hormone, with the Wald
    interval of the log-odds back-transformed; the subject and item variances are in the title.

    Examples
    --------
    >>> import hormonestats as hs
    >>> from hormonestats.models.item_accuracy import item_accuracy as fit_items
    >>> d, _ = hs.simulate_rmet_items(n_subjects=40, n_items=12, seed=3)
    >>> people = d.groupby("subject", as_index=False)[["oxytocin", "estradiol"]].first()
    >>> res = fit_items(d, people, x="oxytocin", m="estradiol", subject="subject")
    >>> ax = item_accuracy(res)
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['oxytocin = 0', 'oxytocin = 1']
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    pred = getattr(result, "predictions", None)
    x = getattr(result, "x", None)
    if pred is None or x is None or not hasattr(result, "variance"):
        raise DataError("item_accuracy needs an item-level accuracy result, got a "
                        f"{type(result).__name__}")
    ax = _axes(ax, figsize=(5.5, 4.2))
    for k, level in enumerate(pd.unique(pred[x])):
        part = pred.loc[pred[x] == level]
        label = f"{x} = {level:g}" if isinstance(level, int | float | np.number) else str(level)
        ax.fill_between(_num(part["m"]), _num(part["conf_low"]), _num(part["conf_high"]),
                        color=_colour(k), alpha=0.18, linewidth=0)
        ax.plot(_num(part["m"]), _num(part["probability"]), color=_colour(k), linewidth=2.2,
                label=label)
    level = int(round(100 * float(result.conf_level)))
    ax.set_xlabel(f"{result.m} (observed range)")
    ax.set_ylabel(f"predicted probability correct per item ({level}% CI)")
    ax.set_title(f"variance (log-odds): subject {result.variance(result.subject):.2f}, "
                 f"item {result.variance(result.item):.2f}", fontsize=9)
    ax.legend()
    return ax
