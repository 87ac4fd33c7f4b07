"""The entry point :func:`censored_mixed`: checks, exclusions, the design and the fit."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ...errors import DataError, ModelError
from ...log import log_rows
from ..censored import _indicator_rows, _interval_rows
from ..lmm.design import category_levels, drop_missing, fixed_design, random_blocks
from ..lmm.fit import MixedModelWarning
from ..lmm.formula import parse_formula
from .fit import maximise
from .likelihood import CensoredSystem
from .result import CensoredMixedResult, fixed_table, variance_rows

__all__ = ["censored_mixed"]

#: nodes per dimension by default: adaptive quadrature for one scalar random effect
DEFAULT_AGQ = 20


def _formula_text(spec) -> str:
    fx = [":".join(t) for t in spec.terms] or ["1"]
    if not spec.intercept:
        fx = ["0", *fx]
    r = spec.random[0]
    inner = (["1"] if r.intercept else ["0"]) + [":".join(t) for t in r.terms]
    return f"{spec.response} ~ {' + '.join(fx)} + ({' + '.join(inner)} | {r.group_name})"


def _check_agq(n_agq, q):
    if n_agq is None:
        return DEFAULT_AGQ if q == 1 else 1
    if int(n_agq) != n_agq or not 1 <= n_agq <= 100:
        raise ModelError(f"n_agq must be a whole number from 1 to 100, got {n_agq!r}")
    if n_agq ** q > 2500:
        raise ModelError(
            f"n_agq = {n_agq} over {q} random-effect dimensions needs {int(n_agq) ** q} nodes "
            "per group; use fewer nodes (n_agq=1 is the Laplace approximation)")
    return int(n_agq)


def _bounds(d, spec, censored, limit, lower, upper):
    """(lo, hi, drop mask, reasons) per row; problems raise one error naming them all."""
    if lower is not None:
        lo, hi, drop, reasons, problems = _interval_rows(d, lower, upper)
    else:
        lo, hi, drop, reasons, problems = _indicator_rows(d, spec.response, censored, limit)
    if problems:
        raise DataError("Cannot fit the censored mixed model: " + "; ".join(problems) + ".")
    return lo, hi, drop, reasons


def _columns(data, spec, censored, limit, lower, upper):
    interval = lower is not None or upper is not None
    if interval and (lower is None or upper is None):
        raise ModelError("interval censoring needs both lower= and upper= columns")
    response = [lower, upper] if interval else [spec.response, censored, limit]
    predictors = spec.columns()[1:]
    missing = [c for c in [*response, *predictors] if c not in data.columns]
    if missing:
        raise DataError(
            f"Table 'data' lacks column(s) {', '.join(map(repr, missing))} named by the model. "
            f"Available columns: {', '.join(map(str, data.columns))}.")
    numeric = [lower, upper] if interval else [spec.response, limit]
    bad = [c for c in numeric if not pd.api.types.is_numeric_dtype(data[c])]
    if bad:
        raise DataError(f"Column(s) {', '.join(map(repr, bad))} of table 'data' must be numeric "
                        "(readings and limits).")
    # rows need the predictors, the group and (indicator form) the indicator itself
    return predictors + ([] if interval else [censored])


def _plot_data(frame, X, names, beta, lo, hi):
    numeric = [i for i, n in enumerate(names) if n != "Intercept" and n in frame.columns]
    j = numeric[0] if numeric else None
    x = X[:, j] if j is not None else np.zeros(len(lo))
    grid = np.linspace(x.min(), x.max(), 50) if j is not None else np.zeros(2)
    base = X.mean(axis=0)
    line = np.array([(base if j is None else np.r_[base[:j], v, base[j + 1:]]) @ beta
                     for v in grid])
    return {"x": x, "lo": lo, "hi": hi, "grid": grid, "line": line,
            "x_name": names[j] if j is not None else "(no numeric predictor)"}


def censored_mixed(formula: str, data: pd.DataFrame, *, censored: str = "censored",
                   limit: str = "lod_limit", lower: str | None = None,
                   upper: str | None = None, n_agq: int | None = None, reference=None,
                   conf_level: float = 0.95) -> CensoredMixedResult:
    """Gaussian mixed model with a censored outcome (readings below an LOD, above a limit,
    or inside an interval), fitted by maximum likelihood.

    The outcome is given as :func:`~hormonestats.censored_regression` takes it, each row with
    its own limit: either the formula's response with an indicator column ``censored``
    (``"left"``/True/1 below ``limit``, ``"right"`` above it, ``"none"``/False/0 observed),
    or two columns ``lower`` and ``upper`` per row (``survreg``'s ``interval2``: equal = an
    exact reading, missing lower = below ``upper``, missing upper = above ``lower``; the
    formula's response then only names the outcome).

    Parameters
    ----------
    formula : str
        lme4-style, with one random-effect term, e.g. ``"log_p4 ~ phase + (1 | subject_id)"``
        or ``"y ~ time + (1 + time | subject_id)"`` (at most 3 random effects).
    data : DataFrame
        One row per reading; not modified.
    censored, limit : str
        Indicator and limit columns (indicator form).
    lower, upper : str, optional
        Interval columns (interval form; both or neither).
    n_agq : int, optional
        Nodes per random-effect dimension of the adaptive Gauss–Hermite rule; default 20 for a
        single scalar random effect and 1 (Laplace) otherwise. Above 1 with several random
        effects: a product rule over the dimensions (``n_agq ** q`` nodes per group).
    reference : dict, optional
        Reference level of categorical predictors, ``{column: level}``.
    conf_level : float
        Level of the Wald intervals.

    Returns
    -------
    CensoredMixedResult
        ``.table`` (fixed effects, z tests), ``.variance_components``, ``.loglik``,
        ``.lr_test(other)``, ``.figure()``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import hormonestats as hs
    >>> rng = np.random.default_rng(5)
    >>> d = pd.DataFrame({"subject_id": np.repeat(np.arange(60), 6),
    ...                   "day": np.tile(np.arange(6.0), 60)})
    >>> latent = (1 + 0.3 * d.day + rng.normal(0, 0.7, 60)[d.subject_id]
    ...           + rng.normal(0, 0.5, len(d)))
    >>> d["lod_limit"] = 1.2
    >>> d["censored"] = latent < d.lod_limit
    >>> d["log_p4"] = latent.where(~d.censored)
    >>> fit = hs.censored_mixed("log_p4 ~ day + (1 | subject_id)", d)
    >>> fit.converged, fit.n_left > 50
    (True, True)
    >>> bool(abs(fit.table.set_index("term").loc["day", "estimate"] - 0.3) < 0.05)
    True
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    if not 0 < conf_level < 1:
        raise ModelError(f"conf_level must be between 0 and 1, got {conf_level!r}")
    spec = parse_formula(formula)
    if len(spec.random) != 1:
        raise ModelError(
            f"A censored mixed model takes exactly one random-effect term such as "
            f"(1 | subject_id) or (1 + time | subject_id); {formula!r} has {len(spec.random)}.")
    group = spec.random[0].group_name
    needed = _columns(data, spec, censored, limit, lower, upper)
    d, excluded = drop_missing(data, needed, "censored_mixed", spec.random[0].group[0])
    lo, hi, drop, reasons = _bounds(d, spec, censored, limit, lower, upper)
    if drop.any():
        extra = log_rows("censored_mixed", "data", d, drop, "excluded",
                         pd.Series(reasons, index=d.index), subject_col=spec.random[0].group[0])
        excluded = pd.concat([excluded, extra], ignore_index=True)
        d, lo, hi = d.loc[~drop], lo[~drop], hi[~drop]
    if len(d) == 0:
        raise DataError("No complete rows left for the censored mixed model.")
    levels = category_levels(d, spec, reference or {})
    X, design = fixed_design(d, spec, levels)
    block = random_blocks(d, spec, levels)[0]
    if block.n_levels < 2:
        raise ModelError(f"The grouping factor {group!r} has {block.n_levels} level(s); a "
                         "random effect needs at least 2.")
    if block.q > 3:
        raise ModelError(f"At most 3 random effects per group are supported, got {block.q}.")
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise ModelError(f"The fixed effects are not estimable: the columns "
                         f"({', '.join(design.names)}) are collinear.")
    observed = lo == hi
    if observed.sum() < X.shape[1] + 2:
        raise ModelError(f"Only {int(observed.sum())} readings are observed (not censored); "
                         "too few to estimate the model.")
    agq = _check_agq(n_agq, block.q)
    system = CensoredSystem(X, block.Z, block.codes, block.n_levels, lo, hi, agq)
    fit = maximise(system)
    names = list(design.names)
    p = system.p
    messages = []
    if not fit.converged:
        messages.append("WARNING: the optimiser did not converge (gradient not ~0 or the "
                        "Hessian not positive definite); do not trust these numbers.")
    if fit.boundary:
        messages.append("Singular fit: a random-effect variance, or the part of it that a "
                        "correlation does not explain, is estimated at zero (an SD of 0 or a "
                        "correlation of +-1); that parameter has no SE. Consider a simpler "
                        "random-effect structure.")
    for m in messages:
        warnings.warn(m, MixedModelWarning, stacklevel=2)
    left = np.isneginf(lo) & ~observed
    right = np.isposinf(hi) & ~observed
    return CensoredMixedResult(
        table=fixed_table(names, fit.theta, fit.cov, conf_level),
        variance_components=variance_rows(group, list(block.names), fit.theta, fit.cov, p,
                                          conf_level),
        theta=fit.theta, cov=fit.cov, loglik=fit.loglik, n_params=system.n_params,
        n_obs=int(len(d)), n_groups=int(block.n_levels), n_left=int(left.sum()),
        n_right=int(right.sum()), n_interval=int((~(observed | left | right)).sum()),
        n_agq=agq, converged=fit.converged, singular=bool(fit.boundary),
        formula=_formula_text(spec), y=spec.response, group=group,
        random_terms=tuple(block.names), excluded=excluded, conf_level=conf_level,
        warnings=tuple(messages), _plot=_plot_data(d, X, names, fit.theta[:p], lo, hi),
    )
