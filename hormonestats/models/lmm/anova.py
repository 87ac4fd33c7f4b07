"""Type-III F tests of the fixed-effect terms of a mixed model, with Satterthwaite or
Kenward–Roger denominator df, as ``lmerTest::anova(model, type = 3, ddf = ...)`` computes them
(Kuznetsova, Brockhoff & Christensen 2017; Kenward–Roger through pbkrtest, Halekoh & Hojsgaard
2014).

The hypothesis of each term follows SAS's type-III construction as lmerTest implements it: the
treatment-coded design ``X`` is related to the "complete" design ``X*`` (every level of every
factor in every term, plus the intercept) by ``L = (X^+ X*)'``; the columns of a term that other
terms contain (``a`` in ``a:b``; a numeric ``x`` in ``x:f``) are made orthogonal to the columns
of the containing terms, highest order first; the rows of the result that belong to ``X``'s own
columns then give each term's contrast matrix. With a single term the type-I (sequential)
contrasts of the Doolittle decomposition of ``X'X`` are used, as lmerTest does.

Multi-df Satterthwaite: the contrast is rotated onto the eigenvectors of its covariance, each
row gets its own Satterthwaite df ``nu_m`` and the F statistic's denominator df is
``2 E / (E - q)`` with ``E = sum nu_m / (nu_m - 2)`` (Fai & Cornelius 1996). Kenward–Roger: the
Wald statistic with the adjusted covariance, scaled, with pbkrtest's df.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ...errors import ModelError
from .kenward_roger import kr_ftest

ANOVA_COLUMNS = ["term", "sum_sq", "mean_sq", "num_df", "den_df", "statistic", "p_value"]


def _complete_columns(frame: pd.DataFrame, term: tuple, levels: dict):
    """Columns of ``~ 0 + term`` in R: every level of every factor (no reference dropped)."""
    acc_c, acc_n = [np.ones(len(frame))], [""]
    for v in term:
        if v in levels:
            s = frame[v].to_numpy()
            pc = [(s == lv).astype(float) for lv in levels[v]]
            pn = [f"{v}[{lv}]" for lv in levels[v]]
        else:
            pc, pn = [frame[v].to_numpy(float)], [v]
        acc_c = [a * b for a in acc_c for b in pc]
        acc_n = [f"{a}:{b}" if a else b for a in acc_n for b in pn]
    return acc_c, acc_n


def _term_map(design) -> dict:
    """Term label -> indices of its columns in ``X`` (the design's column order)."""
    out, j = {}, 1 if design.intercept else 0
    sizes = []
    for t in design.terms:
        n = 1
        for v in t:
            n *= len(design.levels[v]) - 1 if v in design.levels else 1
        sizes.append(n)
    for t, n in zip(design.terms, sizes):
        out[":".join(t)] = list(range(j, j + n))
        j += n
    return out


def _contained_in(term: tuple, other: tuple, levels: dict) -> bool:
    """lmerTest's containment: ``term``'s variables a proper subset of ``other``'s, with the
    same numeric variables."""
    a, b = set(term), set(other)
    num_a = {v for v in a if v not in levels}
    num_b = {v for v in b if v not in levels}
    return a < b and num_a == num_b


def _doolittle_rows(X: np.ndarray) -> np.ndarray:
    """``t(L)`` of the Doolittle decomposition ``X'X = L U`` (unit lower-triangular ``L``),
    entries below 1e-6 in absolute value set to zero (lmerTest's ``doolittle``)."""
    A = X.T @ X
    n = A.shape[0]
    L, U = np.eye(n), np.zeros((n, n))
    eps = 1e-6
    for i in range(n):
        U[i, :] = A[i, :] - L[i, :i] @ U[:i, :]
        for j in range(i + 1, n):
            v = A[j, i] - L[j, :i] @ U[:i, i]
            L[j, i] = 0.0 if abs(U[i, i]) < eps else v / U[i, i]
    L[np.abs(L) < eps] = 0.0
    return L.T


def _zap(a: np.ndarray, digits: int = 7) -> np.ndarray:
    """R's ``zapsmall``: round to ``digits`` significant digits relative to the largest entry."""
    mx = np.max(np.abs(a)) if a.size else 0.0
    if mx == 0 or not np.isfinite(mx):
        return a
    return np.round(a, max(0, digits - int(np.ceil(np.log10(mx)))))


def type3_contrasts(lmm, frame: pd.DataFrame) -> dict:
    """Term label -> contrast matrix (rows x coefficients) of its type-III hypothesis."""
    design = lmm.design
    if design is None:
        raise ModelError("F tests need a model fitted from a formula or the keywords")
    X = design.matrix(frame)
    labels = [":".join(t) for t in design.terms]
    cmap = _term_map(design)
    if X.shape[1] <= 1 or len(labels) <= 1:
        Lt = _doolittle_rows(X)
        return {lab: Lt[cmap[lab]] for lab in labels}
    cols, names = [], []
    if design.intercept:
        cols.append(np.ones(len(frame)))
        names.append("Intercept")
    for t in design.terms:
        c, n = _complete_columns(frame, t, design.levels)
        cols += c
        names += n
    Xc = np.column_stack(cols)
    # X has full column rank (the fit checks it), so X^+ Xc = (X'X)^-1 X'Xc
    L = _zap(np.linalg.solve(X.T @ X, X.T @ Xc).T)  # complete columns x coefficients
    order = sorted(range(len(labels)), key=lambda i: -len(design.terms[i]))
    for i in order:
        contains = [j for j in range(len(labels)) if j != i
                    and _contained_in(design.terms[i], design.terms[j], design.levels)]
        if not contains:
            continue
        B = L[:, [k for j in contains for k in cmap[labels[j]]]]
        Y = L[:, cmap[labels[i]]]
        coef, *_ = np.linalg.lstsq(B, Y, rcond=None)
        L[:, cmap[labels[i]]] = _zap(Y - B @ coef)
    index = {n: r for r, n in enumerate(names)}
    missing = [n for n in design.names if n not in index]
    if missing:  # cannot happen with treatment coding; guard the assumption
        raise ModelError(f"type-III contrasts: no complete column for {missing}")
    Lx = L[[index[n] for n in design.names]]  # p x p
    out = {}
    for lab in labels:
        C = Lx[:, cmap[lab]].T
        out[lab] = C[np.abs(C).sum(axis=1) > 1e-8]
    return out


def _fstat_ddf(nu: np.ndarray, tol: float = 1e-8) -> float:
    if len(nu) == 1:
        return float(nu[0])
    if np.all(np.abs(np.diff(nu)) < tol):
        return float(np.mean(nu))
    if np.any(nu <= 2):
        return 2.0
    E = float(np.sum(nu / (nu - 2)))
    return 2 * E / (E - len(nu))


def _satterthwaite_f(lmm, L: np.ndarray):
    """(F, q, ddf) of ``L beta = 0`` with lmerTest's multi-df Satterthwaite method."""
    VL = L @ lmm.cov @ L.T
    d, P = np.linalg.eigh((VL + VL.T) / 2)
    d, P = d[::-1], P[:, ::-1]
    tol = max(np.sqrt(np.finfo(float).eps) * d[0], 0.0)
    q = int(np.sum(d > tol))
    if q == 0:
        return np.nan, 0, np.nan
    PtL = (P.T @ L)[:q]
    if q == 1:
        est, se, df = lmm.contrast(PtL[0])
        return (est / se) ** 2, 1, df
    t2 = (PtL @ lmm.beta) ** 2 / d[:q]
    nu = np.array([lmm.contrast(row)[2] for row in PtL])
    return float(np.sum(t2) / q), q, _fstat_ddf(nu)


def anova_table(lmm, frame: pd.DataFrame) -> pd.DataFrame:
    """Type-III F test of every fixed-effect term (the intercept excluded).

    The df follow the fit's ``df_method``: Satterthwaite (``F`` from the REML covariance) or
    Kenward–Roger (``F`` from the adjusted covariance, scaled as pbkrtest scales it). Returns
    ``term, sum_sq, mean_sq, num_df, den_df, statistic, p_value`` (``sum_sq`` and ``mean_sq`` as
    lmerTest prints them: ``mean_sq = F sigma^2`` before any Kenward–Roger scaling).
    """
    if lmm._kr is None and lmm._A is None:
        raise ModelError(
            "F tests need Satterthwaite or Kenward-Roger df: refit with "
            "df_method='satterthwaite' or 'kenward-roger' (the model used Wald z tests)."
        )
    rows = []
    for label, L in type3_contrasts(lmm, frame).items():
        if lmm._kr is not None:
            Phi, P, W = lmm._kr
            F_u, scale, q, ddf = kr_ftest(L, Phi, lmm.cov, P, W, lmm.beta)
            F = F_u * scale
        else:
            F, q, ddf = _satterthwaite_f(lmm, L)
            F_u = F
        ms = F_u * lmm.sigma2
        p = float(stats.f.sf(F, q, ddf)) if q > 0 and np.isfinite(F) else np.nan
        rows.append((label, ms * q, ms, q, ddf, F, p))
    return pd.DataFrame(rows, columns=ANOVA_COLUMNS).astype({"num_df": int})
