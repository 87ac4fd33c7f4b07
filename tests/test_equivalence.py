"""Equivalence tests (TOST) against R (two pt() calls on lm()) and against scipy."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import hormonestats as hs
from hormonestats.errors import ModelError
from hormonestats.models.equivalence import equivalence_regions
from hormonestats.models.runners import _regression

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def fitted():
    d = pd.read_csv(REF / "moderation_data.csv")
    return hs.moderation(d, y="y", x="x", m="m", covariates=["c1"])


def test_tost_matches_r(fitted):
    ref = pd.read_csv(REF / "equivalence_tost.csv")
    for _, r in ref.iterrows():
        eq = hs.equivalence_test(fitted, term="x:m", bounds=(r["low"], r["high"]))
        row = eq.table.iloc[0]
        for col in ("estimate", "std_error", "df", "t_lower", "t_upper", "conf_low", "conf_high"):
            assert row[col] == pytest.approx(r[col], rel=1e-8), col
        for col in ("p_lower", "p_upper", "p_value"):
            assert row[col] == pytest.approx(r[col], rel=1e-6, abs=1e-15), col
        assert eq.equivalent == (r["p_value"] < 0.05)
    # the 90% interval inside the bounds <=> equivalent
    eq = hs.equivalence_test(fitted, term="x:m", bounds=(0.05, 0.3))
    assert eq.equivalent and eq.table["conf_low"].iloc[0] > 0.05


def test_z_reference_and_scipy_tost():
    """Without df (censored regression: Wald z) the normal distribution is used."""
    rng = np.random.default_rng(3)
    d = pd.DataFrame({"x": rng.normal(size=300)})
    ystar = 1 + 0.05 * d.x + rng.normal(size=300)
    d["censored"] = np.where(ystar < 0.2, "left", "none")
    d["lod_limit"] = 0.2
    d["y"] = ystar.where(d.censored == "none")
    res = hs.censored_regression(d, y="y", x="x")
    eq = hs.equivalence_test(res, term="x", bounds=(-0.25, 0.25))
    row = res.table.set_index("term").loc["x"]
    b, s = row["estimate"], row["std_error"]
    p = max(stats.norm.sf((b + 0.25) / s), stats.norm.cdf((b - 0.25) / s))
    assert eq.table["df"].iloc[0] == np.inf
    assert eq.p_value == pytest.approx(p, rel=1e-12)


def test_two_group_tost_matches_scipy_ttests():
    """A 0/1 predictor in OLS is the pooled two-sample t test: TOST = two scipy one-sided tests
    on shifted data, and scale="d" multiplies the bounds by the pooled SD."""
    rng = np.random.default_rng(11)
    g = np.repeat([0, 1], 60)
    y = 0.1 * g + rng.normal(size=120)
    d = pd.DataFrame({"g": g, "y": y})
    reg = _regression(d, y="y", x="g")
    eq = hs.equivalence_test(reg, term="g", bounds=(-0.5, 0.5))
    a, b = y[g == 1], y[g == 0]
    p_lower = stats.ttest_ind(a - (-0.5), b, alternative="greater").pvalue
    p_upper = stats.ttest_ind(a - 0.5, b, alternative="less").pvalue
    assert eq.table["p_lower"].iloc[0] == pytest.approx(p_lower, rel=1e-10)
    assert eq.table["p_upper"].iloc[0] == pytest.approx(p_upper, rel=1e-10)
    pooled = np.sqrt(((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1)) / 118)
    eqd = hs.equivalence_test(reg, term="g", bounds=(-0.5, 0.5), scale="d")
    assert eqd.standardizer == pytest.approx(pooled, rel=1e-10)
    assert eqd.table["bound_high"].iloc[0] == pytest.approx(0.5 * pooled)
    assert "Equivalence test of g" in eqd.summary() and "<table" in eqd._repr_html_()
    assert len(repr(eqd)) < 200


def test_bad_input_is_refused(fitted):
    with pytest.raises(ModelError, match="low < high"):
        hs.equivalence_test(fitted, term="x:m", bounds=(0.3, -0.3))
    with pytest.raises(ModelError, match="not in the result"):
        hs.equivalence_test(fitted, term="nope", bounds=(-1, 1))
    with pytest.raises(ModelError, match="tidy"):
        hs.equivalence_test(object(), term="x", bounds=(-1, 1))
    with pytest.raises(ModelError, match="scale"):
        hs.equivalence_test(fitted, term="x:m", bounds=(-1, 1), scale="eta")


def test_equivalence_regions_of_a_family():
    rng = np.random.default_rng(5)
    d = pd.DataFrame({"ot": rng.integers(0, 2, 300), "e2": rng.normal(size=300)})
    d["rmet"] = 0.5 * d.ot * d.e2 + rng.normal(size=300)
    d["anx"] = rng.normal(size=300)
    d["p4"] = rng.normal(size=300)
    fam = hs.test_hypotheses(
        d,
        mapping={"outcome": "rmet", "oxytocin": "ot", "estradiol": "e2", "anxiety": "anx",
                 "progesterone": "p4"},
        hypotheses=["estradiol_oxytocin", "progesterone_anxiety"],
    )
    reg = equivalence_regions(fam)
    tab = fam.table.set_index("hypothesis")
    # the significant interaction has no region; the null slope has one
    assert list(reg["hypothesis"]) == [
        h for h in tab.index if tab.loc[h, "conf_low"] <= 0 <= tab.loc[h, "conf_high"]
    ]
    r = reg.iloc[0]
    q = stats.norm.ppf(0.95)
    assert r["delta_min"] == pytest.approx(
        max(abs(r["estimate"] - q * r["std_error"]), abs(r["estimate"] + q * r["std_error"]))
    )


@pytest.mark.parametrize("data", ["toothgrowth", "sleep"])
def test_d_bounds_of_a_centred_binary_predictor_match_r(data):
    """scale="d" for a 0/1 predictor uses the residual SD also when the column is centred
    (hs.moderation's default); against R (equivalence_d.R: lm() and two pt() calls, on sleep
    also two shifted t.test calls). On ToothGrowth, bounds of +-0.5 d: p = .939, not
    equivalent (sd(y)/sd(x) made the bounds 3.7 times too wide and gave p = .00026)."""
    ref = pd.read_csv(REF / "equivalence_d_tost.csv")
    ref = ref.loc[ref["data"] == data]
    d = pd.read_csv(REF / f"equivalence_d_{data}.csv")
    if data == "toothgrowth":
        res = hs.moderation(d, y="len", x="oj", m="dose")
        term = "oj"
    else:
        d["group2_c"] = d["group2"] - d["group2"].mean()
        res = _regression(d, y="extra", x="group2_c")
        term = "group2_c"
    for _, r in ref.iterrows():
        eq = hs.equivalence_test(res, term=term, bounds=(-r["delta"], r["delta"]), scale="d")
        row = eq.table.iloc[0]
        assert eq.standardizer == pytest.approx(r["standardizer"], rel=1e-10)
        for col in ("estimate", "std_error", "df", "bound_low", "bound_high", "t_lower", "t_upper"):
            assert row[col] == pytest.approx(r[col], rel=1e-9), col
        for col in ("p_lower", "p_upper", "p_value"):
            assert row[col] == pytest.approx(r[col], rel=1e-7), col
        assert eq.equivalent == (r["p_value"] < 0.05)
    if data == "toothgrowth":
        eq = hs.equivalence_test(res, term="oj", bounds=(-0.5, 0.5), scale="d")
        assert eq.p_value == pytest.approx(0.939331950004418, rel=1e-7) and not eq.equivalent


def test_d_bounds_of_a_two_code_predictor_are_per_code_distance():
    """A -1/+1 coded group: the coefficient is half the group difference, so one d unit is
    half a residual SD in coefficient units."""
    rng = np.random.default_rng(4)
    g = np.repeat([-1.0, 1.0], 50)
    d = pd.DataFrame({"g": g, "y": 0.2 * g + rng.normal(size=100)})
    reg = _regression(d, y="y", x="g")
    eq = hs.equivalence_test(reg, term="g", bounds=(-0.5, 0.5), scale="d")
    assert eq.standardizer == pytest.approx(np.sqrt(reg.fit.scale) / 2, rel=1e-12)
