"""Tests of hs.crossover.

References:
* R lme4 + lmerTest (Satterthwaite df) on the simulated 2x2 trial written by
  ``tests/reference/mixed.R`` (``crossover_sim*.csv``).
* The classical 2x2 analysis of period differences (Senn 2002, ch. 3) and Grizzle's (1965)
  between-subject test of subject totals, computed here from scratch with scipy.
* The exact noncentral-t interval for the standardised effect (scipy's ``nct``) for the
  approximate Cohen's d interval.
Tolerances: estimates 1e-6 absolute against the closed forms (the REML fit reproduces them
exactly in a complete 2x2), 1e-4 against R; SEs 1e-3 relative; df 0.05.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

import hormonestats as hs
from hormonestats.errors import DataError

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def trial():
    return pd.read_csv(REF / "crossover_sim.csv")


@pytest.fixture(scope="module")
def res(trial):
    return hs.crossover(
        trial,
        y="y",
        drug="drug",
        period="period",
        subject="subject",
        sequence="sequence",
        dose="24 IU",
        device="standard nasal spray",
        interval="45 min",
    )


def test_against_lmertest(res):
    ref = pd.read_csv(REF / "crossover_sim_lmer_fixed.csv").set_index("term")
    got = res.table.set_index("term").loc[ref.index]
    np.testing.assert_allclose(got["estimate"], ref["estimate"], atol=1e-4)
    np.testing.assert_allclose(got["std_error"], ref["std_error"], rtol=1e-3)
    np.testing.assert_allclose(got["df"], ref["df"], atol=0.05)
    seq = pd.read_csv(REF / "crossover_sim_lmer_sequence.csv").set_index("term")
    c = res.carryover.set_index("term").loc["sequence[BA]"]
    assert c["estimate"] == pytest.approx(seq.loc["sequence[BA]", "estimate"], abs=1e-4)
    assert c["std_error"] == pytest.approx(seq.loc["sequence[BA]", "std_error"], rel=1e-3)
    assert c["df"] == pytest.approx(seq.loc["sequence[BA]", "df"], abs=0.05)
    vc = pd.read_csv(REF / "crossover_sim_lmer_varcorr.csv")
    mine = res.variance_components.set_index("term")
    assert mine.loc["Intercept", "variance"] == pytest.approx(vc["vcov"].iloc[0], rel=1e-3)
    assert mine.loc["residual", "variance"] == pytest.approx(vc["vcov"].iloc[1], rel=1e-3)


def test_classical_senn_period_differences(trial, res):
    """Senn (2002): d_i = y(period 1) - y(period 2); effect = (mean d_AB - mean d_BA) / 2."""
    w = trial.pivot(index="subject", columns="period", values="y")
    seq = trial.groupby("subject")["sequence"].first()
    diff = w[1] - w[2]
    ab, ba = diff[seq == "AB"], diff[seq == "BA"]  # AB = oxytocin first
    effect = (ab.mean() - ba.mean()) / 2
    n1, n2 = len(ab), len(ba)
    sp2 = ((n1 - 1) * ab.var(ddof=1) + (n2 - 1) * ba.var(ddof=1)) / (n1 + n2 - 2)
    se = 0.5 * np.sqrt(sp2 * (1 / n1 + 1 / n2))
    t = effect / se
    p = 2 * stats.t.sf(abs(t), n1 + n2 - 2)
    row = res.drug_effect.iloc[0]
    assert row["term"] == "drug[oxytocin]"
    assert row["estimate"] == pytest.approx(effect, abs=1e-6)
    assert row["std_error"] == pytest.approx(se, rel=1e-4)
    assert row["df"] == pytest.approx(n1 + n2 - 2, abs=0.05)
    assert row["p_value"] == pytest.approx(p, rel=1e-3)
    # period effect: (mean d_AB + mean d_BA)/2 = period1 - period2
    period = -(ab.mean() + ba.mean()) / 2
    assert res.period_effect["estimate"].iloc[0] == pytest.approx(period, abs=1e-6)
    # Grizzle's carry-over test: two-sample t test of subject totals between sequences
    tot = w[1] + w[2]
    tt = stats.ttest_ind(tot[seq == "BA"], tot[seq == "AB"])
    c = res.carryover.iloc[0]
    assert c["statistic"] == pytest.approx(tt.statistic, rel=1e-3)
    assert c["p_value"] == pytest.approx(tt.pvalue, rel=1e-3)
    # within-subject SD: residual variance = pooled var of period differences / 2
    assert res.variance_components.set_index("term").loc["residual", "variance"] == (
        pytest.approx(sp2 / 2, rel=1e-4)
    )


def test_cohens_d_interval_is_the_exact_noncentral_t_interval(trial, res):
    """d = b / sigma_within. In a complete 2x2 (Senn 2002), sigma^2 = var(period diff) / 2 and
    t = d / sqrt(c) with c = (se / sigma)^2, so the exact CI for d inverts the noncentral t with
    n - 2 df. Recomputed here from the period differences, not from the model."""
    w = trial.pivot(index="subject", columns="period", values="y")
    seq = trial.groupby("subject")["sequence"].first()
    diff = w[1] - w[2]
    ab, ba = diff[seq == "AB"], diff[seq == "BA"]
    n1, n2 = len(ab), len(ba)
    sp2 = ((n1 - 1) * ab.var(ddof=1) + (n2 - 1) * ba.var(ddof=1)) / (n1 + n2 - 2)
    effect = (ab.mean() - ba.mean()) / 2
    se = 0.5 * np.sqrt(sp2 * (1 / n1 + 1 / n2))
    sigma = np.sqrt(sp2 / 2)
    t_obs, df, scale = effect / se, n1 + n2 - 2, se / sigma

    def bound(q):
        return optimize.brentq(lambda nc: stats.nct.cdf(t_obs, df, nc) - q, -30, 30)

    es = res.effect_sizes.set_index("effect_size").loc["cohens_d_within"]
    assert es["estimate"] == pytest.approx(effect / sigma, rel=1e-4)
    assert es["conf_low"] == pytest.approx(bound(0.975) * scale, abs=2e-3)
    assert es["conf_high"] == pytest.approx(bound(0.025) * scale, abs=2e-3)


def test_d_av(trial, res):
    a = trial.loc[trial["drug"] == "oxytocin", "y"]
    b = trial.loc[trial["drug"] == "placebo", "y"]
    d_av = (a.mean() - b.mean()) / ((a.std() + b.std()) / 2)
    got = res.effect_sizes.set_index("effect_size").loc["d_av", "estimate"]
    assert got == pytest.approx(d_av)


def test_metadata_and_display(res):
    assert (res.dose, res.device, res.interval) == ("24 IU", "standard nasal spray", "45 min")
    assert res.reference == "placebo"
    assert "24 IU" in res.summary() and "<table" in res._repr_html_()
    assert res.sequences["n_subjects"].tolist() == [12, 12]


def test_recovers_known_drug_and_period_effects():
    rng = np.random.default_rng(11)
    rows = []
    for i in range(120):
        u = rng.normal(0, 1)
        order = ["active", "placebo"] if i % 2 else ["placebo", "active"]
        for p, dr in enumerate(order, start=1):
            yv = 2 + 0.5 * (dr == "active") + 0.3 * (p == 2) + u + rng.normal(0, 0.6)
            rows.append({"sid": f"s{i}", "per": p, "cond": dr, "y": yv})
    r = hs.crossover(pd.DataFrame(rows), y="y", drug="cond", period="per", subject="sid")
    t = r.table.set_index("term")
    assert t.loc["cond[active]", "conf_low"] < 0.5 < t.loc["cond[active]", "conf_high"]
    assert t.loc["per[2]", "conf_low"] < 0.3 < t.loc["per[2]", "conf_high"]
    d = r.effect_sizes.set_index("effect_size").loc["cohens_d_within"]
    assert d["conf_low"] < 0.5 / 0.6 < d["conf_high"]


def test_incomplete_subjects_and_three_period_design():
    rng = np.random.default_rng(5)
    orders = [
        ["A", "B", "C"],
        ["B", "C", "A"],
        ["C", "A", "B"],
        ["A", "C", "B"],
        ["B", "A", "C"],
        ["C", "B", "A"],
    ]
    rows = []
    for i in range(24):
        u = rng.normal()
        for p, dr in enumerate(orders[i % 6], start=1):
            rows.append(
                {
                    "sid": i,
                    "period": p,
                    "drug": dr,
                    "y": u + {"A": 0, "B": 1, "C": 2}[dr] + rng.normal(0, 0.5),
                }
            )
    df = pd.DataFrame(rows).iloc[1:]  # subject 0 misses period 1
    r = hs.crossover(df, y="y", drug="drug", period="period", subject="sid")
    assert r.drug_effect["term"].tolist() == ["drug[B]", "drug[C]"]
    assert r.n_complete == 23 and r.n_subjects == 24
    assert any("lack a period" in n for n in r.notes)


def test_does_not_mutate(trial):
    before = trial.copy(deep=True)
    hs.crossover(trial, y="y", drug="drug", period="period", subject="subject")
    pd.testing.assert_frame_equal(trial, before)


def test_errors(trial):
    dup = pd.concat([trial, trial.iloc[[0]]])
    with pytest.raises(DataError, match=r"s01.*more than one row"):
        hs.crossover(dup, y="y", drug="drug", period="period", subject="subject")
    with pytest.raises(DataError, match=r"drug='treatment'"):
        hs.crossover(trial, y="y", drug="treatment", period="period", subject="subject")
    one = trial.assign(drug="placebo")
    with pytest.raises(DataError, match="at least two conditions"):
        hs.crossover(one, y="y", drug="drug", period="period", subject="subject")


def test_missing_rows_logged(trial):
    d = trial.copy()
    d.loc[5, "y"] = np.nan
    r = hs.crossover(d, y="y", drug="drug", period="period", subject="subject")
    assert r.dropped["row"].tolist() == [5] and r.n_obs == len(d) - 1


def _sim_2x2(seed: int, n: int = 80) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        u = rng.normal()
        order = ["oxytocin", "placebo"] if i % 2 else ["placebo", "oxytocin"]
        for p, dr in enumerate(order, start=1):
            eff = 0.5 * (dr == "oxytocin") + 0.2 * (p == 2)
            rows.append({"id": i, "period": p, "drug": dr, "y": u + eff + rng.normal(0, 0.6)})
    return pd.DataFrame(rows)


def test_cohens_d_interval_survives_nan_tails_of_the_noncentral_t():
    """Issue: on this ordinary 80-subject 2x2 crossover (t = 4.31, df = 78.0000) the previous
    bracketing (steps of 10 from t) hit NaN from scipy's nct.cdf and the whole fit raised
    ValueError. The interval must be finite and be the noncentral-t inversion."""
    from hormonestats.models.crossover import _d_interval

    res = hs.crossover(_sim_2x2(8), y="y", drug="drug", period="period", subject="id")
    es = res.effect_sizes.set_index("effect_size").loc["cohens_d_within"]
    assert np.isfinite(es["conf_low"]) and np.isfinite(es["conf_high"])
    assert es["conf_low"] < es["estimate"] < es["conf_high"]
    row = res.drug_effect.iloc[0]
    sigma = np.sqrt(res.variance_components.set_index("term").loc["residual", "variance"])
    scale = row["std_error"] / sigma
    # the limits are where the noncentral t cdf of the observed t is 0.975 and 0.025
    assert stats.nct.cdf(row["statistic"], row["df"], es["conf_low"] / scale) == pytest.approx(
        0.975, abs=1e-7
    )
    assert stats.nct.cdf(row["statistic"], row["df"], es["conf_high"] / scale) == pytest.approx(
        0.025, abs=1e-7
    )
    # the failing inputs from the issue report also give finite limits
    lo, hi, note = _d_interval(4.81, 78.005, 0.1, 0.95)
    assert np.isfinite(lo) and np.isfinite(hi) and lo < 0.481 < hi and note is None


def test_cohens_d_interval_falls_back_with_a_note(monkeypatch):
    """If the noncentral t cannot be evaluated at all, the fit still returns, with the normal
    approximation and a note saying so."""
    from hormonestats.models import crossover as cx

    monkeypatch.setattr(cx.stats.nct, "cdf", lambda *a, **k: np.nan)
    res = hs.crossover(_sim_2x2(8), y="y", drug="drug", period="period", subject="id")
    es = res.effect_sizes.set_index("effect_size").loc["cohens_d_within"]
    row = res.drug_effect.iloc[0]
    scale = es["estimate"] / row["statistic"]
    z = stats.norm.ppf(0.975)
    assert es["conf_low"] == pytest.approx((row["statistic"] - z) * scale)
    assert any("normal approximation" in n for n in res.notes)
