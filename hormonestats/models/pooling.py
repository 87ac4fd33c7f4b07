"""Pooling analyses of multiply imputed data sets: Rubin's rules and the Barnard–Rubin df.

Every model family's result meets the result protocol (:mod:`hormonestats.results`), so one
pooling rule serves all of them: :func:`pool` takes the m results fitted to m completed data
sets and returns a :class:`PooledResult` (family ``"pooled"``).

Rules (Rubin 1987; Barnard & Rubin 1999), for each estimate :math:`Q`:

* :math:`\\bar Q = \\frac1m\\sum_j \\hat Q_j`, within variance :math:`\\bar U = \\frac1m\\sum_j U_j`,
  between variance :math:`B = \\frac1{m-1}\\sum_j(\\hat Q_j-\\bar Q)^2`, total
  :math:`T = \\bar U + (1 + 1/m) B`;
* relative increase in variance :math:`r = (1 + 1/m) B / \\bar U`, proportion of variance due
  to missingness :math:`\\lambda = (1 + 1/m) B / T` (floored at 1e-4, as mice does);
* degrees of freedom :math:`\\nu_{old} = (m-1)/\\lambda^2`; with complete-data df
  :math:`\\nu_{com}` the Barnard–Rubin small-sample df
  :math:`\\nu = \\nu_{old}\\nu_{obs}/(\\nu_{old}+\\nu_{obs})`,
  :math:`\\nu_{obs} = \\frac{\\nu_{com}+1}{\\nu_{com}+3}\\nu_{com}(1-\\lambda)`;
* fraction of missing information :math:`\\gamma = (r + 2/(\\nu+3))/(r+1)`.

These are the formulas of R's ``mice::pool`` (van Buuren & Groothuis-Oudshoorn 2011) and of
``mitml::testEstimates`` (the same df without the floor on :math:`\\lambda`), with which the
tests agree to 1e-8 (``tests/reference/imputation.R``).

The complete-data df :math:`\\nu_{com}` of each term is, unless given: the term's own ``df``
in the results' tables (the residual df of a least-squares fit, the Satterthwaite df of a mixed
model); for z-based results (``df`` infinite) ``n_obs`` minus the number of estimates, mice's
rule for models without a residual df; for bootstrap rows (``df`` missing) infinity. ``dfcom=numpy.inf`` gives Rubin's
(1987) large-sample df, as ``mitml::testEstimates`` without ``df.com``.

Variance components and other quantities without a sampling variance (the "extra parameters"
of mitml) are pooled by their mean over the imputations (Grund, Robitzsch & Lüdtke 2016).

Bootstrap intervals (indirect effects): each completed data set is bootstrapped and the
bootstrap variance is its within-imputation variance; Rubin's rules then combine them. This is
"MI Boot" of Schomaker & Heumann (2018), which kept nominal coverage in their simulations;
their "MI Boot pooled sample" percentile interval (all m x B replicates stacked) can be too
narrow and is not used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..display import ResultDisplay
from ..errors import ModelError
from ..results import FAMILIES, Summary, empty_excluded

__all__ = [
    "POOLED_COLUMNS",
    "PooledResult",
    "barnard_rubin_df",
    "pool",
    "pool_scalar",
    "rubin",
]

#: the pooled table's columns: the tidy ones, then Rubin's quantities
POOLED_COLUMNS = ("term", "estimate", "std_error", "statistic", "df", "p_value", "conf_low",
                  "conf_high", "fmi", "riv", "lambda", "ubar", "b", "t", "dfcom", "m")


def barnard_rubin_df(m: int, b, t, dfcom=np.inf) -> np.ndarray:
    """Barnard & Rubin (1999) degrees of freedom of a pooled estimate (mice's ``barnard.rubin``).

    Parameters
    ----------
    m : int
        Number of imputations.
    b, t : array_like
        Between-imputation and total variance.
    dfcom : float or array_like
        Complete-data df (``numpy.inf``: Rubin's 1987 df ``(m - 1) / lambda**2``).

    Examples
    --------
    >>> float(barnard_rubin_df(5, 1.0, 2.0))  # lambda = 0.6 -> 4 / 0.36
    11.11111111111111
    """
    b, t = np.asarray(b, dtype=float), np.asarray(t, dtype=float)
    lam = np.maximum((1 + 1 / m) * b / t, 1e-4)
    df_old = (m - 1) / lam**2
    dfcom = np.broadcast_to(np.asarray(dfcom, dtype=float), df_old.shape)
    with np.errstate(invalid="ignore"):
        df_obs = (dfcom + 1) / (dfcom + 3) * dfcom * (1 - lam)
        out = np.where(np.isinf(dfcom), df_old, df_old * df_obs / (df_old + df_obs))
    return out


def rubin(estimates, variances, *, dfcom=np.inf, terms: Sequence[str] | None = None,
          conf_level: float = 0.95) -> pd.DataFrame:
    """Pool m sets of estimates and their squared standard errors by Rubin's rules.

    Parameters
    ----------
    estimates, variances : array_like, shape (m, p)
        Estimate and its sampling variance (squared SE) per imputation (rows) and term.
    dfcom : float or array_like of length p
        Complete-data df per term (see the module docstring).
    terms : names of the p terms.
    conf_level : float

    Returns
    -------
    DataFrame with :data:`POOLED_COLUMNS`.

    Examples
    --------
    >>> tab = rubin([[1.0], [1.2], [0.8]], [[0.04], [0.05], [0.03]], terms=["x"])
    >>> tab[["estimate", "ubar", "b"]].round(4).to_dict("records")
    [{'estimate': 1.0, 'ubar': 0.04, 'b': 0.04}]
    """
    q = np.atleast_2d(np.asarray(estimates, dtype=float))
    u = np.atleast_2d(np.asarray(variances, dtype=float))
    if q.shape != u.shape:
        raise ModelError(f"estimates {q.shape} and variances {u.shape} differ in shape")
    m, p = q.shape
    if m < 2:
        raise ModelError(f"pooling needs at least 2 imputations, got {m}")
    if not (np.isfinite(q).all() and np.isfinite(u).all()):
        raise ModelError("pooling needs finite estimates and variances in every imputation")
    qbar, ubar = q.mean(axis=0), u.mean(axis=0)
    b = q.var(axis=0, ddof=1)
    t = ubar + (1 + 1 / m) * b
    dfcom = np.broadcast_to(np.asarray(dfcom, dtype=float), (p,)).copy()
    df = barnard_rubin_df(m, b, t, dfcom)
    with np.errstate(divide="ignore", invalid="ignore"):
        riv = (1 + 1 / m) * b / ubar
        lam = (1 + 1 / m) * b / t
        fmi = (riv + 2 / (df + 3)) / (riv + 1)
    se = np.sqrt(t)
    stat = qbar / se
    crit = stats.t.ppf(1 - (1 - conf_level) / 2, df)
    return pd.DataFrame({
        "term": list(terms) if terms is not None else [f"q{i}" for i in range(p)],
        "estimate": qbar, "std_error": se, "statistic": stat,
        "df": df, "p_value": 2 * stats.t.sf(np.abs(stat), df),
        "conf_low": qbar - crit * se, "conf_high": qbar + crit * se,
        "fmi": fmi, "riv": riv, "lambda": lam, "ubar": ubar, "b": b, "t": t,
        "dfcom": dfcom, "m": m,
    }, columns=list(POOLED_COLUMNS))


def pool_scalar(estimates, std_errors, *, dfcom=np.inf, term: str = "estimate",
                conf_level: float = 0.95) -> dict:
    """Pool one quantity (a contrast, a simple slope, an indirect effect) over imputations.

    ``std_errors`` may be bootstrap standard errors ("MI Boot", Schomaker & Heumann 2018).

    >>> row = pool_scalar([0.30, 0.34, 0.26], [0.1, 0.1, 0.1], term="slope")
    >>> round(row["estimate"], 2), row["term"]
    (0.3, 'slope')
    """
    se = np.asarray(std_errors, dtype=float)
    tab = rubin(np.asarray(estimates, dtype=float)[:, None], (se**2)[:, None], dfcom=dfcom,
                terms=[term], conf_level=conf_level)
    return tab.iloc[0].to_dict()


def _extra_parameters(results) -> pd.DataFrame | None:
    """Variance components (and the ICC) averaged over imputations, mitml's extra parameters."""
    rows = []
    for res in results:
        vc = getattr(res, "variance_components", None)
        if not isinstance(vc, pd.DataFrame):
            return None
        names = [f"{g}:{t}" for g, t in zip(vc["group"], vc["term"])]
        values = dict(zip(names, vc["variance"].astype(float)))
        resid = [v for n, v in values.items() if n.lower().startswith("residual")]
        intercepts = [v for n, v in values.items()
                      if n.split(":", 1)[1] in ("Intercept", "(Intercept)")]
        if len(resid) == 1 and len(intercepts) == 1:
            values["ICC"] = intercepts[0] / (intercepts[0] + resid[0])
        rows.append(values)
    frame = pd.DataFrame(rows)
    return pd.DataFrame({"term": frame.columns, "estimate": frame.mean(axis=0).to_numpy(),
                         "between_sd": frame.std(axis=0, ddof=1).to_numpy()})


def _family(result) -> str:
    """The protocol family of a result (its class name while a family lacks the protocol)."""
    family = getattr(result, "family", None)
    return family if family in FAMILIES else type(result).__name__


def _n_obs(result):
    n = getattr(result, "n_obs", None)
    return getattr(result, "n", None) if n is None else n


def _default_dfcom(tables, results) -> np.ndarray:
    dfs = np.vstack([t["df"].to_numpy(dtype=float) for t in tables])
    seen = (~np.isnan(dfs)).sum(axis=0)
    df = np.where(seen > 0, np.where(np.isnan(dfs), 0.0, dfs).sum(axis=0) / np.maximum(seen, 1),
                  np.nan)
    n_obs = _n_obs(results[0])
    fallback = np.inf if n_obs is None else max(float(n_obs) - len(tables[0]), 1.0)
    # a bootstrap row (df missing) has no complete-data df; a z test (df infinite) takes n - p
    return np.where(np.isnan(df), np.inf, np.where(np.isinf(df), fallback, df))


@dataclass(frozen=True)
class PooledResult:
    """Estimates pooled over m imputations (:func:`pool`); meets the result protocol.

    Attributes
    ----------
    table : DataFrame
        :data:`POOLED_COLUMNS`: the tidy columns, then the fraction of missing information
        (``fmi``), ``riv``, ``lambda``, ``ubar``, ``b``, ``t``, ``dfcom`` and ``m``.
    extra : DataFrame or None
        Quantities pooled by their mean (variance components, ICC), with their SD across
        imputations.
    results : tuple
        The m per-imputation results.
    source_family : str
        The family of the pooled results.
    n_obs : int
        Rows analysed in each completed data set.
    """

    table: pd.DataFrame = field(repr=False)
    results: tuple = field(repr=False)
    source_family: str
    n_obs: int
    conf_level: float
    extra: pd.DataFrame | None = field(default=None, repr=False)
    excluded: pd.DataFrame = field(default_factory=empty_excluded, repr=False)
    notes: tuple = ()
    family: str = "pooled"

    @property
    def m(self) -> int:
        """Number of imputations pooled."""
        return len(self.results)

    def methods_facts(self) -> dict[str, Any]:
        """What the methods text states: m, the rules, the FMI range."""
        fmi = self.table["fmi"].to_numpy(dtype=float)
        return {
            "family": self.family,
            "pooled_family": self.source_family,
            "m": self.m,
            "n": self.n_obs,
            "n_obs": self.n_obs,
            "n_excluded": len(self.excluded),
            "pooling": "Rubin's rules with Barnard-Rubin degrees of freedom",
            "fmi_min": float(np.nanmin(fmi)) if len(fmi) else float("nan"),
            "fmi_max": float(np.nanmax(fmi)) if len(fmi) else float("nan"),
            "conf_level": self.conf_level,
        }

    def figure(self):
        """The first pooled result's family has the figure; pooled results have none."""
        return None

    def _display(self):
        title = f"Pooled over {self.m} imputations ({self.source_family}, n = {self.n_obs})"
        tables = [("Rubin's rules", self.table.drop(columns=["ubar", "b", "t"]))]
        if self.extra is not None:
            tables.append(("Mean over imputations", self.extra))
        notes = ["df: Barnard & Rubin (1999); fmi: fraction of missing information.",
                 *self.notes]
        return title, tables, notes

    def summary(self) -> Summary:
        """Plain-text summary of the pooled table."""
        return Summary(ResultDisplay.text(*self._display()))

    def _repr_html_(self) -> str:
        return ResultDisplay.html(*self._display())

    def __repr__(self) -> str:
        return f"<PooledResult: {self.source_family} over {self.m} imputations>"


def pool(results: Sequence, *, dfcom=None, conf_level: float | None = None,
         notes: Sequence[str] = ()) -> PooledResult:
    """Pool results of one model fitted to each of m completed data sets.

    Parameters
    ----------
    results : sequence of results meeting the result protocol
        One per completed data set, all of the same family with the same terms.
    dfcom : float or array_like, optional
        Complete-data df per term (default: see the module docstring; ``numpy.inf`` for
        Rubin's large-sample df).
    conf_level : float, optional
        Default: the results' own (``conf_level`` attribute), else 0.95.

    Returns
    -------
    PooledResult

    Examples
    --------
    >>> import numpy as np, pandas as pd, hormonestats as hs
    >>> from hormonestats.models.pooling import pool
    >>> rng = np.random.default_rng(1)
    >>> fits = []
    >>> for j in range(5):
    ...     d = pd.DataFrame({"x": rng.normal(size=80), "m": rng.normal(size=80)})
    ...     d["y"] = d.x + 0.5 * d.x * d.m + rng.normal(size=80)
    ...     fits.append(hs.moderation(d, y="y", x="x", m="m"))
    >>> pooled = pool(fits)
    >>> pooled.family, pooled.m, bool((pooled.table["fmi"] > 0).all())
    ('pooled', 5, True)
    """
    results = list(results)
    if len(results) < 2:
        raise ModelError(f"pool needs the results of at least 2 imputations, got {len(results)}")
    families = {_family(r) for r in results}
    if len(families) > 1:
        raise ModelError(f"pool got results of different families: {sorted(families)}")
    tables = [r.table.reset_index(drop=True) for r in results]
    terms = list(tables[0]["term"].astype(str))
    for j, tab in enumerate(tables[1:], start=2):
        if list(tab["term"].astype(str)) != terms:
            raise ModelError(
                f"imputation {j} has the terms {list(tab['term'])}, imputation 1 {terms}: "
                "every completed data set must give the same model terms (a category level "
                "missing from one completed data set drops its dummy)")
    level = conf_level if conf_level is not None else getattr(results[0], "conf_level", 0.95)
    q = np.vstack([t["estimate"].to_numpy(dtype=float) for t in tables])
    u = np.vstack([t["std_error"].to_numpy(dtype=float) ** 2 for t in tables])
    keep = np.isfinite(q).all(axis=0) & np.isfinite(u).all(axis=0)
    dfc = _default_dfcom(tables, results) if dfcom is None else np.broadcast_to(
        np.asarray(dfcom, dtype=float), (len(terms),))
    table = rubin(q[:, keep], u[:, keep], dfcom=dfc[keep],
                  terms=[t for t, k in zip(terms, keep) if k], conf_level=level)
    left = [t for t, k in zip(terms, keep) if not k]
    notes = list(notes)
    if left:
        notes.append(f"not pooled (no standard error in some imputation): {', '.join(left)}")
    n_obs = _n_obs(results[0])
    return PooledResult(
        table=table, results=tuple(results), source_family=families.pop(),
        n_obs=int(n_obs) if n_obs is not None else 0, conf_level=float(level),
        extra=_extra_parameters(results), notes=tuple(notes))
