"""Serial (AR(1) and continuous-time AR(1)) correlation of the residuals within a group, for the
linear mixed-model engine: nlme's ``corAR1(form = ~ occasion | subject)`` and
``corCAR1(form = ~ time | subject)`` (Pinheiro & Bates 2000, section 5.3).

Within a group, sorted by time, the residuals follow ``e_k = rho_k e_(k-1) + sqrt(1 - rho_k^2)
u_k`` with ``rho_k = phi^(t_k - t_(k-1))`` and ``u`` independent ``N(0, sigma^2)``: the
correlation of two residuals ``d`` time units apart is ``phi^d``. (AR(1) takes integer occasions;
a gap of two occasions gives ``phi^2``, as nlme does when occasions are missing. CAR(1) takes any
times and ``0 <= phi < 1``.) The inverse Cholesky factor of the correlation matrix is therefore
bidiagonal in closed form: the *whitened* rows ``(v_k - rho_k v_(k-1)) / sqrt(1 - rho_k^2)``
(first row of a group unchanged) of ``y``, ``X`` and ``Z`` satisfy a linear mixed model with
independent residuals, and

    deviance(y; theta, phi) = deviance_PLS(whitened y; theta) + sum_k log(1 - rho_k^2).

The whitened ``Z`` keeps the block structure of the engine as long as every random-effect
grouping factor is constant within each correlation group (the correlation group is the
innermost grouping, as nlme requires). ``phi`` is optimised jointly with theta on nlme's
unconstrained scale (AR(1): ``log((1 + phi) / (1 - phi))``; CAR(1): ``log(phi / (1 - phi))``),
with the engine's checks and restarts (:mod:`.optimum`).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ...errors import DataError, ModelError
from .pls import PLSDeviance, ReBlock

KINDS = {"ar1": "AR(1)", "car1": "continuous-time AR(1)"}
_PHI_EDGE = 1 - 1e-10
BOUNDARY_PHI = 1e-6  # a CAR(1) phi below this is on its boundary (independent residuals)


@dataclass(frozen=True)
class Correlation:
    """A residual correlation structure for :func:`hormonestats.mixed`.

    ``kind`` is ``"ar1"`` (equally spaced integer occasions, nlme's ``corAR1``) or ``"car1"``
    (continuous sample times, nlme's ``corCAR1``); ``time`` the column of occasions or times;
    ``group`` the grouping column within which residuals are correlated (default: the grouping
    factor of the model's first random-effect term, the subject).
    """

    kind: str
    time: str
    group: str | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ModelError(f"correlation kind must be one of {tuple(KINDS)}, got {self.kind!r}")

    def describe(self, group: str | None = None) -> str:
        g = group or self.group or "group"
        return f"{KINDS[self.kind]} residual correlation over {self.time} within {g}"


def ar1(occasion: str, group: str | None = None) -> Correlation:
    """AR(1) residual correlation over integer ``occasion`` within ``group`` (nlme's
    ``corAR1(form = ~ occasion | group)``): residuals ``k`` occasions apart correlate ``phi^k``.

    >>> import hormonestats as hs
    >>> hs.ar1("day")
    Correlation(kind='ar1', time='day', group=None)
    """
    return Correlation("ar1", occasion, group)


def car1(time: str, group: str | None = None) -> Correlation:
    """Continuous-time AR(1) residual correlation over ``time`` within ``group`` (nlme's
    ``corCAR1(form = ~ time | group)``): residuals ``d`` time units apart correlate ``phi^d``
    (phi is the correlation at one unit: choose the unit, e.g. hours, accordingly)."""
    return Correlation("car1", time, group)


def as_correlation(obj) -> Correlation | None:
    """``None``, a :class:`Correlation` or text ``"ar1(occasion)"``, ``"car1(time | id)"``."""
    if obj is None or isinstance(obj, Correlation):
        return obj
    if isinstance(obj, str):
        m = re.fullmatch(r"\s*(ar1|car1)\s*\(\s*([^|()]+?)\s*(?:\|\s*([^|()]+?)\s*)?\)\s*", obj)
        if m:
            return Correlation(m.group(1), m.group(2), m.group(3))
    raise ModelError(
        f"correlation must be hs.ar1('occasion'), hs.car1('time') or text such as "
        f"'ar1(occasion)' / 'car1(time | subject)', got {obj!r}"
    )


def to_phi(kind: str, z: float) -> float:
    """phi from nlme's unconstrained parameter (AR(1): ``2 atanh(phi)``; CAR(1): logit)."""
    if kind == "ar1":
        return float(np.tanh(z / 2))
    return float(1 / (1 + np.exp(-z)))


# ---- the transform -------------------------------------------------------------------------------
class Serial:
    """The whitening of one data set: each row's predecessor in time within its group and the
    time gap to it."""

    def __init__(self, corr: Correlation, times: np.ndarray, gcodes: np.ndarray):
        self.corr = corr
        n = len(times)
        order = np.lexsort((times, gcodes))
        g, t = gcodes[order], times[order]
        same = g[1:] == g[:-1]
        self.prev = np.arange(n)
        self.gap = np.zeros(n)
        self.has = np.zeros(n, bool)
        nxt, prv = order[1:][same], order[:-1][same]
        self.prev[nxt] = prv
        self.gap[nxt] = (t[1:] - t[:-1])[same]
        self.has[nxt] = True
        self.n = n
        self.unit = float(np.median(self.gap[self.has])) if self.has.any() else 1.0

    def to_phi(self, z: float) -> float:
        return to_phi(self.corr.kind, z)

    def rho(self, phi: float) -> np.ndarray:
        r = np.zeros(self.n)
        r[self.has] = np.sign(phi) ** self.gap[self.has] * abs(phi) ** self.gap[self.has]
        return r

    def whiten(self, M: np.ndarray, phi: float) -> np.ndarray:
        r = self.rho(phi)
        s = np.sqrt(1 - r * r)
        if M.ndim == 1:
            return (M - r * M[self.prev]) / s
        return (M - r[:, None] * M[self.prev]) / s[:, None]

    def logdet(self, phi: float) -> float:
        r = self.rho(phi)
        return float(np.log1p(-r[self.has] ** 2).sum())


def build_serial(frame: pd.DataFrame, corr: Correlation, blocks: list[ReBlock], what: str):
    """Check the time and group columns and build the :class:`Serial` transform; every problem is
    collected and raised at once."""
    group = corr.group or blocks[0].group
    problems = []
    for arg, col in (("time", corr.time), ("group", group)):
        if col not in frame.columns:
            problems.append(f"the correlation's {arg} column {col!r} is not in the table")
    if problems:
        raise DataError(f"Cannot fit the {what}: " + "; ".join(problems) + ".")
    t = frame[corr.time]
    if not pd.api.types.is_numeric_dtype(t) or pd.api.types.is_bool_dtype(t) or t.isna().any():
        raise DataError(
            f"Cannot fit the {what}: the correlation's time column {corr.time!r} must be numeric "
            "without missing values."
        )
    times = t.to_numpy(float)
    if corr.kind == "ar1":
        bad = np.flatnonzero(times != np.round(times))
        if len(bad):
            raise DataError(
                f"Cannot fit the {what}: AR(1) needs integer occasions in column {corr.time!r}; "
                f"row(s) {', '.join(map(str, frame.index[bad][:10]))} are not integers "
                "(use hs.car1 for continuous sample times)."
            )
    gcodes = pd.factorize(frame[group], sort=True)[0]
    key = pd.DataFrame({"g": gcodes, "t": times})
    dup = key.duplicated(keep=False).to_numpy()
    if dup.any():
        rows = frame.index[dup][:10]
        raise DataError(
            f"Cannot fit the {what}: {corr.time!r} must be unique within each {group!r} for "
            f"the {KINDS[corr.kind]} correlation; repeated at row(s) "
            f"{', '.join(map(str, rows))}."
        )
    ser = Serial(corr, times, gcodes)
    ser.group = group
    for b in blocks:
        if np.any(b.codes[ser.has] != b.codes[ser.prev[ser.has]]):
            raise ModelError(
                f"The random-effect grouping {b.group!r} varies within the correlation group "
                f"{group!r}: the residual correlation must be within the innermost grouping "
                "factor (as in nlme)."
            )
    return ser


def opt_to_phi(kind: str, w: float, unit: float = 1.0) -> float:
    """phi from the optimiser's coordinate: AR(1) ``2 atanh(phi)`` (free); CAR(1)
    ``-log(1 - r)`` with ``r = phi^unit`` the correlation at the median gap ``unit`` (bounded
    below by 0 at phi = 0, so that independence is a boundary the optimum's checks probe, not a
    point at minus infinity, and equally steep whatever the time unit)."""
    if kind == "ar1":
        return float(np.tanh(w / 2))
    return float(max(-np.expm1(-w), 0.0) ** (1 / unit))


def phi_to_opt(kind: str, phi: float, unit: float = 1.0) -> float:
    if kind == "ar1":
        return float(np.log((1 + phi) / (1 - phi)))
    return float(-np.log1p(-(phi**unit)))


class SerialDeviance:
    """Deviance over ``x = (theta, w)`` (``w``: :func:`opt_to_phi`), one whitened engine per
    phi (the last few cached)."""

    def __init__(self, y, X, blocks, ser: Serial, reml: bool):
        self.y, self.X, self.blocks, self.ser, self.reml = y, X, blocks, ser, reml
        self._cache: OrderedDict = OrderedDict()

    def engine(self, phi: float, cache: bool = True):
        phi = float(phi)
        if phi in self._cache:
            self._cache.move_to_end(phi)
            return self._cache[phi]
        if not (abs(phi) < _PHI_EDGE and (phi >= 0 or self.ser.corr.kind == "ar1")):
            return None, np.inf
        w = self.ser.whiten
        blocks = [
            ReBlock(b.group, b.codes, b.n_levels, w(b.Z, phi), b.names, b.correlated)
            for b in self.blocks
        ]
        eng = PLSDeviance(w(self.y, phi), w(self.X, phi), blocks, reml=self.reml)
        out = (eng, self.ser.logdet(phi))
        if cache:
            self._cache[phi] = out
            if len(self._cache) > 12:
                self._cache.popitem(last=False)
        return out

    def _phi(self, w: float) -> float:
        return opt_to_phi(self.ser.corr.kind, w, self.ser.unit)

    def __call__(self, x) -> float:
        x = np.asarray(x, float)
        eng, ld = self.engine(self._phi(x[-1]))
        if eng is None:
            return np.inf
        return eng.profiled(x[:-1]) + ld

    def many(self, xs) -> np.ndarray:
        from .batch import profiled_many, supported

        xs = np.atleast_2d(np.asarray(xs, float))
        out = np.empty(len(xs))
        for w in np.unique(xs[:, -1]):
            rows = np.flatnonzero(xs[:, -1] == w)
            eng, ld = self.engine(self._phi(w))
            if eng is None:
                out[rows] = np.inf
            elif supported(eng):
                out[rows] = profiled_many(eng, xs[rows, :-1]) + ld
            else:
                out[rows] = [eng.profiled(t) + ld for t in xs[rows, :-1]]
        return out

    def deviance_vp(self, v) -> float:
        """Deviance at (theta, sigma, z) with z on nlme's scale (:func:`to_phi`), nothing
        profiled (for the Satterthwaite df and phi's interval)."""
        eng, ld = self.engine(to_phi(self.ser.corr.kind, v[-1]))
        if eng is None:
            return np.inf
        return eng.deviance_vp(v[:-1]) + ld


@dataclass(frozen=True)
class SerialFit:
    """The estimated correlation: ``phi``, its Wald interval on nlme's unconstrained scale
    (``conf_low``, ``conf_high`` at ``conf_level``; NaN when the information matrix is
    singular) and the structure."""

    corr: Correlation
    group: str
    phi: float
    z: float
    se_z: float
    logdet: float

    def interval(self, conf_level: float = 0.95) -> tuple[float, float]:
        if not np.isfinite(self.se_z):
            return np.nan, np.nan
        q = stats.norm.ppf(0.5 + conf_level / 2)
        k = self.corr.kind
        return to_phi(k, self.z - q * self.se_z), to_phi(k, self.z + q * self.se_z)

    @property
    def label(self) -> str:
        return f"phi ({KINDS[self.corr.kind]}, {self.corr.time})"

    def describe(self) -> str:
        return self.corr.describe(self.group)


def serial_derivatives(sd: SerialDeviance, theta, sigma: float, z: float | None,
                       phi: float = 0.0):
    """Hessian of the deviance in (theta, sigma, z) and the Jacobian of the fixed-effect
    covariance ``sigma^2 U(theta, z)``: central differences with one Richardson step (as for the
    model without correlation, :func:`.optimise.satterthwaite_derivatives`). ``z=None``: phi on
    its boundary (CAR(1) at 0), held at ``phi``; derivatives in (theta, sigma) only."""
    from .optimum import fd_grad_hess

    kind = sd.ser.corr.kind
    if z is None:
        eng0, ld0 = sd.engine(phi)
        v0 = np.r_[theta, sigma]

        def dev(v):
            return eng0.deviance_vp(v) + ld0

        def ucov(v):
            return v[-1] ** 2 * eng0.unscaled_cov(v[:-1])
    else:
        v0 = np.r_[theta, sigma, z]
        dev = sd.deviance_vp

        def ucov(v):
            return v[-2] ** 2 * sd.engine(to_phi(kind, v[-1]))[0].unscaled_cov(v[:-2])

    k = len(v0)
    h = 2e-3 * np.maximum(np.abs(v0), 0.05)
    Hs, Js = [], []
    for hh in (h, h / 2):
        Hs.append(fd_grad_hess(dev, v0, hh, central_cross=True)[1])
        J = []
        for i in range(k):
            e = np.zeros(k)
            e[i] = hh[i]
            J.append((ucov(v0 + e) - ucov(v0 - e)) / (2 * hh[i]))
        Js.append(np.array(J))
    return (4 * Hs[1] - Hs[0]) / 3, (4 * Js[1] - Js[0]) / 3


def start_w(sd: SerialDeviance, ser: Serial) -> float:
    """The starting phi (optimiser scale): the best of a few on a grid of the correlation at the
    median time gap (at lme4's start for theta). A fixed start such as nlme's 0.2 lies where the
    deviance is flat when the gaps are many time units (0.2 per minute is 1e-7 at 10 minutes)."""
    kind = ser.corr.kind
    gaps = ser.gap[ser.has]
    if not len(gaps):
        raise ModelError("A residual correlation needs at least two rows in some group.")
    med = float(np.median(gaps))
    if kind == "ar1":
        phis = [-0.5, 0.0, 0.25, 0.5, 0.75, 0.9]
    else:
        phis = [r ** (1 / med) for r in (0.01, 0.25, 0.5, 0.75, 0.9)]
    ws = [phi_to_opt(kind, p, ser.unit) for p in phis]
    eng = sd.engine(phis[0])[0]
    theta0 = np.where(eng.lower == 0.0, 1.0, 0.0)
    vals = [sd(np.r_[theta0, w]) for w in ws]
    return ws[int(np.argmin(vals))]


def optimise_serial(y, X, blocks, ser: Serial, reml: bool):
    """Joint minimisation over (theta, w) with the engine's checks and restarts. Returns the
    :class:`.optimum.Optimum`, the :class:`SerialDeviance`, a fresh whitened engine at the
    optimum and a :class:`SerialFit` (interval still to come: :func:`finish_serial`)."""
    from .optimum import optimise

    sd = SerialDeviance(y, X, blocks, ser, reml)
    kind = ser.corr.kind
    w0 = start_w(sd, ser)
    eng0 = sd.engine(opt_to_phi(kind, w0, ser.unit))[0]
    lower = np.r_[eng0.lower, -np.inf if kind == "ar1" else 0.0]
    start = np.r_[np.where(eng0.lower == 0.0, 1.0, 0.0), w0]
    opt = optimise(sd, start, lower, fb=sd.many)
    phi = opt_to_phi(kind, float(opt.x[-1]), ser.unit)
    eng, ld = sd.engine(phi, cache=False)  # turns precise; the derivatives use their own
    z = float(np.log((1 + phi) / (1 - phi))) if kind == "ar1" else (
        float(np.log(phi / (1 - phi))) if phi > BOUNDARY_PHI else -np.inf)
    return opt, sd, eng, SerialFit(ser.corr, ser.group, phi, z, np.nan, ld)


def finish_serial(sd: SerialDeviance, theta, s2: float, sfit: SerialFit):
    """(H, dcov, sfit with the standard error of z) at the optimum; a CAR(1) phi on its
    boundary (0) is held fixed there (no interval)."""
    from dataclasses import replace

    on_bound = not np.isfinite(sfit.z)
    H, dcov = serial_derivatives(sd, theta, float(np.sqrt(s2)), None if on_bound else sfit.z,
                                 phi=sfit.phi)
    if on_bound:
        return H, dcov, sfit
    w, v = np.linalg.eigh((H + H.T) / 2)
    pos = w > 1e-8
    A = 2 * (v[:, pos] / w[pos]) @ v[:, pos].T
    var_z = A[-1, -1]
    se = float(np.sqrt(var_z)) if var_z > 0 else np.nan
    return H, dcov, replace(sfit, se_z=se)


def serial_table(lmm, conf_level: float = 0.95) -> pd.DataFrame:
    """``structure, time, group, phi, conf_low, conf_high, interval`` of a fit (empty without a
    correlation structure)."""
    cols = ["structure", "time", "group", "phi", "conf_low", "conf_high", "interval"]
    sf = getattr(lmm, "serial", None)
    if sf is None:
        return pd.DataFrame(columns=cols)
    lo, hi = sf.interval(conf_level)
    how = (
        "Wald interval on nlme's unconstrained scale of phi ("
        + ("log((1 + phi) / (1 - phi))" if sf.corr.kind == "ar1" else "log(phi / (1 - phi))")
        + "), as intervals() of nlme::lme"
    )
    row = [KINDS[sf.corr.kind], sf.corr.time, sf.group, sf.phi, lo, hi, how]
    return pd.DataFrame([row], columns=cols)


def serial_notes(lmm, conf_level: float = 0.95) -> list[str]:
    """One line for a result's notes: the structure and phi with its interval."""
    sf = getattr(lmm, "serial", None)
    if sf is None:
        return []
    lo, hi = sf.interval(conf_level)
    return [
        f"Residuals: {sf.describe()}; phi = {sf.phi:.3f} "
        f"({100 * conf_level:g}% CI {lo:.3f} to {hi:.3f})."
    ]
