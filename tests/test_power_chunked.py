"""Power above MAX_N: one data set drawn in row chunks and fitted from its cross-products."""

import math

import numpy as np
import pytest
from scipy import stats

import hormonestats as hs
from hormonestats.errors import HormoneStatsError
from hormonestats.simulate import batched, chunked
from hormonestats.simulate import power as power_mod
from hormonestats.simulate.families import family_spec
from hormonestats.simulate.hypothesis_models import hypothesis_spec

SPECS = [
    {"family": "two_group", "effects": {"d": 0.1}},
    {"family": "correlation", "effects": {"r": 0.1}},
    {"family": "moderation", "effects": {"x:m": 0.1}},
    {"family": "moderation", "x_binary": True, "r_xm": 0.3},
    {"family": "mediation"},
    {"family": "crossover"},
    "estradiol_oxytocin",
    "testosterone_aromatization",
]


def _spec(what):
    return family_spec(what, None) if isinstance(what, dict) else hypothesis_spec(what, None)


def _rows(fit, n, seed_seq, s, stream_rows):
    """All rows of one data set at once, block by block from the same streams."""
    return np.concatenate([
        fit.rows(chunked._stream(seed_seq, s, b0 // stream_rows), b0, min(n, b0 + stream_rows), n)
        for b0 in range(0, n, stream_rows)])


@pytest.mark.parametrize("what", SPECS, ids=str)
def test_numbers_do_not_depend_on_the_chunk_size(what):
    fit = _spec(what).chunked
    seq = np.random.SeedSequence(11)
    runs = [chunked.run_chunked(fit, 9_950, 3, 0.05, seq, chunk_rows=c, stream_rows=100)
            for c in (100, 1_000, 7_000, 100_000)]
    for other in runs[1:]:
        np.testing.assert_allclose(other["est"], runs[0]["est"], rtol=1e-10, atol=1e-14)
        for key in ("reject", "cover", "valid"):
            np.testing.assert_array_equal(other[key], runs[0][key])
    assert len(np.unique(runs[0]["est"])) == 3  # three different data sets


FITS = [(what, i) for what in SPECS for i in range(len(_spec(what).chunked.fits))]


@pytest.mark.parametrize(("what", "i"), FITS, ids=str)
def test_fit_from_cross_products_equals_least_squares_on_the_rows(what, i):
    fit = _spec(what).chunked
    seq = np.random.SeedSequence(5)
    z = _rows(fit, 3_001, seq, 0, 500)
    xcols, ycol, key = fit.fits[i]
    if xcols is None:
        xcols, ycol = list(range(z.shape[1] - 1)), z.shape[1] - 1
    X, y = z[:, xcols], z[:, ycol]
    beta, rss, *_ = np.linalg.lstsq(X, y, rcond=None)
    df = len(y) - X.shape[1]
    se = math.sqrt(rss[0] / df * np.linalg.inv(X.T @ X)[key, key])
    est, se_m, p, lo, hi = chunked._ols(z.T @ z, *fit.fits[i], 0.05)
    k = list(xcols).index(key)
    assert est == pytest.approx(beta[k], rel=1e-9)
    assert se_m == pytest.approx(se, rel=1e-8)
    assert p == pytest.approx(2 * stats.t.sf(abs(beta[k] / se), df), rel=1e-6, abs=1e-300)
    assert hi - lo == pytest.approx(2 * stats.t.ppf(0.975, df) * se, rel=1e-8)


def test_correlation_from_cross_products_equals_pearson_r():
    fit = _spec({"family": "correlation", "effects": {"r": 0.2}}).chunked
    z = _rows(fit, 2_000, np.random.SeedSequence(2), 0, 300)
    res = chunked._one(fit, z.T @ z, 0.05, None)
    ref = stats.pearsonr(z[:, 1], z[:, 2])
    assert res["est"][0] == pytest.approx(ref.statistic, rel=1e-10)
    assert bool(res["reject"][0]) == (ref.pvalue < 0.05)


def test_power_above_max_n_through_the_api(monkeypatch):
    """With the one-batch limit lowered, hs.power takes the chunked path and recovers the truth."""
    monkeypatch.setattr(batched, "MAX_N", 5_000)
    monkeypatch.setattr(power_mod, "MAX_N", 5_000)
    res = hs.power({"family": "two_group", "effects": {"d": 0.05}}, n=[40_000], n_sims=40,
                   seed=3, progress=False)
    row = res.iloc[0]
    assert row["n_sims"] == 40
    se = 2 / math.sqrt(40_000)  # SE of a mean difference of two halves, SD 1
    assert abs(row["mean_estimate"] - 0.05) < 4 * se / math.sqrt(40)
    exact = stats.norm.sf(stats.norm.ppf(0.975) - 0.05 / se)  # analytic power, about 0.81
    assert abs(row["power"] - exact) < 4 * math.sqrt(exact * (1 - exact) / 40)
    assert row["coverage"] >= 0.8
    again = hs.power({"family": "two_group", "effects": {"d": 0.05}}, n=[40_000], n_sims=40,
                     seed=3, progress=False)
    assert again.equals(res)


def test_families_that_cannot_be_chunked_are_refused_by_name():
    with pytest.raises(HormoneStatsError, match=r"'mixed' cannot be drawn in row chunks.*"
                                                r"above 1,000,000"):
        hs.power({"family": "mixed"}, n=[batched.MAX_N + 1], n_sims=2, seed=1)
    with pytest.raises(HormoneStatsError, match="estradiol_within_person"):
        hs.power("estradiol_within_person", n=[batched.MAX_N + 1], n_sims=2, seed=1)


@pytest.mark.slow
@pytest.mark.parametrize(("what", "tol"), [
    ("estradiol_oxytocin", 0.01),  # score points, of a true 0.54
    ({"family": "moderation"}, 5 / math.sqrt(2 * 5e6)),  # 5 SE of a mean of 2 (SE 1/sqrt(n))
], ids=str)
def test_estimate_equals_the_truth_at_five_million(what, tol):
    spec = _spec(what)
    res = hs.power(what, n=[5_000_000], n_sims=2, seed=1, progress=False).iloc[0]
    assert res["n_sims"] == 2
    assert res["mean_estimate"] == pytest.approx(spec.true_value, abs=tol)
    assert res["coverage"] == 1.0


@pytest.mark.parametrize("what", SPECS, ids=str)
def test_chunked_specs_pickle_for_worker_processes(what):
    import pickle

    fit = _spec(what).chunked
    seq = np.random.SeedSequence(4)
    a = fit.run(2_000, 2, 0.05, seq, chunk_rows=500, stream_rows=250)
    b = pickle.loads(pickle.dumps(fit)).run(2_000, 2, 0.05, seq, chunk_rows=500,
                                            stream_rows=250)
    np.testing.assert_array_equal(a["est"], b["est"])
