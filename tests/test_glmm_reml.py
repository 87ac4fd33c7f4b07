"""Restricted-likelihood (REML) fits of generalized mixed models (hs.mixed(..., family=...,
reml=True)) against glmmTMB with REML = TRUE, polished on TMB's objective by
``tests/reference/glmm_reml.R``; and the between-within denominator df of their t tests.

Tolerances: fixed effects, random-effect SDs and theta within 1e-5 relative (relative to the SE
for coefficients near zero), standard errors 1e-3 relative, REML criterion 1e-6 relative.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.errors import ModelError
from hormonestats.models.lmm.fit import MixedModelWarning

REF = Path(__file__).parent / "reference"
VALUES = pd.read_csv(REF / "glmm_reml_values.csv", keep_default_na=False)

CASES = {
    "trust": ("glmm_trust.csv", "choice ~ oxytocin * face_trust + (1 | subject) + (1 | face)",
              "binomial"),
    "acts": ("glmm_acts.csv", "acts ~ condition + offset(log(minutes)) + (1 | subject)",
             "poisson"),
    "coop": ("glmm_nbinom_coop.csv",
             "acts ~ oxytocin + offset(log(minutes)) + (1 | subject) + (1 | partner)",
             "negative_binomial"),
}


def ref(model: str, quantity: str) -> pd.Series:
    v = VALUES[(VALUES.model == model) & (VALUES.quantity == quantity)]
    return pd.Series(v["value"].astype(float).to_numpy(), index=v["term"].to_numpy())


def _fit(name, **kw):
    file, formula, family = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error", MixedModelWarning)
        return hs.mixed(pd.read_csv(REF / file), formula=formula, family=family, reml=True, **kw)


@pytest.mark.parametrize("name", list(CASES))
def test_reml_matches_polished_glmmtmb(name):
    res = _fit(name)
    assert res.converged and res.fit.reml
    beta, se = ref(name, "beta").to_numpy(), ref(name, "se").to_numpy()
    scale = np.maximum(np.abs(beta), se)
    np.testing.assert_array_less(np.abs(res.fit.beta - beta) / scale, 1e-5)
    np.testing.assert_allclose(res.fit.se, se, rtol=1e-3)
    np.testing.assert_allclose(res.variance_components["sd"], ref(name, "sd").to_numpy(),
                               rtol=1e-5)
    assert res.deviance == pytest.approx(ref(name, "criterion").iloc[0], rel=1e-6)
    if name == "coop":
        assert res.nb_theta == pytest.approx(ref(name, "nb_theta").iloc[0], rel=1e-5)
    facts = res.methods_facts()
    assert facts["estimation"] == "restricted maximum likelihood"
    assert "restricted maximum likelihood" in res.summary()


def test_between_within_df_and_the_wald_default():
    res = _fit("trust", df_method="between-within")
    t = res.table.set_index("term")
    # 20 faces less the 2 face-level columns (intercept, face_trust); 30 persons less the 2
    # person-level columns (intercept, oxytocin); the intercept takes the smaller; the
    # interaction varies within both: 1200 - 4 - 18 - 28
    assert t["df"].tolist() == [18.0, 28.0, 18.0, 1150.0]
    from scipy import stats

    q = stats.t.ppf(0.975, t["df"])
    np.testing.assert_allclose(t["conf_high"], t["estimate"] + q * t["std_error"], rtol=1e-12)
    np.testing.assert_allclose(t["p_value"],
                               2 * stats.t.sf(np.abs(t["estimate"] / t["std_error"]), t["df"]))
    z = _fit("trust").table
    assert np.isinf(z["df"]).all() and (z["conf_high"] < t["conf_high"].to_numpy()).all()
    with pytest.raises(ModelError, match="df_method='kenward-roger' is for the linear"):
        _fit("trust", df_method="kenward-roger")


def test_reml_refuses_quadrature_profiles_and_fixed_effect_lrt():
    with pytest.raises(ModelError, match="reml=False for adaptive quadrature"):
        _fit("acts", n_agq=5)
    res = _fit("acts")
    with pytest.raises(ModelError, match="maximum-likelihood fit"):
        res.profile_intervals()
    d = pd.read_csv(REF / "glmm_acts.csv")
    null = hs.mixed(d, formula="acts ~ offset(log(minutes)) + (1 | subject)", family="poisson",
                    reml=True)
    with pytest.raises(ModelError, match="reml=False"):
        hs.mixed_lrt(null, res)
