"""Inference on mixed models: type-III F tests and adjusted emmeans contrasts.

References (not our code), made by tests/reference/mixed_inference.R: ``lmerTest::anova(fit,
type = 3, ddf = "Satterthwaite" / "Kenward-Roger")`` (pbkrtest for KR) and ``emmeans`` pairwise
contrasts with ``adjust = "none" / "tukey" / "holm" / "bonferroni" / "mvt"`` on lme4's cake, nlme's
Oats and R's ChickWeight (random-intercept models, tight bobyqa fits). Tolerances: F, df, limits
1e-4 relative; p 1e-4 relative (or 1e-12 absolute for tiny p). mvt is integrated numerically on
both sides: emmeans' values carry mvtnorm's default error bound (abseps 1e-3), so they are
checked within 3e-3 (p) and 6e-3 SE (limits); for the smaller families R also integrated tightly
(abseps 1e-5; its quantile by uniroot to ~1e-4), checked within 1e-3 (p) and 5e-3 SE (limits);
our own quasi-Monte Carlo error is about 2e-4 (p) and 1e-3 SE (limits).
"""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.errors import ModelError
from hormonestats.models.lmm.adjust import holm

REF = Path(__file__).parent / "reference"
ANOVA = pd.read_csv(REF / "mixed_inference_anova.csv")
PAIRS = pd.read_csv(REF / "mixed_inference_pairs.csv")
DTYPES = {"temperature": str, "replicate": str, "Diet": str, "Chick": str, "Block": str}
MODELS = {
    "cake": ("cake", "angle ~ recipe * temperature + (1 | recipe:replicate)"),
    "cake_temperature": ("cake", "angle ~ temperature + (1 | recipe:replicate)"),
    "oats": ("oats", "yield ~ nitro * Variety + (1 | Block/Variety)"),
    "chickweight": ("chickweight", "weight ~ Time * Diet + (1 | Chick)"),
}
DDF = {"Satterthwaite": "satterthwaite", "Kenward-Roger": "kenward-roger"}
_FITS: dict = {}


def _fit(name, df_method):
    key = (name, df_method)
    if key not in _FITS:
        data, formula = MODELS[name]
        d = pd.read_csv(REF / f"mixed_inference_{data}.csv", dtype=DTYPES)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _FITS[key] = hs.mixed(d, formula=formula, df_method=df_method)
    return _FITS[key]


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("ddf", list(DDF))
def test_type3_anova_matches_lmertest(name, ddf):
    ref = ANOVA[(ANOVA["model"] == name) & (ANOVA["ddf"] == ddf)].reset_index(drop=True)
    out = _fit(name, DDF[ddf]).anova()
    assert out["term"].tolist() == ref["term"].tolist()
    assert out["num_df"].tolist() == ref["num_df"].tolist()
    for col in ("statistic", "den_df", "sum_sq", "mean_sq"):
        np.testing.assert_allclose(out[col], ref[col], rtol=1e-4, err_msg=col)
    np.testing.assert_allclose(out["p_value"], ref["p_value"], rtol=1e-4, atol=1e-12)


def test_anova_single_df_term_is_the_squared_t_test():
    fit = _fit("oats", "satterthwaite")
    row = fit.anova().set_index("term").loc["nitro"]
    # nitro is contained in nitro:Variety: its type-III test is not the coefficient's t test,
    # but a single-df F equals the square of the t of its own contrast
    assert row["num_df"] == 1 and row["statistic"] > 100
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wald = hs.mixed(pd.read_csv(REF / "mixed_inference_oats.csv"),
                        formula="yield ~ nitro * Variety + (1 | Block/Variety)", df_method="wald")
    with pytest.raises(ModelError, match="Satterthwaite or Kenward-Roger"):
        wald.anova()


def test_anova_recovers_a_null_and_a_real_effect():
    """Simulated: a 3-level within-person factor with a true effect, a 3-level between-person
    factor without; F tests separate them (and the interaction-free model is the truth)."""
    rng = np.random.default_rng(5)
    n, k = 60, 3
    d = pd.DataFrame({"id": np.repeat(np.arange(n), k), "phase": np.tile(["a", "b", "c"], n)})
    d["group"] = np.array(["g1", "g2", "g3"])[d["id"] % 3]
    d["y"] = (rng.normal(0, 1, n)[d["id"]] + d["phase"].map({"a": 0, "b": 0.8, "c": 0.4})
              + rng.normal(0, 0.7, len(d)))
    out = hs.mixed(d, formula="y ~ phase * group + (1 | id)").anova().set_index("term")
    assert out.loc["phase", "p_value"] < 1e-3
    assert out.loc["group", "p_value"] > 0.01
    assert out.loc["phase", "den_df"] == pytest.approx(2 * (n - 3), rel=1e-4)  # balanced


CASES = [("cake", "recipe"), ("cake", "temperature"), ("cake_temperature", "temperature"),
         ("chickweight", "Diet")]


def _ref_pairs(name, factor, ddf, adjust):
    r = PAIRS[(PAIRS["model"] == name) & (PAIRS["ddf"] == ddf) & (PAIRS["adjust"] == adjust)]
    return r[r["contrast"].str.startswith(factor) | (factor == "recipe")
             & ~r["contrast"].str.contains("temperature")].reset_index(drop=True)


def _adjust_cases():
    """Every case x df x adjustment; Tukey on the 15-contrast families is slow (scipy's
    studentized range integrates numerically), so it runs with the slow tests."""
    out = []
    for name, factor in CASES:
        for ddf in ("satterthwaite", "kenward-roger"):
            for adjust in ("none", "tukey", "holm", "bonferroni"):
                marks = (pytest.mark.slow,) if adjust == "tukey" and factor == "temperature" else ()
                out.append(pytest.param(name, factor, ddf, adjust, marks=marks))
    return out


@pytest.mark.parametrize(("name", "factor", "ddf", "adjust"), _adjust_cases())
def test_emmeans_adjusted_pairs_match_emmeans(name, factor, ddf, adjust):
    ref = _ref_pairs(name, factor, ddf, adjust)
    _, out = _fit(name, ddf).emmeans(factor, adjust=adjust)
    assert len(out) == len(ref)
    np.testing.assert_allclose(out["estimate"], ref["estimate"], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(out["df"], ref["df"], rtol=1e-4)
    np.testing.assert_allclose(out["p_value"], ref["p_value"], rtol=1e-4, atol=1e-10)
    for col in ("conf_low", "conf_high"):
        np.testing.assert_allclose(out[col], ref[col], rtol=1e-4)
        np.testing.assert_allclose((out[col] - ref[col]) / ref["std_error"], 0, atol=1e-5)


@pytest.mark.parametrize(("name", "factor"), CASES)
@pytest.mark.parametrize("ddf", ["satterthwaite", "kenward-roger"])
def test_emmeans_mvt(name, factor, ddf):
    default = _ref_pairs(name, factor, ddf, "mvt")
    _, out = _fit(name, ddf).emmeans(factor, adjust="mvt")
    np.testing.assert_allclose(out["p_value"], default["p_value"], atol=3e-3)
    for col in ("conf_low", "conf_high"):
        np.testing.assert_allclose((out[col] - default[col]) / default["std_error"], 0, atol=6e-3)
    tight = _ref_pairs(name, factor, ddf, "mvt_tight")
    if len(tight):  # the small families, integrated tightly in R (abseps 1e-5)
        np.testing.assert_allclose(out["p_value"], tight["p_value"], atol=1e-3)
        for col in ("conf_low", "conf_high"):
            np.testing.assert_allclose((out[col] - tight[col]) / tight["std_error"], 0,
                                       atol=5e-3)
    # reproducible: the same numbers twice
    _, again = _fit(name, ddf).emmeans(factor, adjust="mvt")
    pd.testing.assert_frame_equal(out, again)


def test_adjustment_order_and_errors():
    fit = _fit("chickweight", "satterthwaite")
    p = {a: fit.emmeans("Diet", adjust=a)[1]["p_value"].to_numpy()
         for a in ("none", "tukey", "holm", "bonferroni", "mvt")}
    assert np.all(p["bonferroni"] >= p["holm"]) and np.all(p["holm"] >= p["none"])
    assert np.all(p["tukey"] <= p["bonferroni"]) and np.all(p["mvt"] <= p["bonferroni"] + 1e-9)
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
    with pytest.raises(ModelError, match="adjust must be one of"):
        fit.emmeans("Diet", adjust="scheffe")


def test_kenward_roger_through_the_random_effects_equals_the_dense_computation():
    from hormonestats.models.lmm import kenward_roger as kr
    from hormonestats.models.lmm.design import category_levels, fixed_design, random_blocks
    from hormonestats.models.lmm.formula import parse_formula

    d = pd.read_csv(REF / "mixed_engine_sleepstudy.csv")
    for data, formula in [(d, "Reaction ~ Days + (Days | Subject)"),
                          (pd.read_csv(REF / "mixed_inference_oats.csv", dtype=DTYPES),
                           "yield ~ nitro * Variety + (1 | Block/Variety)")]:
        fit = hs.mixed(data, formula=formula, df_method="kenward-roger")
        lmm, frame = fit.fit, data
        spec = parse_formula(formula)
        levels = category_levels(frame, spec)
        X, _ = fixed_design(frame, spec, levels)
        blocks = random_blocks(frame, spec, levels)
        Phi = lmm._kr[0]
        dense = kr._kr_pieces_dense(X, blocks, lmm.covs, lmm.sigma2, Phi)
        low = kr.kr_pieces_lowrank(X, blocks, lmm.covs, lmm.sigma2, Phi)
        np.testing.assert_allclose(low[0], dense[0], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(low[2], dense[2], rtol=1e-8, atol=1e-12 * np.abs(dense[2]).max())
        for a, b in zip(low[1], dense[1]):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_kenward_roger_beyond_4000_rows():
    """Balanced random-intercept design of 4,500 rows: the KR df of the between-person effect
    is the exact n_subjects - 2 and of the within-person one the residual df, as Satterthwaite's."""
    rng = np.random.default_rng(8)
    n, k = 450, 10
    d = pd.DataFrame({"id": np.repeat(np.arange(n), k), "t": np.tile(np.arange(k), n)})
    d["g"] = np.where(d["id"] % 2 == 0, "a", "b")
    d["y"] = rng.normal(0, 1, n)[d["id"]] + 0.2 * d["t"] + rng.normal(0, 1, len(d))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kr_fit = hs.mixed(d, formula="y ~ t + g + (1 | id)", df_method="kenward-roger")
        sat = hs.mixed(d, formula="y ~ t + g + (1 | id)")
    df = kr_fit.table.set_index("term")["df"]
    assert df["g[b]"] == pytest.approx(n - 2, rel=1e-6)
    assert df["t"] == pytest.approx(n * (k - 1) - 1, rel=1e-6)
    np.testing.assert_allclose(kr_fit.anova()["den_df"], sat.anova()["den_df"], rtol=1e-5)


PROFILE = pd.read_csv(REF / "mixed_profile.csv")
PROFILE_MODELS = {
    "sleepstudy": ("mixed_engine_sleepstudy.csv", "Reaction ~ Days + (1 | Subject)"),
    "chickweight": ("mixed_inference_chickweight.csv", "weight ~ Time * Diet + (1 | Chick)"),
    "oats": ("mixed_inference_oats.csv", "yield ~ nitro * Variety + (1 | Block/Variety)"),
}


@pytest.mark.parametrize("name", ["sleepstudy", "chickweight",
                                  pytest.param("oats", marks=pytest.mark.slow)])
def test_profile_intervals_match_lme4(name):
    """lme4's profile solved tightly in R (1e-5 relative) and lme4's own spline-interpolated
    confint (1e-3 relative: its interpolation error, up to 6e-4 on Oats)."""
    file, formula = PROFILE_MODELS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = hs.mixed(pd.read_csv(REF / file, dtype=DTYPES), formula=formula)
    out = fit.confint_profile(which="variance")
    ref = PROFILE[PROFILE["model"] == name].copy()
    # lme4 names a nested term "Variety:Block"; ours keeps the formula's order
    ref["parameter"] = ref["parameter"].str.replace("Variety:Block", "Block:Variety")
    ref = ref.set_index("parameter").loc[out["parameter"]]
    np.testing.assert_allclose(out["estimate"], ref["estimate_ml"], rtol=1e-5)
    np.testing.assert_allclose(out["conf_low"], ref["tight_low"], rtol=1e-5)
    np.testing.assert_allclose(out["conf_high"], ref["tight_high"], rtol=1e-5)
    np.testing.assert_allclose(out["conf_low"], ref["conf_low"], rtol=1e-3)
    np.testing.assert_allclose(out["conf_high"], ref["conf_high"], rtol=1e-3)


def test_profile_intervals_boundary():
    rng = np.random.default_rng(2)
    d = pd.DataFrame({"id": np.repeat(np.arange(30), 4)})
    d["y"] = rng.normal(0, 1, len(d))  # no between-person variance at all
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = hs.mixed(d, formula="y ~ 1 + (1 | id)").confint_profile(conf_level=0.9)
    row = out.set_index("parameter").loc["sd_(Intercept)|id"]
    assert row["conf_low"] == 0.0 and row["conf_high"] > row["estimate"]
    sig = out.set_index("parameter").loc["sigma"]
    assert sig["conf_low"] < 1 < sig["conf_high"]
    mean = out.set_index("parameter").loc["Intercept"]
    assert mean["conf_low"] < 0 < mean["conf_high"]
    with pytest.raises(ModelError, match="which must be one of"):
        hs.mixed(d, formula="y ~ 1 + (1 | id)").confint_profile(which="theta")


PROFILE_SLOPES = pd.read_csv(REF / "mixed_profile_slopes.csv")
SLOPE_MODELS = {
    "sleepstudy": ("mixed_engine_sleepstudy.csv", "Reaction ~ Days + (Days | Subject)"),
    "sleepstudy_uncor": ("mixed_engine_sleepstudy.csv", "Reaction ~ Days + (Days || Subject)"),
    "chickweight": ("mixed_inference_chickweight.csv", "weight ~ Time + Diet + (Time | Chick)"),
}


@pytest.mark.parametrize("name", ["sleepstudy",
                                  pytest.param("sleepstudy_uncor", marks=pytest.mark.slow),
                                  pytest.param("chickweight", marks=pytest.mark.slow)])
def test_profile_intervals_slopes_match_lme4(name):
    """Random-slope SDs, their correlation, sigma and the fixed effects against lme4's profile
    solved tightly in R (limits 1e-5 relative, well inside the issue's 1e-4) and lme4's own
    spline-interpolated confint (1e-3: its interpolation error). ChickWeight's correlation
    (-0.99) has its lower limit at the bound -1 in both."""
    file, formula = SLOPE_MODELS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = hs.mixed(pd.read_csv(REF / file, dtype=DTYPES), formula=formula)
    out = fit.confint_profile()
    ref = PROFILE_SLOPES[PROFILE_SLOPES["model"] == name].copy()
    # lme4 names fixed effects by its model-matrix columns
    ref["parameter"] = (ref["parameter"].str.replace(r"^Diet(\d)$", r"Diet[\1]", regex=True)
                        .replace("(Intercept)", "Intercept"))
    assert list(out["parameter"]) == list(ref["parameter"])
    ref = ref.set_index("parameter").loc[out["parameter"]]
    np.testing.assert_allclose(out["estimate"], ref["estimate_ml"], rtol=1e-5)
    np.testing.assert_allclose(out["conf_low"], ref["tight_low"], rtol=1e-5)
    np.testing.assert_allclose(out["conf_high"], ref["tight_high"], rtol=1e-5)
    np.testing.assert_allclose(out["conf_low"], ref["conf_low"], rtol=1e-3)
    np.testing.assert_allclose(out["conf_high"], ref["conf_high"], rtol=1e-3)
