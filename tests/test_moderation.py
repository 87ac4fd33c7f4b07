"""Tests of hs.moderation against PROCESS model 1, R lm()/rockchalk, hand formulas and simulation.

References (tests/reference/):
- ``process_model1_*``: Hayes' PROCESS for SPSS 2.16.3, model 1 on N = 1000 simulated data, from
  the pyprocessmacro project (MIT, ``process_LICENSE.txt``). PROCESS does not centre by default
  and its output states HC3 standard errors, so we fit with ``center=False, robust="HC3"`` and
  compare with the printed 4 decimals (tolerance: half a unit in the last printed digit).
- ``moderation.R`` -> ``moderation_*.csv``: lm(), rockchalk::testSlopes (Johnson–Neyman), the
  Friedrich standardized fit and F change on data simulated by the script (tolerance 1e-7
  relative: both sides are exact least squares).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.errors import DataError, HormoneStatsError, ModelError

REF = Path(__file__).parent / "reference"


# ------------------------------------------------------------------------------------------
# PROCESS model 1
# ------------------------------------------------------------------------------------------
def _process_output():
    text = (REF / "process_model1_results_ols.txt").read_text(encoding="utf-8-sig")
    lines = [ln.rstrip("\r") for ln in text.split("\n")]

    def block_after(header, n_rows):
        i = next(k for k, ln in enumerate(lines) if ln.strip().startswith(header))
        return [lines[i + 1 + j].split() for j in range(n_rows)]

    model = block_after("coeff", 4)
    coefs = {r[0]: [float(v) for v in r[1:]] for r in model}
    cond = [[float(v) for v in r] for r in block_after("m     Effect", 3)]
    change = block_after("R2-chng", 1)[0]
    summary = [float(v) for v in block_after("R       R-sq", 1)[0]]
    return coefs, cond, [float(v) for v in change[1:]], summary


@pytest.fixture(scope="module")
def process_fit():
    data = pd.read_csv(REF / "process_model1_data.csv")
    varlist = (REF / "process_model1_varlist.txt").read_text(encoding="utf-8-sig").strip()
    assert varlist.split(",") == ["x", "y", "m"]
    return hs.moderation(data, y="y", x="x", m="m", center=False, robust="HC3")


def test_process_model1_coefficients(process_fit):
    coefs, _, _, _ = _process_output()
    tab = process_fit.table.set_index("term")
    names = {"constant": "Intercept", "m": "m", "x": "x", "int_1": "x:m"}
    for pname, ours in names.items():
        coeff, se, t, p, lo, hi = coefs[pname]
        row = tab.loc[ours]
        assert row["estimate"] == pytest.approx(coeff, abs=5e-5)
        assert row["std_error"] == pytest.approx(se, abs=5e-5)
        assert row["statistic"] == pytest.approx(t, abs=5e-5)
        assert row["conf_low"] == pytest.approx(lo, abs=5e-5)
        assert row["conf_high"] == pytest.approx(hi, abs=5e-5)
        assert round(row["p_value"], 4) == p
        assert row["df"] == 996


def test_process_model1_fit_and_r2_change(process_fit):
    _, _, change, summary = _process_output()
    r, r2, mse, f, df1, df2, p = summary
    assert np.sqrt(process_fit.r2) == pytest.approx(r, abs=5e-5)
    assert process_fit.r2 == pytest.approx(r2, abs=5e-5)
    assert process_fit.fit.mse_resid == pytest.approx(mse, abs=5e-5)
    r2_chng, f_chng, cdf1, cdf2, cp = change
    assert process_fit.delta_r2 == pytest.approx(r2_chng, abs=5e-5)
    # PROCESS' F for the R-square increase is the HC3 Wald F when HC3 is in force
    assert process_fit.f_change == pytest.approx(f_chng, abs=5e-5)
    assert round(process_fit.p_change, 4) == cp


def test_process_model1_conditional_effects(process_fit):
    _, cond, _, _ = _process_output()
    ss = process_fit.simple_slopes()
    assert ss["m_label"].tolist() == ["-1 SD", "mean", "+1 SD"]
    for (_, row), ref in zip(ss.iterrows(), cond):
        m_val, eff, se, t, p, lo, hi = ref
        assert row["m_value"] == pytest.approx(m_val, abs=5e-5)
        assert row["estimate"] == pytest.approx(eff, abs=5e-5)
        assert row["std_error"] == pytest.approx(se, abs=5e-5)
        assert row["statistic"] == pytest.approx(t, abs=5e-5)
        assert round(row["p_value"], 4) == p
        assert row["conf_low"] == pytest.approx(lo, abs=5e-5)
        assert row["conf_high"] == pytest.approx(hi, abs=5e-5)


def test_process_centring_does_not_change_slopes_or_product(process_fit):
    data = pd.read_csv(REF / "process_model1_data.csv")
    cen = hs.moderation(data, y="y", x="x", m="m", center=True, robust="HC3")
    a = process_fit.table.set_index("term")
    b = cen.table.set_index("term")
    assert b.loc["x:m", "estimate"] == pytest.approx(a.loc["x:m", "estimate"], rel=1e-10)
    assert b.loc["x:m", "std_error"] == pytest.approx(a.loc["x:m", "std_error"], rel=1e-8)
    pd.testing.assert_frame_equal(cen.simple_slopes(), process_fit.simple_slopes(), rtol=1e-8)


# ------------------------------------------------------------------------------------------
# R lm / rockchalk
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def rdata():
    return pd.read_csv(REF / "moderation_data.csv")


@pytest.fixture(scope="module")
def rlm():
    return pd.read_csv(REF / "moderation_lm.csv")


R_NAMES = {
    "(Intercept)": "Intercept",
    "x": "x",
    "xc": "x",
    "m": "m",
    "mc": "m",
    "c1": "c1",
    "gb": "g[T.b]",
    "gc": "g[T.c]",
    "x:m": "x:m",
    "xc:mc": "x:m",
    "grplow": "grp[T.low]",
    "grpmid": "grp[T.mid]",
    "xc:grplow": "x:grp[T.low]",
    "xc:grpmid": "x:grp[T.mid]",
}


def _compare_lm(result, ref):
    tab = result.table.set_index("term")
    assert len(tab) == len(ref)
    for _, r in ref.iterrows():
        row = tab.loc[R_NAMES[r["term"]]]
        for col in ("estimate", "std_error", "statistic", "p_value"):
            assert row[col] == pytest.approx(r[col], rel=1e-7, abs=1e-12), (r["term"], col)
        assert row["df"] == r["df"]


@pytest.mark.parametrize("center,model", [(False, "raw"), (True, "centred")])
def test_matches_r_lm(rdata, rlm, center, model):
    res = hs.moderation(rdata, y="y", x="x", m="m", covariates=["c1", "g"], center=center)
    _compare_lm(res, rlm[rlm["model"] == model])
    assert res.moderator_kind == "continuous"
    assert res.interaction_term == "x:m"
    assert res.n == 300


def test_categorical_moderator_matches_r_lm(rdata, rlm):
    res = hs.moderation(rdata, y="y", x="x", m="grp")
    assert res.moderator_kind == "categorical"
    _compare_lm(res, rlm[rlm["model"] == "categorical"])
    ref = rlm[rlm["model"] == "categorical"].set_index("term")
    ss = res.simple_slopes()
    assert ss["m_label"].tolist() == ["high", "low", "mid"]
    assert ss["m_value"].isna().all()
    assert ss["estimate"].iloc[0] == pytest.approx(ref.loc["xc", "estimate"], rel=1e-8)
    assert ss["std_error"].iloc[0] == pytest.approx(ref.loc["xc", "std_error"], rel=1e-8)
    for i, lev in ((1, "low"), (2, "mid")):
        expected = ref.loc["xc", "estimate"] + ref.loc[f"xc:grp{lev}", "estimate"]
        assert ss["estimate"].iloc[i] == pytest.approx(expected, rel=1e-8)
    with pytest.raises(ModelError, match="categorical"):
        res.johnson_neyman()
    # a numeric moderator may be declared categorical
    coded = rdata.assign(grp_code=rdata["grp"].map({"high": 0, "low": 1, "mid": 2}))
    res2 = hs.moderation(coded, y="y", x="x", m="grp_code", m_categorical=True)
    np.testing.assert_allclose(res2.simple_slopes()["estimate"], ss["estimate"], rtol=1e-10)


def test_fit_statistics_match_r(rdata):
    ref = pd.read_csv(REF / "moderation_fit.csv").iloc[0]
    res = hs.moderation(rdata, y="y", x="x", m="m", covariates=["c1", "g"])
    assert res.r2 == pytest.approx(ref["r2"], rel=1e-9)
    assert res.r2_adj == pytest.approx(ref["r2_adj"], rel=1e-9)
    assert res.delta_r2 == pytest.approx(ref["delta_r2"], rel=1e-8)
    assert res.f_change == pytest.approx(ref["f_change"], rel=1e-8)
    assert res.p_change == pytest.approx(ref["p_change"], rel=1e-6)
    assert res.f2 == pytest.approx(ref["delta_r2"] / (1 - ref["r2"]), rel=1e-8)


@pytest.mark.parametrize("center", [True, False])
def test_johnson_neyman_matches_rockchalk(rdata, center):
    ref = pd.read_csv(REF / "moderation_jn.csv")["bound"].to_numpy()
    res = hs.moderation(rdata, y="y", x="x", m="m", covariates=["c1", "g"], center=center)
    jn = res.johnson_neyman()
    np.testing.assert_allclose(jn.bounds, ref, rtol=1e-7)
    assert jn.m_range == (rdata["m"].min(), rdata["m"].max())
    assert jn.in_range == (False, True)
    # grid is on the original moderator scale and significance flips at the inside bound
    g = jn.grid
    assert g["m_value"].iloc[0] == pytest.approx(rdata["m"].min())
    assert not g.loc[g["m_value"] < ref[1] - 0.05, "significant"].any()
    assert g.loc[g["m_value"] > ref[1] + 0.05, "significant"].all()


def test_simple_slopes_match_rockchalk(rdata):
    ref = pd.read_csv(REF / "moderation_slopes.csv")
    res = hs.moderation(rdata, y="y", x="x", m="m", covariates=["c1", "g"])
    ss = res.simple_slopes(at=ref["m_value"])
    for col in ("estimate", "std_error", "statistic", "p_value"):
        np.testing.assert_allclose(ss[col], ref[col], rtol=1e-7)
    assert ss["m_label"].tolist() == ["2.74", "4.82", "6.9"]
    # default values: mean -/+ 1 sample SD of the analysed moderator, original scale
    d = res.simple_slopes()
    mu, sd = rdata["m"].mean(), rdata["m"].std()
    np.testing.assert_allclose(d["m_value"], [mu - sd, mu, mu + sd], rtol=1e-12)


def test_standardized_coefficients_friedrich(rdata):
    ref = pd.read_csv(REF / "moderation_std.csv")
    ref = ref[ref["model"] == "friedrich"].set_index("term")
    for center in (True, False):
        res = hs.moderation(rdata, y="y", x="x", m="m", covariates=["c1"], center=center)
        tab = res.table.set_index("term")
        for term in ("x", "m", "c1", "x:m"):
            assert tab.loc[term, "std_estimate"] == pytest.approx(
                ref.loc[term, "estimate"], rel=1e-8
            )
        assert np.isnan(tab.loc["Intercept", "std_estimate"])
    # with centring the main effects are b * sd(x) / sd(y)
    tab = hs.moderation(rdata, y="y", x="x", m="m", covariates=["c1"]).table.set_index("term")
    assert tab.loc["x", "std_estimate"] == pytest.approx(
        tab.loc["x", "estimate"] * rdata["x"].std() / rdata["y"].std(), rel=1e-10
    )


def test_predictions_match_r_coefficients(rdata, rlm):
    ref = rlm[rlm["model"] == "raw"].set_index("term")["estimate"]
    res = hs.moderation(rdata, y="y", x="x", m="m", covariates=["c1", "g"])
    pr = res.predictions(n_points=5)
    assert list(pr.columns) == [
        "x_value",
        "m_label",
        "m_value",
        "estimate",
        "std_error",
        "conf_low",
        "conf_high",
    ]
    assert len(pr) == 15
    pb, pc = (rdata["g"] == "b").mean(), (rdata["g"] == "c").mean()
    xv, mv = pr["x_value"], pr["m_value"]
    expected = (
        ref["(Intercept)"]
        + ref["x"] * xv
        + ref["m"] * mv
        + ref["c1"] * rdata["c1"].mean()
        + ref["gb"] * pb
        + ref["gc"] * pc
        + ref["x:m"] * xv * mv
    )
    np.testing.assert_allclose(pr["estimate"], expected, rtol=1e-8)
    assert pr["x_value"].min() == pytest.approx(rdata["x"].min())
    assert pr["x_value"].max() == pytest.approx(rdata["x"].max())
    assert (pr["conf_low"] < pr["estimate"]).all() and (pr["estimate"] < pr["conf_high"]).all()


# ------------------------------------------------------------------------------------------
# robust SEs: hand formula (R's sandwich is not installed; statsmodels is not independent)
# ------------------------------------------------------------------------------------------
def test_hc3_matches_hand_formula(rdata):
    res = hs.moderation(rdata, y="y", x="x", m="m", covariates=["c1"], robust="HC3")
    xmat = res.fit.model.exog
    e = res.fit.resid.to_numpy()
    bread = np.linalg.inv(xmat.T @ xmat)
    h = np.einsum("ij,jk,ik->i", xmat, bread, xmat)
    meat = xmat.T @ (xmat * (e**2 / (1 - h) ** 2)[:, None])
    se = np.sqrt(np.diag(bread @ meat @ bread))
    np.testing.assert_allclose(res.table["std_error"], se, rtol=1e-10)
    assert (res.table["df"] == len(rdata) - 5).all()  # t tests as in PROCESS


# ------------------------------------------------------------------------------------------
# missing rows, purity, errors
# ------------------------------------------------------------------------------------------
def test_missing_rows_are_recorded_not_silent(rdata):
    d = rdata.copy()
    d.insert(0, "subject_id", [f"s{i:03d}" for i in range(len(d))])
    d.loc[3, "y"] = np.nan
    d.loc[10, "m"] = np.nan
    d.loc[10, "c1"] = np.nan
    before = d.copy()
    res = hs.moderation(d, y="y", x="x", m="m", covariates=["c1"])
    pd.testing.assert_frame_equal(d, before)  # input not mutated
    assert res.n == len(d) - 2
    ex = res.excluded
    assert list(ex.columns) == ["row", "subject_id", "reason"]
    assert ex["row"].tolist() == [3, 10]
    assert ex["subject_id"].tolist() == ["s003", "s010"]
    assert ex["reason"].tolist() == ["missing y", "missing m, c1"]
    assert "2 row(s) excluded" in res.summary()
    ref = hs.moderation(d.dropna(subset=["y", "m", "c1"]), y="y", x="x", m="m", covariates=["c1"])
    np.testing.assert_allclose(res.table["estimate"], ref.table["estimate"], rtol=1e-12)


def test_errors_name_columns_and_collect_problems(rdata):
    with pytest.raises(ModelError) as err:
        hs.moderation(rdata, y="nope", x="g", m="m", covariates=["also_nope"], robust="HC9")
    msg = str(err.value)
    assert "'nope'" in msg and "'also_nope'" in msg and "HC9" in msg
    assert isinstance(err.value, HormoneStatsError)
    with pytest.raises(ModelError, match="'g' must be numeric"):
        hs.moderation(rdata, y="y", x="g", m="m")
    bad = rdata.assign(x=rdata["x"].where(rdata.index != 5, np.inf))
    with pytest.raises(ModelError, match="infinite values at row 5"):
        hs.moderation(bad, y="y", x="x", m="m")
    with pytest.raises(ModelError, match="no variation"):
        hs.moderation(rdata.assign(m=1.0), y="y", x="x", m="m")
    with pytest.raises(ModelError, match="complete rows"):
        hs.moderation(rdata.head(4), y="y", x="x", m="m", covariates=["c1"])
    with pytest.raises(DataError):
        hs.moderation([1, 2], y="y", x="x", m="m")


def test_result_is_frozen_and_displays(rdata):
    res = hs.moderation(rdata, y="y", x="x", m="m")
    with pytest.raises(AttributeError):
        res.n = 3
    text = res.summary()
    assert "Simple slopes" in text and "x:m" in text
    assert "<table" in res._repr_html_()
    assert "Johnson" in res.johnson_neyman().summary()
    assert list(res.table.columns)[:8] == list(hs.models._tidy.TIDY_COLUMNS)


def test_two_valued_numeric_moderator_default_levels(rdata):
    d = rdata.assign(sex=(rdata["grp"] == "low").astype(int))
    ss = hs.moderation(d, y="y", x="x", m="sex").simple_slopes()
    assert ss["m_value"].tolist() == [0.0, 1.0]
    assert ss["m_label"].tolist() == ["0", "1"]


# ------------------------------------------------------------------------------------------
# simulated truth: CI coverage of the interaction and the simple slope at +1 SD
# ------------------------------------------------------------------------------------------
def test_coverage_of_interaction_ci():
    rng = np.random.default_rng(7)
    n_sim, n = 200, 80
    hits_int = hits_slope = 0
    for _ in range(n_sim):
        x = rng.normal(size=n)
        m = rng.normal(1.0, 2.0, size=n)
        y = 0.5 + 0.4 * x + 0.3 * m + 0.25 * x * m + rng.normal(size=n)
        res = hs.moderation(pd.DataFrame({"y": y, "x": x, "m": m}), y="y", x="x", m="m")
        r = res.table.set_index("term").loc["x:m"]
        hits_int += r["conf_low"] <= 0.25 <= r["conf_high"]
        s = res.simple_slopes(at=[3.0]).iloc[0]  # true slope at m = 3: 0.4 + 0.25 * 3
        hits_slope += s["conf_low"] <= 1.15 <= s["conf_high"]
    # 95% nominal; binomial SD with 200 runs is 1.5 points, accept 3 SD either side
    assert 0.90 <= hits_int / n_sim <= 0.995
    assert 0.90 <= hits_slope / n_sim <= 0.995
