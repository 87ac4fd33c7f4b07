"""result.coverage_check: intervals' coverage at the study's own design, by simulation.

At a correctly specified model the coverage of a 95% interval must come out near 95% (within
Monte-Carlo error); at conf_level 0.8 near 80%; the same seed gives the same table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.errors import ModelError


def _data(n=120, seed=21):
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({"x": rng.normal(size=n), "m": rng.normal(size=n), "c": rng.normal(size=n)})
    d["y"] = 0.3 * d.x + 0.2 * d.m + 0.3 * d.x * d.m + rng.normal(size=n)
    d["med"] = 0.5 * d.x + rng.normal(size=n)
    d["out"] = 0.4 * d.med + 0.2 * d.x + rng.normal(size=n)
    ystar = 1 + 0.5 * d.x + rng.normal(size=n)
    d["censored"] = np.where(ystar < 0.6, "left", "none")
    d["lod_limit"] = 0.6
    d["yc"] = ystar.where(d.censored == "none")
    return d


def _within(table, level, n_sims, k=3.5):
    se = np.sqrt(level * (1 - level) / n_sims)
    assert (table["coverage"] - level).abs().max() < k * se, table


def test_moderation_coverage_near_nominal_and_reproducible():
    res = hs.moderation(_data(), y="y", x="x", m="m", covariates=["c"])
    cv = res.coverage_check(n_sims=300, seed=5)
    assert list(cv.table["term"]) == list(res.table["term"])
    np.testing.assert_allclose(cv.table["truth"], res.table["estimate"])
    _within(cv.table, 0.95, 300)
    assert (cv.table["n_failed"] == 0).all()
    again = res.coverage_check(n_sims=300, seed=5)
    pd.testing.assert_frame_equal(cv.table, again.table)
    low = hs.moderation(_data(), y="y", x="x", m="m", conf_level=0.8).coverage_check(
        n_sims=300, seed=6
    )
    _within(low.table, 0.8, 300)
    assert "Coverage check" in cv.summary() and len(repr(cv)) < 200
    with pytest.raises(ModelError, match="n_sims"):
        res.coverage_check(n_sims=1)


def test_logistic_and_gxe_coverage():
    d = _data()
    rng = np.random.default_rng(2)
    d["y01"] = (rng.random(len(d)) < 1 / (1 + np.exp(-(0.5 * d.x + 0.5 * d.m)))).astype(int)
    cv = hs.moderation(d, y="y01", x="x", m="m").coverage_check(n_sims=120, seed=1)
    assert (cv.table["coverage"] > 0.85).all()
    d["g"] = rng.binomial(2, 0.4, len(d))
    gx = hs.gxe(d, y="y", x="x", m="g").coverage_check(n_sims=100, seed=1)
    assert (gx.table["coverage"] > 0.85).all()


def test_mediation_coverage():
    res = hs.mediation(_data(), x="x", mediator="med", y="out", n_boot=300, seed=1)
    cv = res.coverage_check(n_sims=40, seed=3, n_boot=200)
    tab = cv.table.set_index("term")
    assert list(tab.index) == ["a:med", "b:med", "direct", "indirect:med", "total"]
    a = res.table.set_index("term")
    assert tab.loc["indirect:med", "truth"] == pytest.approx(a.loc["a", "estimate"] * a.loc["b", "estimate"])
    assert tab.loc["total", "truth"] == pytest.approx(a.loc["total", "estimate"])  # OLS identity
    assert (tab["coverage"] >= 0.8).all()


@pytest.mark.slow
def test_mediation_coverage_slow():
    res = hs.mediation(_data(), x="x", mediator="med", y="out", n_boot=1000, seed=1)
    cv = res.coverage_check(n_sims=400, seed=4, n_boot=1000)
    _within(cv.table, 0.95, 400, k=3.0)


def test_censored_coverage():
    res = hs.censored_regression(_data(), y="yc", x="x")
    cv = res.coverage_check(n_sims=40, seed=2)
    assert list(cv.table["term"]) == ["Intercept", "x", "log_sigma"]
    assert (cv.table["coverage"] >= 0.8).all()
    assert (cv.table["n_sims"] + cv.table["n_failed"] == 40).all()
