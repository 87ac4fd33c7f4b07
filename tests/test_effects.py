"""Tests of effect sizes, standardized coefficients and FDR control.

References:
- ``moderation_effects.csv`` (tests/reference/moderation.R): R's nested-model F per term of the
  centred moderation model (type 3), partial eta² and its CI from R's noncentral ``pf`` inverted
  by ``uniroot`` (Steiger 2004); tolerance 1e-6 relative.
- ``moderation_std.csv``: lm() on scale()d variables; tolerance 1e-8 relative.
- ``moderation_padjust.csv``: R's ``p.adjust`` (BH, Holm) of the 15 p-values of Benjamini &
  Hochberg (1995, JRSS B 57:289, section 3.2), where BH at q = 0.05 rejects the 4 smallest.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from statsmodels.stats.anova import anova_lm

import hormonestats as hs
from hormonestats.errors import ModelError
from hormonestats.models.effects import (
    f_squared,
    noncentral_f_ci,
    partial_eta_squared,
    standardized_coefficients,
)

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(REF / "moderation_data.csv")


def test_partial_eta_squared_matches_r(data):
    ref = pd.read_csv(REF / "moderation_effects.csv")
    res = hs.moderation(data, y="y", x="x", m="m", covariates=["c1", "g"])
    pe = partial_eta_squared(res.fit).set_index("term")
    names = {"xc": "x", "mc": "m", "c1": "c1", "g": "g", "xc:mc": "x:m"}
    assert set(pe.index) == set(names.values())
    for _, r in ref.iterrows():
        row = pe.loc[names[r["term"]]]
        assert row["df1"] == r["df1"] and row["df2"] == r["df2"]
        for col in ("statistic", "p_value", "partial_eta_sq", "conf_low", "conf_high"):
            assert row[col] == pytest.approx(r[col], rel=1e-6, abs=1e-10), (r["term"], col)
    assert pe.loc["x:m", "f2"] == pytest.approx(res.f2, rel=1e-8)


def test_type3_equals_anova_lm_typ3(data):
    fit = smf.ols(
        "y ~ x * m + c1 + C(g)",
        data=data.assign(x=data.x - data.x.mean(), m=data.m - data.m.mean()),
    ).fit()
    a = anova_lm(fit, typ=3)
    pe = partial_eta_squared(fit).set_index("term")
    assert pe.loc["C(g)", "statistic"] == pytest.approx(a.loc["C(g)", "F"], rel=1e-8)
    assert pe.loc["x:m", "statistic"] == pytest.approx(a.loc["x:m", "F"], rel=1e-8)


def test_f_squared_and_its_ci(data):
    ref = pd.read_csv(REF / "moderation_effects.csv").set_index("term").loc["xc:mc"]
    fit_stats = pd.read_csv(REF / "moderation_fit.csv").iloc[0]
    res = hs.moderation(data, y="y", x="x", m="m", covariates=["c1", "g"])
    f2 = f_squared(res.fit, ["x:m"]).iloc[0]
    assert f2["delta_r2"] == pytest.approx(fit_stats["delta_r2"], rel=1e-8)
    assert f2["f2"] == pytest.approx(fit_stats["delta_r2"] / (1 - fit_stats["r2"]), rel=1e-8)
    assert f2["statistic"] == pytest.approx(fit_stats["f_change"], rel=1e-8)
    # f² bounds are lambda / N, eta² bounds lambda / (lambda + N): consistent mapping
    eta_lo = ref["conf_low"]
    assert f2["conf_low"] == pytest.approx(eta_lo / (1 - eta_lo), rel=1e-6)
    # several terms at once: the g dummies
    both = f_squared(res.fit, ["g"]).iloc[0]
    assert both["df1"] == 2
    with pytest.raises(ModelError, match="no coefficient"):
        f_squared(res.fit, {"z": ["zz"]})


def test_noncentral_ci_inverts_the_distribution():
    lo, hi = noncentral_f_ci(10.0, 1, 100)
    from scipy import stats

    assert stats.ncf.cdf(10.0, 1, 100, lo) == pytest.approx(0.975, abs=1e-9)
    assert stats.ncf.cdf(10.0, 1, 100, hi) == pytest.approx(0.025, abs=1e-9)
    assert noncentral_f_ci(0.01, 2, 50) == (0.0, 0.0)


def test_standardized_coefficients_match_r(data):
    ref = pd.read_csv(REF / "moderation_std.csv")
    ref = ref[ref["model"] == "main_effects"].set_index("term")
    st = standardized_coefficients(data, y="y", x=["x", "m"], covariates=["c1"]).set_index("term")
    for term in ("x", "m", "c1"):
        assert st.loc[term, "estimate"] == pytest.approx(ref.loc[term, "estimate"], rel=1e-8)
        assert st.loc[term, "std_error"] == pytest.approx(ref.loc[term, "std_error"], rel=1e-8)
    assert "Intercept" not in st.index


def test_fdr_matches_r_and_benjamini_hochberg_1995():
    ref = pd.read_csv(REF / "moderation_padjust.csv")
    out = hs.fdr(ref["p_value"])
    np.testing.assert_allclose(out["p_adjusted"], ref["bh"], rtol=1e-12)
    assert out["reject"].tolist() == [True] * 4 + [False] * 11  # as in the paper
    holm = hs.fdr(ref["p_value"], method="holm")
    np.testing.assert_allclose(holm["p_adjusted"], ref["holm"], rtol=1e-12)


def test_fdr_keeps_labels_and_missing():
    p = pd.Series([0.001, np.nan, 0.02], index=["a", "b", "c"])
    out = hs.fdr(p)
    assert list(out.index) == ["a", "b", "c"]
    assert np.isnan(out.loc["b", "p_adjusted"]) and not out.loc["b", "reject"]
    assert out.loc["c", "p_adjusted"] == pytest.approx(0.02)  # family of 2
    assert list(out.columns) == ["p_value", "p_adjusted", "reject"]
    with pytest.raises(ModelError, match="method"):
        hs.fdr([0.1], method="bh")
    with pytest.raises(ModelError, match=r"\[0, 1\]"):
        hs.fdr([1.2])
