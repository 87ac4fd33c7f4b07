"""Tests of simulation-based power against closed forms and known truth.

Tolerances: a simulated power p from R simulations has Monte-Carlo SE sqrt(p (1 - p) / R);
we accept |simulated - closed form| <= 4 SE (computed from the closed-form power, so the test
does not grade itself), plus the stated approximation error of the closed form where it is an
approximation (pingouin's power_corr uses Fisher's z: 0.01).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from scipy import stats
from statsmodels.stats.power import TTestIndPower

import hormonestats as hs
from hormonestats.errors import HormoneStatsError
from hormonestats.simulate.power import HYPOTHESES

COLUMNS = [
    "hypothesis",
    "term",
    "n",
    "n_sims",
    "power",
    "mc_se",
    "mean_estimate",
    "true_value",
    "coverage",
    "alpha",
]


def _tol(p_true: float, sims: int, extra: float = 0.0) -> float:
    return 4 * math.sqrt(p_true * (1 - p_true) / sims) + extra


def test_two_group_matches_ttestindpower():
    sims = 2000
    tab = hs.power(
        {"family": "two_group", "effects": {"d": 0.5}},
        n=[40, 80, 160],
        n_sims=sims,
        seed=7,
        progress=False,
    )
    assert list(tab.columns) == COLUMNS
    for _, row in tab.iterrows():
        exact = TTestIndPower().power(0.5, nobs1=row["n"] / 2, alpha=0.05)
        assert abs(row["power"] - exact) <= _tol(exact, sims), (row["n"], row["power"], exact)
        assert row["mc_se"] == pytest.approx(math.sqrt(row["power"] * (1 - row["power"]) / sims))


def test_correlation_matches_pingouin_power_corr():
    sims = 2000
    tab = hs.power(
        {"family": "correlation", "effects": {"r": 0.3}},
        n=[30, 60, 120],
        n_sims=sims,
        seed=8,
        progress=False,
    )
    for _, row in tab.iterrows():
        ref = pg.power_corr(r=0.3, n=row["n"], alpha=0.05)
        assert abs(row["power"] - ref) <= _tol(ref, sims, 0.01), (row["n"], row["power"], ref)
        assert abs(row["coverage"] - 0.95) <= _tol(0.95, sims, 0.01)


def test_type_one_error_at_zero_effect():
    sims = 2000
    tab = hs.power(
        {"family": "moderation", "effects": {"x:m": 0.0, "x": 0.3}},
        n=[50],
        n_sims=sims,
        seed=9,
        progress=False,
    )
    assert abs(tab["power"].iloc[0] - 0.05) <= _tol(0.05, sims)


def test_crossover_matches_two_sample_t_on_differences():
    # period differences: AB mean tau - pi, BA mean -tau - pi, SD sqrt(2 (1 - icc));
    # the sequence contrast is a two-sample t-test with effect 2 tau / sqrt(2 (1 - icc))
    sims, tau, icc = 2000, 0.3, 0.6
    tab = hs.power(
        {"family": "crossover", "effects": {"treatment": tau, "period": 0.2}, "icc": icc},
        n=[24, 48],
        n_sims=sims,
        seed=10,
        progress=False,
    )
    es = 2 * tau / math.sqrt(2 * (1 - icc))
    for _, row in tab.iterrows():
        exact = TTestIndPower().power(es, nobs1=row["n"] / 2, alpha=0.05)
        assert abs(row["power"] - exact) <= _tol(exact, sims), (row["n"], row["power"], exact)
        assert abs(row["mean_estimate"] - tau) < 4 * math.sqrt(2 * (1 - icc) / row["n"] / sims) * 2


def test_mixed_two_stage_level_and_estimate():
    sims = 1000
    null = hs.power(
        {"family": "mixed", "effects": {"x": 0.0}}, n=[30], n_sims=sims, seed=11, progress=False
    )
    assert abs(null["power"].iloc[0] - 0.05) <= _tol(0.05, sims)
    alt = hs.power(
        {"family": "mixed", "effects": {"x": 0.2}, "n_obs": 6},
        n=[30],
        n_sims=sims,
        seed=11,
        progress=False,
    )
    assert alt["mean_estimate"].iloc[0] == pytest.approx(0.2, abs=0.01)
    assert abs(alt["coverage"].iloc[0] - 0.95) <= _tol(0.95, sims)


def test_mediation_joint_significance_level_and_power():
    sims = 1000
    # a != 0, b = 0: the indirect effect is zero; joint significance must not exceed alpha
    null = hs.power(
        {"family": "mediation", "effects": {"a": 0.5, "b": 0.0}},
        n=[100],
        n_sims=sims,
        seed=12,
        progress=False,
    )
    assert null["power"].iloc[0] <= 0.05 + _tol(0.05, sims)
    # with large n both paths are significant; estimate averages to a*b
    alt = hs.power(
        {"family": "mediation", "effects": {"a": 0.3, "b": 0.3}},
        n=[400],
        n_sims=sims,
        seed=12,
        progress=False,
    )
    # closed-form power of each path's t-test (normal approximation, large n)
    se_a = 1 / math.sqrt(400)
    se_b = math.sqrt(1 / (400 * (1 + 0.09)))
    pa = stats.norm.sf(1.96 - 0.3 / se_a) + stats.norm.cdf(-1.96 - 0.3 / se_a)
    pb = stats.norm.sf(1.96 - 0.3 / se_b) + stats.norm.cdf(-1.96 - 0.3 / se_b)
    assert abs(alt["power"].iloc[0] - pa * pb) <= _tol(pa * pb, sims, 0.01)
    assert alt["mean_estimate"].iloc[0] == pytest.approx(0.09, abs=0.005)
    assert abs(alt["coverage"].iloc[0] - 0.95) <= _tol(0.95, sims, 0.01)


@pytest.mark.parametrize("name", sorted(HYPOTHESES))
def test_registered_hypotheses_recover_truth(name):
    sims = 400
    tab = hs.power(name, n=[300], n_sims=sims, seed=13, progress=False)
    row = tab.iloc[0]
    assert row["hypothesis"] == name and row["term"] == HYPOTHESES[name][2]
    # mean estimate within 4 MC SEs: the SD of the estimate is about its CI half-width / 1.96;
    # here bounded generously by |truth| + 1 score point per sqrt(n/100)
    assert abs(row["coverage"] - 0.95) <= _tol(0.95, sims)
    assert np.sign(row["mean_estimate"]) == np.sign(row["true_value"])


def test_every_registry_hypothesis_has_a_power_model():
    from hormonestats.models.hypotheses import hypotheses

    assert set(hypotheses) <= set(HYPOTHESES)
    for name in hypotheses:
        tab = hs.power(hypotheses[name], n=[40], n_sims=5, seed=1, progress=False)
        assert tab["hypothesis"].iloc[0] == name


def test_within_person_hypothesis_scale_and_override():
    base = hs.power("estradiol_within_person", n=[40], n_sims=300, seed=3, progress=False)
    assert base["true_value"].iloc[0] == pytest.approx(0.15 * 3.6)
    big = hs.power(
        "estradiol_within_person",
        n=[40],
        n_sims=300,
        seed=3,
        progress=False,
        effects={"effect": 0.6},
    )
    assert big["power"].iloc[0] > base["power"].iloc[0]
    with pytest.raises(HormoneStatsError, match="x_sd"):
        hs.power("estradiol_within_person", n=[40], n_sims=5, effects={"slope": 1}, progress=False)


def test_registered_hypothesis_estimates_average_to_truth():
    tab = hs.power("progesterone_anxiety", n=[200], n_sims=1000, seed=14, progress=False)
    # SE of the P4 slope: residual SD 6 / (sqrt(n) * SD of log P4 within sex ~0.72)
    se = 6 / (math.sqrt(200) * 0.72)
    assert tab["mean_estimate"].iloc[0] == pytest.approx(
        tab["true_value"].iloc[0], abs=4 * se / math.sqrt(1000)
    )


def test_same_seed_same_result_regardless_of_n_jobs():
    spec = {"family": "moderation", "effects": {"x:m": 0.2}, "x_binary": True}
    one = hs.power(spec, n=[40, 80], n_sims=250, seed=21, n_jobs=1, progress=False)
    two = hs.power(spec, n=[40, 80], n_sims=250, seed=21, n_jobs=2, progress=False)
    pd.testing.assert_frame_equal(one, two)
    other = hs.power(spec, n=[40, 80], n_sims=250, seed=22, progress=False)
    assert not one.equals(other)


def test_progress_bar_runs():
    tab = hs.power("oxtr_genotype", n=[50], n_sims=20, seed=1, progress=True)
    assert tab["n_sims"].iloc[0] == 20


def test_sample_size_for_matches_closed_form():
    res = hs.sample_size_for(
        {"family": "two_group", "effects": {"d": 0.5}},
        power=0.8,
        n_range=(20, 400),
        n_sims=1000,
        seed=5,
    )
    exact = 2 * TTestIndPower().solve_power(0.5, power=0.8, alpha=0.05)  # 127.5 in total
    n = int(res["n"].iloc[0])
    # power at 0.8 changes by about 0.0045 per subject here; 4 MC SEs (0.05) ~ 12 subjects
    assert abs(n - exact) <= 14, (n, exact)
    assert res["power"].iloc[0] >= 0.8
    with pytest.raises(HormoneStatsError, match="upper end of n_range \\(--n-max"):
        hs.sample_size_for("oxtr_genotype", n_range=(20, 40), n_sims=50, seed=1)


def test_errors_name_what_was_expected():
    with pytest.raises(HormoneStatsError, match="estradiol_oxytocin"):
        hs.power("estradiol_oxitocin", n=[50], n_sims=10, progress=False)
    with pytest.raises(HormoneStatsError, match="expected one of"):
        hs.power({"family": "anova"}, n=[50], n_sims=10, progress=False)
    with pytest.raises(HormoneStatsError, match="x:m"):
        hs.power(
            {"family": "moderation", "effects": {"xm": 0.1}}, n=[50], n_sims=10, progress=False
        )
    with pytest.raises(HormoneStatsError, match="whole numbers"):
        hs.power("oxtr_genotype", n=[3], n_sims=10, progress=False)


def _two_stage_reject(x, y) -> bool:
    """The two-stage random-effects test (DerSimonian-Laird tau^2, Knapp-Hartung t) for one
    data set, written out per subject as the power module's docstring describes."""
    n, k = x.shape
    xc = x - x.mean(1, keepdims=True)
    yc = y - y.mean(1, keepdims=True)
    sxx = (xc * xc).sum(1)
    b = (xc * yc).sum(1) / sxx
    s2 = ((yc - b[:, None] * xc) ** 2).sum() / (n * (k - 2))
    w = sxx / s2
    bw = (w * b).sum() / w.sum()
    q = (w * (b - bw) ** 2).sum()
    tau2 = max(0.0, (q - (n - 1)) / (w.sum() - (w * w).sum() / w.sum()))
    ws = 1 / (s2 / sxx + tau2)
    est = (ws * b).sum() / ws.sum()
    se = np.sqrt((ws * (b - est) ** 2).sum() / ((n - 1) * ws.sum()))
    return bool(2 * stats.t.sf(abs(est / se), n - 1) < 0.05)


@pytest.mark.slow
def test_mixed_two_stage_agrees_with_mixedlm():
    # the two-stage test (hs.power's mixed fast path) against random-slope MixedLM fits on the
    # same 150 data sets: rejection decisions agree in >= 90 % of data sets and the rejection
    # rates differ by less than 4 binomial SEs of their paired difference
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(5)
    n, k, beta, sims = 30, 6, 0.2, 150
    two, mlm = [], []
    for _ in range(sims):
        x = rng.standard_normal((n, k))
        y = (
            np.sqrt(0.5) * rng.standard_normal((n, 1))
            + (beta + 0.1 * rng.standard_normal((n, 1))) * x
            + np.sqrt(0.5) * rng.standard_normal((n, k))
        )
        xc = x - x.mean(1, keepdims=True)
        two.append(_two_stage_reject(x, y))
        frame = pd.DataFrame({"y": y.ravel(), "xc": xc.ravel(), "s": np.repeat(np.arange(n), k)})
        fit = smf.mixedlm("y ~ xc", frame, groups="s", re_formula="~xc").fit(
            reml=True, method="lbfgs"
        )
        mlm.append(fit.pvalues["xc"] < 0.05)
    two, mlm = np.array(two), np.array(mlm)
    assert np.mean(two == mlm) >= 0.90
    d = two.astype(float) - mlm.astype(float)
    assert abs(d.mean()) <= 4 * max(d.std(ddof=1), 1e-9) / np.sqrt(sims) + 1e-9
    sim = hs.power(
        {"family": "mixed", "effects": {"x": beta}, "n_obs": k},
        n=[n],
        n_sims=1000,
        seed=6,
        progress=False,
    )
    assert abs(sim["power"].iloc[0] - mlm.mean()) <= 4 * np.sqrt(0.25 / sims)


def test_power_models_agree_with_the_registry():
    """Family and predicted sign of each power model are the registry's (one source of truth)."""
    from hormonestats.models.hypotheses import hypotheses

    for name, hyp in hypotheses.items():
        family, _, _, sign, _ = HYPOTHESES[name]
        assert (family, sign) == (hyp.family, hyp.predicted_sign), name


# ------------------------------------------------------------- memory bounded whatever n is
def test_a_chunk_is_drawn_in_batches_that_bound_its_rows(monkeypatch):
    import tracemalloc

    from hormonestats.simulate import batched

    monkeypatch.setattr(batched, "ROWS_PER_BATCH", 20_000)
    calls = []
    spec = hs.simulate.power._resolve("estradiol_oxytocin", None)
    inner = spec.draw

    def recording(rng, n, size, alpha):
        calls.append((n, size))
        return inner(rng, n, size, alpha)

    spec = batched.PowerSpec(spec.name, spec.term, spec.true_value, recording, spec.options)
    tracemalloc.start()
    out = batched.run_chunk(spec, 0.05, (10_000, 100), np.random.SeedSequence(1))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert calls == [(10_000, 2)] * 50
    assert {len(v) for v in out.values()} == {100}
    # one batch of 20,000 rows; all 100 data sets at once would hold 1,000,000 rows (>100 MB)
    assert peak < 30e6, peak


def test_sizes_beyond_one_batch_are_refused_before_any_work(capsys):
    from hormonestats.cli import main
    from hormonestats.simulate.power import MAX_N

    with pytest.raises(HormoneStatsError, match="above 1,000,000"):
        hs.power("estradiol_within_person", n=[MAX_N + 1], n_sims=10, seed=1)
    assert main(["power", "estradiol_within_person", "--n", "100000000", "--sims", "10"]) == 2
    assert "ask for n <= 1,000,000" in " ".join(capsys.readouterr().err.split())
    with pytest.raises(HormoneStatsError, match="above 50,000 subjects"):
        hs.simulate_study("between", n=100_000_000, seed=1)


def test_power_and_sample_size_take_execution_options():
    from hormonestats.options import ExecutionOptions

    spec = {"family": "two_group", "effects": {"d": 0.5}}
    by_keyword = hs.power(spec, n=[40], n_sims=60, seed=5, progress=False)
    by_object = hs.power(spec, n=[40], n_sims=60, execution=ExecutionOptions(seed=5))
    pd.testing.assert_frame_equal(by_keyword, by_object)
    # a keyword overrides the object
    other = hs.power(spec, n=[40], n_sims=60, seed=6, execution={"seed": 5}, progress=False)
    assert other["mean_estimate"].iloc[0] != by_object["mean_estimate"].iloc[0]
    size = hs.sample_size_for({"family": "two_group", "effects": {"d": 0.8}}, n_range=(10, 200),
                              n_sims=100, execution=ExecutionOptions(seed=3))
    again = hs.sample_size_for({"family": "two_group", "effects": {"d": 0.8}},
                               n_range=(10, 200), n_sims=100, seed=3)
    pd.testing.assert_frame_equal(size, again)
    with pytest.raises(hs.HormoneStatsError, match="unknown 'workers'"):
        hs.power(spec, n=[40], n_sims=10, execution={"workers": 2})
