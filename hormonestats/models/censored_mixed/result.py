"""The result of :func:`hormonestats.censored_mixed` and likelihood-ratio tests between nested
censored mixed models."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ...errors import ModelError
from ...results import conforms
from .._tidy import TIDY_COLUMNS, ci_from_se, excluded_note
from .likelihood import chol_from_params

__all__ = ["CensoredMixedResult", "lr_test"]


@conforms("censored_mixed", aliases={"dropped": "excluded"})
@dataclass(frozen=True, eq=False)
class CensoredMixedResult:
    """Result of a Gaussian mixed model with a censored outcome (:func:`censored_mixed`).

    Attributes
    ----------
    table : DataFrame
        Fixed effects with Wald z tests (``df`` infinite).
    variance_components : DataFrame
        ``group, term, sd, std_error_log_sd, conf_low, conf_high, correlation`` of the random
        effects and the residual SD (Wald intervals on the log-SD scale, delta method).
    loglik : float
        Maximised marginal log-likelihood (adaptive Gauss–Hermite quadrature with ``n_agq``
        nodes per random-effect dimension; ``n_agq = 1``: the Laplace approximation).
    theta, cov : ndarray
        All parameters ``(beta, log sigma, log diag L, off-diagonal L)`` (random effects
        ``b = L u``, ``u ~ N(0, I)``) and their covariance (inverse observed information; NaN
        for parameters on their boundary).
    n_obs, n_groups, n_left, n_right, n_interval : int
        Rows analysed; groups; rows below a limit, above a limit, inside an interval.
    converged, singular : bool
        Gradient ~0 at the optimum; a random-effect SD at (or next to) zero.
    excluded : DataFrame
        Rows left out, with the reason.
    """

    table: pd.DataFrame
    variance_components: pd.DataFrame
    theta: np.ndarray = field(repr=False)
    cov: np.ndarray = field(repr=False)
    loglik: float
    n_params: int
    n_obs: int
    n_groups: int
    n_left: int
    n_right: int
    n_interval: int
    n_agq: int
    converged: bool
    singular: bool
    formula: str
    y: str
    group: str
    random_terms: tuple
    excluded: pd.DataFrame = field(repr=False)
    conf_level: float = 0.95
    warnings: tuple = ()
    _plot: dict = field(default=None, repr=False)

    @property
    def n_censored(self) -> int:
        return self.n_left + self.n_right + self.n_interval

    @property
    def aic(self) -> float:
        return -2 * self.loglik + 2 * self.n_params

    @property
    def bic(self) -> float:
        return -2 * self.loglik + np.log(self.n_obs) * self.n_params

    @property
    def method(self) -> str:
        if self.n_agq == 1:
            return "the Laplace approximation"
        return f"adaptive Gauss-Hermite quadrature ({self.n_agq} nodes per dimension)"

    def lr_test(self, other: CensoredMixedResult) -> pd.DataFrame:
        """Likelihood-ratio test against a nested fit to the same rows (see :func:`lr_test`)."""
        return lr_test(self, other)

    def _display(self):
        title = (f"Censored mixed model: {self.formula} (n = {self.n_obs}, "
                 f"{self.n_groups} {self.group})")
        notes = [
            f"{self.n_left} below a limit, {self.n_right} above a limit and {self.n_interval} "
            f"in an interval of {self.n_obs} rows ({self.n_censored / self.n_obs:.0%}).",
            f"Maximum likelihood by {self.method}; log-likelihood {self.loglik:.4f}; "
            "Wald z tests from the Hessian of the marginal log-likelihood.",
            *self.warnings,
        ]
        if len(self.excluded):
            notes.append(excluded_note(self.excluded))
        return title, [("Fixed effects", self.table),
                       ("Random effects and residual", self.variance_components)], notes

    def _facts(self):
        return {"y": self.y, "formula": self.formula, "group": self.group,
                "n_groups": self.n_groups, "n_censored": self.n_censored,
                "n_left": self.n_left, "n_right": self.n_right, "n_interval": self.n_interval,
                "random_terms": list(self.random_terms), "estimation": self.method,
                "n_agq": self.n_agq, "loglik": float(self.loglik),
                "converged": bool(self.converged), "conf_level": self.conf_level}

    def figure(self):
        """Readings against the first numeric predictor: observed (dots), censored ones at
        their limits (open triangles pointing the way the value lies), intervals as bars,
        and the fitted population line (other predictors at their mean)."""
        import matplotlib.pyplot as plt

        p = self._plot
        fig, ax = plt.subplots(figsize=(5.5, 4))
        x, lo, hi = p["x"], p["lo"], p["hi"]
        obs = lo == hi
        left = np.isneginf(lo) & ~obs
        right = np.isposinf(hi) & ~obs
        inter = ~(obs | left | right)
        ax.scatter(x[obs], lo[obs], s=10, alpha=0.5, label="observed")
        if left.any():
            ax.scatter(x[left], hi[left], marker="v", facecolors="none", edgecolors="C3",
                       s=18, label="below limit (at its limit)")
        if right.any():
            ax.scatter(x[right], lo[right], marker="^", facecolors="none", edgecolors="C2",
                       s=18, label="above limit (at its limit)")
        if inter.any():
            ax.vlines(x[inter], lo[inter], hi[inter], colors="C4", alpha=0.5,
                      label="interval")
        ax.plot(p["grid"], p["line"], color="k", lw=2, label="fitted (population)")
        ax.set_xlabel(p["x_name"])
        ax.set_ylabel(self.y)
        ax.legend(frameon=False, fontsize=8)
        fig.tight_layout()
        return fig


def fixed_table(names, theta, cov, conf_level):
    """Tidy Wald z rows of the fixed effects."""
    k = len(names)
    est = theta[:k]
    se = np.sqrt(np.diag(cov)[:k])
    z = est / se
    lo, hi = ci_from_se(est, se, conf_level)
    return pd.DataFrame({
        "term": pd.Series(list(names), dtype="str"), "estimate": est, "std_error": se,
        "statistic": z, "df": np.inf, "p_value": 2 * stats.norm.sf(np.abs(z)),
        "conf_low": lo, "conf_high": hi,
    })[TIDY_COLUMNS]


def variance_rows(group, re_names, theta, cov, p, conf_level):
    """``group, term, sd, std_error_log_sd, conf_low, conf_high, correlation``: SDs with Wald
    intervals on the log scale (delta method), correlations as point estimates."""
    q = len(re_names)
    par = theta[p + 1:]

    def log_sds(v):
        L = chol_from_params(v, q)
        return 0.5 * np.log(np.maximum((L * L).sum(axis=1), 1e-300))

    L = chol_from_params(par, q)
    Sigma = L @ L.T
    sd = np.sqrt(np.diag(Sigma))
    sub = cov[p + 1:, p + 1:]
    est = np.flatnonzero(np.isfinite(par) & np.isfinite(np.diag(sub)))  # off the boundary
    J = np.zeros((q, len(est)))
    for j, k in enumerate(est):
        e = np.zeros(len(par))
        e[k] = 1e-6
        J[:, j] = (log_sds(par + e) - log_sds(par - e)) / 2e-6
    var_log = np.einsum("ik,kl,il->i", J, sub[np.ix_(est, est)], J)
    var_log[sd <= 0] = np.nan
    zq = stats.norm.ppf(0.5 + conf_level / 2)
    rows = []
    for i, n in enumerate(re_names):
        se_l = np.sqrt(var_log[i]) if var_log[i] > 0 else np.nan
        rows.append((group, f"sd({n})", sd[i], se_l, sd[i] * np.exp(-zq * se_l),
                     sd[i] * np.exp(zq * se_l), np.nan))
    for i in range(q):
        for j in range(i):
            r = Sigma[i, j] / (sd[i] * sd[j]) if sd[i] > 0 and sd[j] > 0 else np.nan
            rows.append((group, f"cor({re_names[j]}, {re_names[i]})", np.nan, np.nan, np.nan,
                         np.nan, r))
    s = float(np.exp(theta[p]))
    se_ls = np.sqrt(cov[p, p]) if cov[p, p] > 0 else np.nan
    rows.append(("Residual", "sigma", s, se_ls, s * np.exp(-zq * se_ls),
                 s * np.exp(zq * se_ls), np.nan))
    return pd.DataFrame(rows, columns=["group", "term", "sd", "std_error_log_sd", "conf_low",
                                       "conf_high", "correlation"])


def lr_test(a: CensoredMixedResult, b: CensoredMixedResult) -> pd.DataFrame:
    """Likelihood-ratio test between two nested censored mixed models fitted to the same rows.

    The smaller model (fewer parameters) must be a special case of the larger; the test is
    chi-square with the difference in parameters as df (conservative when the larger model
    adds a variance, which sits on its boundary under the null; Self & Liang 1987). Returns
    ``model, n_params, loglik, chisq, df, p_value``.
    """
    for r in (a, b):
        if not isinstance(r, CensoredMixedResult):
            raise ModelError(f"lr_test compares two censored mixed models, got "
                             f"{type(r).__name__}")
    if a.n_obs != b.n_obs or a.n_censored != b.n_censored:
        raise ModelError(
            f"The models were fitted to different rows ({a.n_obs} rows, {a.n_censored} censored "
            f"vs {b.n_obs}, {b.n_censored}); a likelihood-ratio test needs the same data.")
    if a.n_params == b.n_params:
        raise ModelError("The models have the same number of parameters; they are not nested.")
    small, big = (a, b) if a.n_params < b.n_params else (b, a)
    chisq = max(2 * (big.loglik - small.loglik), 0.0)
    df = big.n_params - small.n_params
    return pd.DataFrame({
        "model": [small.formula, big.formula], "n_params": [small.n_params, big.n_params],
        "loglik": [small.loglik, big.loglik], "chisq": [np.nan, chisq], "df": [np.nan, df],
        "p_value": [np.nan, float(stats.chi2.sf(chisq, df))],
    })
