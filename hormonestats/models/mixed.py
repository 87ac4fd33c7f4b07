"""Linear mixed models for repeated measures, with the within/between split of time-varying
predictors (Curran & Bauer 2011) and cross-level interactions (Bauer & Curran 2005).

The model is fitted by REML with statsmodels' ``MixedLM``. On top of the fit this module computes,
from the same variance estimates, the quantities lme4/lmerTest users expect:

* the fixed-effect covariance ``(X' V^-1 X)^-1`` (lme4's),
* the REML criterion ``-2 * REML log-likelihood`` (lme4's ``REMLcrit``),
* Satterthwaite (1946) degrees of freedom for every fixed effect and every linear contrast, by
  the method of lmerTest (Kuznetsova, Brockhoff & Christensen 2017): numerical derivatives of the
  contrast variance and of the REML deviance with respect to the variance parameters in lme4's
  parameterisation (the relative Cholesky factor and the residual SD).

Everything here works from per-subject cross-products, so the extra work is small compared with
the fit itself.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats
from statsmodels.regression.mixed_linear_model import MixedLM

from ..errors import DataError, ModelError
from ..log import empty_log, log_rows
from ._slopes import JohnsonNeyman, johnson_neyman_from_cov, slopes_from_cov
from ._tidy import TIDY_COLUMNS, ResultDisplay, ci_from_se

__all__ = ["MixedModelWarning", "MixedResult", "mixed"]

SATTERTHWAITE = (
    "Satterthwaite (1946) df computed as in lmerTest (Kuznetsova et al. 2017): numerical "
    "derivatives of each contrast's variance and of the REML deviance with respect to lme4's "
    "variance parameters; t reference distribution"
)
WALD = "Wald z tests (df = inf), as statsmodels MixedLM reports them; normal reference"


class MixedModelWarning(UserWarning):
    """A mixed model fitted, but with a problem the researcher must know about (boundary fit,
    non-convergence). The same message is kept on the result's ``warnings``."""


# --------------------------------------------------------------------------------------------
# validation helpers shared by the repeated-measures families
def _require_columns(data: pd.DataFrame, columns: dict[str, object], table: str = "data") -> None:
    """Collect every missing column (argument -> column name) and raise once."""
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    missing = []
    for arg, col in columns.items():
        if col is None:
            continue
        cols = [col] if isinstance(col, str) else list(col)
        for c in cols:
            if c not in data.columns:
                missing.append(f"{arg}={c!r}")
    if missing:
        raise DataError(
            f"Table {table!r} lacks column(s) {', '.join(missing)}. "
            f"Available columns: {', '.join(map(str, data.columns))}."
        )


def _numeric_problems(data: pd.DataFrame, columns: Sequence[str], table: str = "data") -> list:
    out = []
    for c in columns:
        s = data[c]
        if pd.api.types.is_bool_dtype(s):
            continue
        if not pd.api.types.is_numeric_dtype(s):
            out.append(
                f"column {c!r} of table {table!r} must be numeric (got {s.dtype}); "
                "code categories as numbers first"
            )
    return out


def _drop_missing(data: pd.DataFrame, columns: Sequence[str], step: str, subject: str | None):
    """Rows with a missing value in any used column are excluded and logged (never silently)."""
    cols = list(dict.fromkeys(c for c in columns if c is not None))
    na = data[cols].isna()
    mask = na.any(axis=1)
    if not mask.any():
        return data, empty_log()
    reason = na.apply(
        lambda r: "missing " + ", ".join(c for c, v in r.items() if v), axis=1
    ).astype(str)
    log = log_rows(step, "data", data, mask, "excluded", reason, subject_col=subject or "")
    return data.loc[~mask], log


def _levels_of(series: pd.Series) -> list:
    """Observed levels: category order for categoricals, sorted otherwise."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return [lv for lv in series.cat.categories if (series == lv).any()]
    return sorted(series.dropna().unique().tolist(), key=lambda v: (str(type(v)), v))


def _dummies(series: pd.Series, name: str, reference=None) -> tuple[pd.DataFrame, list]:
    """Treatment coding of a categorical column: one 0/1 column per non-reference level,
    named ``name[level]``. Returns the columns and the level order (reference first)."""
    levels = _levels_of(series)
    if reference is not None:
        if reference not in levels:
            raise DataError(
                f"reference level {reference!r} is not a value of column {name!r}; "
                f"values: {', '.join(map(str, levels))}"
            )
        levels = [reference] + [lv for lv in levels if lv != reference]
    cols = {f"{name}[{lv}]": (series == lv).astype(float).to_numpy() for lv in levels[1:]}
    return pd.DataFrame(cols, index=series.index), levels


def _covariate_columns(d: pd.DataFrame, covariates: Sequence[str]) -> pd.DataFrame:
    parts = []
    for c in covariates:
        s = d[c]
        if pd.api.types.is_bool_dtype(s):
            parts.append(pd.DataFrame({c: s.astype(float)}, index=d.index))
        elif pd.api.types.is_numeric_dtype(s):
            parts.append(pd.DataFrame({c: s.astype(float)}, index=d.index))
        else:
            parts.append(_dummies(s, c)[0])
    if not parts:
        return pd.DataFrame(index=d.index)
    return pd.concat(parts, axis=1)


# --------------------------------------------------------------------------------------------
# the REML engine shared by mixed, crossover, cycle_models and therapy_over_time
def _group_sums(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    return np.add.reduceat(values, starts, axis=0)


def _psd_cholesky(a: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor of a positive semi-definite matrix (zero pivots give zero columns)."""
    a = (a + a.T) / 2
    q = a.shape[0]
    low = np.zeros_like(a)
    for j in range(q):
        d = a[j, j] - low[j, :j] @ low[j, :j]
        if d <= 1e-14 * max(1.0, abs(a[j, j])):
            continue
        low[j, j] = np.sqrt(d)
        for i in range(j + 1, q):
            low[i, j] = (a[i, j] - low[i, :j] @ low[j, :j]) / low[j, j]
    return low


class _Engine:
    """Cross-products per group and the REML/ML deviance as a function of lme4's parameters.

    ``phi`` = (lower triangle of Lambda, row by row; sigma) with ``G = sigma^2 Lambda Lambda'``
    and residual variance ``sigma^2`` (the parameterisation of lme4 and lmerTest).
    """

    def __init__(self, y, X, Z, codes, reml: bool):
        order = np.argsort(codes, kind="stable")
        codes = codes[order]
        y, X, Z = y[order], X[order], Z[order]
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        self.n, self.p = X.shape
        self.q = Z.shape[1]
        self.reml = reml
        self.XtX = X.T @ X
        self.Xty = X.T @ y
        self.yty = float(y @ y)
        self.XtZ = _group_sums(X[:, :, None] * Z[:, None, :], starts)
        self.ZtZ = _group_sums(Z[:, :, None] * Z[:, None, :], starts)
        self.Zty = _group_sums(Z * y[:, None], starts)
        self.tril = np.tril_indices(self.q)

    def split(self, phi):
        lam = np.zeros((self.q, self.q))
        lam[self.tril] = phi[:-1]
        s2 = phi[-1] ** 2
        return s2 * lam @ lam.T, s2

    def phi_from(self, G, s2):
        lam = _psd_cholesky(np.asarray(G, float) / s2)
        return np.r_[lam[self.tril], np.sqrt(s2)]

    def pieces(self, G, s2):
        eye = np.eye(self.q)
        A = eye + np.einsum("ij,gjk->gik", G, self.ZtZ) / s2
        M = np.linalg.solve(A, np.broadcast_to(G, A.shape))
        XVX = self.XtX / s2 - np.einsum("gpq,gqr,gsr->ps", self.XtZ, M, self.XtZ) / s2**2
        XVy = self.Xty / s2 - np.einsum("gpq,gqr,gr->p", self.XtZ, M, self.Zty) / s2**2
        yVy = self.yty / s2 - np.einsum("gq,gqr,gr->", self.Zty, M, self.Zty) / s2**2
        logdet_v = self.n * np.log(s2) + np.linalg.slogdet(A)[1].sum()
        return XVX, XVy, yVy, logdet_v

    def deviance(self, phi) -> float:
        G, s2 = self.split(phi)
        XVX, XVy, yVy, logdet_v = self.pieces(G, s2)
        beta = np.linalg.solve(XVX, XVy)
        rvr = yVy - XVy @ beta
        if self.reml:
            return float(
                (self.n - self.p) * np.log(2 * np.pi) + logdet_v + np.linalg.slogdet(XVX)[1] + rvr
            )
        return float(self.n * np.log(2 * np.pi) + logdet_v + rvr)

    def profiled(self, lam_tril) -> tuple[float, float]:
        """Deviance with sigma^2 profiled out, at relative factor ``Lambda``; (dev, sigma^2)."""
        lam = np.zeros((self.q, self.q))
        lam[self.tril] = lam_tril
        XVX, XVy, yVy, logdet_v = self.pieces(lam @ lam.T, 1.0)
        rvr = max(float(yVy - XVy @ np.linalg.solve(XVX, XVy)), 1e-300)
        dof = self.n - self.p if self.reml else self.n
        s2 = rvr / dof
        dev = dof * (1 + np.log(2 * np.pi * s2)) + logdet_v
        if self.reml:
            dev += np.linalg.slogdet(XVX)[1]
        return float(dev), s2

    def optimise(self) -> tuple[np.ndarray, bool]:
        """Minimise the profiled deviance over Lambda (diagonal >= 0), from Lambda = I as lme4
        does. Returns (phi, converged)."""
        diag = {i for i, (r, c) in enumerate(zip(*self.tril)) if r == c}
        start = np.array([1.0 if i in diag else 0.0 for i in range(len(self.tril[0]))])
        bounds = [(0.0, None) if i in diag else (None, None) for i in range(len(start))]
        best = None
        for x0 in (start, 0.1 * start):
            res = optimize.minimize(
                lambda t: self.profiled(t)[0],
                x0,
                method="L-BFGS-B",
                bounds=bounds,
                options={"ftol": 1e-13, "gtol": 1e-8, "maxiter": 500},
            )
            if best is None or res.fun < best.fun - 1e-9:
                best = res
            if res.success:
                break
        s2 = self.profiled(best.x)[1]
        return np.r_[best.x, np.sqrt(s2)], bool(best.success)

    def cov_beta(self, phi) -> np.ndarray:
        G, s2 = self.split(phi)
        return np.linalg.inv(self.pieces(G, s2)[0])

    def steps(self, phi):
        # Lambda entries are relative to sigma (dimensionless); sigma carries the data's scale
        h = 1e-4 * np.maximum(np.abs(phi), 1e-2)
        h[-1] = 1e-4 * abs(phi[-1])
        return h

    def hessian(self, phi) -> np.ndarray:
        k = len(phi)
        h = self.steps(phi)
        f0 = self.deviance(phi)
        H = np.zeros((k, k))
        for i in range(k):
            ei = np.zeros(k)
            ei[i] = h[i]
            H[i, i] = (self.deviance(phi + ei) - 2 * f0 + self.deviance(phi - ei)) / h[i] ** 2
            for j in range(i):
                ej = np.zeros(k)
                ej[j] = h[j]
                H[i, j] = H[j, i] = (
                    self.deviance(phi + ei + ej)
                    - self.deviance(phi + ei - ej)
                    - self.deviance(phi - ei + ej)
                    + self.deviance(phi - ei - ej)
                ) / (4 * h[i] * h[j])
        return H

    def cov_gradient(self, phi) -> np.ndarray:
        """d cov(beta) / d phi_k, shape (k, p, p), by central differences."""
        h = self.steps(phi)
        out = np.empty((len(phi), self.p, self.p))
        for i in range(len(phi)):
            e = np.zeros(len(phi))
            e[i] = h[i]
            out[i] = (self.cov_beta(phi + e) - self.cov_beta(phi - e)) / (2 * h[i])
        return out


@dataclass(frozen=True, eq=False)
class _LMM:
    """A fitted model with everything needed for contrasts (private)."""

    fit: object
    names: tuple
    re_names: tuple
    beta: np.ndarray
    cov: np.ndarray
    G: np.ndarray
    s2: float
    criterion: float
    converged: bool
    messages: tuple
    df_method: str
    _A: np.ndarray | None  # asymptotic covariance of phi (2 H^-1); None for Wald
    _dcov: np.ndarray | None

    def cov_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.cov, index=list(self.names), columns=list(self.names))

    def params(self) -> pd.Series:
        return pd.Series(self.beta, index=list(self.names))

    def contrast(self, L) -> tuple[float, float, float]:
        """Estimate, SE and df of ``L @ beta``."""
        L = np.asarray(L, float)
        est = float(L @ self.beta)
        var = float(L @ self.cov @ L)
        se = float(np.sqrt(max(var, 0.0)))
        if self._A is None:
            return est, se, np.inf
        g = np.einsum("p,kpq,q->k", L, self._dcov, L)
        denom = float(g @ self._A @ g)
        df = 2 * var**2 / denom if denom > 0 else np.inf
        return est, se, float(df)

    def tidy(self, conf_level: float, rename: dict | None = None) -> pd.DataFrame:
        rows = []
        for i, name in enumerate(self.names):
            L = np.zeros(len(self.names))
            L[i] = 1.0
            rows.append((name, *self.contrast(L)))
        return _tidy_rows(rows, conf_level, rename)


def _tidy_rows(rows, conf_level, rename=None) -> pd.DataFrame:
    term, est, se, df = (list(c) for c in zip(*rows)) if rows else ([], [], [], [])
    est, se, df = np.array(est, float), np.array(se, float), np.array(df, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = est / se
    finite = np.isfinite(df)
    p = np.where(
        finite,
        2 * stats.t.sf(np.abs(stat), np.where(finite, df, 1.0)),
        2 * stats.norm.sf(np.abs(stat)),
    )
    lo, hi = np.empty_like(est), np.empty_like(est)
    for i in range(len(est)):
        lo[i], hi[i] = ci_from_se(est[i], se[i], conf_level, df[i] if finite[i] else None)
    rename = rename or {}
    return pd.DataFrame(
        {
            "term": [rename.get(t, t) for t in term],
            "estimate": est,
            "std_error": se,
            "statistic": stat,
            "df": df,
            "p_value": p,
            "conf_low": lo,
            "conf_high": hi,
        }
    )[TIDY_COLUMNS]


_KNOWN = [
    (
        r"optimization failed|failed to converge|did not converge|Retrying",
        "The optimiser had trouble converging ({orig}). Estimates may be unreliable: try "
        "rescaling predictors (e.g. hormone in SD units), dropping the random slope "
        "(random_slopes=False), or collecting more observations per person.",
    ),
    (
        r"boundary|singular",
        "statsmodels reports a boundary/singular fit ({orig}): a random-effect variance is "
        "(near) zero or a correlation is (near) +-1, so the data do not support that part of "
        "the random-effects structure. Consider a simpler one (random_slopes=False) or more "
        "data per person.",
    ),
    (
        r"Hessian",
        "statsmodels could not invert the Hessian ({orig}); standard errors of the variance "
        "parameters are unavailable. Rescale predictors or simplify the random effects.",
    ),
]


def _plain(message: str) -> str:
    for pattern, text in _KNOWN:
        if re.search(pattern, message, flags=re.IGNORECASE):
            return text.format(orig=message.strip().rstrip("."))
    return f"statsmodels warned: {message.strip()}"


def _fit_lmm(
    y: np.ndarray,
    X: pd.DataFrame,
    Z: pd.DataFrame,
    codes: np.ndarray,
    *,
    reml: bool = True,
    df_method: str = "satterthwaite",
    what: str = "mixed model",
) -> _LMM:
    if df_method not in ("satterthwaite", "wald"):
        raise ModelError(f"df_method must be 'satterthwaite' or 'wald', got {df_method!r}")
    Xa = X.to_numpy(float)
    Za = Z.to_numpy(float)
    rank = np.linalg.matrix_rank(Xa)
    if rank < Xa.shape[1]:
        raise ModelError(
            f"The fixed-effect design of the {what} is rank deficient (rank {rank} of "
            f"{Xa.shape[1]} columns: {', '.join(X.columns)}): a predictor is constant or a "
            "linear combination of others (e.g. a between-person variable that is also the "
            "person mean)."
        )
    if len(y) <= Xa.shape[1]:
        raise ModelError(f"Too few rows ({len(y)}) for the {what} with {Xa.shape[1]} terms.")
    messages: list[str] = []
    eng = _Engine(y, Xa, Za, codes, reml)
    # Our own profiled-deviance optimum (lme4's parameterisation) gives statsmodels a start near
    # the optimum; statsmodels' default chain from the identity start fails on some ordinary
    # data sets (bfgs stops early and the retries start from its bad point).
    phi0, own_ok = eng.optimise()
    # statsmodels cannot start from an exactly singular factor: lift zero diagonals a little
    start = np.asarray(phi0[:-1], float).copy()
    diag_pos = [i for i, (r, c) in enumerate(zip(*eng.tril)) if r == c]
    start[diag_pos] = np.maximum(start[diag_pos], 1e-2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = MixedLM(y, Xa, groups=codes, exog_re=Za)
        try:
            fit = model.fit(reml=reml, start_params=start, method=["lbfgs", "bfgs", "cg"])
        except (np.linalg.LinAlgError, ValueError) as exc:
            # last resort: statsmodels' own default start and optimiser chain
            warnings.warn(f"statsmodels failed from our start values ({exc})", stacklevel=2)
            fit = model.fit(reml=reml)
    sm_msgs = []
    for w in caught:
        text = _plain(str(w.message))
        if text not in sm_msgs:
            sm_msgs.append(text)
    G = np.asarray(fit.cov_re, float).reshape(Za.shape[1], Za.shape[1])
    s2 = float(fit.scale)
    phi = eng.phi_from(G, s2)
    sm_dev, own_dev = eng.deviance(phi), eng.deviance(phi0)
    converged = bool(getattr(fit, "converged", True))
    if own_ok and own_dev < sm_dev - 1e-6 * max(1.0, abs(own_dev)):
        # statsmodels stopped short of the optimum: keep our estimates and say so
        phi = phi0
        messages.append(
            "statsmodels' optimiser stopped short of the REML optimum "
            f"(deviance {sm_dev:.4f} vs {own_dev:.4f}); the reported variance components, "
            "fixed effects and SEs are at the better optimum, while .fit holds statsmodels' "
            "own result."
        )
        converged = True
    else:
        messages.extend(sm_msgs)
    G, s2 = eng.split(phi)  # the PSD projection actually used
    cov = eng.cov_beta(phi)
    XVX, XVy, _, _ = eng.pieces(G, s2)
    beta = np.linalg.solve(XVX, XVy)  # GLS at the variance estimates (= statsmodels' fe_params)
    crit = eng.deviance(phi)
    # lme4-style boundary checks (isSingular: relative Cholesky diagonal < 1e-4)
    lam = _psd_cholesky(G / s2)
    re_names = tuple(Z.columns)
    for j, nm in enumerate(re_names):
        if lam[j, j] < 1e-4:
            messages.append(
                f"Singular (boundary) fit: the random-effect variance of {nm!r} is estimated "
                "at zero given the others, so the data cannot separate it from the residual. "
                "Consider random_slopes=False (random intercept only), or more observations "
                "per person."
            )
            break
    sd = np.sqrt(np.clip(np.diag(G), 0, None))
    for i in range(len(re_names)):
        for j in range(i):
            if sd[i] > 0 and sd[j] > 0 and abs(G[i, j] / (sd[i] * sd[j])) > 0.99:
                messages.append(
                    f"Boundary fit: the correlation of the random {re_names[j]!r} and "
                    f"{re_names[i]!r} effects is estimated at +-1. Consider "
                    "random_slopes=False or rescaling the predictor."
                )
    if not converged:
        messages.append(
            "The model did not converge: estimates are not trustworthy. Try rescaling "
            "predictors, random_slopes=False, or more data."
        )
    messages = list(dict.fromkeys(messages))
    for msg in messages:
        warnings.warn(f"{what}: {msg}", MixedModelWarning, stacklevel=3)
    A = dcov = None
    method = WALD
    if df_method == "satterthwaite":
        H = eng.hessian(phi)
        try:
            A = 2 * np.linalg.pinv(H)
        except np.linalg.LinAlgError:  # pragma: no cover - pinv rarely fails
            A = None
        dcov = eng.cov_gradient(phi)
        method = SATTERTHWAITE
    return _LMM(
        fit=fit,
        names=tuple(X.columns),
        re_names=re_names,
        beta=beta,
        cov=cov,
        G=G,
        s2=s2,
        criterion=crit,
        converged=converged,
        messages=tuple(messages),
        df_method=method if A is not None else WALD,
        _A=A,
        _dcov=dcov,
    )


def _variance_components(lmm: _LMM, group: str, rename: dict | None = None) -> pd.DataFrame:
    rename = rename or {}
    names = [rename.get(n, n) for n in lmm.re_names]
    G = lmm.G
    sd = np.sqrt(np.clip(np.diag(G), 0, None))
    rows = []
    for i, n in enumerate(names):
        rows.append((group, n, float(G[i, i]), float(sd[i]), np.nan))
    for i in range(len(names)):
        for j in range(i):
            r = G[i, j] / (sd[i] * sd[j]) if sd[i] > 0 and sd[j] > 0 else np.nan
            rows.append((group, f"{names[j]}~{names[i]}", float(G[i, j]), np.nan, float(r)))
    rows.append(("residual", "residual", lmm.s2, float(np.sqrt(lmm.s2)), np.nan))
    return pd.DataFrame(rows, columns=["group", "term", "variance", "sd", "correlation"])


def _null_icc(y: np.ndarray, codes: np.ndarray) -> tuple[float, float, float]:
    """ICC of the unconditional random-intercept model ``y ~ 1 + (1 | subject)`` by REML.

    Returns (icc, intercept variance, residual variance). One-dimensional profile REML over the
    relative SD ``lambda = tau / sigma`` (lme4's parameterisation).
    """
    eng = _Engine(y, np.ones((len(y), 1)), np.ones((len(y), 1)), codes, reml=True)

    def dev(t):
        lam = t / (1 - t)
        XVX, XVy, yVy, logdet_v = eng.pieces(np.array([[lam**2]]), 1.0)
        s2 = (yVy - XVy @ np.linalg.solve(XVX, XVy)) / (eng.n - 1)
        return (eng.n - 1) * (np.log(2 * np.pi * s2) + 1) + logdet_v + np.linalg.slogdet(XVX)[1]

    res = optimize.minimize_scalar(
        dev, bounds=(0.0, 1 - 1e-9), method="bounded", options={"xatol": 1e-10}
    )
    t = res.x if dev(res.x) <= dev(0.0) else 0.0
    lam = t / (1 - t)
    XVX, XVy, yVy, _ = eng.pieces(np.array([[lam**2]]), 1.0)
    s2 = float((yVy - XVy @ np.linalg.solve(XVX, XVy)) / (eng.n - 1))
    tau = lam**2 * s2
    return tau / (tau + s2), tau, s2


# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class MixedResult:
    """Result of :func:`mixed`.

    Attributes
    ----------
    table : DataFrame
        Fixed effects, tidy (``term, estimate, std_error, statistic, df, p_value, conf_low,
        conf_high``). ``df`` follows :attr:`df_method`.
    variance_components : DataFrame
        ``group, term, variance, sd, correlation``: one row per random effect, one per pair
        (``term`` ``"a~b"``, ``variance`` holds the covariance, ``correlation`` the
        correlation) and the residual.
    icc : float
        Intraclass correlation of ``y`` from the unconditional random-intercept model
        ``y ~ 1 + (1 | subject)`` fitted by REML on the analysed rows: tau00 / (tau00 + sigma^2),
        the share of the outcome's variance that lies between persons.
    fit : statsmodels MixedLMResults
    converged : bool
    warnings : tuple of str
        Plain-language problems (boundary/singular fit, non-convergence) with what to try.
        The same messages are emitted as :class:`MixedModelWarning`.
    n_obs, n_subjects : int
    reml_criterion : float
        -2 x REML log-likelihood at the estimates (lme4's ``REMLcrit``); NaN when ``reml=False``.
    deviance : float
        -2 x log-likelihood (ML) or the REML criterion (REML).
    df_method : str
        How ``df`` was obtained (Satterthwaite as in lmerTest, or Wald z).
    dropped : DataFrame
        Exclusion log of rows dropped for missing values (empty if none).
    """

    table: pd.DataFrame
    variance_components: pd.DataFrame
    icc: float
    fit: object
    converged: bool
    warnings: tuple
    n_obs: int
    n_subjects: int
    reml_criterion: float
    deviance: float
    df_method: str
    dropped: pd.DataFrame
    y: str
    x: str
    m: str | None = None
    conf_level: float = 0.95
    _lmm: _LMM | None = field(default=None, repr=False)
    _x_term: str | None = field(default=None, repr=False)
    _m_mean: float = field(default=0.0, repr=False)
    _m_sd: float = field(default=float("nan"), repr=False)
    _m_range: tuple = field(default=(np.nan, np.nan), repr=False)

    # ---- moderation by a level-2 variable ------------------------------------------------
    def _check_m(self):
        if self.m is None:
            raise ModelError(
                "simple slopes need a between-person moderator: call hs.mixed(..., m='...')."
            )

    def simple_slopes(self, at=None) -> pd.DataFrame:
        """Slope of the within-person part of ``x`` at values of the moderator ``m``.

        ``at`` holds moderator values on its original scale (default: mean - 1 SD, mean,
        mean + 1 SD of the person-level values). Each slope gets its own Satterthwaite df.
        Returns ``m_label, m_value, estimate, std_error, statistic, df, p_value, conf_low,
        conf_high`` (labels "-1 SD", "mean", "+1 SD" by default, as for ``hs.moderation``).
        """
        self._check_m()
        lmm = self._lmm
        if at is None:
            values = [self._m_mean - self._m_sd, self._m_mean, self._m_mean + self._m_sd]
            labels = ["-1 SD", "mean", "+1 SD"]
        else:
            values = list(np.atleast_1d(np.asarray(at, float)))
            labels = [f"{v:g}" for v in values]
        xt, xmt = self._x_term, f"{self._x_term}:{self.m}"
        i, j = lmm.names.index(xt), lmm.names.index(xmt)
        parts = []
        for v in values:
            L = np.zeros(len(lmm.names))
            L[i], L[j] = 1.0, v - self._m_mean
            df = lmm.contrast(L)[2]
            part = slopes_from_cov(
                lmm.params(),
                lmm.cov_frame(),
                x_term=xt,
                xm_term=xmt,
                m_values=[v - self._m_mean],
                df=df if np.isfinite(df) else None,
                conf_level=self.conf_level,
            )
            parts.append(part.assign(m_value=v))
        out = pd.concat(parts, ignore_index=True)
        out.insert(0, "m_label", labels)
        return out

    def johnson_neyman(self, conf_level: float | None = None) -> JohnsonNeyman:
        """Johnson–Neyman region for the within-person slope across ``m`` (original scale).

        Uses one df for the whole range: the smaller Satterthwaite df of the within-person
        slope and of the cross-level interaction (conservative).
        """
        self._check_m()
        lmm = self._lmm
        xt, xmt = self._x_term, f"{self._x_term}:{self.m}"
        dfs = self.table.set_index("term").loc[[xt, xmt], "df"]
        df = float(dfs.min())
        # re-express on the raw moderator scale: slope(w) = (b_x - b_xm * mean) + b_xm * w
        names = list(lmm.names)
        T = np.eye(len(names))
        T[names.index(xt), names.index(xmt)] = -self._m_mean
        params = pd.Series(T @ lmm.beta, index=names)
        cov = pd.DataFrame(T @ lmm.cov @ T.T, index=names, columns=names)
        return johnson_neyman_from_cov(
            params,
            cov,
            x_term=xt,
            xm_term=xmt,
            m_range=self._m_range,
            df=df if np.isfinite(df) else None,
            conf_level=self.conf_level if conf_level is None else conf_level,
            x=xt,
            m=self.m,
        )

    def contrast(self, weights: dict) -> pd.DataFrame:
        """Test a linear combination of fixed effects, e.g. ``{"x_within": 1, "x_between": -1}``
        (within minus between: the contextual effect). Satterthwaite df as in :attr:`table`."""
        names = list(self._lmm.names)
        unknown = [k for k in weights if k not in names]
        if unknown:
            raise ModelError(f"Unknown term(s) {unknown}; terms: {', '.join(names)}")
        L = np.array([float(weights.get(n, 0.0)) for n in names])
        label = " + ".join(f"{w:g}*{k}" for k, w in weights.items())
        return _tidy_rows([(label, *self._lmm.contrast(L))], self.conf_level)

    # ---- display ---------------------------------------------------------------------------
    def _notes(self) -> list[str]:
        notes = [
            f"n = {self.n_obs} observations from {self.n_subjects} subjects; "
            f"REML criterion {self.reml_criterion:.2f}; ICC (null model) {self.icc:.3f}.",
            f"df: {self.df_method}.",
        ]
        if len(self.dropped):
            notes.append(f"{len(self.dropped)} row(s) dropped for missing values (see .dropped).")
        notes.extend(f"WARNING: {w}" for w in self.warnings)
        return notes

    def summary(self) -> str:
        return ResultDisplay.text(
            f"Linear mixed model: {self.y}",
            [("Fixed effects", self.table), ("Random effects", self.variance_components)],
            self._notes(),
        )

    def _repr_html_(self) -> str:
        return ResultDisplay.html(
            f"Linear mixed model: {self.y}",
            [("Fixed effects", self.table), ("Random effects", self.variance_components)],
            self._notes(),
        )


def _person_centre(d: pd.DataFrame, col: str, subject: str) -> tuple[pd.Series, pd.Series]:
    pm = d.groupby(subject, sort=False)[col].transform("mean")
    grand = d.groupby(subject, sort=False)[col].mean().mean()
    return (d[col] - pm).astype(float), (pm - grand).astype(float)


def mixed(
    data: pd.DataFrame,
    *,
    y: str,
    x: str,
    subject: str,
    covariates: Sequence[str] = (),
    m: str | None = None,
    random_slopes: bool = True,
    decompose: bool | Sequence[str] = True,
    conf_level: float = 0.95,
    reml: bool = True,
    df_method: str = "satterthwaite",
) -> MixedResult:
    """Linear mixed model for repeated measures with a within/between split of ``x``.

    Person-mean centring (Curran & Bauer 2011): ``<x>_within`` is the deviation from the
    person's own mean and ``<x>_between`` the person mean centred at the mean of the person
    means (each person counts once). Both enter as fixed effects, so the within-person and
    between-person slopes are estimated separately. Random intercepts per ``subject`` and, if
    ``random_slopes``, a correlated random slope of the within part (unstructured 2x2
    covariance, like lme4's ``(1 + x_within | subject)``).

    Parameters
    ----------
    data : DataFrame
        Long table, one row per observation. Not modified.
    y, x : str
        Outcome and time-varying predictor (numeric).
    subject : str
        Person identifier.
    covariates : sequence of str
        Extra fixed effects; numeric as is, text/categorical as treatment dummies
        (``name[level]``).
    m : str, optional
        Between-person (level-2) moderator, numeric and constant within each person. It is
        centred at the mean of the person-level values and enters with the cross-level
        interaction ``<x>_within:<m>``; see :meth:`MixedResult.simple_slopes` and
        :meth:`MixedResult.johnson_neyman` (Bauer & Curran 2005).
    random_slopes : bool
        Random slope of ``x``'s within part (or of ``x`` if not decomposed).
    decompose : bool or sequence of str
        ``True`` splits ``x``; ``False`` uses ``x`` as is; a sequence names the columns to split
        (``x`` and/or time-varying covariates).
    conf_level : float
    reml : bool
        REML (default) or maximum likelihood (use ML to compare fixed effects by likelihood).
    df_method : {"satterthwaite", "wald"}
        Satterthwaite df as in lmerTest (default) or Wald z tests (df = inf, statsmodels'
        own).

    Returns
    -------
    MixedResult

    Notes
    -----
    Rows with a missing value in any used column are dropped and listed in
    ``result.dropped``. Fixed-effect standard errors are lme4's ``(X' V^-1 X)^-1`` at the REML
    estimates. Problems of the fit are in ``result.warnings`` and emitted as
    :class:`MixedModelWarning`.

    Examples
    --------
    >>> import numpy as np, pandas as pd, hormonestats as hs
    >>> rng = np.random.default_rng(1)
    >>> subj = np.repeat(np.arange(30), 6)
    >>> pm = rng.normal(0, 1, 30)[subj]
    >>> x = pm + rng.normal(0, 1, subj.size)
    >>> yv = 0.6 * (x - pm) - 0.4 * pm + rng.normal(0, 1, 30)[subj] + rng.normal(0, .5, subj.size)
    >>> df = pd.DataFrame({"id": subj, "x": x, "y": yv})
    >>> res = hs.mixed(df, y="y", x="x", subject="id", random_slopes=False)
    >>> res.table["term"].tolist()
    ['Intercept', 'x_within', 'x_between']
    >>> bool(res.table.set_index("term").loc["x_within", "conf_low"] > 0)
    True
    """
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    _require_columns(data, {"y": y, "x": x, "subject": subject, "covariates": covariates, "m": m})
    problems = _numeric_problems(data, [y, x] + ([m] if m else []))
    if isinstance(decompose, bool):
        split = [x] if decompose else []
    else:
        split = [decompose] if isinstance(decompose, str) else list(decompose)
        bad = [c for c in split if c not in [x, *covariates]]
        if bad:
            problems.append(f"decompose names {bad}, which are neither x nor a covariate")
        problems += _numeric_problems(data, [c for c in split if c in data.columns])
    if problems:
        raise DataError("Cannot fit the mixed model: " + "; ".join(problems) + ".")
    d, dropped = _drop_missing(data, [y, x, subject, *covariates, m], "mixed", subject)
    codes, uniq = pd.factorize(d[subject], sort=False)
    n_sub = len(uniq)
    if n_sub < 2:
        raise ModelError(f"Need at least 2 subjects in column {subject!r}; found {n_sub}.")
    cols = {"Intercept": np.ones(len(d))}
    x_term = f"{x}_within" if x in split else x
    for c in [x, *covariates]:
        if c in split:
            w, b = _person_centre(d, c, subject)
            cols[f"{c}_within"] = w.to_numpy()
            cols[f"{c}_between"] = b.to_numpy()
        elif c == x:
            cols[x] = d[x].astype(float).to_numpy()
    X = pd.DataFrame(cols, index=d.index)
    rest = [c for c in covariates if c not in split]
    X = pd.concat([X, _covariate_columns(d, rest)], axis=1)
    m_mean = m_sd = np.nan
    m_range = (np.nan, np.nan)
    if m is not None:
        per = d.groupby(subject, sort=False)[m].agg(["min", "max"])
        varying = per.index[per["min"] != per["max"]].tolist()
        if varying:
            raise DataError(
                f"Moderator {m!r} must be constant within each subject (a level-2 variable); it "
                f"varies within subject(s) {', '.join(map(str, varying[:10]))}"
                + (f" and {len(varying) - 10} more" if len(varying) > 10 else "")
                + ". Use it as x or a covariate instead, or aggregate it per person."
            )
        msub = d.groupby(subject, sort=False)[m].first().astype(float)
        m_mean, m_sd = float(msub.mean()), float(msub.std(ddof=1))
        m_range = (float(msub.min()), float(msub.max()))
        mc = d[m].astype(float).to_numpy() - m_mean
        X[m] = mc
        X[f"{x_term}:{m}"] = X[x_term].to_numpy() * mc
    Zcols = {"Intercept": np.ones(len(d))}
    if random_slopes:
        Zcols[x_term] = X[x_term].to_numpy()
        within_sd = X[x_term].groupby(codes).std(ddof=0)
        if not (within_sd > 0).any():
            raise ModelError(
                f"{x!r} does not vary within any subject, so a random slope cannot be "
                "estimated; use random_slopes=False."
            )
    Z = pd.DataFrame(Zcols, index=d.index)
    yv = d[y].astype(float).to_numpy()
    lmm = _fit_lmm(yv, X, Z, codes, reml=reml, df_method=df_method, what="hs.mixed")
    icc = _null_icc(yv, codes)[0]
    return MixedResult(
        table=lmm.tidy(conf_level),
        variance_components=_variance_components(lmm, subject),
        icc=float(icc),
        fit=lmm.fit,
        converged=lmm.converged,
        warnings=lmm.messages,
        n_obs=len(d),
        n_subjects=n_sub,
        reml_criterion=lmm.criterion if reml else float("nan"),
        deviance=lmm.criterion,
        df_method=lmm.df_method,
        dropped=dropped,
        y=y,
        x=x,
        m=m,
        conf_level=conf_level,
        _lmm=lmm,
        _x_term=x_term,
        _m_mean=m_mean,
        _m_sd=m_sd,
        _m_range=m_range,
    )
