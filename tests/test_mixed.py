"""Tests of hs.mixed against lme4/lmerTest and against simulated known truth.

References (never our own output):
* lme4 ``sleepstudy`` (Belenky et al. 2003 data, shipped with lme4 under GPL >= 2; values in Bates,
  Maechler, Bolker & Walker 2015, JSS 67(1)), ``Reaction ~ Days + (Days | Subject)``, REML.
  ``tests/reference/sleepstudy.csv`` was written by ``tests/reference/mixed.R`` with
  ``write.csv(lme4::sleepstudy)``; the published numbers are typed below, R's full-precision
  numbers are in ``sleepstudy_lmer_*.csv``.
* lmerTest (Kuznetsova et al. 2017) Satterthwaite df on simulated data written by the same script
  (``mixed_sim*.csv``).

Tolerances: estimates 1e-4 absolute (both fits converge to the same REML optimum; remaining
differences are optimiser tolerance), standard errors and SDs 1e-3 relative, Satterthwaite df
0.05 absolute (both use numerical derivatives), REML criterion 0.01.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import hormonestats as hs
from hormonestats.errors import DataError, ModelError
from hormonestats.models.mixed import MixedModelWarning

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def sleep():
    return pd.read_csv(REF / "sleepstudy.csv")


@pytest.fixture(scope="module")
def sleep_fit(sleep):
    return hs.mixed(sleep, y="Reaction", x="Days", subject="Subject", decompose=False)


@pytest.fixture(scope="module")
def sim():
    return pd.read_csv(REF / "mixed_sim.csv")


@pytest.fixture(scope="module")
def sim_fit(sim):
    return hs.mixed(sim, y="y", x="x", subject="subject", covariates=["age"], m="m")


def test_sleepstudy_published_values(sleep_fit):
    t = sleep_fit.table.set_index("term")
    # Bates et al. (2015), printed to 3 decimals
    assert t.loc["Intercept", "estimate"] == pytest.approx(251.405, abs=5e-4)
    assert t.loc["Intercept", "std_error"] == pytest.approx(6.825, abs=5e-4)
    assert t.loc["Days", "estimate"] == pytest.approx(10.467, abs=5e-4)
    assert t.loc["Days", "std_error"] == pytest.approx(1.546, abs=5e-4)
    vc = sleep_fit.variance_components.set_index("term")
    assert vc.loc["Intercept", "sd"] == pytest.approx(24.741, abs=2e-3)
    assert vc.loc["Days", "sd"] == pytest.approx(5.922, abs=1e-3)
    assert vc.loc["Intercept~Days", "correlation"] == pytest.approx(0.066, abs=1e-3)
    assert vc.loc["residual", "sd"] == pytest.approx(25.592, abs=1e-3)
    assert sleep_fit.reml_criterion == pytest.approx(1743.6, abs=0.05)
    assert sleep_fit.n_obs == 180 and sleep_fit.n_subjects == 18
    assert sleep_fit.converged and sleep_fit.warnings == ()


def test_sleepstudy_against_lmertest_full_precision(sleep_fit):
    ref = pd.read_csv(REF / "sleepstudy_lmer_fixed.csv")
    ref["term"] = ref["term"].replace({"(Intercept)": "Intercept"})
    got = sleep_fit.table.set_index("term").loc[ref["term"]]
    np.testing.assert_allclose(got["estimate"], ref["estimate"], atol=1e-4)
    np.testing.assert_allclose(got["std_error"], ref["std_error"], rtol=1e-3)
    np.testing.assert_allclose(got["df"], ref["df"], atol=0.05)
    extra = pd.read_csv(REF / "sleepstudy_lmer_extra.csv").iloc[0]
    assert sleep_fit.reml_criterion == pytest.approx(extra["reml_criterion"], abs=0.01)
    # ICC of the unconditional model Reaction ~ 1 + (1 | Subject)
    assert sleep_fit.icc == pytest.approx(extra["icc_null"], abs=1e-4)


def _vc_ref(path):
    v = pd.read_csv(path)
    out = {}
    for r in v.itertuples():
        if r.grp == "Residual":
            out["residual"] = (r.vcov, r.sdcor)
        elif pd.isna(r.var2):
            out[r.var1] = (r.vcov, r.sdcor)
        else:
            out["cor"] = (r.vcov, r.sdcor)
    return out


def test_sim_against_lmertest(sim_fit):
    ref = pd.read_csv(REF / "mixed_sim_lmer_fixed.csv").set_index("term")
    got = sim_fit.table.set_index("term").loc[ref.index]
    np.testing.assert_allclose(got["estimate"], ref["estimate"], atol=1e-4)
    np.testing.assert_allclose(got["std_error"], ref["std_error"], rtol=1e-3)
    np.testing.assert_allclose(got["df"], ref["df"], atol=0.05)
    np.testing.assert_allclose(got["p_value"], ref["p_value"], rtol=5e-3, atol=1e-8)
    vc = _vc_ref(REF / "mixed_sim_lmer_varcorr.csv")
    mine = sim_fit.variance_components.set_index("term")
    assert mine.loc["Intercept", "sd"] == pytest.approx(vc["(Intercept)"][1], rel=1e-3)
    assert mine.loc["x_within", "sd"] == pytest.approx(vc["x_within"][1], rel=1e-3)
    assert mine.loc["Intercept~x_within", "correlation"] == pytest.approx(vc["cor"][1], abs=2e-3)
    assert mine.loc["residual", "sd"] == pytest.approx(vc["residual"][1], rel=1e-3)
    extra = pd.read_csv(REF / "mixed_sim_lmer_extra.csv").iloc[0]
    assert sim_fit.reml_criterion == pytest.approx(extra["reml_criterion"], abs=0.01)


def test_simple_slopes_against_lmertest_contest(sim_fit):
    ref = pd.read_csv(REF / "mixed_sim_lmer_slopes.csv")
    got = sim_fit.simple_slopes(at=ref["m_value"])
    np.testing.assert_allclose(got["m_value"], ref["m_value"])
    np.testing.assert_allclose(got["estimate"], ref["estimate"], atol=1e-4)
    np.testing.assert_allclose(got["std_error"], ref["std_error"], rtol=1e-3)
    np.testing.assert_allclose(got["df"], ref["df"], atol=0.05)
    default = sim_fit.simple_slopes()
    assert len(default) == 3 and default["m_value"].is_monotonic_increasing


def test_johnson_neyman_bounds_are_where_the_test_is_just_significant(sim_fit):
    jn = sim_fit.johnson_neyman()
    assert jn.bounds, "expected at least one boundary"
    df = sim_fit.table.set_index("term").loc[["x_within", "x_within:m"], "df"].min()
    crit = stats.t.ppf(0.975, df)
    for b in jn.bounds:
        # independent recomputation from the coefficient covariance (raw moderator scale)
        lmm = sim_fit._lmm
        names = list(lmm.names)
        L = np.zeros(len(names))
        L[names.index("x_within")] = 1.0
        L[names.index("x_within:m")] = b - sim_fit._m_mean
        t = (L @ lmm.beta) / np.sqrt(L @ lmm.cov @ L)
        assert abs(t) == pytest.approx(crit, rel=1e-6)


def test_recovers_distinct_within_and_between_effects():
    """Known truth: within slope 0.6, between slope -0.4, cross-level interaction 0.25."""
    rng = np.random.default_rng(2024)
    n_sub, n_obs = 150, 6
    subj = np.repeat(np.arange(n_sub), n_obs)
    pm = rng.normal(0, 1, n_sub)[subj]
    x = pm + rng.normal(0, 1, subj.size)
    m = rng.normal(0, 1, n_sub)[subj]
    # truth is defined on the observed person means (the latent-mean attenuation of the
    # between slope, Luedtke et al. 2008, is a separate issue that this model does not address)
    pm_obs = pd.Series(x).groupby(subj).transform("mean").to_numpy()
    xw = x - pm_obs
    yv = (
        0.6 * xw
        + 0.25 * xw * m
        - 0.4 * pm_obs
        + rng.normal(0, 0.8, n_sub)[subj]
        + rng.normal(0, 0.6, subj.size)
    )
    df = pd.DataFrame({"id": subj.astype(str), "x": x, "m": m, "y": yv})
    res = hs.mixed(df, y="y", x="x", subject="id", m="m", random_slopes=False)
    t = res.table.set_index("term")
    m_bar = df.groupby("id")["m"].first().mean()  # m is centred: x_within is the slope at m_bar
    truths = [("x_within", 0.6 + 0.25 * m_bar), ("x_between", -0.4), ("x_within:m", 0.25)]
    for term, truth in truths:
        lo, hi = t.loc[term, ["conf_low", "conf_high"]]
        assert lo < truth < hi, term
    # the within and between slopes are separated: their difference is clearly non-zero
    diff = res.contrast({"x_within": 1, "x_between": -1})
    assert diff["conf_low"].iloc[0] > 0.5


def test_does_not_mutate_input(sim):
    before = sim.copy(deep=True)
    hs.mixed(sim, y="y", x="x", subject="subject", random_slopes=False)
    pd.testing.assert_frame_equal(sim, before)


def test_missing_rows_are_reported(sim):
    d = sim.copy()
    d.loc[[3, 10], "y"] = np.nan
    d.loc[20, "x"] = np.nan
    res = hs.mixed(d, y="y", x="x", subject="subject", random_slopes=False)
    assert res.n_obs == len(d) - 3
    assert sorted(res.dropped["row"]) == [3, 10, 20]
    assert set(res.dropped["action"]) == {"excluded"}
    assert "missing x" in res.dropped.set_index("row").loc[20, "reason"]
    assert "dropped" in res.summary()


def test_errors_name_all_missing_columns(sim):
    with pytest.raises(DataError, match=r"y='outcome'.*x='hormone'"):
        hs.mixed(sim, y="outcome", x="hormone", subject="subject")


def test_moderator_must_be_level2(sim):
    d = sim.copy()
    d.loc[d.index[0], "m"] = 99.0
    with pytest.raises(DataError, match=r"p01"):
        hs.mixed(d, y="y", x="x", subject="subject", m="m")


def test_non_numeric_predictor(sim):
    d = sim.assign(x=sim["x"].astype(str))
    with pytest.raises(DataError, match="numeric"):
        hs.mixed(d, y="y", x="x", subject="subject")


def test_simple_slopes_need_a_moderator(sleep_fit):
    with pytest.raises(ModelError, match="moderator"):
        sleep_fit.simple_slopes()


def test_singular_fit_is_reported_not_swallowed():
    """No true random-slope variance: the slope variance lands on the boundary (zero)."""
    rng = np.random.default_rng(3)
    subj = np.repeat(np.arange(25), 5)
    x = rng.normal(0, 1, subj.size)
    yv = 0.5 * x + rng.normal(0, 1, 25)[subj] + rng.normal(0, 1, subj.size)
    df = pd.DataFrame({"id": subj, "x": x, "y": yv})
    with pytest.warns(MixedModelWarning, match="random_slopes=False"):
        res = hs.mixed(df, y="y", x="x", subject="id", decompose=False)
    assert any("Singular" in w or "Boundary" in w for w in res.warnings)
    assert "WARNING" in res.summary()


def test_wald_option_and_categorical_covariate(sim):
    d = sim.assign(group=np.where(sim["age"] > 30, "older", "younger"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", MixedModelWarning)
        res = hs.mixed(d, y="y", x="x", subject="subject", covariates=["group"], df_method="wald")
    t = res.table.set_index("term")
    assert "group[younger]" in t.index
    assert np.isinf(t["df"]).all() and "Wald" in res.df_method
    # z test: p from the normal distribution
    z = t.loc["x_within", "statistic"]
    assert t.loc["x_within", "p_value"] == pytest.approx(2 * stats.norm.sf(abs(z)))


def test_decompose_covariate(sim):
    d = sim.assign(stress=sim["x"] * 0.5 + np.sin(np.arange(len(sim))))
    res = hs.mixed(
        d,
        y="y",
        x="x",
        subject="subject",
        covariates=["stress"],
        decompose=["x", "stress"],
        random_slopes=False,
    )
    assert {"stress_within", "stress_between"} <= set(res.table["term"])


def test_display(sim_fit):
    assert "Fixed effects" in sim_fit.summary()
    assert "<table" in sim_fit._repr_html_()
    assert list(sim_fit.table.columns) == [
        "term",
        "estimate",
        "std_error",
        "statistic",
        "df",
        "p_value",
        "conf_low",
        "conf_high",
    ]


def test_maximum_likelihood_against_lme4(sleep):
    res = hs.mixed(sleep, y="Reaction", x="Days", subject="Subject", decompose=False, reml=False)
    extra = pd.read_csv(REF / "sleepstudy_lmer_extra.csv").iloc[0]
    assert np.isnan(res.reml_criterion)
    assert res.deviance == pytest.approx(extra["ml_deviance"], abs=0.01)
    t = res.table.set_index("term")
    assert t.loc["Days", "std_error"] == pytest.approx(extra["ml_days_se"], rel=1e-3)
    assert t.loc["Days", "df"] == pytest.approx(extra["ml_days_df"], abs=0.05)
