"""Missingness summary and Little's MCAR test (EM against the closed-form monotone MLE; the
test's size and power by simulation). No R reference: naniar / BaylorEdPsych are not
available, and mice's ``mcar`` is a different test (Jamshidian & Jalal 2010)."""

import numpy as np
import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.derive.missingness import em_normal, little_mcar, missingness


def test_em_matches_the_monotone_closed_form():
    rng = np.random.default_rng(1)
    n = 300
    x = rng.normal(size=n)
    y = 1 + 0.7 * x + rng.normal(scale=0.5, size=n)
    y[rng.uniform(size=n) < 0.3] = np.nan
    mu, sigma, _ = em_normal(np.c_[x, y], tol=1e-14)
    a = np.isfinite(y)
    b = np.cov(x[a], y[a], ddof=0)
    slope = b[0, 1] / b[0, 0]
    mu_y = y[a].mean() + slope * (x.mean() - x[a].mean())  # Anderson (1957)
    var_y = b[1, 1] + slope**2 * (x.var() - b[0, 0])
    assert mu[0] == pytest.approx(x.mean(), rel=1e-10)
    assert mu[1] == pytest.approx(mu_y, rel=1e-8)
    assert sigma[1, 1] == pytest.approx(var_y, rel=1e-8)


def _draw(rng, mar: bool, n=200):
    x = rng.normal(size=(n, 3)) @ np.array([[1, 0.5, 0.3], [0, 1, 0.4], [0, 0, 1]])
    p = 1 / (1 + np.exp(-2 * x[:, 0])) * 0.5 if mar else np.full(n, 0.25)
    x[rng.uniform(size=n) < p, 1] = np.nan
    x[rng.uniform(size=n) < 0.1, 2] = np.nan
    return pd.DataFrame(x, columns=["a", "b", "c"])


def test_little_size_under_mcar_and_power_under_mar():
    rng = np.random.default_rng(2)
    p_null = [little_mcar(_draw(rng, False))["p_value"] for _ in range(300)]
    size = np.mean(np.array(p_null) < 0.05)
    assert 0.02 < size < 0.09  # binomial 99% band around 0.05 for 300 draws
    p_mar = [little_mcar(_draw(rng, True))["p_value"] for _ in range(30)]
    assert np.mean(np.array(p_mar) < 0.05) > 0.9
    res = little_mcar(_draw(rng, True))
    # patterns: complete (3 observed), b missing (2), c missing (2), both (1): df = 8 - 3
    assert res["n_patterns"] == 4 and res["df"] == 5


def test_missingness_of_the_example_study():
    study = hs.read_dataset("example_study")
    table = hs.process_study(study).table
    summary = missingness(table)
    byvar = summary.by_variable.set_index("variable")
    assert byvar.loc["log_testosterone", "n_missing"] == table["log_testosterone"].isna().sum()
    assert summary.by_person["n_missing"].sum() == table.drop(
        columns=["subject_id", "session", "responses_session"]).isna().sum().sum()
    assert summary.by_session["n_rows"].sum() == len(table)
    assert summary.patterns["n_rows"].sum() == len(table)
    assert summary.mcar is not None and 0 <= summary.mcar["p_value"] <= 1
    assert "Little's MCAR test" in summary.sentence()
    assert set(summary.tables()) >= {"missing_by_variable", "missing_by_person", "little_mcar"}
