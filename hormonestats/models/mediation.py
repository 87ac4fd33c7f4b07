"""Simple and parallel mediation (PROCESS model 4) with a vectorised bootstrap.

For mediators ``M_1..M_k``, exposure ``X``, outcome ``Y`` and covariates ``C`` the three kinds of
OLS equation are (Hayes 2018, ch. 3 and 5)::

    M_j = i_j + a_j X + C g_j + e_j            (one per mediator)
    Y   = i_y + c' X + sum_j b_j M_j + C h + e  (outcome)
    Y   = i_c + c X + C h_c + e                 (total effect)

The indirect effect through ``M_j`` is ``a_j b_j``; the total indirect effect is their sum and,
in OLS on one sample, ``c = c' + sum_j a_j b_j`` exactly. Regression paths get the OLS (or, with
``cov_type``, heteroscedasticity-consistent) standard errors and t-based intervals; indirect
effects get nonparametric bootstrap standard errors and intervals (percentile, BC or BCa;
Efron 1987). The bootstrap resamples rows; every resample is solved at once as weighted least
squares with the resample's row counts (see :mod:`hormonestats.models._bootstrap`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit

from ..errors import ModelError
from ..results import conforms
from ._bootstrap import jackknife_ols
from ._families import batched_logit, fit_family, is_binary, resolve_family
from ._process import (
    _as_list,
    _boot_rows,
    _bootstrap_paths,
    _check_options,
    _design,
    _ols,
    _prepare,
    categorical_covariates,
    process_notes,
    process_settings,
)
from ._tidy import TIDY_COLUMNS

__all__ = ["MediationResult", "mediation"]


EFFECT_SCALES = ("log_odds", "probability")

#: columns of :attr:`MediationResult.table`
MEDIATION_COLUMNS = ["term", "mediator", *TIDY_COLUMNS[1:], "ci_method"]


# --------------------------------------------------------------------------- result


@conforms("mediation", aliases={"n": "n_obs"})
@dataclass(frozen=True, eq=False)
class MediationResult:
    """Result of :func:`mediation`.

    Attributes
    ----------
    table : DataFrame
        Tidy: ``term, mediator, estimate, std_error, statistic, df, p_value, conf_low,
        conf_high, ci_method``. ``term`` is ``a`` (X -> M), ``b`` (M -> Y | X), ``total`` (c),
        ``direct`` (c'), ``indirect`` (a*b, one row per mediator), ``total_indirect`` (with
        several mediators) and ``proportion_mediated`` (total indirect / total). Paths carry OLS
        inference (``ci_method`` ``"t"``); indirect effects and the proportion carry bootstrap
        SEs and intervals (``statistic``, ``df`` and ``p_value`` are NaN).
    boot_indirect : ndarray, shape (n_boot, n_mediators)
        Bootstrap replicates of each indirect effect (NaN for numerically singular resamples).
    n_obs : int
        Rows analysed (``n`` is the old name).
    n_boot, seed, ci, conf_level, cov_type
        The settings used.
    fits : dict
        statsmodels results: ``"mediator:<name>"`` for each mediator, ``"outcome"`` and
        ``"total"``.
    excluded : DataFrame
        Exclusion log (:data:`hormonestats.log.LOG_COLUMNS`) of rows dropped for missing values.
    n_boot_failed : int
        Resamples whose design was singular (dropped from SEs and intervals).
    """

    table: pd.DataFrame
    boot_indirect: np.ndarray
    n_obs: int
    n_boot: int
    seed: int | None
    fits: dict
    excluded: pd.DataFrame
    x: str
    mediators: tuple[str, ...]
    y: str
    covariates: tuple[str, ...] = ()
    ci: str = "percentile"
    conf_level: float = 0.95
    cov_type: str = "nonrobust"
    n_boot_failed: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)
    outcome_family: str = "gaussian"
    effect_scale: str = "log_odds"

    @property
    def fit(self):
        """The outcome equation's statsmodels result (``Y ~ X + mediators + covariates``)."""
        return self.fits["outcome"]

    def coverage_check(self, n_sims: int = 200, seed: int | None = None, n_boot: int | None = None):
        """How often the path and indirect-effect intervals cover the truth at this design
        (:mod:`hormonestats.models.coverage`)."""
        from .coverage import mediation_coverage

        return mediation_coverage(self, refit=mediation, n_sims=n_sims, seed=seed,
                                  n_boot=n_boot)

    def _title(self) -> str:
        kind = "Simple" if len(self.mediators) == 1 else "Parallel"
        return f"{kind} mediation: {self.x} -> {', '.join(self.mediators)} -> {self.y}"

    def _notes(self) -> list[str]:
        return process_notes(self)

    def _display(self):
        return self._title(), [("Paths and effects", self.table)], self._notes()

    def _facts(self):
        return {"y": self.y, "x": self.x, "mediators": self.mediators,
                "covariates": self.covariates, "n_boot": self.n_boot, "ci": self.ci,
                "conf_level": self.conf_level, "outcome_family": self.outcome_family}


# --------------------------------------------------------------------------- main function


def _path_rows(fits: dict, spec, conf_level: float) -> list[dict]:
    """Tidy rows for selected coefficients: ``spec`` is ``(fit key, term, label, mediator)``.

    t-based tests and intervals with each OLS fit's residual df (the statistics statsmodels
    reports with ``use_t=True``), z tests (``df`` infinite) for logistic fits.
    """
    est = np.array([fits[k].params[t] for k, t, _, _ in spec], dtype=float)
    se = np.array([fits[k].bse[t] for k, t, _, _ in spec], dtype=float)
    df = np.array(
        [fits[k].df_resid if fits[k].use_t else np.inf for k, _, _, _ in spec], dtype=float
    )
    stat = est / se
    p = 2 * stats.t.sf(np.abs(stat), df)
    q = stats.t.ppf(1 - (1 - conf_level) / 2, df)
    return [
        {
            "term": label,
            "mediator": med,
            "estimate": est[i],
            "std_error": se[i],
            "statistic": stat[i],
            "df": df[i],
            "p_value": p[i],
            "conf_low": est[i] - q[i] * se[i],
            "conf_high": est[i] + q[i] * se[i],
            "ci_method": "t" if np.isfinite(df[i]) else "z",
        }
        for i, (_, _, label, med) in enumerate(spec)
    ]


def _boot_row(label, mediator, estimate, se, lo, hi, ci) -> dict:
    return {
        "term": label,
        "mediator": mediator,
        "estimate": float(estimate),
        "std_error": float(se),
        "statistic": np.nan,
        "df": np.nan,
        "p_value": np.nan,
        "conf_low": float(lo),
        "conf_high": float(hi),
        "ci_method": ci,
    }


def mediation(
    data: pd.DataFrame,
    *,
    x: str,
    mediator: str | Sequence[str],
    y: str,
    covariates: Sequence[str] = (),
    n_boot: int = 5000,
    ci: str = "percentile",
    conf_level: float = 0.95,
    seed: int | None = None,
    robust: str | None = None,
    family: str | None = None,
    effect_scale: str = "log_odds",
    cov_type: str | None = None,
) -> MediationResult:
    """Simple or parallel mediation with bootstrap intervals for the indirect effects.

    PROCESS model 4 (Hayes 2018): each mediator is regressed on ``x`` (and the covariates), the
    outcome on ``x``, all mediators and the covariates, and the total effect comes from the
    outcome on ``x`` and the covariates. Indirect effects ``a_j * b_j`` are bootstrapped by
    resampling rows (all resamples solved at once, no loop over resamples).

    Parameters
    ----------
    data : DataFrame
        One row per unit; the columns below must be numeric. Rows with a missing value in any
        used column are excluded and logged in ``result.excluded``.
    x, y : str
        Exposure and outcome columns.
    mediator : str or list of str
        One mediator, or several parallel mediators.
    covariates : list of str
        Entered in every equation; non-numeric ones as treatment-coded dummies.
    n_boot : int
        Bootstrap resamples (>= 5,000 for publication).
    ci : {"percentile", "bc", "bca"}
        Bootstrap interval: percentile, bias-corrected (the PROCESS 2.x default), or
        bias-corrected and accelerated (jackknife acceleration; Efron 1987).
    conf_level : float
        Confidence level of every interval.
    seed : int, optional
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same numbers.
    robust : {None, "HC0", "HC1", "HC2", "HC3"}
        Heteroskedasticity-consistent covariance of the regression-path coefficients (the one
        name every family uses; ``"HC3"`` matches PROCESS with ``hc3=1``); None: the usual
        covariance. Does not affect the bootstrap. ``cov_type=`` is its deprecated old name.
    family : {None, "gaussian", "binomial"}
        Outcome model. ``None`` (default): logistic regression for a 0/1 outcome, as PROCESS
        does, OLS otherwise. With a logistic outcome ``b``, ``direct`` and ``total`` are
        log-odds coefficients with z tests, ``total`` is not ``direct + indirect`` (the
        logistic scale changes with the predictors), and no proportion mediated is reported.
        Mediators must be continuous (a 0/1 mediator is refused: its equation would be a
        linear probability model).
    effect_scale : {"log_odds", "probability"}
        Scale of the indirect effects of a logistic outcome: ``a * b`` in log-odds (as PROCESS
        reports it), or ``a * b * mean(p (1 - p))``, the change in the probability of the
        outcome per unit of ``x`` carried through the mediator (the average marginal effect of
        the mediator on the probability, times ``a``), bootstrapped the same way.

    Returns
    -------
    MediationResult

    Raises
    ------
    ModelError
        Columns missing, not numeric, used twice, without variance, or too few complete rows
        (all problems are listed at once).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import hormonestats as hs
    >>> rng = np.random.default_rng(1)
    >>> d = pd.DataFrame({"oxytocin": rng.normal(size=200)})
    >>> d["trust"] = 0.5 * d["oxytocin"] + rng.normal(size=200)
    >>> d["sent"] = 0.4 * d["trust"] + 0.1 * d["oxytocin"] + rng.normal(size=200)
    >>> res = hs.mediation(d, x="oxytocin", mediator="trust", y="sent", n_boot=500, seed=1)
    >>> res.table["term"].tolist()
    ['a', 'b', 'total', 'direct', 'indirect', 'proportion_mediated']
    >>> bool(res.table.set_index("term").loc["indirect", "conf_low"] > 0)
    True
    """
    from ._aliases import renamed

    robust = renamed("hs.mediation", "robust", robust, "cov_type", cov_type)
    cov_type = robust or "nonrobust"
    mediators = _as_list(mediator, "mediator")
    data, covs = categorical_covariates(data, _as_list(covariates, "covariates"))
    problems = _check_options(n_boot, ci, conf_level, cov_type)
    if not mediators:
        problems.append("give at least one mediator")
    k = len(mediators)
    frame, excluded = _prepare(
        data,
        {"x": [x], "mediator": mediators, "y": [y], "covariate": covs},
        step="mediation",
        n_params=2 + k + len(covs),
        problems=problems,
    )
    n = len(frame)
    family = resolve_family(family, frame[y], y)
    if effect_scale not in EFFECT_SCALES:
        raise ModelError(f"effect_scale must be one of {EFFECT_SCALES}, got {effect_scale!r}")
    if family == "gaussian" and effect_scale != "log_odds":
        raise ModelError("effect_scale='probability' is for a 0/1 (logistic) outcome only")
    binary_mediators = [m for m in mediators if is_binary(frame[m])]
    if binary_mediators:
        raise ModelError(
            f"mediator(s) {binary_mediators} are coded 0/1; their equations would be linear "
            "probability models (PROCESS also requires continuous mediators)"
        )

    # point fits (statsmodels)
    Xa = _design(frame, [x, *covs])
    Xb = _design(frame, [x, *mediators, *covs])
    robust = None if cov_type == "nonrobust" else cov_type
    fits = {f"mediator:{m}": _ols(frame[m].to_numpy(), Xa, cov_type) for m in mediators}
    if family == "gaussian":
        fits["outcome"] = _ols(frame[y].to_numpy(), Xb, cov_type)
        fits["total"] = _ols(frame[y].to_numpy(), Xa, cov_type)
    else:
        fits["outcome"] = fit_family(frame[y], Xb, family, robust)
        fits["total"] = fit_family(frame[y], Xa, family, robust)

    a_hat = np.array([fits[f"mediator:{m}"].params[x] for m in mediators])
    b_hat = np.array([fits["outcome"].params[m] for m in mediators])
    c_hat = float(fits["total"].params[x])
    ind_hat = a_hat * b_hat

    # bootstrap: all resamples solved at once (chunked over resamples to bound memory)
    coef_a, coef_b, counts = _bootstrap_paths(
        frame, [x, *covs], [x, *mediators, *covs], mediators, y, n_boot, seed, family
    )
    a_b = coef_a[:, 1, :]
    b_b = coef_b[:, 2 : 2 + k]
    cp_b = coef_b[:, 1]
    ind_b = a_b * b_b
    if effect_scale == "probability":
        xb = Xb.to_numpy()
        ind_hat = ind_hat * _mean_density(fits["outcome"].params.to_numpy() @ xb.T, None, n)
        ind_b = ind_b * _mean_density(coef_b @ xb.T, counts, n)[:, None]
    tot_ind_b = ind_b.sum(axis=1)
    c_b = cp_b + tot_ind_b  # OLS identity c = c' + sum a b holds in every resample
    with np.errstate(divide="ignore", invalid="ignore"):
        prop_b = tot_ind_b / c_b
    failed = int((~np.isfinite(tot_ind_b)).sum())

    jack = (_jackknife(frame, Xa, Xb, mediators, y, family, effect_scale) if ci == "bca"
            else None)

    boot_all = np.column_stack([ind_b, tot_ind_b, prop_b])
    est_all = np.concatenate([ind_hat, [ind_hat.sum()], [ind_hat.sum() / c_hat]])
    se, lo, hi = _boot_rows(boot_all, est_all, jack, ci, conf_level)

    table = _mediation_table(fits, (est_all, se, lo, hi), mediators, x=x, family=family,
                             ci=ci, conf_level=conf_level)
    return MediationResult(
        table=table,
        boot_indirect=ind_b,
        n_obs=n,
        fits=fits,
        excluded=excluded,
        x=x,
        mediators=tuple(mediators),
        y=y,
        covariates=tuple(covs),
        n_boot_failed=failed,
        **process_settings(n_boot, seed, ci, conf_level, cov_type),
        notes=_notes_for(family, effect_scale, y),
        outcome_family=family,
        effect_scale=effect_scale,
    )


def _jackknife(frame, Xa, Xb, mediators, y, family, effect_scale) -> np.ndarray:
    """Leave-one-out indirect, total indirect and proportion mediated (for BCa intervals)."""
    n, k = len(frame), len(mediators)
    ja = jackknife_ols(Xa.to_numpy(), frame[mediators].to_numpy())[:, 1, :]
    loo = None
    if family == "gaussian":
        jb = jackknife_ols(Xb.to_numpy(), frame[y].to_numpy())
    else:
        loo = 1.0 - np.eye(n)
        jb = batched_logit(Xb.to_numpy(), frame[y].to_numpy(), loo)
    ind_j = ja * jb[:, 2 : 2 + k]
    if effect_scale == "probability":
        ind_j = ind_j * _mean_density(jb @ Xb.to_numpy().T, loo, n - 1)[:, None]
    tot_j = ind_j.sum(axis=1)
    return np.column_stack([ind_j, tot_j, tot_j / (jb[:, 1] + tot_j)])


def _mediation_table(fits, stats, mediators, *, x, family, ci, conf_level) -> pd.DataFrame:
    """The tidy table: the a, b, total and direct paths from the fits, then the bootstrap rows
    (indirect per mediator, total indirect, proportion mediated) from ``stats`` =
    ``(estimate, std_error, conf_low, conf_high)``."""
    est_all, se, lo, hi = stats
    k = len(mediators)
    spec = []
    for m in mediators:
        spec += [(f"mediator:{m}", x, "a", m), ("outcome", m, "b", m)]
    spec += [("total", x, "total", None), ("outcome", x, "direct", None)]
    rows = _path_rows(fits, spec, conf_level)
    for j, m in enumerate(mediators):
        rows.append(_boot_row("indirect", m, est_all[j], se[j], lo[j], hi[j], ci))
    if k > 1:
        rows.append(_boot_row("total_indirect", None, est_all[k], se[k], lo[k], hi[k], ci))
    if family == "gaussian":
        rows.append(
            _boot_row(
                "proportion_mediated", None, est_all[k + 1], se[k + 1], lo[k + 1], hi[k + 1], ci
            )
        )
    table = pd.DataFrame(rows, columns=MEDIATION_COLUMNS)
    table["mediator"] = table["mediator"].astype("str")
    return table


def _mean_density(eta, weights, n) -> np.ndarray:
    """Mean of p (1 - p) over the (weighted) rows, p = expit(eta): the average derivative of
    the probability with respect to the linear predictor."""
    p = expit(eta)
    dens = p * (1 - p)
    if weights is None:
        return dens.mean(axis=-1)
    return (weights * dens).sum(axis=-1) / n


def _notes_for(family, effect_scale, y) -> tuple[str, ...]:
    if family == "gaussian":
        return (
            "proportion_mediated = total indirect / total effect; unstable when the total "
            "effect is near zero.",
        )
    scale = (
        "log-odds (a * b, as PROCESS reports it)"
        if effect_scale == "log_odds"
        else "probability (a * b * mean p(1 - p): change in P(" + y + " = 1) per unit of x)"
    )
    return (
        f"Outcome {y} is 0/1: logistic regression (b, direct and total in log-odds, z tests); "
        f"indirect effects on the {scale} scale. total is not direct + indirect on the "
        "log-odds scale, so no proportion mediated is reported.",
    )
