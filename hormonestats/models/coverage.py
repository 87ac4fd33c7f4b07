"""Coverage at the study's own design: do a result's intervals cover the truth they claim to?

A 95% interval is only a 95% interval under the model's assumptions and in large enough samples.
``result.coverage_check(n_sims=..., seed=...)`` asks the question at the design the study
actually has: it takes the fitted model as the truth (its estimates as the true parameters, its
residual SD as the true SD), keeps the predictors exactly as observed (same n, same values),
simulates new outcomes from that truth, refits the same model with the same options and counts
how often each interval covers its true value. The Monte-Carlo standard error of a coverage
``c`` from ``S`` simulations is ``sqrt(c (1 - c) / S)``.

What is simulated, per family:

* moderation (and gene x environment): ``y = X b + e`` with ``e ~ N(0, s^2)`` (OLS), or
  ``y ~ Bernoulli(expit(X b))`` (logistic), on the fitted design matrix ``X``;
* mediation: each mediator from its equation with normal errors, then the outcome from the
  outcome equation with the simulated mediators; the truths are ``a``, ``b``, the direct effect,
  the indirect effect ``a * b`` and (OLS) the implied total effect ``c' + sum a b``;
* censored regression: latent ``y* = X b + s e``, censored by the study's limits: a row keeps its
  own limits when its reading was censored, and the other rows get the study's typical limits
  (the median LOD of the rows censored below, the median interval of the interval-censored rows,
  the median upper limit), so every simulated reading can be censored as a real one could.

Simulations run with one :class:`numpy.random.SeedSequence`-derived stream: the same seed gives
the same table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit

from ..errors import HormoneStatsError, ModelError
from ..results import conforms, empty_excluded

__all__ = ["COVERAGE_COLUMNS", "CoverageResult", "coverage_table"]

COVERAGE_COLUMNS = [
    "term",
    "truth",
    "coverage",
    "mc_se",
    "mean_estimate",
    "bias",
    "n_sims",
    "n_failed",
]


@conforms("coverage")
@dataclass(frozen=True)
class CoverageResult:
    """Result of a ``coverage_check``.

    Attributes
    ----------
    table : DataFrame
        ``term, truth, coverage, mc_se, mean_estimate, bias, n_sims, n_failed``: per term, the
        share of simulations whose interval covered the truth (refits that failed excluded).
    conf_level : float
        The nominal level of the intervals checked.
    checked : str
        Which model's intervals were checked.
    n_obs : int
        Rows of the checked fit's design (each simulation draws that many).
    """

    table: pd.DataFrame = field(repr=False)
    conf_level: float
    checked: str
    n_sims: int
    seed: int | None
    n_obs: int | None = None
    excluded: pd.DataFrame = field(default_factory=empty_excluded, repr=False)

    def _facts(self):
        return {"checked": self.checked, "n_sims": self.n_sims, "seed": self.seed,
                "conf_level": self.conf_level}

    def _display(self):
        title = f"Coverage check of {self.checked} intervals ({self.n_sims} simulations)"
        notes = [
            f"Nominal level {self.conf_level:.0%}; truth = the fitted estimates, predictors as "
            f"observed; seed {self.seed}. mc_se = sqrt(c (1 - c) / simulations).",
        ]
        low = self.table.loc[
            self.table["coverage"] < self.conf_level - 2.5 * self.table["mc_se"] - 1e-12, "term"
        ]
        if len(low):
            notes.append(
                "Below nominal beyond Monte-Carlo error: " + ", ".join(map(str, low)) + "."
            )
        return title, [("", self.table)], notes


def coverage_table(truth: pd.Series, estimates, lows, highs, failed: int) -> pd.DataFrame:
    """Coverage per term from stacked simulation results (rows = successful simulations)."""
    est = np.asarray(estimates, float)
    lo = np.asarray(lows, float)
    hi = np.asarray(highs, float)
    t = truth.to_numpy(float)
    ok = np.isfinite(lo) & np.isfinite(hi)
    covered = ((lo <= t) & (t <= hi) & ok).sum(axis=0) / np.maximum(ok.sum(axis=0), 1)
    n_ok = ok.sum(axis=0)
    mean = np.nanmean(est, axis=0) if len(est) else np.full(len(t), np.nan)
    return pd.DataFrame(
        {
            "term": pd.Series(list(truth.index), dtype="str"),
            "truth": t,
            "coverage": covered,
            "mc_se": np.sqrt(covered * (1 - covered) / np.maximum(n_ok, 1)),
            "mean_estimate": mean,
            "bias": mean - t,
            "n_sims": n_ok.astype(int),
            "n_failed": (failed + (len(est) - n_ok)).astype(int),
        }
    )[COVERAGE_COLUMNS]


def _check(n_sims, conf_level=None):
    if not isinstance(n_sims, (int, np.integer)) or isinstance(n_sims, bool) or n_sims < 2:
        raise ModelError(f"n_sims must be an integer >= 2, got {n_sims!r}")


def _run(simulate_and_fit, truth, n_sims, seed):
    """Call ``simulate_and_fit(rng) -> (estimates, lows, highs)`` n_sims times."""
    rng = np.random.default_rng(seed)
    rows, failed = [], 0
    for _ in range(int(n_sims)):
        try:
            rows.append(simulate_and_fit(rng))
        except (HormoneStatsError, np.linalg.LinAlgError):
            failed += 1
    if not rows:
        raise ModelError(f"every one of the {n_sims} simulated refits failed")
    est, lo, hi = (np.array([r[i] for r in rows]) for i in range(3))
    return coverage_table(truth, est, lo, hi, failed)


# --------------------------------------------------------------------------------------------
# families
# --------------------------------------------------------------------------------------------
def moderation_coverage(result, *, n_sims: int = 500, seed: int | None = None) -> CoverageResult:
    """Coverage of a moderation (or gene x environment) result's coefficient intervals."""
    from ._families import fit_family
    from ._tidy import tidy_statsmodels

    _check(n_sims)
    fit = result.fit
    exog = pd.DataFrame(fit.model.exog, columns=list(fit.model.exog_names))
    beta = pd.Series(np.asarray(fit.params, float), index=exog.columns)
    eta = exog.to_numpy() @ beta.to_numpy()
    binomial = result.outcome_family == "binomial"
    sigma = 0.0 if binomial else float(np.sqrt(fit.scale))

    def one(rng):
        if binomial:
            y = (rng.random(len(eta)) < expit(eta)).astype(float)
        else:
            y = eta + sigma * rng.standard_normal(len(eta))
        refit = fit_family(y, exog, result.outcome_family, result.robust)
        tab = tidy_statsmodels(refit, result.conf_level)
        return tab["estimate"].to_numpy(), tab["conf_low"].to_numpy(), tab["conf_high"].to_numpy()

    if binomial or result.robust:
        table = _run(one, beta, n_sims, seed)
    else:  # OLS with the classical covariance: every simulation solved at once
        rng = np.random.default_rng(seed)
        X = exog.to_numpy()
        Y = eta[:, None] + sigma * rng.standard_normal((len(eta), int(n_sims)))
        xtx_inv = np.linalg.inv(X.T @ X)
        B = xtx_inv @ X.T @ Y  # (p, S)
        df = len(eta) - X.shape[1]
        s2 = ((Y - X @ B) ** 2).sum(axis=0) / df
        se = np.sqrt(np.outer(s2, np.diag(xtx_inv)))  # (S, p)
        q = float(stats.t.ppf(1 - (1 - result.conf_level) / 2, df))
        table = coverage_table(beta, B.T, B.T - q * se, B.T + q * se, 0)
    return CoverageResult(table, result.conf_level, "moderation", int(n_sims), seed, result.n_obs)


def mediation_coverage(
    result, *, refit, n_sims: int = 200, seed: int | None = None, n_boot: int | None = None
) -> CoverageResult:
    """Coverage of a mediation result's path and (bootstrap) indirect-effect intervals.

    Each simulated dataset is refitted by :func:`hormonestats.mediation` with the result's
    options and ``n_boot`` resamples (default: the result's, at most 1,000, to keep the check
    affordable; pass more for the final word). ``refit`` is :func:`hormonestats.mediation`
    (passed in by the result, so that this module does not import the model modules back).
    """
    mediation = refit
    _check(n_sims)
    n_boot = min(result.n_boot, 1000) if n_boot is None else int(n_boot)
    fits = result.fits
    out = fits["outcome"]
    frame = pd.DataFrame(np.array(out.model.exog, dtype=float), columns=list(out.model.exog_names))
    sd = {m: float(np.sqrt(fits[f"mediator:{m}"].scale)) for m in result.mediators}
    xa = {m: fits[f"mediator:{m}"] for m in result.mediators}
    binomial = result.outcome_family == "binomial"
    sigma_y = 0.0 if binomial else float(np.sqrt(out.scale))
    b_par = pd.Series(np.asarray(out.params, float), index=frame.columns)
    x = result.x
    truth = {}
    for m in result.mediators:
        truth[f"a:{m}"] = float(xa[m].params[x])
        truth[f"b:{m}"] = float(b_par[m])
    truth["direct"] = float(b_par[x])
    for m in result.mediators:
        truth[f"indirect:{m}"] = truth[f"a:{m}"] * truth[f"b:{m}"]
    if not binomial:
        truth["total"] = truth["direct"] + sum(truth[f"indirect:{m}"] for m in result.mediators)
    truth = pd.Series(truth)

    def one(rng):
        sim = pd.DataFrame(frame.to_numpy(copy=True), columns=frame.columns)
        for m in result.mediators:
            fm = xa[m]
            design = pd.DataFrame(fm.model.exog, columns=list(fm.model.exog_names))
            mu = design.to_numpy() @ np.asarray(fm.params, float)
            sim[m] = mu + sd[m] * rng.standard_normal(len(sim))
        eta = sim[list(b_par.index)].to_numpy() @ b_par.to_numpy()
        if binomial:
            sim[result.y] = (rng.random(len(sim)) < expit(eta)).astype(float)
        else:
            sim[result.y] = eta + sigma_y * rng.standard_normal(len(sim))
        res = mediation(
            sim, x=x, mediator=list(result.mediators), y=result.y,
            covariates=list(result.covariates), n_boot=n_boot, ci=result.ci,
            conf_level=result.conf_level, seed=int(rng.integers(2**31)),
            robust=None if result.cov_type == "nonrobust" else result.cov_type,
            family=result.outcome_family,
        )  # fmt: skip
        tab = res.table
        picks = []
        for name in truth.index:
            term, _, med = name.partition(":")
            sel = tab["term"] == term
            if med:
                sel &= tab["mediator"] == med
            picks.append(tab.loc[sel].iloc[0])
        get = lambda col: np.array([p[col] for p in picks], float)  # noqa: E731
        return get("estimate"), get("conf_low"), get("conf_high")

    table = _run(one, truth, n_sims, seed)
    return CoverageResult(table, result.conf_level, "mediation", int(n_sims), seed, result.n_obs)


def censored_coverage(result, *, mle, n_sims: int = 200, seed: int | None = None
                      ) -> CoverageResult:
    """Coverage of a censored regression's Wald intervals at the study's censoring limits.

    ``mle`` is the censored model's likelihood maximiser (passed in by the result)."""
    _mle = mle

    _check(n_sims)
    Xm, left_at, right_at, iv_lo, iv_hi = result._design
    theta = result.table["estimate"].to_numpy(float)
    truth = pd.Series(theta, index=result.table["term"].astype(str).to_list())
    beta, sigma = theta[:-1], float(np.exp(theta[-1]))
    mu = Xm @ beta
    z = float(stats.norm.ppf(1 - (1 - result.conf_level) / 2))

    def one(rng):
        ystar = mu + sigma * rng.standard_normal(len(mu))
        lo, hi = ystar.copy(), ystar.copy()
        left = np.isfinite(left_at) & (ystar < left_at)
        right = np.isfinite(right_at) & (ystar > right_at)
        inside = np.isfinite(iv_lo) & (ystar >= iv_lo) & (ystar < iv_hi) & ~left
        lo[left], hi[left] = -np.inf, left_at[left]
        lo[right], hi[right] = right_at[right], np.inf
        lo[inside], hi[inside] = iv_lo[inside], iv_hi[inside]
        if (lo == hi).sum() < Xm.shape[1] + 2:
            raise ModelError("too few uncensored simulated readings")
        est, vcov, _, converged, _ = _mle(Xm, lo, hi)
        if not converged:
            raise ModelError("no convergence")
        se = np.sqrt(np.diag(vcov))
        return est, est - z * se, est + z * se

    table = _run(one, truth, n_sims, seed)
    return CoverageResult(table, result.conf_level, "censored regression", int(n_sims), seed, result.n_obs)
