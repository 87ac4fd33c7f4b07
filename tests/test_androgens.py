"""Tests of calculated free/bioavailable testosterone and the free androgen index.

References: the worked case of Vermeulen, Verdonck & Kaufman (1999, JCEM 84:3666) as given in
the shared reference README (TT 10 nmol/L, SHBG 40 nmol/L, albumin 43 g/L -> FT 0.17388
nmol/L, 1.74%, 5.02 ng/dL; bioavailable about 118 ng/dL), and an independent implementation
written here: the binding equilibrium's mass balance solved numerically with
scipy.optimize.brentq (no quadratic formula), all unit handling done by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import brentq

from hormonestats.derive.androgens import (
    bioavailable_testosterone,
    free_androgen_index,
    free_testosterone,
)
from hormonestats.errors import DataError

KA, KT, ALB_MW, T_MW = 3.6e4, 1e9, 69000.0, 288.42


def ft_by_mass_balance(tt_nmol, shbg_nmol, alb_g_per_l):
    """Free T (nmol/L) solving TT = FT + Ka*[alb]*FT + SHBG*Kt*FT/(1 + Kt*FT) by root finding."""
    tt, shbg, alb = tt_nmol * 1e-9, shbg_nmol * 1e-9, alb_g_per_l / ALB_MW

    def balance(ft):
        return ft + KA * alb * ft + shbg * KT * ft / (1.0 + KT * ft) - tt

    if tt == 0:
        return 0.0
    return brentq(balance, 0.0, tt, xtol=1e-30, rtol=1e-15) * 1e9


def test_vermeulen_worked_case():
    ft = free_testosterone(10.0, 40.0, albumin=43.0)
    assert round(ft, 5) == pytest.approx(0.17388, abs=1e-12)
    assert round(100 * ft / 10.0, 2) == pytest.approx(1.74, abs=1e-12)
    assert round(free_testosterone(10.0, 40.0, out_unit="ng/dL"), 2) == pytest.approx(5.02)
    bat = bioavailable_testosterone(10.0, 40.0, out_unit="ng/dL")
    assert abs(bat - 118) < 1.0  # "about 118 ng/dL"


def test_matches_independent_root_finding_on_random_inputs():
    rng = np.random.default_rng(20240501)
    n = 300
    tt = rng.uniform(0.05, 60.0, n)
    shbg = rng.uniform(0.0, 250.0, n)
    alb = rng.uniform(25.0, 55.0, n)
    # include the branch where TT exceeds SHBG (negative linear coefficient)
    tt[:20] = rng.uniform(100.0, 500.0, 20)
    shbg[:20] = rng.uniform(0.0, 5.0, 20)
    ours = free_testosterone(tt, shbg, albumin=alb)
    ref = np.array([ft_by_mass_balance(*args) for args in zip(tt, shbg, alb)])
    np.testing.assert_allclose(ours, ref, rtol=1e-9)
    # bioavailable = (1 + Ka*[alb]) * FT
    bat = bioavailable_testosterone(tt, shbg, albumin=alb)
    np.testing.assert_allclose(bat, (1 + KA * alb / ALB_MW) * ref, rtol=1e-9)


def test_units_are_honoured():
    tt_ngdl = 10.0 * T_MW / 10.0  # 10 nmol/L in ng/dL, by hand
    a = free_testosterone(tt_ngdl, 40.0, t_unit="ng/dL")
    b = free_testosterone(10.0, 40.0, albumin=4.3, albumin_unit="g/dL", out_unit="pmol/L")
    assert a == pytest.approx(ft_by_mass_balance(10.0, 40.0, 43.0), rel=1e-12)
    assert b == pytest.approx(1000 * ft_by_mass_balance(10.0, 40.0, 43.0), rel=1e-12)


def test_series_nan_and_no_mutation():
    tt = pd.Series([10.0, np.nan, 5.0, 0.0], index=["a", "b", "c", "d"])
    shbg = pd.Series([40.0, 40.0, np.nan, 30.0], index=["a", "b", "c", "d"])
    tt0, shbg0 = tt.copy(), shbg.copy()
    out = free_testosterone(tt, shbg)
    assert isinstance(out, pd.Series) and list(out.index) == ["a", "b", "c", "d"]
    assert out["a"] == pytest.approx(ft_by_mass_balance(10.0, 40.0, 43.0), rel=1e-12)
    assert np.isnan(out["b"]) and np.isnan(out["c"])
    assert out["d"] == 0.0
    pd.testing.assert_series_equal(tt, tt0)
    pd.testing.assert_series_equal(shbg, shbg0)
    fai = free_androgen_index(tt, shbg)
    assert fai["a"] == 25.0 and np.isnan(fai["b"])


def test_negative_inputs_raise_and_name_rows():
    tt = pd.Series([10.0, -1.0, 5.0], index=[7, 8, 9])
    with pytest.raises(DataError, match=r"total_t.*row 8"):
        free_testosterone(tt, 40.0)
    with pytest.raises(DataError, match="shbg"):
        free_testosterone(10.0, -3.0)
    with pytest.raises(DataError, match="albumin"):
        bioavailable_testosterone(10.0, 40.0, albumin=-1.0)


def test_free_androgen_index():
    # 100 * TT / SHBG in nmol/L; TT given in ng/dL is converted first
    assert free_androgen_index(10.0, 40.0) == 25.0
    assert free_androgen_index(T_MW, 40.0, t_unit="ng/dL") == pytest.approx(25.0, rel=1e-12)
    np.testing.assert_allclose(free_androgen_index(np.array([1.0, 2.0]), 50.0), [2.0, 4.0])
    with pytest.raises(DataError, match="zero"):
        free_androgen_index(10.0, 0.0)


def test_free_fraction_properties():
    # more SHBG binds more testosterone: free fraction falls monotonically
    shbg = np.linspace(0, 200, 50)
    ft = free_testosterone(np.full(50, 15.0), shbg)
    assert np.all(np.diff(ft) < 0)
    # with no SHBG, FT = TT / (1 + Ka*[alb]) exactly
    n = 1 + KA * 43.0 / ALB_MW
    assert free_testosterone(15.0, 0.0) == pytest.approx(15.0 / n, rel=1e-13)
