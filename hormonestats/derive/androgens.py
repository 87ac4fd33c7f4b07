"""Free and bioavailable testosterone (Vermeulen et al. 1999) and the free androgen index.

Vermeulen, Verdonck & Kaufman (1999, J Clin Endocrinol Metab 84:3666) compute free
testosterone (FT) from total testosterone (TT), SHBG and albumin with the law of mass action:
testosterone binds SHBG with association constant Kt = 1e9 L/mol and albumin with
Ka = 3.6e4 L/mol; albumin is in such excess that its bound fraction is Ka*[alb]*FT. With
N = 1 + Ka*[alb] (all concentrations in mol/L, albumin molar mass 69,000 g/mol) the mass
balance TT = N*FT + SHBG*Kt*FT/(1 + Kt*FT) becomes the quadratic

    Kt*N*FT^2 + (N + Kt*(SHBG - TT))*FT - TT = 0,

whose positive root is FT. Bioavailable (non-SHBG-bound) testosterone is N*FT.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataError, format_rows
from ..registry.units import convert

__all__ = [
    "K_ALBUMIN",
    "K_SHBG",
    "bioavailable_testosterone",
    "free_androgen_index",
    "free_testosterone",
]

#: Association constant of testosterone with albumin, L/mol (Vermeulen et al. 1999).
K_ALBUMIN = 3.6e4
#: Association constant of testosterone with SHBG, L/mol (Vermeulen et al. 1999).
K_SHBG = 1.0e9


def _as_molar(x, analyte: str, unit: str, name: str):
    """Return (array in mol/L, template for the output shape)."""
    template = x
    if isinstance(x, pd.Series):
        arr = pd.to_numeric(x, errors="raise").to_numpy(dtype=float)
    else:
        arr = np.asarray(x, dtype=float)
    # albumin: through the registry's 69,000 g/mol (Vermeulen et al. 1999)
    arr = np.asarray(convert(arr, analyte, unit, "mol/L"))
    negative = np.atleast_1d(arr) < 0
    if negative.any():
        labels = (
            x.index[negative] if isinstance(x, pd.Series) else np.flatnonzero(negative).tolist()
        )
        raise DataError(f"{name} must not be negative; negative values at {format_rows(labels)}")
    return arr, template


def _shape(result: np.ndarray, *templates):
    for t in templates:
        if isinstance(t, pd.Series):
            return pd.Series(np.broadcast_to(result, (len(t),)), index=t.index)
    if result.ndim == 0:
        return float(result)
    return result


def _free_molar(tt, shbg, alb):
    n = 1.0 + K_ALBUMIN * alb
    a = K_SHBG * n
    b = n + K_SHBG * (shbg - tt)
    disc = np.sqrt(b * b + 4.0 * a * tt)
    # Numerically stable positive root: avoid cancellation in -b + sqrt(D) when b > 0.
    with np.errstate(invalid="ignore", divide="ignore"):
        root = np.where(b > 0, 2.0 * tt / (b + disc), (-b + disc) / (2.0 * a))
    return root, n


def _vermeulen(total_t, shbg, albumin, units, *, bound_to_albumin: bool):
    """Free (or free + albumin-bound) testosterone in the output unit, shaped like the input."""
    t_unit, shbg_unit, albumin_unit, out_unit = units
    tt, _ = _as_molar(total_t, "testosterone", t_unit, "total_t")
    sh, _ = _as_molar(shbg, "shbg", shbg_unit, "shbg")
    alb, _ = _as_molar(albumin, "albumin", albumin_unit, "albumin")
    ft, n = _free_molar(tt, sh, alb)
    molar = n * ft if bound_to_albumin else ft
    return _shape(np.asarray(convert(molar, "testosterone", "mol/L", out_unit)), total_t, shbg)


def free_testosterone(
    total_t,
    shbg,
    *,
    albumin=43.0,
    t_unit: str = "nmol/L",
    shbg_unit: str = "nmol/L",
    albumin_unit: str = "g/L",
    out_unit: str = "nmol/L",
):
    """Calculated free testosterone (Vermeulen et al. 1999).

    Parameters
    ----------
    total_t : float, array-like or pandas.Series
        Total testosterone in ``t_unit``.
    shbg : float, array-like or pandas.Series
        SHBG in ``shbg_unit`` (nmol/L).
    albumin : float, array-like or pandas.Series, default 43.0
        Albumin in ``albumin_unit``; 43 g/L is the default of Vermeulen et al. (1999).
    t_unit, shbg_unit, albumin_unit, out_unit : str
        Units (any unit :func:`hormonestats.convert` knows for the analyte).

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        Free testosterone in ``out_unit``; NaN where an input is NaN. A Series input gives a
        Series with its index.

    Raises
    ------
    DataError
        Negative concentrations (the rows are named).

    Notes
    -----
    Ka = 3.6e4 L/mol, Kt = 1e9 L/mol, albumin 69,000 g/mol; the positive root of
    ``Kt*N*FT^2 + (N + Kt*(SHBG - TT))*FT - TT = 0`` with ``N = 1 + Ka*[alb]`` is taken as
    ``2*TT / (b + sqrt(b^2 + 4*Kt*N*TT))``, which has no cancellation when b > 0.

    Examples
    --------
    >>> round(free_testosterone(10.0, 40.0), 5)
    0.17388
    >>> round(free_testosterone(10.0, 40.0, out_unit="ng/dL"), 2)
    5.02
    """
    return _vermeulen(total_t, shbg, albumin, (t_unit, shbg_unit, albumin_unit, out_unit),
                      bound_to_albumin=False)


def bioavailable_testosterone(
    total_t,
    shbg,
    *,
    albumin=43.0,
    t_unit: str = "nmol/L",
    shbg_unit: str = "nmol/L",
    albumin_unit: str = "g/L",
    out_unit: str = "nmol/L",
):
    """Bioavailable (free + albumin-bound) testosterone, N * FT (Vermeulen et al. 1999).

    Same arguments as :func:`free_testosterone`.

    Examples
    --------
    >>> round(bioavailable_testosterone(10.0, 40.0, out_unit="ng/dL"), 1)
    117.5
    """
    return _vermeulen(total_t, shbg, albumin, (t_unit, shbg_unit, albumin_unit, out_unit),
                      bound_to_albumin=True)


def free_androgen_index(total_t, shbg, *, t_unit: str = "nmol/L", shbg_unit: str = "nmol/L"):
    """Free androgen index, 100 * TT / SHBG with both in nmol/L.

    Raises :class:`~hormonestats.DataError` for negative values or SHBG of zero.

    Examples
    --------
    >>> free_androgen_index(10.0, 40.0)
    25.0
    """
    tt, _ = _as_molar(total_t, "testosterone", t_unit, "total_t")
    sh, _ = _as_molar(shbg, "shbg", shbg_unit, "shbg")
    zero = np.atleast_1d(sh) == 0
    if zero.any():
        labels = (
            shbg.index[np.broadcast_to(zero, (len(shbg),))]
            if isinstance(shbg, pd.Series)
            else np.flatnonzero(zero).tolist()
        )
        raise DataError(f"shbg is zero at {format_rows(labels)}; the FAI is undefined")
    return _shape(np.asarray(100.0 * tt / sh), total_t, shbg)
