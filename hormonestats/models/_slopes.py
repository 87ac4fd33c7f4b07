"""Simple slopes and Johnson–Neyman regions from a coefficient vector and its covariance.

Shared by every family with a two-way interaction (OLS moderation, gene x environment, mixed
models with cross-level interactions). For the slope of ``x`` at moderator value ``w``,

    slope(w) = b_x + b_xw * w,
    var(w)   = V[x, x] + 2 w V[x, xw] + w^2 V[xw, xw],

and the Johnson–Neyman boundaries are the ``w`` where ``slope(w)^2 = q^2 var(w)`` with ``q`` the
critical value of the reference distribution (Johnson & Neyman 1936; Bauer & Curran 2005;
Preacher, Curran & Bauer 2006).

Pointwise regions test the slope at each moderator value at ``1 - conf_level`` separately, so
over the moderator's range the chance of some spurious significant stretch is larger than alpha
(Esarey & Sumner 2018; Bauer & Curran 2005). ``band="simultaneous"`` uses the Scheffé-type
critical value of Bauer & Curran (2005), ``q = sqrt(2 F(conf_level; 2, df))`` (``sqrt(chi2(
conf_level; 2))`` for z-based models): the band covers the slope at every moderator value at once
with probability ``conf_level``, so the familywise error over any range is at most alpha. The
boundaries get delta-method intervals (the implicit-function derivative of the root with respect
to ``b_x`` and ``b_xw``, their covariance taken as known).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..display import ResultDisplay
from ..results import short_repr

__all__ = ["JohnsonNeyman", "johnson_neyman_from_cov", "slopes_from_cov"]


BANDS = ("pointwise", "simultaneous")


def _critical(conf_level: float, df: float | None, band: str = "pointwise") -> float:
    alpha = 1 - conf_level
    finite = df is not None and np.isfinite(df)
    if band == "simultaneous":  # Scheffé-type, two coefficients (Bauer & Curran 2005)
        if finite:
            return float(np.sqrt(2 * stats.f.ppf(conf_level, 2, df)))
        return float(np.sqrt(stats.chi2.ppf(conf_level, 2)))
    if not finite:
        return float(stats.norm.ppf(1 - alpha / 2))
    return float(stats.t.ppf(1 - alpha / 2, df))


def _pvalue(stat, df):
    if df is None or not np.isfinite(df):
        return 2 * stats.norm.sf(np.abs(stat))
    return 2 * stats.t.sf(np.abs(stat), df)


def slopes_from_cov(
    params,
    cov,
    *,
    x_term: str,
    xm_term: str,
    m_values,
    df: float | None = None,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Slope of ``x_term`` at each moderator value, with SE, test and CI.

    ``params`` is a Series and ``cov`` a DataFrame indexed by term names (as statsmodels
    returns them). ``df=None`` uses the normal distribution.

    >>> p = pd.Series({"x": 1.0, "x:m": 0.5})
    >>> v = pd.DataFrame([[0.04, 0.0], [0.0, 0.01]], index=p.index, columns=p.index)
    >>> slopes_from_cov(p, v, x_term="x", xm_term="x:m", m_values=[-1, 0, 1])["estimate"].tolist()
    [0.5, 1.0, 1.5]
    """
    m = np.asarray(m_values, dtype=float)
    bx, bxm = float(params[x_term]), float(params[xm_term])
    vxx = float(cov.loc[x_term, x_term])
    vxm = float(cov.loc[x_term, xm_term])
    vmm = float(cov.loc[xm_term, xm_term])
    est = bx + bxm * m
    se = np.sqrt(np.maximum(vxx + 2 * m * vxm + m**2 * vmm, 0.0))
    stat = est / se
    q = _critical(conf_level, df)
    return pd.DataFrame(
        {
            "m_value": m,
            "estimate": est,
            "std_error": se,
            "statistic": stat,
            "df": np.inf if df is None else float(df),
            "p_value": _pvalue(stat, df),
            "conf_low": est - q * se,
            "conf_high": est + q * se,
        }
    )


@dataclass(frozen=True)
class JohnsonNeyman:
    """Johnson–Neyman region of significance for the slope of ``x`` across the moderator.

    Attributes
    ----------
    bounds : tuple of float
        Moderator values where the slope's CI just touches zero (0, 1 or 2 values, sorted).
    in_range : tuple of bool
        For each bound, whether it lies inside the observed moderator range.
    m_range : tuple of float
        Observed (min, max) of the moderator.
    significant_where : str
        Plain description of where the slope differs from zero at ``conf_level``.
    grid : DataFrame
        Slopes over a grid spanning the observed range (``m_value, estimate, std_error,
        conf_low, conf_high, p_value, significant``), for plotting; the intervals and
        ``significant`` use the band's critical value.
    band : str
        ``"pointwise"`` or ``"simultaneous"`` (Scheffé-type, Bauer & Curran 2005).
    critical : float
        The critical value used.
    bounds_ci : tuple of (float, float)
        Delta-method ``conf_level`` interval of each boundary.
    interaction_p : float
        p-value of the product term; above ``1 - conf_level`` the result carries a caution.
    caution : str
        Empty, or why the region should not be read as moderation.
    """

    bounds: tuple[float, ...]
    in_range: tuple[bool, ...]
    m_range: tuple[float, float]
    significant_where: str
    grid: pd.DataFrame = field(repr=False)
    conf_level: float = 0.95
    x: str = "x"
    m: str = "m"
    band: str = "pointwise"
    critical: float = float("nan")
    bounds_ci: tuple = ()
    interaction_p: float = float("nan")
    caution: str = ""

    @property
    def table(self) -> pd.DataFrame:
        """The boundaries as a frame: ``bound, conf_low, conf_high, in_range``."""
        ci = list(self.bounds_ci) or [(np.nan, np.nan)] * len(self.bounds)
        return pd.DataFrame(
            {
                "bound": np.asarray(self.bounds, float),
                "conf_low": [c[0] for c in ci],
                "conf_high": [c[1] for c in ci],
                "in_range": np.asarray(self.in_range, bool),
            }
        )

    def summary(self) -> str:
        ci = list(self.bounds_ci) or [(np.nan, np.nan)] * len(self.bounds)
        b = (
            ", ".join(
                f"{v:.4g} [{lo:.4g}, {hi:.4g}] ({'inside' if i else 'outside'} observed range)"
                for v, i, (lo, hi) in zip(self.bounds, self.in_range, ci)
            )
            or "none"
        )
        kind = (
            "simultaneous band (Scheffé-type, Bauer & Curran 2005)"
            if self.band == "simultaneous"
            else "pointwise"
        )
        notes = [
            f"Observed range of {self.m}: [{self.m_range[0]:.4g}, {self.m_range[1]:.4g}]",
            f"Boundaries (with {self.conf_level:.0%} delta-method intervals): {b}",
            f"The slope of {self.x} differs from zero ({self.conf_level:.0%} {kind}, critical "
            f"value {self.critical:.4g}) {self.significant_where}.",
        ]
        if self.caution:
            notes.append(self.caution)
        return ResultDisplay.text(f"Johnson–Neyman: slope of {self.x} across {self.m}", [], notes)

    def _repr_html_(self) -> str:
        return ResultDisplay.html(
            f"Johnson–Neyman: slope of {self.x} across {self.m}",
            [],
            self.summary().splitlines()[2:],
        )

    def __repr__(self) -> str:
        return short_repr(self, f"Johnson–Neyman: slope of {self.x} across {self.m}")


def _describe(bounds, sig_at) -> str:
    """Describe the significant region from the bounds and a predicate on moderator values."""
    if not bounds:
        return "everywhere" if sig_at(0.0) else "nowhere"
    pts = [-np.inf, *bounds, np.inf]
    pieces = []
    for lo, hi in zip(pts[:-1], pts[1:]):
        mid = (
            (lo + hi) / 2
            if np.isfinite(lo) and np.isfinite(hi)
            else (hi - 1.0 if np.isfinite(hi) else lo + 1.0)
        )
        if sig_at(mid):
            if not np.isfinite(lo):
                pieces.append(f"below {hi:.4g}")
            elif not np.isfinite(hi):
                pieces.append(f"above {lo:.4g}")
            else:
                pieces.append(f"between {lo:.4g} and {hi:.4g}")
    return "when the moderator is " + " or ".join(pieces) if pieces else "nowhere"


def johnson_neyman_from_cov(
    params,
    cov,
    *,
    x_term: str,
    xm_term: str,
    m_range: tuple[float, float],
    df: float | None = None,
    conf_level: float = 0.95,
    n_points: int = 200,
    x: str | None = None,
    m: str | None = None,
    band: str = "pointwise",
) -> JohnsonNeyman:
    """Johnson–Neyman boundaries by solving the quadratic in closed form.

    ``band="simultaneous"`` replaces the pointwise critical value by the Scheffé-type one (see
    the module notes), so the region controls the familywise error over the moderator's range.

    >>> p = pd.Series({"x": 0.2, "x:m": 1.0})
    >>> v = pd.DataFrame([[0.01, 0.0], [0.0, 0.01]], index=p.index, columns=p.index)
    >>> jn = johnson_neyman_from_cov(p, v, x_term="x", xm_term="x:m", m_range=(-2, 2))
    >>> [round(b, 3) for b in jn.bounds]
    [-0.412, -0.004]
    """
    bx, bxm = float(params[x_term]), float(params[xm_term])
    vxx = float(cov.loc[x_term, x_term])
    vxm = float(cov.loc[x_term, xm_term])
    vmm = float(cov.loc[xm_term, xm_term])
    if band not in BANDS:
        raise ValueError(f"band must be one of {BANDS}, got {band!r}")
    q = _critical(conf_level, df, band)
    q2 = q**2
    # (bx + bxm w)^2 - q2 (vxx + 2 w vxm + w^2 vmm) = 0  ->  a w^2 + b w + c = 0
    a = bxm**2 - q2 * vmm
    b = 2 * (bx * bxm - q2 * vxm)
    c = bx**2 - q2 * vxx
    roots: list[float] = []
    if abs(a) < 1e-14:
        if abs(b) > 1e-14:
            roots = [-c / b]
    else:
        disc = b * b - 4 * a * c
        if disc >= 0:
            s = np.sqrt(disc)
            roots = sorted({(-b - s) / (2 * a), (-b + s) / (2 * a)})

    def sig_at(w: float) -> bool:
        return (bx + bxm * w) ** 2 > q2 * (vxx + 2 * w * vxm + w * w * vmm)

    lo, hi = float(m_range[0]), float(m_range[1])
    grid_m = np.linspace(lo, hi, n_points)
    grid = slopes_from_cov(
        params, cov, x_term=x_term, xm_term=xm_term, m_values=grid_m, df=df, conf_level=conf_level
    )
    grid = grid.assign(
        conf_low=grid["estimate"] - q * grid["std_error"],
        conf_high=grid["estimate"] + q * grid["std_error"],
    )
    grid = grid.drop(columns=["statistic", "df"]).assign(
        significant=lambda g: (g["conf_low"] > 0) | (g["conf_high"] < 0)
    )
    bounds = tuple(float(r) for r in roots)
    # delta method for each root w of g(w) = (bx + bxm w)^2 - q2 var(w)
    z = _critical(conf_level, df)
    v2 = np.array([[vxx, vxm], [vxm, vmm]])
    bounds_ci = []
    for w in bounds:
        slope = bx + bxm * w
        dg_dw = 2 * bxm * slope - q2 * (2 * vxm + 2 * w * vmm)
        grad = -np.array([2 * slope, 2 * w * slope]) / dg_dw if dg_dw != 0 else np.full(2, np.nan)
        se_w = float(np.sqrt(max(grad @ v2 @ grad, 0.0)))
        bounds_ci.append((w - z * se_w, w + z * se_w))
    p_int = float(_pvalue(bxm / np.sqrt(vmm), df)) if vmm > 0 else float("nan")
    caution = ""
    if not p_int < 1 - conf_level:
        caution = (
            f"Caution: the {x or x_term} x {m or xm_term} interaction itself is not significant "
            f"(p = {p_int:.3g}); the region says where the slope differs from zero, not that it "
            "changes with the moderator"
            + (
                "; pointwise regions also inflate the familywise error (band='simultaneous')."
                if band == "pointwise"
                else "."
            )
        )
    return JohnsonNeyman(
        bounds=bounds,
        in_range=tuple(lo <= r <= hi for r in bounds),
        m_range=(lo, hi),
        significant_where=_describe(list(bounds), sig_at),
        grid=grid,
        conf_level=conf_level,
        x=x or x_term,
        m=m or xm_term,
        band=band,
        critical=q,
        bounds_ci=tuple(bounds_ci),
        interaction_p=p_int,
        caution=caution,
    )
