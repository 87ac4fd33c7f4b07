"""Rubin's rules, Barnard–Rubin df, FMI and D1/D2/D3 against mice and mitml.

The completed data sets were written by R (``tests/reference/imputation.R``, mice 3.15.0,
mitml 0.4.4); Python fits its models on the very same numbers and pools them. Tolerances:
1e-8 relative for least squares and logistic fits (both converged far below that), 1e-6 for the
random-intercept model (two REML optimisers).
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import hormonestats as hs
from hormonestats.errors import ModelError
from hormonestats.models.pooled_tests import (
    d1,
    d2,
    d3_ols,
    pooled_johnson_neyman,
    pooled_slopes,
)
from hormonestats.models.pooling import barnard_rubin_df, pool, pool_scalar, rubin
from hormonestats.results import protocol_problems

REF = Path(__file__).parent / "reference"
COLS = ["estimate", "std_error", "df", "riv", "fmi", "ubar", "b", "t", "lambda"]


def _read(name):
    return pd.read_csv(REF / name)


def _design(d, terms, factor_levels=None):
    x = pd.DataFrame({"(Intercept)": 1.0}, index=d.index)
    for term in terms:
        if factor_levels and term in factor_levels:
            for level in factor_levels[term][1:]:
                x[f"{term}{level}"] = (d[term] == level).astype(float)
        else:
            x[term] = d[term].astype(float)
    return x


def _fits(completed, y, terms, *, factor_levels=None, logistic=False):
    out = []
    for _, d in completed.groupby(".imp", sort=True):
        x = _design(d, terms, factor_levels)
        if logistic:
            fit = sm.GLM(d[y].astype(float), x, family=sm.families.Binomial()).fit(tol=1e-15,
                                                                                    maxiter=200)
        else:
            fit = sm.OLS(d[y].astype(float), x).fit()
        out.append(fit)
    return out


def _pooled(fits, dfcom):
    q = np.vstack([f.params.to_numpy() for f in fits])
    u = np.vstack([f.bse.to_numpy() ** 2 for f in fits])
    return rubin(q, u, dfcom=dfcom, terms=list(fits[0].params.index))


def _close(ours, ref, cols, rtol):
    ours = ours.set_index("term")
    ref = ref.set_index("term")
    for c in cols:
        np.testing.assert_allclose(ours.loc[ref.index, c].to_numpy(float),
                                   ref[c].to_numpy(float), rtol=rtol, atol=0, err_msg=c)


AGE = {"age": ["20-39", "40-59", "60-99"]}


def test_rubin_nhanes_linear_matches_mice_pool():
    fits = _fits(_read("mi_nhanes_completed.csv"), "chl", ["age", "bmi"])
    ref = _read("mi_nhanes_lm_pool.csv")
    _close(_pooled(fits, fits[0].df_resid), ref, COLS, 1e-8)


def test_rubin_nhanes2_linear_with_factor_matches_mice_pool():
    fits = _fits(_read("mi_nhanes2_completed.csv"), "chl", ["age", "bmi"], factor_levels=AGE)
    ref = _read("mi_nhanes2_lm_pool.csv")
    _close(_pooled(fits, fits[0].df_resid), ref, COLS, 1e-8)


def test_rubin_nhanes2_logistic_matches_mice_pool():
    fits = _fits(_read("mi_nhanes2_completed.csv"), "hyp", ["bmi", "chl"], logistic=True)
    ref = _read("mi_nhanes2_glm_pool.csv")
    # mice takes glm's df.residual (n - p) as the complete-data df
    _close(_pooled(fits, fits[0].df_resid), ref, COLS, 1e-8)


def _tests_ref(model, test):
    ref = _read("mi_nhanes2_tests.csv")
    return ref[(ref.model == model) & (ref.test == test)].iloc[0]


def _wald_parts(fits, names):
    q = np.vstack([f.params[names].to_numpy() for f in fits])
    u = np.stack([f.cov_params().loc[names, names].to_numpy() for f in fits])
    return q, u


def _check_test(ours, ref, rtol=1e-8):
    for ours_key, ref_key in (("statistic", "statistic"), ("df2", "df2"), ("p_value", "p_value"),
                              ("riv", "riv")):
        np.testing.assert_allclose(ours[ours_key], ref[ref_key], rtol=rtol, err_msg=ours_key)
    assert ours["df1"] == ref["df1"]


@pytest.mark.parametrize("model", ["lm", "glm"])
def test_d1_d2_match_mitml_test_models(model):
    completed = _read("mi_nhanes2_completed.csv")
    if model == "lm":
        fits = _fits(completed, "chl", ["age", "bmi"], factor_levels=AGE)
        nulls = _fits(completed, "chl", ["bmi"])
        names = ["age40-59", "age60-99"]
    else:
        fits = _fits(completed, "hyp", ["bmi", "chl"], logistic=True)
        nulls = _fits(completed, "hyp", [], logistic=True)
        names = ["bmi", "chl"]
    q, u = _wald_parts(fits, names)
    # D2's df, (m - 1)(1 + 1/r)^2 k^(-3/m), doubles the relative error of a small r, and a
    # logistic fit's covariance agrees with R's to about 1e-8: 1e-7 for the logistic model
    rtol = 1e-8 if model == "lm" else 1e-7
    _check_test(d1(q, u), _tests_ref(model, "D1"), rtol)
    dfcom = float(_tests_ref(model, "D1_dfcom")["dfcom"])
    _check_test(d1(q, u, dfcom=dfcom), _tests_ref(model, "D1_dfcom"), rtol)
    wald = [qq @ np.linalg.solve(uu, qq) for qq, uu in zip(q, u)]
    _check_test(d2(wald, 2), _tests_ref(model, "D2_wald"), rtol)
    lr = [2 * (f.llf - n.llf) for f, n in zip(fits, nulls)]
    _check_test(d2(lr, 2), _tests_ref(model, "D2_likelihood"), rtol)


def test_d3_matches_mitml_for_linear_models():
    completed = _read("mi_nhanes2_completed.csv")
    groups = [d for _, d in completed.groupby(".imp", sort=True)]
    ys = [d["chl"].to_numpy(float) for d in groups]
    xf = [_design(d, ["age", "bmi"], AGE).to_numpy() for d in groups]
    xn = [_design(d, ["bmi"]).to_numpy() for d in groups]
    _check_test(d3_ols(ys, xf, xn), _tests_ref("lm", "D3"))


def test_mixed_random_intercept_matches_mitml_test_estimates():
    completed = _read("mi_studentratings_completed.csv")
    fits = [hs.mixed(d, formula="ReadAchiev ~ ReadDis + SES + (1 | ID)")
            for _, d in completed.groupby(".imp", sort=True)]
    ref = _read("mi_studentratings_estimates.csv")
    pooled = pool(fits, dfcom=np.inf)
    cols = ["estimate", "std_error", "statistic", "df", "riv", "fmi"]
    ref = ref.assign(term=ref["term"].replace({"(Intercept)": "Intercept"}))
    _close(pooled.table, ref[ref.pooling == "rubin"], cols, 1e-6)
    _close(pool(fits, dfcom=500).table, ref[ref.pooling == "dfcom500"], cols, 1e-6)
    vc = _read("mi_studentratings_varcomp.csv")
    extra = pooled.extra.set_index("term")["estimate"]
    ours = [extra["ID:Intercept"], extra["residual:residual"], extra["ICC"]]
    np.testing.assert_allclose(ours, vc["estimate"].to_numpy(float), rtol=1e-6)
    assert protocol_problems(pooled) == []
    facts = pooled.methods_facts()
    assert facts["m"] == 10 and 0 < facts["fmi_min"] <= facts["fmi_max"] < 1
    assert "Pooled over 10 imputations" in pooled.summary()


def test_barnard_rubin_df_limits():
    # no between variance: lambda floors at 1e-4 and df tends to the complete-data df
    assert barnard_rubin_df(20, 0.0, 1.0, dfcom=30) == pytest.approx(
        31 / 33 * 30 * (1 - 1e-4), rel=1e-3)
    # the small-sample df never exceeds the complete-data df
    df = barnard_rubin_df(5, np.linspace(0.01, 1, 20), 2.0, dfcom=40)
    assert (df < 40).all()


def test_rubin_rejects_bad_input():
    with pytest.raises(ModelError, match="at least 2 imputations"):
        rubin([[1.0]], [[1.0]])
    with pytest.raises(ModelError, match="differ in shape"):
        rubin([[1.0], [2.0]], [[1.0, 2.0]])
    with pytest.raises(ModelError, match="finite"):
        rubin([[1.0], [np.nan]], [[1.0], [1.0]])


def test_pool_refuses_mismatched_terms():
    rng = np.random.default_rng(3)
    d = pd.DataFrame({"x": rng.normal(size=60), "m": rng.normal(size=60),
                      "g": rng.choice(["a", "b", "c"], 60)})
    d["y"] = d.x + rng.normal(size=60)
    a = hs.moderation(d, y="y", x="x", m="m", covariates=["g"])
    b = hs.moderation(d[d.g != "c"], y="y", x="x", m="m", covariates=["g"])
    with pytest.raises(ModelError, match="same model terms"):
        pool([a, b])


def test_pooled_slopes_equal_scalar_pooling_and_jn_boundary_has_critical_t():
    rng = np.random.default_rng(11)
    q = np.column_stack([0.2 + 0.05 * rng.normal(size=8), 0.4 + 0.05 * rng.normal(size=8)])
    u = np.stack([np.array([[0.01, -0.002], [-0.002, 0.01]])] * 8)
    slopes = pooled_slopes(q, u, [0.0, 1.0], dfcom=100)
    row = pool_scalar(q[:, 0], np.full(8, 0.1), dfcom=100)
    assert slopes.loc[0, "estimate"] == pytest.approx(row["estimate"], rel=1e-12)
    assert slopes.loc[0, "std_error"] == pytest.approx(row["std_error"], rel=1e-12)
    bounds = pooled_johnson_neyman(q, u, lower=-5, upper=5, dfcom=100)
    assert len(bounds) >= 1
    from scipy import stats

    at = pooled_slopes(q, u, bounds, dfcom=100)
    crit = stats.t.ppf(0.975, at["df"])
    np.testing.assert_allclose(np.abs(at["statistic"]), crit, rtol=1e-8)


def test_pooled_moderation_slopes_are_rubin_of_each_fits_simple_slopes():
    from hormonestats.models.pooled_tests import (
        pooled_moderation_johnson_neyman,
        pooled_moderation_slopes,
    )

    rng = np.random.default_rng(21)
    base = pd.DataFrame({"x": rng.normal(size=150), "m": rng.normal(2, 1, size=150)})
    fits = []
    for _ in range(6):  # six "completed" data sets differing in the outcome's noise
        d = base.assign(y=0.3 * base.x + 0.4 * base.x * base.m + rng.normal(size=150))
        fits.append(hs.moderation(d, y="y", x="x", m="m"))
    at = [1.0, 2.0, 3.5]
    ours = pooled_moderation_slopes(fits, at)
    for i, w in enumerate(at):
        each = [f.simple_slopes(at=[w]).iloc[0] for f in fits]
        row = pool_scalar([e["estimate"] for e in each], [e["std_error"] for e in each],
                          dfcom=fits[0].fit.df_resid)
        assert ours.loc[i, "estimate"] == pytest.approx(row["estimate"], rel=1e-10)
        assert ours.loc[i, "std_error"] == pytest.approx(row["std_error"], rel=1e-10)
    bounds = pooled_moderation_johnson_neyman(fits)
    at_bounds = pooled_moderation_slopes(fits, bounds)
    from scipy import stats

    np.testing.assert_allclose(np.abs(at_bounds["statistic"]),
                               stats.t.ppf(0.975, at_bounds["df"]), rtol=1e-8)
