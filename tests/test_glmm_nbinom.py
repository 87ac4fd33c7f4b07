"""Negative binomial mixed models (hs.mixed(..., family="negative_binomial"), glmmTMB's nbinom2)
against glmmTMB, polished on TMB's own objective by ``tests/reference/glmm_nbinom.R``, and on
simulated counts with known truth.

Data: Salamanders (Price et al. 2016, from glmmTMB) and a simulated study of cooperative acts
(persons crossed with partners, observation time as exposure), written by the script.

Tolerances (issue 29): fixed effects, random-effect SDs and theta within 1e-4 relative (1e-4 of
the SE for coefficients near zero), standard errors 1e-3 relative, log-likelihood 1e-6 relative.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.errors import DataError, ModelError
from hormonestats.models.lmm.fit import MixedModelWarning
from hormonestats.results import protocol_problems

REF = Path(__file__).parent / "reference"
VALUES = pd.read_csv(REF / "glmm_nbinom_values.csv", keep_default_na=False)

CASES = {
    "salamanders": ("salamanders", "count ~ mined + (1 | site)"),
    "salamanders_spp": ("salamanders", "count ~ mined + spp + (1 | site)"),
    "coop": ("coop", "acts ~ oxytocin + offset(log(minutes)) + (1 | subject) + (1 | partner)"),
}
_FITS: dict = {}


def _r_name(term: str) -> str:
    """hormonestats' term name in R's spelling: Intercept -> (Intercept), spp[PR] -> sppPR."""
    return "(Intercept)" if term == "Intercept" else term.replace("[", "").replace("]", "")


def fitted(name: str):
    if name not in _FITS:
        data, formula = CASES[name]
        d = pd.read_csv(REF / f"glmm_nbinom_{data}.csv")
        ref = {k: v for k, v in {"mined": "yes", "spp": "GP"}.items() if k in formula}
        with warnings.catch_warnings():
            warnings.simplefilter("error", MixedModelWarning)
            _FITS[name] = hs.mixed(d, formula=formula, family="negative_binomial",
                                   reference=ref or None, reml=False)
    return _FITS[name]


def ref(model: str, quantity: str) -> pd.Series:
    v = VALUES[(VALUES.model == model) & (VALUES.quantity == quantity)]
    return pd.Series(v["value"].astype(float).to_numpy(), index=v["term"].to_numpy())


@pytest.mark.parametrize("name", list(CASES))
def test_negative_binomial_matches_polished_glmmtmb(name):
    res = fitted(name)
    assert res.converged and res.distribution == "negative_binomial" and res.link == "log"
    tab = res.table.assign(r=res.table["term"].map(_r_name)).set_index("r")
    beta, se = ref(name, "beta"), ref(name, "se")
    assert sorted(tab.index) == sorted(beta.index)
    err = np.abs(tab.loc[beta.index, "estimate"] - beta)
    assert np.all(err <= 1e-4 * np.maximum(np.abs(beta), se)), err
    np.testing.assert_allclose(tab.loc[se.index, "std_error"], se, rtol=1e-3)
    assert res.nb_theta == pytest.approx(ref(name, "nb_theta").iloc[0], rel=1e-4)
    np.testing.assert_allclose(res.variance_components["sd"], ref(name, "sd").to_numpy(),
                               rtol=1e-4)
    assert res.log_likelihood == pytest.approx(ref(name, "loglik").iloc[0], rel=1e-6)
    # the glmmTMB optimum really is one: its gradient was polished to below 1e-8
    assert ref(name, "max_gradient").iloc[0] < 1e-8


def test_negative_binomial_result_meets_protocol_and_reports_theta():
    res = fitted("coop")
    assert protocol_problems(res) == []
    assert "theta" in res.summary() and "rate_ratio" in res.table
    # theta counts as a parameter: AIC = deviance + 2 (p + variance parameters + 1)
    assert res.aic == pytest.approx(res.deviance + 2 * (2 + 2 + 1))


def test_negative_binomial_recovers_simulated_truth():
    rng = np.random.default_rng(29)
    n, k = 150, 8
    sid = np.repeat(np.arange(n), k)
    cond = np.tile(np.repeat([0.0, 1.0], k // 2), n)
    mu = np.exp(0.4 + 0.3 * cond + rng.normal(0, 0.5, n)[sid])
    theta = 2.0
    d = pd.DataFrame({"id": sid.astype(str), "cond": cond,
                      "acts": rng.negative_binomial(theta, theta / (theta + mu))})
    res = hs.mixed(d, formula="acts ~ cond + (1 | id)", family="nbinom2")
    t = res.table.set_index("term")
    assert abs(t.loc["Intercept", "estimate"] - 0.4) < 3 * t.loc["Intercept", "std_error"]
    assert abs(t.loc["cond", "estimate"] - 0.3) < 3 * t.loc["cond", "std_error"]
    assert 1.4 < res.nb_theta < 2.8
    assert 0.35 < res.variance_components["sd"].iloc[0] < 0.65


def test_negative_binomial_refuses_bad_counts_and_quadrature():
    d = pd.read_csv(REF / "glmm_nbinom_coop.csv")
    bad = d.assign(acts=d["acts"].astype(float))
    bad.loc[3, "acts"] = 1.5
    with pytest.raises(DataError, match="whole counts for a negative_binomial model; rows 3"):
        hs.mixed(bad, formula="acts ~ oxytocin + (1 | subject)", family="negative_binomial")
    with pytest.raises(ModelError, match="n_agq = 5 is not offered for the negative binomial"):
        hs.mixed(d, formula="acts ~ oxytocin + (1 | subject)", family="negative_binomial",
                 n_agq=5)
    with pytest.raises(ModelError, match="'negative_binomial'"):
        hs.mixed(d, formula="acts ~ oxytocin + (1 | subject)", family="gamma")
