"""Simple slopes and Johnson–Neyman regions from a coefficient vector and its covariance.

Shared by every family with a two-way interaction (OLS moderation, gene x environment, mixed
models with cross-level interactions). For the slope of ``x`` at moderator value ``w``,

    slope(w) = b_x + b_xw * w,
    var(w)   = V[x, x] + 2 w V[x, xw] + w^2 V[xw, xw],

and the Johnson–Neyman boundaries are the ``w`` where ``slope(w)^2 = q^2 var(w)`` with ``q`` the
critical value of the reference distribution (Johnson & Neyman 1936; Bauer & Curran 2005;
Preacher, Curran & Bauer 2006).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ._tidy import ResultDisplay, short_repr

__all__ = ["JohnsonNeyman", "johnson_neyman_from_cov", "slopes_from_cov"]


def _critical(conf_level: float, df: float | None) -> float:
    alpha = 1 - conf_level
    if df is None or not np.isfinite(df):
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
        conf_low, conf_high, p_value, significant``), for plotting.
    """

    bounds: tuple[float, ...]
    in_range: tuple[bool, ...]
    m_range: tuple[float, float]
    significant_where: str
    grid: pd.DataFrame
    conf_level: float
    x: str = "x"
    m: str = "m"

    def summary(self) -> str:
        b = (
            ", ".join(
                f"{v:.4g} ({'inside' if i else 'outside'} observed range)"
                for v, i in zip(self.bounds, self.in_range)
            )
            or "none"
        )
        notes = [
            f"Observed range of {self.m}: [{self.m_range[0]:.4g}, {self.m_range[1]:.4g}]",
            f"Boundaries: {b}",
            f"The slope of {self.x} differs from zero ({self.conf_level:.0%} CI) {self.significant_where}.",
        ]
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
) -> JohnsonNeyman:
    """Johnson–Neyman boundaries by solving the quadratic in closed form.

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
    q2 = _critical(conf_level, df) ** 2
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
    grid = grid.drop(columns=["statistic", "df"]).assign(
        significant=lambda g: (g["conf_low"] > 0) | (g["conf_high"] < 0)
    )
    bounds = tuple(float(r) for r in roots)
    return JohnsonNeyman(
        bounds=bounds,
        in_range=tuple(lo <= r <= hi for r in bounds),
        m_range=(lo, hi),
        significant_where=_describe(list(bounds), sig_at),
        grid=grid,
        conf_level=conf_level,
        x=x or x_term,
        m=m or xm_term,
    )
