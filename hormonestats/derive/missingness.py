"""What is missing in an analysis table: by variable, by person, by session; Little's MCAR test.

:func:`missingness` summarises the missing cells of an analysis table for ``qc`` and the report,
before any imputation: the share of each variable, of each person's cells, of each session's
cells, the missing-data patterns, and Little's (1988) test of missing completely at random for
the numeric variables.

Little's test: the mean vector and covariance matrix of the numeric variables are estimated by
maximum likelihood under multivariate normality with the EM algorithm (Dempster, Laird & Rubin
1977); for each missing-data pattern j with n_j rows and the variables it observes,
``d2 = sum_j n_j (ybar_j - mu_j)' Sigma_j^{-1} (ybar_j - mu_j)`` is referred to a chi-square
with ``sum_j p_j - p`` df. A small p-value says the data are not MCAR (the means differ by
pattern); a large one does not show MCAR, and never distinguishes MAR from MNAR. Categorical
variables are left out (the test assumes normality).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import HormoneStatsError

__all__ = ["MissingnessSummary", "em_normal", "little_mcar", "missingness"]

_IDS = ("subject_id", "session", "responses_session", "dyad_id", "sample_id")


def em_normal(x, *, max_iter: int = 1000, tol: float = 1e-10):
    """ML mean and covariance of multivariate normal data with missing values (EM).

    Parameters
    ----------
    x : array_like, shape (n, p), NaN for missing.

    Returns
    -------
    (mean, covariance, iterations)

    Examples
    --------
    >>> mu, sigma, _ = em_normal([[1.0, 2.0], [2.0, np.nan], [3.0, 4.0], [4.0, 5.0]])
    >>> round(float(mu[0]), 6)
    2.5
    """
    x = np.asarray(x, dtype=float)
    n, p = x.shape
    obs = np.isfinite(x)
    mu = np.array([np.nanmean(x[:, j]) for j in range(p)])
    sigma = np.diag([np.nanvar(x[:, j]) for j in range(p)]) + 1e-12 * np.eye(p)
    patterns, inverse = np.unique(obs, axis=0, return_inverse=True)
    for it in range(1, max_iter + 1):
        sum_x = np.zeros(p)
        sum_xx = np.zeros((p, p))
        for k, pat in enumerate(patterns):
            rows = x[inverse.ravel() == k]
            o, mi = pat, ~pat
            filled = rows.copy()
            extra = np.zeros((p, p))
            if mi.any() and o.any():
                coef = np.linalg.solve(sigma[np.ix_(o, o)], sigma[np.ix_(o, mi)])
                filled[:, mi] = mu[mi] + (rows[:, o] - mu[o]) @ coef
                extra[np.ix_(mi, mi)] = (sigma[np.ix_(mi, mi)] - sigma[np.ix_(mi, o)] @ coef)
            elif mi.all():
                filled[:, :] = mu
                extra = sigma.copy()
            sum_x += filled.sum(axis=0)
            sum_xx += filled.T @ filled + len(rows) * extra
        new_mu = sum_x / n
        new_sigma = sum_xx / n - np.outer(new_mu, new_mu)
        change = max(np.max(np.abs(new_mu - mu)), np.max(np.abs(new_sigma - sigma)))
        mu, sigma = new_mu, (new_sigma + new_sigma.T) / 2
        if change < tol * (1 + np.max(np.abs(sigma))):
            return mu, sigma, it
    return mu, sigma, max_iter


def little_mcar(data: pd.DataFrame) -> dict:
    """Little's (1988) chi-square test of missing completely at random.

    Parameters
    ----------
    data : DataFrame of numeric columns (NaN for missing).

    Returns
    -------
    dict with ``statistic, df, p_value, n_patterns, n_rows, variables``.
    """
    x = data.to_numpy(dtype=float)
    keep = np.isfinite(x).any(axis=1)
    x = x[keep]
    n, p = x.shape
    if p == 0 or n < p + 2:
        raise HormoneStatsError(f"Little's MCAR test needs more complete rows than variables "
                                f"({n} rows, {p} variables)")
    mu, sigma, _ = em_normal(x)
    obs = np.isfinite(x)
    patterns, inverse = np.unique(obs, axis=0, return_inverse=True)
    d2, dof = 0.0, 0
    for k, pat in enumerate(patterns):
        rows = x[inverse.ravel() == k][:, pat]
        diff = rows.mean(axis=0) - mu[pat]
        d2 += len(rows) * diff @ np.linalg.solve(sigma[np.ix_(pat, pat)], diff)
        dof += int(pat.sum())
    dof -= p
    return {"statistic": float(d2), "df": int(dof),
            "p_value": float(stats.chi2.sf(d2, dof)) if dof > 0 else float("nan"),
            "n_patterns": len(patterns), "n_rows": int(n), "variables": list(data.columns)}


@dataclass(frozen=True)
class MissingnessSummary:
    """Result of :func:`missingness`: tables for ``qc`` and the report."""

    by_variable: pd.DataFrame = field(repr=False)
    by_person: pd.DataFrame | None = field(repr=False)
    by_session: pd.DataFrame | None = field(repr=False)
    patterns: pd.DataFrame = field(repr=False)
    mcar: dict | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """The summary as named tables (``missing_by_variable``, ...)."""
        out = {"missing_by_variable": self.by_variable, "missing_patterns": self.patterns}
        if self.by_person is not None:
            out["missing_by_person"] = self.by_person
        if self.by_session is not None:
            out["missing_by_session"] = self.by_session
        if self.mcar is not None:
            out["little_mcar"] = pd.DataFrame([{k: v for k, v in self.mcar.items()
                                                if k != "variables"}])
        return out

    def sentence(self) -> str:
        """The missing data in one sentence for the methods text."""
        miss = self.by_variable[self.by_variable["n_missing"] > 0]
        if not len(miss):
            return "No analysis variable had missing values."
        worst = miss.sort_values("pct_missing", ascending=False).head(3)
        text = (f"{len(miss)} of {len(self.by_variable)} analysis variables had missing values "
                "(most: " + ", ".join(f"{v} {p:.1f}%" for v, p in
                                     zip(worst["variable"], worst["pct_missing"])) + ").")
        if self.mcar is not None and np.isfinite(self.mcar["p_value"]):
            text += (f" Little's MCAR test: chi2({self.mcar['df']}) = "
                     f"{self.mcar['statistic']:.2f}, p = {self.mcar['p_value']:.3f}.")
        return text


def missingness(table: pd.DataFrame, *, columns: Sequence[str] | None = None,
                subject: str = "subject_id", session: str = "session") -> MissingnessSummary:
    """Missing cells of an analysis table by variable, person and session, and Little's test.

    Parameters
    ----------
    table : DataFrame
    columns : the analysis variables (default: every column except identifiers).
    subject, session : identifier columns (their summaries are left out when absent).

    Examples
    --------
    >>> d = pd.DataFrame({"subject_id": ["a", "b", "c"], "x": [1.0, None, 3.0]})
    >>> missingness(d).by_variable[["variable", "n_missing"]].to_dict("records")
    [{'variable': 'x', 'n_missing': 1}]
    """
    cols = list(columns) if columns is not None else [c for c in table.columns
                                                      if c not in _IDS]
    absent = [c for c in cols if c not in table.columns]
    if absent:
        raise HormoneStatsError(f"missingness: the table has no column(s) {absent}")
    na = table[cols].isna()
    by_variable = pd.DataFrame({"variable": cols, "n_missing": na.sum().to_numpy(int),
                                "pct_missing": 100 * na.mean().to_numpy(float)})
    by_person = by_session = None
    if subject in table.columns:
        g = na.groupby(table[subject].astype(str))
        cells = g.sum().sum(axis=1)
        by_person = pd.DataFrame({subject: cells.index, "n_missing": cells.to_numpy(int),
                                  "pct_missing": 100 * cells.to_numpy() / (
                                      g.size().to_numpy() * len(cols))})
        by_person = by_person[by_person["n_missing"] > 0].reset_index(drop=True)
    if session in table.columns:
        g = na.groupby(table[session].astype(str))
        by_session = pd.DataFrame({session: g.size().index, "n_rows": g.size().to_numpy(),
                                   "n_missing": g.sum().sum(axis=1).to_numpy(int)})
        by_session["pct_missing"] = 100 * by_session["n_missing"] / (by_session["n_rows"]
                                                                     * len(cols))
    pattern = na.apply(lambda r: ", ".join(c for c, v in r.items() if v) or "(complete)",
                       axis=1)
    patterns = pattern.value_counts().rename_axis("missing").reset_index(name="n_rows")
    numeric = [c for c in cols if pd.api.types.is_numeric_dtype(table[c])
               and not pd.api.types.is_bool_dtype(table[c]) and table[c].nunique() > 2]
    mcar = None
    sub = table[numeric]
    if numeric and sub.isna().any().any():
        try:
            mcar = little_mcar(sub)
        except (HormoneStatsError, np.linalg.LinAlgError):
            mcar = None
    return MissingnessSummary(by_variable=by_variable, by_person=by_person,
                              by_session=by_session, patterns=patterns, mcar=mcar)
