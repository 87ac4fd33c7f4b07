"""Chained-equation imputation: known truth, mice's behaviour on nhanes, the documented options."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from hormonestats.derive.imputation import impute_table
from hormonestats.errors import HormoneStatsError
from hormonestats.models.pooling import rubin

REF = Path(__file__).parent / "reference"


def _mar_data(n=600, seed=1):
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({"x": rng.normal(size=n), "g": rng.choice(["a", "b", "c"], n)})
    d["y"] = 1 + 0.8 * d.x + (d.g == "b") * 0.5 + rng.normal(size=n)
    d.loc[rng.uniform(size=n) < 1 / (1 + np.exp(-(d.y - 1))) * 0.5, "x"] = np.nan
    d.loc[rng.uniform(size=n) < 0.15, "g"] = None
    return d


def test_observed_cells_kept_input_untouched_and_reproducible():
    d = _mar_data()
    before = d.copy()
    imp = impute_table(d, columns=["x", "g", "y"], m=3, seed=5, n_iter=4)
    pd.testing.assert_frame_equal(d, before)
    for c in imp:
        assert not c[["x", "g", "y"]].isna().any().any()
        obs = d["x"].notna()
        assert (c.loc[obs, "x"] == d.loc[obs, "x"]).all()
        assert set(c["g"]) <= {"a", "b", "c"}
        # predictive mean matching imputes values that occur in the data
        assert c.loc[~obs, "x"].isin(d.loc[obs, "x"]).all()
    again = impute_table(d, columns=["x", "g", "y"], m=3, seed=5, n_iter=4)
    for a, b in zip(imp, again):
        pd.testing.assert_frame_equal(a, b)
    other = impute_table(d, columns=["x", "g", "y"], m=3, seed=6, n_iter=4)
    assert not other[0]["x"].equals(imp[0]["x"])
    assert imp.missing["x"].sum() == d["x"].isna().sum()
    assert set(imp.chains["variable"]) == {"x", "g"}
    assert "m = 3 imputations" in imp.describe()


def test_same_numbers_on_one_and_two_workers():
    d = _mar_data(n=200)
    one = impute_table(d, columns=["x", "g", "y"], m=4, seed=9, n_iter=3)
    two = impute_table(d, columns=["x", "g", "y"], m=4, seed=9, n_iter=3,
                       execution={"n_jobs": 2})
    for a, b in zip(one, two):
        pd.testing.assert_frame_equal(a, b)


def test_mar_mean_recovered_where_complete_cases_are_biased():
    rng = np.random.default_rng(3)
    n = 3000
    d = pd.DataFrame({"x": rng.normal(size=n)})
    d["y"] = 0.8 * d.x + rng.normal(scale=0.6, size=n)
    d.loc[rng.uniform(size=n) < 1 / (1 + np.exp(-2 * d.y)), "x"] = np.nan  # MAR given y
    imp = impute_table(d, columns=["x", "y"], m=10, seed=1, n_iter=5)
    means = [c["x"].mean() for c in imp]
    var = [c["x"].var() / n for c in imp]
    pooled = rubin(np.c_[means], np.c_[var])
    est, se = pooled.loc[0, "estimate"], pooled.loc[0, "std_error"]
    assert abs(est - 0.0) < 2.5 * se  # the truth is E[x] = 0
    assert abs(d["x"].mean() - 0.0) > 10 * se  # complete cases: biased


def test_below_lod_values_imputed_inside_zero_to_lod():
    rng = np.random.default_rng(4)
    n = 800
    z = rng.normal(size=n)
    log_h = 1.0 + 0.7 * z + rng.normal(scale=0.6, size=n)
    lod = np.log(np.exp(np.quantile(log_h, 0.2)))
    below = log_h < lod
    d = pd.DataFrame({"z": z, "log_h": np.where(below, np.nan, log_h)})
    d.loc[rng.uniform(size=n) < 0.05, "log_h"] = np.nan  # some samples lost for other reasons
    bounds = np.where(below, lod, np.nan)
    imp = impute_table(d, columns=["z", "log_h"], m=20, seed=2, n_iter=5, lod={"log_h": bounds})
    values = np.concatenate([c.loc[below, "log_h"].to_numpy() for c in imp])
    assert (values < lod).all() and np.isfinite(values).all()
    assert (np.exp(values) > 0).all()
    # the imputed below-LOD values follow the truth on average (not LOD/2, not above the LOD)
    assert abs(values.mean() - log_h[below].mean()) < 0.05
    assert 0.5 < values.std() / log_h[below].std() < 1.5
    # a lost sample above the LOD is not forced below it
    other = d["log_h"].isna().to_numpy() & ~below
    others = np.concatenate([c.loc[other, "log_h"].to_numpy() for c in imp])
    assert (others > lod).mean() > 0.6
    model = imp.model.set_index("variable")
    assert model.loc["log_h", "n_below_lod"] == below.sum()
    assert "within (0, LOD)" in imp.describe()


def test_categorical_polyreg_recovers_group_shares():
    rng = np.random.default_rng(8)
    n = 3000
    x = rng.normal(size=n)
    p = np.column_stack([np.ones(n), np.exp(x), np.exp(-x)])
    p /= p.sum(axis=1, keepdims=True)
    g = np.array(["a", "b", "c"])[(rng.uniform(size=n)[:, None] > p.cumsum(axis=1)).sum(axis=1)]
    d = pd.DataFrame({"x": x, "g": g})
    miss = rng.uniform(size=n) < 0.3
    d.loc[miss, "g"] = None
    imp = impute_table(d, columns=["x", "g"], m=10, seed=3, n_iter=3)
    shares = pd.concat([c.loc[miss, "g"] for c in imp]).value_counts(normalize=True)
    truth = pd.Series(g[miss]).value_counts(normalize=True)
    assert np.abs(shares - truth).max() < 0.03
    assert imp.model.set_index("variable").loc["g", "method"] == "polyreg"


def _interaction_data(n=4000, seed=5):
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({"x": rng.normal(size=n), "m": rng.integers(0, 2, n).astype(float)})
    d["y"] = 0.5 * d.x + 0.3 * d.m + 0.6 * d.x * d.m + rng.normal(size=n)
    d.loc[rng.uniform(size=n) < 1 / (1 + np.exp(-(-0.5 + 1.0 * d.m))), "x"] = np.nan
    return d


@pytest.mark.parametrize("method", ["passive", "jav", "none"])
def test_interaction_passive_and_jav_recover_it_leaving_it_out_attenuates(method):
    d = _interaction_data()
    inter = [] if method == "none" else [("x", "m")]
    imp = impute_table(d, columns=["x", "m", "y"], m=10, seed=4, n_iter=5, interactions=inter,
                       interaction_method="jav" if method == "jav" else "passive")
    term = "x_x_m" if method == "jav" else "x:m"
    formula = "y ~ x + m + x_x_m" if method == "jav" else "y ~ x * m"
    fits = [smf.ols(formula, c).fit() for c in imp]
    tab = rubin([[f.params[term]] for f in fits], [[f.bse[term] ** 2] for f in fits])
    est, se = tab.loc[0, "estimate"], tab.loc[0, "std_error"]
    if method == "none":
        assert 0.6 - est > 2 * se  # the imputation model without the product attenuates it
    else:
        assert abs(est - 0.6) < 2.5 * se
    if method == "passive":
        c = imp[0]
        np.testing.assert_allclose(c["x_x_m"], c["x"] * c["m"])
    if method == "jav":
        c = imp[0]
        imputed = d["x"].isna()
        assert not np.allclose(c.loc[imputed, "x_x_m"], c.loc[imputed, "x"] * c.loc[imputed, "m"])


def test_two_level_imputation_borrows_from_the_persons_other_samples():
    rng = np.random.default_rng(6)
    n_person, k = 150, 4
    person = np.repeat(np.arange(n_person), k)
    level = rng.normal(scale=1.0, size=n_person)[person]
    d = pd.DataFrame({"subject": [f"p{i}" for i in person], "session": np.tile(np.arange(k), n_person)})
    d["log_h"] = 2 + level + rng.normal(scale=0.5, size=len(d))
    d["y"] = 0.3 * d["log_h"] + rng.normal(size=len(d))
    truth = d["log_h"].copy()
    miss = rng.uniform(size=len(d)) < 0.3
    d.loc[miss, "log_h"] = np.nan
    flat = impute_table(d, columns=["log_h", "y", "session"], m=5, seed=1, n_iter=5)
    two = impute_table(d, columns=["log_h", "y", "session"], m=5, seed=1, n_iter=5,
                       cluster="subject")

    def rmse(imp):
        return np.sqrt(np.mean([(c.loc[miss, "log_h"] - truth[miss]) ** 2 for c in imp]))

    assert rmse(two) < 0.75 * rmse(flat)
    assert "two-level" in two.describe()


def test_item_level_imputation_recomputes_the_scale_score():
    rng = np.random.default_rng(7)
    n = 400
    trait = rng.normal(size=n)
    items = pd.DataFrame({f"i{j}": np.clip(np.round(2 + trait + rng.normal(scale=0.7, size=n)),
                                           0, 4) for j in range(1, 6)})
    d = items.assign(total=items.sum(axis=1), y=trait + rng.normal(size=n))
    holes = rng.uniform(size=items.shape) < 0.1
    for j, col in enumerate(items.columns):
        d.loc[holes[:, j], col] = np.nan
    d.loc[holes.any(axis=1), "total"] = np.nan
    cols = [*items.columns, "y"]
    imp = impute_table(d, columns=cols, m=3, seed=2, n_iter=4,
                       scales={"total": (list(items.columns), "sum")})
    for c in imp:
        np.testing.assert_allclose(c["total"], c[list(items.columns)].sum(axis=1))
        assert c[list(items.columns)].isin([0.0, 1.0, 2.0, 3.0, 4.0]).all().all()
    complete = ~holes.any(axis=1)
    assert (imp[0].loc[complete, "total"] == d.loc[complete, "total"]).all()


def test_distribution_close_to_mice_on_nhanes():
    """mice (m = 500) and our chained equations (m = 100) on the same data: the imputed values'
    means and the pooled regression agree within their Monte Carlo error (not the same draws)."""
    raw = pd.read_csv(REF / "mi_nhanes_raw.csv", na_values=["NA"])
    ref = pd.read_csv(REF / "mi_nhanes_mice_imputed.csv").set_index("variable")
    pool_ref = pd.read_csv(REF / "mi_nhanes_mice500_pool.csv").set_index("term")
    imp = impute_table(raw, columns=["age", "bmi", "hyp", "chl"], m=100, seed=11, n_iter=10,
                       methods={"hyp": "pmm"})
    for v in ("bmi", "chl"):
        miss = raw[v].isna()
        means = np.array([c.loc[miss, v].mean() for c in imp])
        mc_se = np.hypot(ref.loc[v, "mean_sd_over_imputations"] / np.sqrt(500),
                         means.std(ddof=1) / np.sqrt(len(means)))
        assert abs(means.mean() - ref.loc[v, "mean"]) < 4 * mc_se, v
    fits = [smf.ols("chl ~ age + bmi", c).fit() for c in imp]
    ours = rubin([f.params.to_numpy() for f in fits], [f.bse.to_numpy() ** 2 for f in fits],
                 dfcom=22, terms=["(Intercept)", "age", "bmi"]).set_index("term")
    for term in ("age", "bmi"):
        mc = np.sqrt(ours.loc[term, "b"] / 100 + pool_ref.loc[term, "b"] / 500)
        assert abs(ours.loc[term, "estimate"] - pool_ref.loc[term, "estimate"]) < 4 * mc
        assert 0.5 < ours.loc[term, "b"] / pool_ref.loc[term, "b"] < 2.0


def test_bad_arguments_are_named():
    d = _mar_data(n=50)
    with pytest.raises(HormoneStatsError) as err:
        impute_table(d, columns=["x", "nope"], methods={"x": "hotdeck"},
                     interaction_method="both")
    text = str(err.value)
    assert "'nope'" in text and "hotdeck" in text and "interaction_method" in text
