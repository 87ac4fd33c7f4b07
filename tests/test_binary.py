"""Binary (0/1) outcomes: logistic moderation and mediation, never a silent linear probability
model. References (``tests/reference/reviewers.R``): ``glm(family = binomial)`` coefficients and
SEs, the likelihood-ratio test of the product term, and the indirect effect ``a * b`` (log-odds)
and ``a * b * mean(p (1 - p))`` (probability scale) with R's own percentile bootstrap
(B = 10,000). Point estimates agree to 1e-6; bootstrap intervals (different resamples) within
0.2 bootstrap SEs, about four times the combined Monte-Carlo error of the two endpoints.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.errors import ModelError

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(REF / "binary_data.csv")


@pytest.fixture(scope="module")
def glm():
    return pd.read_csv(REF / "binary_glm.csv")


def test_logistic_moderation_matches_glm(data, glm):
    res = hs.moderation(data, y="y01", x="x", m="m", covariates=["c1"])
    assert res.outcome_family == "binomial"
    ref = glm[glm["model"] == "moderation"].set_index("term")
    tab = res.table.set_index("term")
    names = {"(Intercept)": "Intercept", "xc": "x", "mc": "m", "c1": "c1", "xc:mc": "x:m"}
    for term, ours in names.items():
        assert tab.loc[ours, "estimate"] == pytest.approx(ref.loc[term, "estimate"], rel=1e-6)
        assert tab.loc[ours, "std_error"] == pytest.approx(ref.loc[term, "std_error"], rel=1e-5)
        assert tab.loc[ours, "p_value"] == pytest.approx(ref.loc[term, "p_value"], rel=1e-5)
    assert np.isinf(tab["df"]).all()
    lrt = pd.read_csv(REF / "binary_lrt.csv").iloc[0]
    assert res.f_change == pytest.approx(lrt["statistic"], rel=1e-6)
    assert res.p_change == pytest.approx(lrt["p_value"], rel=1e-5)
    assert res.change_test == "LR chi2"
    assert res.r2 == pytest.approx(lrt["mcfadden_r2"], rel=1e-6)
    # simple slopes and JN on the log-odds scale use z
    s = res.simple_slopes()
    assert np.isinf(s["df"]).all()
    jn = res.johnson_neyman(band="simultaneous")
    assert jn.critical == pytest.approx(np.sqrt(5.991464547107979))
    pred = res.predictions(n_points=5)
    assert pred["estimate"].between(0, 1).all()
    assert (pred["conf_low"] <= pred["estimate"]).all() and (pred["estimate"] <= pred["conf_high"]).all()
    assert "Logistic regression" in res.summary()


def test_family_choice_is_explicit(data):
    with pytest.raises(ModelError, match="coded 0/1"):
        hs.moderation(data, y="m", x="x", m="c1", family="binomial")
    lpm = hs.moderation(data, y="y01", x="x", m="m", family="gaussian")  # on request only
    assert lpm.outcome_family == "gaussian" and np.isfinite(lpm.table["df"]).all()
    with pytest.raises(ModelError, match="family"):
        hs.moderation(data, y="y01", x="x", m="m", family="poisson")


def test_logistic_mediation_matches_r(data, glm):
    res = hs.mediation(data, x="x", mediator="m", y="y01", covariates=["c1"], n_boot=4000,
                       seed=11)
    assert res.outcome_family == "binomial"
    tab = res.table.set_index("term")
    assert "proportion_mediated" not in tab.index
    ref = glm.set_index(["model", "term"])
    for term, key in {"a": ("mediator", "x"), "b": ("outcome", "m"),
                      "direct": ("outcome", "x"), "total": ("total", "x")}.items():
        assert tab.loc[term, "estimate"] == pytest.approx(ref.loc[key, "estimate"], rel=1e-6)
        assert tab.loc[term, "std_error"] == pytest.approx(ref.loc[key, "std_error"], rel=1e-5)
    assert tab.loc["b", "ci_method"] == "z" and tab.loc["a", "ci_method"] == "t"
    boot = pd.read_csv(REF / "binary_indirect.csv").set_index("scale")
    _compare_indirect(tab.loc["indirect"], boot.loc["log_odds"])
    prob = hs.mediation(data, x="x", mediator="m", y="y01", covariates=["c1"], n_boot=4000,
                        seed=11, effect_scale="probability")
    _compare_indirect(prob.table.set_index("term").loc["indirect"], boot.loc["probability"])
    assert "probability" in prob.summary()


def _compare_indirect(ours, ref):
    assert ours["estimate"] == pytest.approx(ref["estimate"], rel=1e-6)
    assert ours["std_error"] == pytest.approx(ref["std_error"], rel=0.08)
    for end in ("conf_low", "conf_high"):
        assert abs(ours[end] - ref[end]) < 0.2 * ref["std_error"], end


def test_bca_and_refusals(data):
    res = hs.mediation(data, x="x", mediator="m", y="y01", n_boot=500, seed=1, ci="bca")
    row = res.table.set_index("term").loc["indirect"]
    assert row["conf_low"] < row["estimate"] < row["conf_high"]
    d = data.assign(m01=(data["m"] > 0).astype(int))
    with pytest.raises(ModelError, match="linear probability"):
        hs.mediation(d, x="x", mediator="m01", y="y01", n_boot=100)
    with pytest.raises(ModelError, match="0/1"):
        hs.moderated_mediation(data, x="x", mediator="m", y="y01", m="c1", n_boot=100)
    cont = data.assign(yc=data["m"] + data["x"])
    with pytest.raises(ModelError, match="0/1"):
        hs.mediation(cont, x="x", mediator="m", y="yc", n_boot=100, effect_scale="probability")
