"""Fitting a linear mixed model on the PLS engine and the fitted object (estimates, covariances,
Satterthwaite df, variance components, singular-fit check)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from threadpoolctl import ThreadpoolController

from ...errors import ModelError
from .batch import profiled_many
from .batch import supported as batch_supported
from .design import FixedDesign
from .kenward_roger import kr_df, kr_pieces
from .optimise import satterthwaite_derivatives
from .optimum import FIRST, Optimum, optimise
from .pls import PLSDeviance, ReBlock

SATTERTHWAITE = (
    "Satterthwaite (1946) df computed as in lmerTest (Kuznetsova et al. 2017): numerical "
    "derivatives of each contrast's variance and of the REML deviance with respect to lme4's "
    "variance parameters (theta, sigma); t reference distribution"
)
WALD = "Wald z tests (df = inf); normal reference"
KENWARD_ROGER = (
    "Kenward & Roger (1997) df and bias-adjusted fixed-effect covariance, computed as in "
    "pbkrtest (Halekoh & Hojsgaard 2014); t reference distribution"
)
SERIAL_DF = (
    "; with the residual correlation's phi among the variance parameters (its uncertainty "
    "enters the df)"
)
DF_METHODS = ("satterthwaite", "kenward-roger", "wald")
SINGULAR_TOL = 1e-4  # lme4's isSingular(tol = 1e-4)


class MixedModelWarning(UserWarning):
    """A mixed model fitted, but with a problem the researcher must know about (boundary fit,
    non-convergence). The same message is kept on the result's ``warnings``."""


@dataclass(frozen=True, eq=False)
class LMMFit:
    """A fitted linear mixed model (the engine's own fit object).

    ``theta`` is lme4's relative covariance factor parameter (term by term, lower triangle by
    column), ``sigma2`` the residual variance, ``criterion`` the REML criterion (``reml=True``) or
    ML deviance, ``covs`` the random-effect covariance matrix of each term. ``optimiser`` says in
    words which optimiser runs were made (restarts from a boundary or a failed check) and which
    won; ``attempts`` holds (run, criterion) of each; ``converged`` means the optimum passed the
    gradient, Hessian and boundary checks (:mod:`.optimum`).
    """

    names: tuple
    blocks: tuple  # (group, term names, correlated) per random-effect term
    beta: np.ndarray
    cov: np.ndarray
    theta: np.ndarray
    sigma2: float
    covs: tuple
    criterion: float
    reml: bool
    converged: bool
    singular: bool
    messages: tuple
    df_method: str
    n_obs: int
    n_levels: dict
    design: FixedDesign | None = None
    optimiser: str = ""
    attempts: tuple = ()
    _codes0: np.ndarray | None = field(default=None, repr=False)  # first term's levels
    _A: np.ndarray | None = field(default=None, repr=False)
    _dcov: np.ndarray | None = field(default=None, repr=False)
    _kr: tuple | None = field(default=None, repr=False)
    serial: object = None  # SerialFit (:mod:`.serial`) when residuals are AR(1) / CAR(1)

    @property
    def s2(self) -> float:
        return self.sigma2

    @property
    def re_names(self) -> tuple:
        return tuple(n for _, names, _ in self.blocks for n in names)

    @property
    def G(self) -> np.ndarray:
        """Covariance of the first grouping factor's random effects (all its terms)."""
        g0 = self.blocks[0][0]
        mats = [c for (g, _, _), c in zip(self.blocks, self.covs) if g == g0]
        from scipy.linalg import block_diag

        return block_diag(*mats)

    @property
    def n_params(self) -> int:
        return len(self.beta) + len(self.theta) + 1 + (self.serial is not None)

    def cov_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.cov, index=list(self.names), columns=list(self.names))

    def params(self) -> pd.Series:
        return pd.Series(self.beta, index=list(self.names))

    def contrast(self, L) -> tuple[float, float, float]:
        """Estimate, SE and df (Satterthwaite or Kenward-Roger) of ``L @ beta``."""
        L = np.asarray(L, float)
        est = float(L @ self.beta)
        var = float(L @ self.cov @ L)
        se = float(np.sqrt(max(var, 0.0)))
        if self._kr is not None:
            Phi, P, W = self._kr
            return est, se, kr_df(L, Phi, P, W)
        if self._A is None:
            return est, se, np.inf
        g = np.einsum("p,kpq,q->k", L, self._dcov, L)
        denom = float(g @ self._A @ g)
        df = 2 * var**2 / denom if denom > 0 else np.inf
        return est, se, float(df)

    def tidy(self, conf_level: float, rename: dict | None = None) -> pd.DataFrame:
        from .inference import tidy_rows

        se = np.sqrt(np.clip(np.diag(self.cov), 0, None))
        if self._kr is None and self._A is not None:
            # Satterthwaite df of every coefficient at once (contrast() for one L)
            var = np.diag(self.cov)
            g = np.einsum("kpp->pk", self._dcov)
            denom = np.einsum("pk,kl,pl->p", g, self._A, g)
            with np.errstate(divide="ignore", invalid="ignore"):
                df = np.where(denom > 0, 2 * var**2 / denom, np.inf)
        else:
            df = []
            for i in range(len(self.names)):
                L = np.zeros(len(self.names))
                L[i] = 1.0
                df.append(self.contrast(L)[2])
        rows = list(zip(self.names, self.beta, se, df))
        return tidy_rows(rows, conf_level, rename)


def _pinv_sym(H: np.ndarray, tol: float = 1e-8) -> np.ndarray:
    """Moore-Penrose inverse over the eigenvalues above ``tol`` (as lmerTest does)."""
    w, v = np.linalg.eigh((H + H.T) / 2)
    pos = w > tol
    return (v[:, pos] / w[pos]) @ v[:, pos].T


def fit_lmm(
    y: np.ndarray,
    X: np.ndarray,
    names,
    blocks: list[ReBlock],
    *,
    reml: bool = True,
    df_method: str = "satterthwaite",
    what: str = "mixed model",
    design: FixedDesign | None = None,
    serial=None,
) -> LMMFit:
    """Fit by minimising the profiled REML criterion (or ML deviance) over theta (and over the
    residual correlation's phi when ``serial``, a :class:`.serial.Serial`, is given)."""
    if df_method not in DF_METHODS:
        raise ModelError(f"df_method must be one of {DF_METHODS}, got {df_method!r}")
    if serial is not None and df_method == "kenward-roger":
        raise ModelError(
            "Kenward-Roger df are not offered with a residual correlation structure; use "
            "df_method='satterthwaite' (which accounts for phi) or 'wald'."
        )
    names = tuple(names)
    X = np.asarray(X, float)
    y = np.asarray(y, float)
    n, p = X.shape
    rank = np.linalg.matrix_rank(X)
    if rank < p:
        raise ModelError(
            f"The fixed-effect design of the {what} is rank deficient (rank {rank} of "
            f"{p} columns: {', '.join(names)}): a predictor is constant or a "
            "linear combination of others (e.g. a between-person variable that is also the "
            "person mean)."
        )
    if n <= p:
        raise ModelError(f"Too few rows ({n}) for the {what} with {p} terms.")
    # BLAS threads only cost time on these small dense blocks (and on a busy machine)
    small = n * p < 5_000_000
    with _controller().limit(limits=1) if small else _nullcontext():
        if serial is None:
            eng = PLSDeviance(y, X, blocks, reml=reml)
            start = np.where(eng.lower == 0.0, 1.0, 0.0)
            fb = (lambda T: profiled_many(eng, T)) if batch_supported(eng) else None
            opt = optimise(eng.profiled, start, eng.lower, fb=fb)
            theta = opt.x
        else:
            from .serial import optimise_serial

            opt, sdev, eng, sfit = optimise_serial(y, X, blocks, serial, reml)
            theta = opt.x[:-1]
        converged = opt.converged
        eng.precise = True  # estimates and derivatives in extended precision
        crit, s2, beta, U = eng.estimates(theta)
        cov = s2 * U
        A = dcov = None
        method = WALD
        if serial is not None:
            from .serial import finish_serial

            crit += sfit.logdet
            H, dcov, sfit = finish_serial(sdev, theta, s2, sfit)
            if df_method == "satterthwaite":
                A = 2 * _pinv_sym(H)
                method = SATTERTHWAITE + SERIAL_DF
            else:
                dcov = None
        elif df_method == "satterthwaite":
            H, dcov = satterthwaite_derivatives(eng, theta, float(np.sqrt(s2)))
            A = 2 * _pinv_sym(H)
            method = SATTERTHWAITE
    covs = tuple(eng.covariances(theta, s2))
    kr = None
    if df_method == "kenward-roger":
        PhiA, P, W = kr_pieces(X, blocks, covs, float(s2), cov)
        kr = (cov, P, W)
        cov = PhiA
        method = KENWARD_ROGER
    singular = bool(np.any(theta[eng.lower == 0.0] < SINGULAR_TOL))
    messages = _messages(blocks, theta, eng, covs, singular, opt, reml)
    for msg in messages:
        warnings.warn(f"{what}: {msg}", MixedModelWarning, stacklevel=_caller_level())
    return LMMFit(
        names=names,
        blocks=tuple((b.group, b.names, b.correlated) for b in blocks),
        beta=beta,
        cov=cov,
        theta=theta,
        sigma2=float(s2),
        covs=covs,
        criterion=float(crit),
        reml=reml,
        converged=converged,
        singular=singular,
        messages=messages,
        df_method=method,
        n_obs=n,
        n_levels={b.group: b.n_levels for b in blocks},
        design=design,
        optimiser=opt.describe("REML criterion" if reml else "deviance"),
        attempts=opt.attempts,
        _codes0=blocks[0].codes,
        _A=A,
        _dcov=dcov,
        _kr=kr,
        serial=sfit if serial is not None else None,
    )


def _caller_level() -> int:
    """Stack level of the first frame outside hormonestats (so a warning names user code)."""
    import sys

    level, frame = 1, sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").startswith("hormonestats"):
        frame = frame.f_back
        level += 1
    return level


_CONTROLLER: list = []


def _controller() -> ThreadpoolController:
    """One controller per process (building one scans the loaded libraries)."""
    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0]


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _messages(blocks, theta, eng, covs, singular, opt: Optimum, reml: bool) -> tuple:
    msgs = []
    if singular:
        for b, (r, c), sl in zip(blocks, eng.tri, eng.theta_slices):
            lam_diag = theta[sl][r == c]
            zero = [b.names[j] for j in range(b.q) if lam_diag[j] < SINGULAR_TOL]
            if zero:
                msgs.append(
                    f"Singular (boundary) fit: the random-effect variance of {zero[0]!r} "
                    f"(grouping {b.group!r}) is estimated at zero given the others (lme4's "
                    "isSingular rule), so the data cannot separate it from the residual. "
                    "Consider a simpler random-effects structure (e.g. random_slopes=False, a "
                    "random intercept only), or more observations per group."
                )
                break
    for b, cv in zip(blocks, covs):
        sd = np.sqrt(np.clip(np.diag(cv), 0, None))
        for i in range(b.q):
            for j in range(i):
                if sd[i] > 0 and sd[j] > 0 and abs(cv[i, j] / (sd[i] * sd[j])) > 0.99:
                    msgs.append(
                        f"Boundary fit: the correlation of the random {b.names[j]!r} and "
                        f"{b.names[i]!r} effects (grouping {b.group!r}) is estimated at +-1. "
                        "Consider random_slopes=False, uncorrelated terms (x || g) or "
                        "rescaling the predictor."
                    )
    what = "REML criterion" if reml else "deviance"
    first = opt.attempts[0][1]
    if opt.winner != FIRST:
        msgs.append(
            f"The first optimiser run ({FIRST}) stopped at {what} {first:.6f}, which is not "
            f"the optimum; a restart ({opt.winner}) reached {opt.fun:.6f}, and that fit is "
            "reported."
        )
    if not opt.converged:
        msgs.append(
            "The model did not converge"
            + (f" ({opt.check.problem})" if opt.check.problem else "")
            + ": estimates are not trustworthy. Try rescaling predictors, a simpler "
            "random-effects structure, or more data."
        )
    return tuple(dict.fromkeys(msgs))


def variance_components(lmm: LMMFit, group: str | None = None, rename=None) -> pd.DataFrame:
    """``group, term, variance, sd, correlation``: one row per random effect, one per pair
    (``term`` ``"a~b"``, covariance and correlation) and the residual. ``group`` overrides the
    grouping label of a single-factor model (kept for the keyword families)."""
    rename = rename or {}
    rows = []
    for (g, names, _), cv in zip(lmm.blocks, lmm.covs):
        label = group if group is not None and len(lmm.n_levels) == 1 else g
        nm = [rename.get(n, n) for n in names]
        sd = np.sqrt(np.clip(np.diag(cv), 0, None))
        for i, n in enumerate(nm):
            rows.append((label, n, float(cv[i, i]), float(sd[i]), np.nan))
        for i in range(len(nm)):
            for j in range(i):
                r = cv[i, j] / (sd[i] * sd[j]) if sd[i] > 0 and sd[j] > 0 else np.nan
                rows.append((label, f"{nm[j]}~{nm[i]}", float(cv[i, j]), np.nan, float(r)))
    rows.append(("residual", "residual", lmm.sigma2, float(np.sqrt(lmm.sigma2)), np.nan))
    if lmm.serial is not None:  # phi: the correlation of residuals one time unit apart
        rows.append(("residual", lmm.serial.label, np.nan, np.nan, lmm.serial.phi))
    return pd.DataFrame(rows, columns=["group", "term", "variance", "sd", "correlation"])
