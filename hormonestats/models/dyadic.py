"""Actor–partner interdependence model (APIM) for couples and other dyads (Kenny, Kashy & Cook
2006), from long-form data: one row per person.

The partner's predictor is attached automatically (``<x>_partner``). Residual nonindependence
within a dyad is modelled by generalised least squares with a 2x2 residual covariance per dyad,
estimated by REML (as ``nlme::gls`` does):

* indistinguishable members: compound symmetry, ``sigma^2 [[1, rho], [rho, 1]]``
  (``corCompSymm(~ 1 | dyad)``). Unlike a random dyad intercept, which can only represent a
  non-negative within-dyad correlation (its variance would sit at zero), ``rho`` may be negative
  (e.g. partners who divide a task between them); it is estimated in (-1, 1).
* distinguishable members (``role`` given): role-specific intercepts, actor and partner slopes
  (and covariate slopes), with role-specific residual SDs and a within-dyad correlation
  (``weights = varIdent(~ 1 | role)``, ``corCompSymm(~ 1 | dyad)``).

Fixed effects are tested with t on N - p df, as ``nlme::gls`` reports them (N persons, p fixed
effects). ``.fit`` is the statsmodels OLS fit of the data whitened by the estimated dyad
covariance, whose coefficients and SEs are the GLS ones.

The partner-to-actor ratio ``k = partner / actor`` (Kenny & Ledermann 2010) is reported with a
delta-method (first-order) standard error and a normal-theory CI; the ratio and its interval are
unreliable when the actor effect is near zero (its CI then spans zero).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import optimize, stats

from ..errors import DataError, ModelError
from ..results import conforms
from ._tidy import tidy_statsmodels
from .lmm.design import covariate_columns as _covariate_columns
from .lmm.design import drop_missing as _drop_missing
from .lmm.design import levels_of as _levels_of
from .lmm.design import require_columns as _require_columns

__all__ = ["ApimResult", "apim"]


@conforms("apim", aliases={"dropped": "excluded"})
@dataclass(frozen=True, eq=False)
class ApimResult:
    """Result of :func:`apim`.

    Attributes
    ----------
    table : DataFrame
        Tidy fixed effects. Indistinguishable: ``Intercept``, ``<x>`` (actor), ``<x>_partner``
        (partner), covariates. Distinguishable: the same with ``[<role level>]`` appended.
    k : DataFrame
        Partner-to-actor ratio per role (``role`` is ``"all"`` for indistinguishable dyads):
        ``role, actor, partner, estimate, std_error, conf_low, conf_high`` (delta method).
    residual : DataFrame
        ``role, sd`` residual SD per role (one row ``"all"`` if indistinguishable).
    rho : float
        Within-dyad residual correlation (may be negative).
    fit : statsmodels OLS results on the whitened data.
    distinguishable : bool
    n_obs, n_dyads : int
    reml_loglik : float
        REML log-likelihood (``nlme::gls``' convention).
    excluded : DataFrame
        Rows dropped for missing values (``dropped`` is the old name).
    """

    table: pd.DataFrame
    k: pd.DataFrame
    residual: pd.DataFrame
    rho: float
    fit: object
    distinguishable: bool
    n_obs: int
    n_dyads: int
    reml_loglik: float
    excluded: pd.DataFrame
    y: str
    x: str
    role_levels: tuple = ()
    conf_level: float = 0.95

    def _notes(self):
        kind = "distinguishable" if self.distinguishable else "indistinguishable"
        notes = [
            f"{self.n_dyads} dyads ({kind}), {self.n_obs} persons; within-dyad residual "
            f"correlation {self.rho:.3f} (compound symmetry, REML; may be negative).",
            "t tests on N - p df as nlme::gls; k = partner/actor with a delta-method CI "
            "(Kenny & Ledermann 2010).",
        ]
        if len(self.excluded):
            notes.append(f"{len(self.excluded)} row(s) dropped for missing values (see .excluded).")
        return notes

    def _tables(self):
        return [
            ("Actor and partner effects", self.table),
            ("Partner-to-actor ratio k", self.k),
            ("Residual SD", self.residual),
        ]

    def _display(self):
        return f"APIM: {self.y}", self._tables(), self._notes()

    def _facts(self):
        return {"y": self.y, "x": self.x, "n_dyads": self.n_dyads,
                "distinguishable": self.distinguishable, "conf_level": self.conf_level}


class _DyadGLS:
    """REML for y = X b + e with a 2x2 residual covariance per complete dyad (1x1 if single)."""

    def __init__(self, y, X, pair_idx, single_idx, single_role, distinguishable):
        self.y, self.X = y, X
        self.pairs = pair_idx  # (D2, 2) row positions, role 0 first if distinguishable
        self.singles = single_idx
        self.single_role = single_role  # 0/1 role index of singles (0 if indistinguishable)
        self.dist = distinguishable
        self.n, self.p = X.shape

    def R(self, psi):
        rho = np.tanh(psi[0])
        delta = np.exp(psi[1]) if self.dist else 1.0
        return np.array([[1.0, rho * delta], [rho * delta, delta**2]]), delta

    def whiten(self, psi):
        R, delta = self.R(psi)
        L = np.linalg.cholesky(R)
        Linv = np.linalg.inv(L)
        yw = np.empty(self.n)
        Xw = np.empty_like(self.X)
        yp, Xp = self.y[self.pairs], self.X[self.pairs]  # (D2,2), (D2,2,p)
        yw[self.pairs] = yp @ Linv.T
        Xw[self.pairs] = np.einsum("ij,djp->dip", Linv, Xp)
        sd = np.where(self.single_role == 1, delta, 1.0)
        yw[self.singles] = self.y[self.singles] / sd
        Xw[self.singles] = self.X[self.singles] / sd[:, None]
        logdet = len(self.pairs) * np.linalg.slogdet(R)[1] + 2 * np.log(sd).sum()
        return yw, Xw, logdet

    def profile(self, psi):
        yw, Xw, logdet = self.whiten(psi)
        XtX = Xw.T @ Xw
        b = np.linalg.solve(XtX, Xw.T @ yw)
        r = yw - Xw @ b
        dof = self.n - self.p
        s2 = float(r @ r) / dof
        dev = dof * (1 + np.log(2 * np.pi * s2)) + logdet + np.linalg.slogdet(XtX)[1]
        return dev, s2

    def optimise(self):
        f = lambda psi: self.profile(psi)[0]  # noqa: E731
        if self.dist:
            best = None
            for start in ([0.0, 0.0], [0.5, 0.0], [-0.5, 0.0]):
                res = optimize.minimize(f, start, method="BFGS", options={"gtol": 1e-9})
                if best is None or res.fun < best.fun:
                    best = res
            return np.asarray(best.x)
        res = optimize.minimize_scalar(
            lambda z: f([z]), bounds=(-8.0, 8.0), method="bounded", options={"xatol": 1e-10}
        )
        return np.array([res.x, 0.0])


def _partner_values(d: pd.DataFrame, x: str, dyad: str) -> pd.Series:
    order = d.sort_values(dyad, kind="stable").index
    vals = d.loc[order, x].to_numpy().reshape(-1, 2)[:, ::-1].ravel()
    return pd.Series(vals, index=order).reindex(d.index)


def apim(
    data: pd.DataFrame,
    *,
    y: str,
    x: str,
    dyad: str,
    role: str | None = None,
    distinguishable: bool | None = None,
    covariates: Sequence[str] = (),
    conf_level: float = 0.95,
) -> ApimResult:
    """Actor–partner interdependence model for long-form dyadic data.

    Parameters
    ----------
    data : DataFrame
        One row per person; each dyad must have exactly two rows. Not modified.
    y, x : str
        Outcome and predictor (numeric). The partner's ``x`` is attached as ``<x>_partner``.
    dyad : str
        Dyad identifier.
    role : str, optional
        Column distinguishing the two members (e.g. ``"man"``/``"woman"``; exactly two
        levels, one of each per dyad).
    distinguishable : bool, optional
        Defaults to ``role is not None``. ``False`` with a role fits the pooled
        (indistinguishable) model.
    covariates : sequence of str
        The person's own covariates (role-specific slopes if distinguishable).
    conf_level : float

    Returns
    -------
    ApimResult

    Examples
    --------
    >>> import numpy as np, pandas as pd, hormonestats as hs
    >>> rng = np.random.default_rng(4)
    >>> xx = rng.normal(size=(80, 2))
    >>> yy = 0.5 * xx + 0.25 * xx[:, ::-1] + rng.normal(size=(80, 2))
    >>> df = pd.DataFrame({"couple": np.repeat(np.arange(80), 2), "x": xx.ravel(),
    ...                    "y": yy.ravel()})
    >>> res = hs.apim(df, y="y", x="x", dyad="couple")
    >>> res.table["term"].tolist()
    ['Intercept', 'x', 'x_partner']
    >>> res.k["role"].tolist()
    ['all']
    """
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    _require_columns(data, {"y": y, "x": x, "dyad": dyad, "role": role, "covariates": covariates})
    if distinguishable is None:
        distinguishable = role is not None
    levels = _checked_roles(data, y=y, x=x, dyad=dyad, role=role,
                            distinguishable=distinguishable)
    xp = f"{x}_partner"
    d = data.copy()
    d[xp] = _partner_values(d, x, dyad)
    d, dropped = _drop_missing(d, [y, x, xp, *covariates], "apim", dyad)
    if len(d) == 0:
        raise ModelError("No complete rows left for the APIM.")
    base = pd.concat(
        [
            pd.DataFrame({"Intercept": 1.0, x: d[x].astype(float), xp: d[xp].astype(float)}),
            _covariate_columns(d, covariates),
        ],
        axis=1,
    )
    if distinguishable:
        ridx = d[role].map({lv: i for i, lv in enumerate(levels)}).to_numpy()
        cols = {}
        for term in base.columns:
            for i, lv in enumerate(levels):
                cols[f"{term}[{lv}]"] = base[term].to_numpy() * (ridx == i)
        X = pd.DataFrame(cols, index=d.index)
    else:
        ridx = np.zeros(len(d), dtype=int)
        X = base
    pos = pd.Series(np.arange(len(d)), index=d.index)
    grp = d.assign(_pos=pos.to_numpy(), _r=ridx).sort_values([dyad, "_r"], kind="stable")
    counts = grp.groupby(dyad, sort=False)["_pos"].transform("size").to_numpy()
    pair_idx = grp["_pos"].to_numpy()[counts == 2].reshape(-1, 2)
    single_idx = grp["_pos"].to_numpy()[counts == 1]
    single_role = ridx[single_idx]
    Xa = X.to_numpy(float)
    if np.linalg.matrix_rank(Xa) < Xa.shape[1]:
        raise ModelError(
            f"The APIM design is rank deficient (columns {', '.join(X.columns)}): a predictor "
            "is constant or duplicates another (e.g. x identical within dyads)."
        )
    yv = d[y].astype(float).to_numpy()
    if len(yv) <= Xa.shape[1]:
        raise ModelError(f"Too few rows ({len(yv)}) for an APIM with {Xa.shape[1]} terms.")
    eng = _DyadGLS(yv, Xa, pair_idx, single_idx, single_role, distinguishable)
    psi = eng.optimise()
    dev, s2 = eng.profile(psi)
    yw, Xw, _ = eng.whiten(psi)
    fit = sm.OLS(yw, pd.DataFrame(Xw, columns=X.columns)).fit()
    table = tidy_statsmodels(fit, conf_level)
    rho = float(np.tanh(psi[0]))
    delta = float(np.exp(psi[1])) if distinguishable else 1.0
    sigma = float(np.sqrt(s2))
    reml_loglik = -dev / 2  # the same convention as nlme::gls' logLik (checked in the tests)
    k_tab = _k_table(fit.params, fit.cov_params(), x, levels if distinguishable else None,
                     conf_level)
    if distinguishable:
        residual = pd.DataFrame({"role": [str(lv) for lv in levels], "sd": [sigma, sigma * delta]})
    else:
        residual = pd.DataFrame({"role": ["all"], "sd": [sigma]})
    return ApimResult(
        table=table,
        k=k_tab,
        residual=residual,
        rho=rho,
        fit=fit,
        distinguishable=bool(distinguishable),
        n_obs=len(d),
        n_dyads=int(d[dyad].nunique()),
        reml_loglik=float(reml_loglik),
        excluded=dropped,
        y=y,
        x=x,
        role_levels=tuple(levels),
        conf_level=conf_level,
    )


def _checked_roles(data, *, y, x, dyad, role, distinguishable) -> list:
    """The two role levels of distinguishable dyads ([] otherwise), after checking that the
    data can be fitted (numeric y and x, two rows per dyad, two roles within each); every
    problem at once in one DataError."""
    problems = []
    for c in (y, x):
        s = data[c]
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            problems.append(f"column {c!r} must be numeric (got {s.dtype})")
    if distinguishable and role is None:
        problems.append("distinguishable=True needs the `role` column that tells members apart")
    na_dyad = data.index[data[dyad].isna()]
    if len(na_dyad):
        problems.append(f"column {dyad!r} is missing in rows {', '.join(map(str, na_dyad[:10]))}")
    sizes = data.loc[data[dyad].notna()].groupby(dyad, sort=True).size()
    bad = sizes[sizes != 2]
    if len(bad):
        shown = ", ".join(
            f"{k} ({v} row{'s' if v != 1 else ''})" for k, v in list(bad.items())[:10]
        )
        more = f" and {len(bad) - 10} more" if len(bad) > 10 else ""
        problems.append(
            f"every dyad must have exactly two members (rows); dyads {shown}{more} do not"
        )
    levels = []
    if distinguishable and role is not None:
        rs = data[role]
        levels = _levels_of(rs.dropna())
        if len(levels) != 2:
            problems.append(
                f"role column {role!r} must have exactly two levels for distinguishable dyads; "
                f"found {len(levels)}: {', '.join(map(str, levels))}"
            )
        if rs.isna().any():
            problems.append(
                f"role column {role!r} is missing in rows "
                f"{', '.join(map(str, data.index[rs.isna()][:10]))}"
            )
        nrole = data.groupby(dyad)[role].nunique()
        same = nrole.index[(nrole < 2) & nrole.index.isin(sizes.index[sizes == 2])].tolist()
        if same:
            problems.append(
                f"in dyads {', '.join(map(str, same[:10]))} both members have the same {role!r}"
            )
    if problems:
        raise DataError("Cannot fit the APIM: " + "; ".join(problems) + ".")
    return levels


def _k_table(params, cov, x: str, levels, conf_level: float) -> pd.DataFrame:
    """Kenny's k (partner / actor effect) with its delta-method interval, per role level
    (``levels`` None: one row for indistinguishable dyads)."""
    xp = f"{x}_partner"
    z = stats.norm.ppf(0.5 + conf_level / 2)
    k_rows = []
    pairs = (
        [(str(lv), f"{x}[{lv}]", f"{xp}[{lv}]") for lv in levels]
        if levels is not None
        else [("all", x, xp)]
    )
    for lab, at, pt in pairs:
        a, p = float(params[at]), float(params[pt])
        k = p / a if a != 0 else np.nan
        var = (
            cov.loc[pt, pt] / a**2 + p**2 * cov.loc[at, at] / a**4 - 2 * p * cov.loc[at, pt] / a**3
        )
        se = float(np.sqrt(var)) if a != 0 else np.nan
        k_rows.append((lab, a, p, k, se, k - z * se, k + z * se))
    return pd.DataFrame(
        k_rows,
        columns=["role", "actor", "partner", "estimate", "std_error", "conf_low", "conf_high"],
    )
