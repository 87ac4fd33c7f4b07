"""Tests of hs.censored_regression against R survival::survreg and simulated truth.

Reference: ``tests/reference/censored.R`` -> ``censored_data.csv`` (data it simulated, y missing
below the LOD) and ``censored_survreg.csv`` (survreg(dist = "gaussian") estimates, SEs and
log-likelihood). Tolerance: 1e-6 relative for estimates and log-likelihood, 1e-4 relative for SEs
(ours come from a numerical Jacobian of the analytic gradient, survreg's from its analytic Hessian).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.errors import ModelError

REF = Path(__file__).parent / "reference"
NAMES = {
    "(Intercept)": "Intercept",
    "x": "x",
    "age": "age",
    "grouptrt": "group[T.trt]",
    "Log(scale)": "log_sigma",
}


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(REF / "censored_data.csv")


@pytest.fixture(scope="module")
def ref():
    return pd.read_csv(REF / "censored_survreg.csv")


@pytest.mark.parametrize("model", ["left", "both"])
def test_matches_survreg(data, ref, model):
    r = ref[ref["model"] == model]
    d = data if model == "both" else data[data["censored"] != "right"]
    before = d.copy()
    res = hs.censored_regression(d, y="y", x="x", covariates=["age", "group"])
    pd.testing.assert_frame_equal(d, before)
    assert res.converged
    assert res.n == r["n"].iloc[0]
    tab = res.table.set_index("term")
    assert list(tab.index) == ["Intercept", "x", "age", "group[T.trt]", "log_sigma"]
    for _, row in r.iterrows():
        ours = tab.loc[NAMES[row["term"]]]
        assert ours["estimate"] == pytest.approx(row["estimate"], rel=1e-6, abs=1e-9)
        assert ours["std_error"] == pytest.approx(row["std_error"], rel=1e-4)
    assert res.loglik == pytest.approx(r["loglik"].iloc[0], rel=1e-9)
    assert res.sigma == pytest.approx(np.exp(tab.loc["log_sigma", "estimate"]))
    assert res.n_left == (d["censored"] == "left").sum()
    assert res.n_right == (d["censored"] == "right").sum()
    assert res.n_censored == res.n_left + res.n_right
    assert list(res.table.columns) == list(hs.models._tidy.TIDY_COLUMNS)
    assert "left-censored" in res.summary() and "<table" in res._repr_html_()


def test_boolean_indicator_and_exclusions(data):
    d = data[data["censored"] != "right"].copy()
    d["below"] = d["censored"] == "left"
    ref = hs.censored_regression(d, y="y", x="x", covariates=["age"], censored="censored")
    res = hs.censored_regression(d, y="y", x="x", covariates=["age"], censored="below")
    np.testing.assert_allclose(res.table["estimate"], ref.table["estimate"], rtol=1e-8)
    # an uncensored row without y, and a row without x, are excluded and recorded
    d2 = d.copy()
    obs = d2.index[d2["censored"] == "none"]
    d2.loc[obs[0], "y"] = np.nan
    d2.loc[obs[1], "x"] = np.nan
    res2 = hs.censored_regression(d2, y="y", x="x", covariates=["age"])
    assert res2.n == len(d2) - 2
    assert sorted(res2.excluded["row"].tolist()) == sorted([obs[0], obs[1]])
    assert set(res2.excluded["reason"]) == {"missing x", "missing y (not censored)"}


def test_bad_indicator_values_are_named(data):
    d = data.copy()
    d.loc[[2, 5], "censored"] = "maybe"
    with pytest.raises(ModelError, match=r"'maybe'.*rows 2, 5.*allowed"):
        hs.censored_regression(d, y="y", x="x")
    with pytest.raises(ModelError, match="no column"):
        hs.censored_regression(data, y="y", x="x", limit="lod")


def test_recovers_truth_where_substitution_is_biased():
    """Heavy left censoring: LOD/2 substitution attenuates the slope; the censored ML does not."""
    rng = np.random.default_rng(11)
    est_ml, est_sub, cover = [], [], 0
    n_sim, n = 40, 300
    for _ in range(n_sim):
        x = rng.normal(size=n)
        ystar = 1.0 + 0.8 * x + rng.normal(0, 1.0, size=n)
        lod = np.where(rng.random(n) < 0.5, 1.0, 1.3)  # two plates
        left = ystar < lod
        d = pd.DataFrame(
            {
                "x": x,
                "y": np.where(left, np.nan, ystar),
                "censored": np.where(left, "left", "none"),
                "lod_limit": lod,
            }
        )
        res = hs.censored_regression(d, y="y", x="x")
        row = res.table.set_index("term").loc["x"]
        est_ml.append(row["estimate"])
        cover += row["conf_low"] <= 0.8 <= row["conf_high"]
        ysub = np.where(left, lod / 2, ystar)
        est_sub.append(np.polyfit(x, ysub, 1)[0])
    # truth 0.8; Monte-Carlo SE of the mean of 40 estimates is about 0.01
    assert np.mean(est_ml) == pytest.approx(0.8, abs=0.04)
    assert np.mean(est_sub) < 0.8 - 0.1  # substitution is visibly biased
    assert cover >= 34  # nominal 38 of 40; binomial lower tail


def test_interval_censoring_matches_survreg_interval2():
    """Readings below the LOD (lower missing), between LOD and LLOQ (an interval), above the
    ULOQ (upper missing) and exact ones: survreg(Surv(lo, hi, type = "interval2")) in
    reference/reviewers.R -> interval_data.csv, interval_survreg.csv."""
    d = pd.read_csv(REF / "interval_data.csv")
    ref = pd.read_csv(REF / "interval_survreg.csv")
    before = d.copy()
    res = hs.censored_regression(d, x="x", covariates=["c1"], lower="lo", upper="hi")
    pd.testing.assert_frame_equal(d, before)
    assert res.converged and res.n == len(d)
    assert (res.n_left, res.n_right, res.n_interval) == (
        ref["n_left"].iloc[0], ref["n_right"].iloc[0], ref["n_interval"].iloc[0]
    )
    tab = res.table.set_index("term")
    names = {"(Intercept)": "Intercept", "x": "x", "c1": "c1", "Log(scale)": "log_sigma"}
    for _, row in ref.iterrows():
        ours = tab.loc[names[row["term"]]]
        assert ours["estimate"] == pytest.approx(row["estimate"], rel=1e-6, abs=1e-9)
        assert ours["std_error"] == pytest.approx(row["std_error"], rel=1e-4)
    assert res.loglik == pytest.approx(ref["loglik"].iloc[0], rel=1e-9)
    assert "interval-censored" in res.summary()


def test_interval_form_equals_indicator_form(data):
    """Left/right censoring written as intervals gives the indicator form's fit exactly."""
    d = data.copy()
    lo = np.where(d["censored"] == "left", np.nan,
                  np.where(d["censored"] == "right", d["lod_limit"], d["y"]))
    hi = np.where(d["censored"] == "left", d["lod_limit"],
                  np.where(d["censored"] == "right", np.nan, d["y"]))
    d = d.assign(lo=lo, hi=hi)
    a = hs.censored_regression(d, y="y", x="x", covariates=["age"])
    b = hs.censored_regression(d, x="x", covariates=["age"], lower="lo", upper="hi")
    np.testing.assert_allclose(b.table["estimate"], a.table["estimate"], rtol=1e-8)
    assert b.loglik == pytest.approx(a.loglik, rel=1e-10)


def test_interval_input_errors(data):
    d = data.assign(lo=1.0, hi=0.0)
    with pytest.raises(ModelError, match="lower <= upper"):
        hs.censored_regression(d, x="x", lower="lo", upper="hi")
    with pytest.raises(ModelError, match="both lower= and upper="):
        hs.censored_regression(d, x="x", lower="lo")
    d2 = data.loc[data["censored"] == "none"].assign(lo=lambda f: f["y"], hi=lambda f: f["y"])
    d2.loc[d2.index[:3], ["lo", "hi"]] = np.nan
    res = hs.censored_regression(d2, x="x", lower="lo", upper="hi")
    assert res.n_censored == 0 and res.n == len(d2) - 3
    assert set(res.excluded["reason"]) == {"missing both lo and hi"}
