"""Standard curves of immunoassay plates: 4PL and 5PL log-logistic fits and inverse prediction.

The models are R drc's LL.4 and LL.5 (Ritz et al. 2015, PLoS ONE 10:e0146021)::

    f(x) = c + (d - c) / (1 + exp(b (log x - log e)))^f        (f = 1 for the 4PL)

``c`` and ``d`` are the asymptotes (as drc, ``d > c``; the sign of ``b`` gives the direction: a
competitive ELISA, whose OD falls as the concentration rises, has ``b > 0``), ``e`` the
inflection concentration of the 4PL and ``f`` the asymmetry. Base R's ``SSfpl`` is the same 4PL
on log x with A = c, B = d, xmid = log e, scal = -1/b.

Fitting is (weighted) least squares with :func:`scipy.optimize.least_squares` (Levenberg-
Marquardt) on ``(b, c, d, log e, log f)``; standard errors come from ``s^2 (J'WJ)^-1`` in the
natural parameters, as R ``nls`` reports them. Weights ``"1/y^2"`` (constant CV of the ODs, usual
for plate readers) or ``"1/y"`` use the observed ODs, like ``nls(weights = 1/y^2)``. ``model =
"auto"`` fits both and keeps the smaller AIC (R's ``logLik.nls`` likelihood, so the values match
R's ``AIC``).

Inverse prediction (back-calculation) uses the delta method on log concentration, including both
the reading's own variance (``s^2 / w(y)``) and the curve's parameter covariance, as the Wald
interval of calibration (Greenwell & Schubert Kabban 2014, R Journal 6:90). Quantification
limits follow the FDA (2018) Bioanalytical Method Validation guidance: LLOQ and ULOQ are the
lowest and highest standards whose back-calculated mean recovers 80-120% of nominal with a CV of
at most 20%. The LOD is the blank (zero-standard) mean moved 3 SD towards higher concentration,
mapped through the curve.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..display import ResultDisplay
from ..errors import ModelError

__all__ = ["MODELS", "StandardCurve", "fit_standard_curve", "fit_standard_curves", "ll5"]

MODELS = ("4pl", "5pl", "auto")
_WEIGHTS = {None: 0.0, "1/y": 1.0, "1/y^2": 2.0, "1/y2": 2.0}
PARAMS = ("b", "c", "d", "e", "f")


def ll5(x, b, c, d, e, f=1.0):
    """drc's LL.5 curve at concentrations ``x`` (``f = 1`` gives the LL.4).

    >>> float(ll5(4.0, b=1.0, c=0.1, d=2.1, e=4.0))
    1.1
    """
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        z = np.exp(b * (np.log(x) - math.log(e)))
    return c + (d - c) / (1.0 + z) ** f


def _jacobian(x, b, c, d, e, f) -> np.ndarray:
    """d f(x) / d(b, c, d, e, f), one row per x."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        u = np.log(x) - math.log(e)
        z = np.exp(b * u)
        g = (1.0 + z) ** (-f)
        dz = (d - c) * (-f) * (1.0 + z) ** (-f - 1.0)
        uz = np.where(z == 0, 0.0, u * z)
        jb = dz * uz
        je = dz * np.where(z == 0, 0.0, -b * z / e)
        jf = np.where(np.isfinite(z), (d - c) * g * -np.log1p(z), 0.0)
    return np.column_stack([jb, 1.0 - g, g, je, jf])


def _inverse(y, b, c, d, e, f):
    """Concentration giving OD ``y``; NaN where ``y`` is outside the asymptotes."""
    y = np.asarray(y, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        h = (d - c) / (y - c)
        q = h ** (1.0 / f) - 1.0
        x = e * q ** (1.0 / b)
    return np.where((h > 1) & np.isfinite(x) & (x > 0), x, np.nan)


def _inverse_gradient(y, b, c, d, e, f):
    """d log x / d(b, c, d, e, f) and d log x / d y at each ``y`` (NaN outside the curve)."""
    y = np.asarray(y, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        h = (d - c) / (y - c)
        hf = h ** (1.0 / f)
        q = hf - 1.0
        dq_dh = hf / (f * h)
        k = 1.0 / (b * q)
        g_b = -np.log(q) / b**2
        g_c = k * dq_dh * (d - y) / (y - c) ** 2
        g_d = k * dq_dh / (y - c)
        g_e = np.full_like(y, 1.0 / e)
        g_f = k * hf * np.log(h) * (-1.0 / f**2)
        g_y = k * dq_dh * (-(d - c) / (y - c) ** 2)
    return np.column_stack([g_b, g_c, g_d, g_e, g_f]), g_y


# ----------------------------------------------------------------------------------- fitting
def _weights(y: np.ndarray, weights) -> tuple[np.ndarray, float]:
    if weights not in _WEIGHTS:
        raise ModelError(f"fit_standard_curve: weights {weights!r} is unknown; allowed: None, "
                         "'1/y', '1/y^2'")
    power = _WEIGHTS[weights]
    if power and np.any(y <= 0):
        raise ModelError(f"fit_standard_curve: weights {weights!r} need positive ODs")
    return y ** -power, power


def _start(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """4PL starting values (b, c, d, log e) from the standards' means (d: low-dose side)."""
    levels = np.unique(x)
    means = np.array([y[x == v].mean() for v in levels])
    span = means[0] - means[-1]
    d0 = means[0] + 0.05 * span
    c0 = means[-1] - 0.05 * span
    p = np.clip((means - c0) / (d0 - c0), 0.02, 0.98)
    slope, intercept = np.polyfit(np.log(levels), np.log(1.0 / p - 1.0), 1)
    b0 = slope if abs(slope) > 1e-3 else 1.0
    return np.array([b0, c0, d0, -intercept / b0])


def _least_squares(x, y, sw, theta0, five: bool):
    from scipy.optimize import least_squares

    def unpack(t):
        b, c, d, loge = t[:4]
        return b, c, d, math.exp(loge), (math.exp(t[4]) if five else 1.0)

    def resid(t):
        return sw * (y - ll5(x, *unpack(t)))

    def jac(t):
        b, c, d, e, f = unpack(t)
        j = _jacobian(x, b, c, d, e, f)
        j[:, 3] *= e
        j[:, 4] *= f
        cols = [0, 1, 2, 3, 4] if five else [0, 1, 2, 3]
        return -sw[:, None] * j[:, cols]

    with np.errstate(all="ignore"):
        sol = least_squares(resid, theta0, jac=jac, method="lm", xtol=1e-14, ftol=1e-14,
                            gtol=1e-14, max_nfev=20000)
    return sol, unpack(sol.x)


def _fit_one(x, y, w, model: str):
    """Best fit of one model: (params dict, rss, converged); tries both asymmetry sides."""
    sw = np.sqrt(w)
    s0 = _start(x, y)
    best = None
    five = model == "5pl"
    starts = [s0]
    if five:
        flipped = np.array([-s0[0], s0[2], s0[1], s0[3]])  # the same 4PL, other side as d
        starts = [np.append(s0, 0.0), np.append(flipped, 0.0)]
    for t0 in starts:
        sol, (b, c, d, e, f) = _least_squares(x, y, sw, t0, five)
        rss = float(np.sum(sol.fun**2))
        if np.isfinite(rss) and (best is None or rss < best[1] - 1e-12 * max(rss, 1e-300)):
            best = ({"b": float(b), "c": float(c), "d": float(d), "e": float(e),
                     "f": float(f)}, rss, bool(sol.success))
    params = best[0]
    if not five and params["c"] > params["d"]:  # drc's convention: d is the upper asymptote
        params = {**params, "b": -params["b"], "c": params["d"], "d": params["c"]}
    return params, best[1], best[2]


@dataclass(frozen=True)
class StandardCurve:
    """A fitted standard curve of one plate (see :func:`fit_standard_curve`)."""

    plate_id: str
    model: str
    weights: str | None
    params: dict
    cov: np.ndarray = field(repr=False)
    sigma: float
    df: int
    aic: float
    choice: str
    table: pd.DataFrame = field(repr=False)
    residuals: pd.DataFrame = field(repr=False)
    recovery: pd.DataFrame = field(repr=False)
    lloq: float
    uloq: float
    lod: float
    lod_rule: str
    blanks: dict = field(repr=False)
    standards_range: tuple = ()
    converged: bool = True
    conf_level: float = 0.95
    weight_power: float = 0.0
    problems: tuple[str, ...] = ()

    # ---------------------------------------------------------------- prediction
    def _p(self):
        return tuple(self.params[k] for k in PARAMS)

    @property
    def increasing(self) -> bool:
        """True when the OD rises with the concentration (sandwich assays)."""
        return (self.params["c"] - self.params["d"]) * self.params["b"] > 0

    def predict(self, concentration) -> np.ndarray:
        """Expected OD at ``concentration`` (in the standards' unit)."""
        return ll5(concentration, *self._p())

    def inverse(self, od) -> np.ndarray:
        """Back-calculated concentration for each OD (NaN outside the curve's asymptotes)."""
        return _inverse(od, *self._p())

    def back_calculate(self, od, *, dilution=1.0, conf_level: float | None = None
                       ) -> pd.DataFrame:
        """Concentrations with delta-method intervals and range flags for each OD.

        ``concentration`` = curve concentration x ``dilution``. ``std_error`` is from the delta
        method on log concentration (reading variance ``s^2 / w(od)`` plus the parameter
        covariance); ``conf_low``/``conf_high`` are ``exp(log x -/+ t * se(log x))``.
        ``flag`` is ``below_curve`` / ``above_curve`` (OD beyond an asymptote: no estimate),
        ``below_lod``, ``below_lloq``, ``above_uloq`` or ``ok``; limits scale with dilution.
        """
        from scipy import stats

        level = self.conf_level if conf_level is None else conf_level
        od = np.atleast_1d(np.asarray(od, dtype=float))
        dil = np.broadcast_to(np.asarray(dilution, dtype=float), od.shape)
        x = self.inverse(od)
        grad, g_y = _inverse_gradient(od, *self._p())
        names = [k for k in PARAMS if self.model == "5pl" or k != "f"]
        idx = [PARAMS.index(k) for k in names]
        g = grad[:, idx]
        var_param = np.einsum("ij,jk,ik->i", g, self.cov, g)
        var_y = self.sigma**2 * np.where(od > 0, od, np.nan) ** self.weight_power
        se_log = np.sqrt(var_param + g_y**2 * var_y)
        tq = stats.t.ppf(0.5 + level / 2, self.df)
        conc = x * dil
        out = pd.DataFrame({
            "od": od,
            "dilution": dil,
            "concentration": conc,
            "std_error": conc * se_log,
            "conf_low": conc * np.exp(-tq * se_log),
            "conf_high": conc * np.exp(tq * se_log),
        })
        # an OD beyond the zero-dose asymptote (d when b > 0, else c) is "below the curve"
        zero_side = self.params["d"] if self.params["b"] > 0 else self.params["c"]
        beyond_zero = (od <= zero_side) if self.increasing else (od >= zero_side)
        flag = np.where(np.isnan(x), np.where(beyond_zero, "below_curve", "above_curve"), "ok")
        flag = flag.astype(object)
        ok = flag == "ok"
        for name, limit, below in (("above_uloq", self.uloq, False),
                                   ("below_lloq", self.lloq, True),
                                   ("below_lod", self.lod, True)):
            lim = limit * dil
            hit = ok & ((x * dil < lim) if below else (x * dil > lim))
            flag = np.where(hit & np.isfinite(lim), name, flag)
        if not self.converged:  # a number from a curve that did not converge is not "ok"
            flag = np.where(np.isin(flag, ["below_curve", "above_curve"]), flag,
                            "curve_not_converged")
        elif not (np.isfinite(self.lloq) or np.isfinite(self.uloq)):
            flag = np.where(flag == "ok", "no_quantitation_range", flag)
        out["flag"] = flag
        return out

    # ---------------------------------------------------------------- display
    def _notes(self) -> list[str]:
        w = "unweighted" if self.weights is None else f"weights {self.weights}"
        lo, hi = self.standards_range
        return [
            self.choice,
            f"{w} least squares; residual SD {self.sigma:.4g} on {self.df} df; "
            f"standards {lo:g}-{hi:g}",
            f"LLOQ {self.lloq:.4g}, ULOQ {self.uloq:.4g} (back-fit recovery 80-120%, CV <= 20%)",
            f"LOD {self.lod:.4g}: {self.lod_rule}",
            *(f"not converged: {p}" for p in self.problems),
        ]

    def summary(self) -> str:
        return ResultDisplay.text(f"Standard curve, plate {self.plate_id} ({self.model.upper()})",
                                  [("", self.table), ("Standards back-fitted", self.recovery)],
                                  self._notes())

    def _repr_html_(self) -> str:
        return ResultDisplay.html(f"Standard curve, plate {self.plate_id} ({self.model.upper()})",
                                  [("", self.table), ("Standards back-fitted", self.recovery)],
                                  self._notes())

    def __repr__(self) -> str:
        return (f"StandardCurve(plate={self.plate_id!r}, model={self.model!r}, "
                f"lloq={self.lloq:.4g}, uloq={self.uloq:.4g}, lod={self.lod:.4g})")


def _loglik(rss: float, w: np.ndarray) -> float:
    """R ``logLik.nls`` of a (weighted) least-squares fit."""
    n = len(w)
    return -n * (math.log(2 * math.pi) + 1 - math.log(n) - np.sum(np.log(w)) / n
                 + math.log(rss)) / 2


def _curve_from_fit(plate, model, weights, power, params, rss, converged, x, y, w, wells,
                    choice, conf_level, recovery_limits, max_cv, lod_sd, blanks):
    from scipy import stats

    names = [k for k in PARAMS if model == "5pl" or k != "f"]
    n, p = len(x), len(names)
    df = n - p
    s2 = rss / df
    j = _jacobian(x, *(params[k] for k in PARAMS))[:, [PARAMS.index(k) for k in names]]
    jw = j * np.sqrt(w)[:, None]
    try:
        cov = s2 * np.linalg.inv(jw.T @ jw)
    except np.linalg.LinAlgError as err:
        raise ModelError(f"plate {plate!r}: the {model.upper()} standard curve is singular "
                         "(too few distinct standards?)") from err
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    problems = _degenerate(params, dict(zip(names, se)), x)
    if not converged:
        problems = ("the least-squares fit did not converge", *problems)
    converged = not problems
    tq = stats.t.ppf(0.5 + conf_level / 2, df)
    est = np.array([params[k] for k in names])
    table = pd.DataFrame({"term": names, "estimate": est, "std_error": se,
                          "conf_low": est - tq * se, "conf_high": est + tq * se})
    aic = -2 * _loglik(rss, w) + 2 * (p + 1)
    fitted = ll5(x, *(params[k] for k in PARAMS))
    curve = StandardCurve(plate, model, weights, dict(params), cov, math.sqrt(s2), df, aic,
                          choice, table, pd.DataFrame(), pd.DataFrame(), math.nan, math.nan,
                          math.nan, "", blanks, (float(x.min()), float(x.max())), converged,
                          conf_level, power)
    back = curve.inverse(y)
    residuals = pd.DataFrame({
        "well": wells["well"].to_numpy(), "concentration": x, "od": y, "fitted": fitted,
        "residual": y - fitted, "weight": w, "back_calculated": back,
        "recovery_pct": 100 * back / x,
    })
    rec = []
    for conc, grp in residuals.groupby("concentration"):
        vals = grp["back_calculated"]
        mean = vals.mean() if vals.notna().all() else math.nan
        cv = 100 * vals.std(ddof=1) / mean if len(vals) > 1 and np.isfinite(mean) else math.nan
        recov = 100 * mean / conc
        within = bool(np.isfinite(recov) and recovery_limits[0] <= recov <= recovery_limits[1]
                      and (not np.isfinite(cv) or cv <= max_cv))
        rec.append({"concentration": conc, "n": len(vals), "back_calculated": mean,
                    "recovery_pct": recov, "cv_pct": cv, "within_limits": within})
    recovery = pd.DataFrame(rec)
    passing = recovery.loc[recovery["within_limits"], "concentration"]
    lloq = float(passing.min()) if len(passing) else math.nan
    uloq = float(passing.max()) if len(passing) else math.nan
    # LOD: blank mean moved lod_sd SDs towards higher concentration, through the curve
    if blanks["n"] >= 2:
        sign = 1.0 if curve.increasing else -1.0
        od_lod = blanks["mean"] + sign * lod_sd * blanks["sd"]
        lod = float(curve.inverse(od_lod)[()])
        rule = (f"blank mean {blanks['mean']:.4g} {'+' if sign > 0 else '-'} {lod_sd:g} SD "
                f"({blanks['sd']:.3g}, n = {blanks['n']}) = OD {od_lod:.4g} through the curve")
        if not np.isfinite(lod):
            rule += " (beyond the curve's asymptote: no LOD)"
    else:
        lod, rule = math.nan, "fewer than 2 blank wells: no LOD"
    return StandardCurve(plate, model, weights, dict(params), cov, math.sqrt(s2), df, aic,
                         choice, table, residuals, recovery, lloq, uloq, lod, rule, blanks,
                         (float(x.min()), float(x.max())), converged, conf_level, power,
                         problems)


def _degenerate(params: dict, se: dict, x: np.ndarray) -> tuple[str, ...]:
    """Why a fitted curve is not a usable optimum: a parameter without curvature (standard
    error 0 or not finite), the inflection far outside the standards (no interior optimum),
    or a shape parameter at the edge of what the optimiser can reach."""
    problems = []
    flat = [k for k, v in se.items() if not np.isfinite(v) or v <= 1e-12 * max(abs(params[k]),
                                                                                 1e-300)]
    if flat:
        problems.append(f"no curvature in {', '.join(flat)} (standard error "
                        f"{'0' if all(np.isfinite(se[k]) for k in flat) else 'not finite'})")
    lo, hi = float(x.min()), float(x.max())
    if not lo / 1e3 <= params["e"] <= hi * 1e3:
        problems.append(f"the inflection point e = {params['e']:.3g} lies far outside the "
                        f"standards ({lo:g}-{hi:g}): the curve has no interior optimum")
    if not 1e-3 <= params.get("f", 1.0) <= 1e3:
        problems.append(f"the asymmetry f = {params['f']:.3g} is at its bound")
    if abs(params["b"]) > 100:
        problems.append(f"the slope b = {params['b']:.3g} is at its bound (a step, not a "
                        "curve)")
    return tuple(problems)


def _check_standards(plate: str, x: np.ndarray, y: np.ndarray) -> None:
    """Refuse standards no curve can describe: ODs that do not change with concentration, or
    that do not move in one direction as the concentration rises."""
    levels = np.unique(x)
    means = np.array([y[x == v].mean() for v in levels])
    span = float(means.max() - means.min())
    if not np.isfinite(span) or span <= 1e-9 * max(float(np.abs(means).max()), 1e-300):
        raise ModelError(f"plate {plate!r}: the standards' ODs do not change with "
                         f"concentration (mean OD {means[0]:.4g} at every level); no standard "
                         "curve can be fitted. Check the plate's layout and export")
    steps = np.sign(np.diff(means))
    direction = np.sign(means[-1] - means[0])
    wrong = [i for i, s in enumerate(steps) if s != direction]
    if wrong:
        pairs = "; ".join(f"{levels[i]:g} -> {levels[i + 1]:g}: OD {means[i]:.4g} -> "
                          f"{means[i + 1]:.4g}" for i in wrong[:3])
        raise ModelError(
            f"plate {plate!r}: the standards' mean ODs are not monotone in concentration "
            f"({'rising' if direction > 0 else 'falling'} overall, but {pairs}); a standard "
            "curve needs ODs that move one way. Check the standards' positions in the layout "
            "and their concentrations")


def fit_standard_curve(
    wells: pd.DataFrame,
    *,
    model: str = "auto",
    weights: str | None = None,
    plate: str | None = None,
    conf_level: float = 0.95,
    recovery_limits: tuple[float, float] = (80.0, 120.0),
    max_cv: float = 20.0,
    lod_sd: float = 3.0,
) -> StandardCurve:
    """Fit a 4PL or 5PL log-logistic standard curve to one plate's standards.

    Parameters
    ----------
    wells : pandas.DataFrame
        The long well table of :func:`~hormonestats.study.plates.read_plates` (columns
        ``plate_id, well, od, type, concentration``). Wells of type ``standard`` with a positive
        concentration are fitted; ``blank`` wells and zero standards give the LOD.
    model : {"auto", "4pl", "5pl"}
        ``"auto"`` fits both and keeps the smaller AIC (the choice is stated in ``.choice``).
    weights : {None, "1/y", "1/y^2"}
        Weights of the least squares, from the observed ODs.
    plate : str, optional
        The plate to fit when ``wells`` holds several.
    conf_level : float
        Level of the parameter and back-calculation intervals (t quantiles on the residual df).
    recovery_limits, max_cv : LLOQ/ULOQ criteria (FDA 2018): back-fit recovery in %, CV in %.
    lod_sd : float
        SDs of the blanks above their mean (towards higher concentration) that define the LOD.

    Returns
    -------
    StandardCurve
        ``.table`` (term, estimate, std_error, conf_low, conf_high), ``.predict(conc)``,
        ``.inverse(od)``, ``.back_calculate(od, dilution=...)``, ``.lloq``, ``.uloq``, ``.lod``,
        ``.recovery`` (per standard level), ``.residuals`` (per well), ``.aic``, ``.choice``.

    Raises
    ------
    ModelError
        Several plates without ``plate``, too few standards, standards whose ODs do not
        change with concentration or are not monotone in it (the plate is named), or an
        unknown model or weight. A fit that reaches no usable optimum (a parameter without
        curvature, the inflection far outside the standards, a shape parameter at its bound)
        is returned with ``converged`` False and the reasons in ``problems``; its wells are
        flagged ``curve_not_converged`` by :meth:`StandardCurve.back_calculate`.

    Examples
    --------
    >>> import hormonestats as hs
    >>> x = np.repeat([0.3, 0.9, 2.7, 8.1, 24.3, 72.9], 2)
    >>> wells = pd.DataFrame({"plate_id": "P1", "well": [f"A{i}" for i in range(1, 13)],
    ...                       "type": "standard", "concentration": x,
    ...                       "od": ll5(x, 1.1, 0.08, 2.4, 5.0) * (1 + 0.01 * np.tile([1, -1], 6))})
    >>> curve = hs.fit_standard_curve(wells, model="4pl")
    >>> curve.table["term"].tolist()
    ['b', 'c', 'd', 'e']
    >>> round(float(curve.params["e"]), 1)
    5.0
    """
    if model not in MODELS:
        raise ModelError(f"fit_standard_curve: model {model!r} is unknown; allowed: {MODELS}")
    missing = [c for c in ("od", "type", "concentration") if c not in wells.columns]
    if missing:
        raise ModelError(f"fit_standard_curve: the well table lacks {missing}; read the plates "
                         "with a layout (hs.read_plates(..., layout=...))")
    data = wells
    if "plate_id" in wells.columns:
        plates = list(dict.fromkeys(wells["plate_id"]))
        if plate is not None:
            data = wells[wells["plate_id"] == plate]
            if data.empty:
                raise ModelError(f"fit_standard_curve: no plate {plate!r}; plates: {plates}")
        elif len(plates) > 1:
            raise ModelError(f"fit_standard_curve: the wells hold {len(plates)} plates; pass "
                             "plate=... or use fit_standard_curves")
        plate = str(plates[0]) if plate is None else plate
    plate = "plate" if plate is None else str(plate)
    std = data[data["type"].eq("standard") & (data["concentration"] > 0) & data["od"].notna()]
    zero = data[(data["type"].eq("blank") | (data["type"].eq("standard")
                                             & data["concentration"].eq(0))) & data["od"].notna()]
    blanks = {"n": len(zero), "mean": float(zero["od"].mean()) if len(zero) else math.nan,
              "sd": float(zero["od"].std(ddof=1)) if len(zero) > 1 else math.nan}
    x = std["concentration"].to_numpy(float)
    y = std["od"].to_numpy(float)
    w, power = _weights(y, weights)
    need = {"4pl": (5, 4), "5pl": (6, 5), "auto": (5, 4)}[model]
    if len(x) < need[0] or len(np.unique(x)) < need[1]:
        raise ModelError(f"plate {plate!r}: {len(x)} standard wells at {len(np.unique(x))} "
                         f"concentrations; a {model.upper()} curve needs at least {need[0]} "
                         f"wells at {need[1]} concentrations")
    _check_standards(plate, x, y)
    candidates = ["4pl", "5pl"] if model == "auto" else [model]
    if model == "auto" and (len(x) < 7 or len(np.unique(x)) < 5):
        candidates = ["4pl"]
    fits = {m: _fit_one(x, y, w, m) for m in candidates}
    names = {"4pl": 4, "5pl": 5}
    aics = {m: -2 * _loglik(f[1], w) + 2 * (names[m] + 1) for m, f in fits.items()}
    if model == "auto":
        chosen = min(aics, key=aics.get) if len(aics) > 1 else "4pl"
        if len(aics) > 1:
            other = "5pl" if chosen == "4pl" else "4pl"
            choice = (f"{chosen.upper()} chosen by AIC ({aics[chosen]:.2f} vs "
                      f"{other.upper()} {aics[other]:.2f})")
        else:
            choice = "4PL (too few standards to compare with a 5PL by AIC)"
    else:
        chosen, choice = model, f"{model.upper()} as requested"
    params, rss, converged = fits[chosen]
    return _curve_from_fit(plate, chosen, weights, power, params, rss, converged, x, y, w, std,
                           choice, conf_level, recovery_limits, max_cv, lod_sd, blanks)


def fit_standard_curves(wells: pd.DataFrame, **kwargs) -> dict[str, StandardCurve]:
    """One :func:`fit_standard_curve` per plate (same options), keyed by plate id."""
    if "plate_id" not in wells.columns:
        return {"plate": fit_standard_curve(wells, **kwargs)}
    return {str(p): fit_standard_curve(wells, plate=p, **kwargs)
            for p in dict.fromkeys(wells["plate_id"])}
