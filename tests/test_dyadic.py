"""Tests of hs.apim (actor–partner interdependence model; Kenny, Kashy & Cook 2006).

References: R ``nlme::gls`` (Pinheiro & Bates) on data simulated by ``tests/reference/mixed.R``:
* indistinguishable: ``gls(y ~ x + x_partner, correlation = corCompSymm(~ 1 | dyad),
  method = "REML")`` (``apim_sim_gls_indist*.csv``) and with a negative within-dyad
  correlation (``apim_neg_sim_gls*.csv``);
* distinguishable: ``gls(y ~ 0 + role + role:x + role:x_partner, corCompSymm(~ 1 | dyad),
  weights = varIdent(~ 1 | role))`` (``apim_sim_gls_dist*.csv``);
* lme4 ``lmer(y ~ x + x_partner + (1 | dyad))``: with complete dyads and rho > 0 compound
  symmetry and a random dyad intercept are the same model, so fixed effects and SEs must agree.
Tolerances: estimates 1e-5 absolute, SEs 1e-4 relative, rho and SDs 1e-4, log-likelihood 1e-3.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.errors import DataError

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def dyads():
    return pd.read_csv(REF / "apim_sim.csv")


def _compare(table, ref):
    got = table.set_index("term").loc[ref["term"]]
    np.testing.assert_allclose(got["estimate"], ref["estimate"], atol=1e-5)
    np.testing.assert_allclose(got["std_error"], ref["std_error"], rtol=1e-4)
    if "df" in ref:
        np.testing.assert_allclose(got["df"], ref["df"])
    if "p_value" in ref:
        np.testing.assert_allclose(got["p_value"], ref["p_value"], rtol=1e-3)


def test_indistinguishable_against_nlme_gls(dyads):
    res = hs.apim(dyads, y="y", x="x", dyad="dyad")
    assert not res.distinguishable and res.n_dyads == 60 and res.n_obs == 120
    _compare(res.table, pd.read_csv(REF / "apim_sim_gls_indist.csv"))
    extra = pd.read_csv(REF / "apim_sim_gls_indist_extra.csv").iloc[0]
    assert res.rho == pytest.approx(extra["rho"], abs=1e-4)
    assert res.residual["sd"].iloc[0] == pytest.approx(extra["sigma"], rel=1e-4)
    assert res.reml_loglik == pytest.approx(extra["reml_loglik"], abs=1e-3)


def test_indistinguishable_equals_random_intercept_when_rho_positive(dyads):
    res = hs.apim(dyads, y="y", x="x", dyad="dyad")
    ref = pd.read_csv(REF / "apim_sim_lmer_indist.csv")
    got = res.table.set_index("term").loc[ref["term"]]
    np.testing.assert_allclose(got["estimate"], ref["estimate"], atol=1e-5)
    np.testing.assert_allclose(got["std_error"], ref["std_error"], rtol=1e-4)


def test_negative_within_dyad_correlation(dyads):
    neg = pd.read_csv(REF / "apim_neg_sim.csv")
    res = hs.apim(neg, y="y", x="x", dyad="dyad")
    ref = pd.read_csv(REF / "apim_neg_sim_gls.csv")
    _compare(res.table, ref)
    extra = pd.read_csv(REF / "apim_neg_sim_gls_extra.csv").iloc[0]
    assert res.rho == pytest.approx(extra["rho"], abs=1e-4)
    assert res.rho < 0
    assert res.residual["sd"].iloc[0] == pytest.approx(extra["sigma"], rel=1e-4)


def test_distinguishable_against_nlme_gls(dyads):
    res = hs.apim(dyads, y="y", x="x", dyad="dyad", role="role")
    assert res.distinguishable and res.role_levels == ("man", "woman")
    _compare(res.table, pd.read_csv(REF / "apim_sim_gls_dist.csv"))
    extra = pd.read_csv(REF / "apim_sim_gls_dist_extra.csv").iloc[0]
    assert res.rho == pytest.approx(extra["rho"], abs=1e-4)
    sd = res.residual.set_index("role")["sd"]
    assert sd["man"] == pytest.approx(extra["sigma_man"], rel=1e-4)
    assert sd["woman"] == pytest.approx(extra["sigma_woman"], rel=1e-4)
    assert res.reml_loglik == pytest.approx(extra["reml_loglik"], abs=1e-3)


def test_k_ratio_delta_method(dyads):
    """k = partner / actor with the first-order delta-method SE, recomputed by hand from the
    coefficient covariance."""
    res = hs.apim(dyads, y="y", x="x", dyad="dyad", role="role")
    cov = res.fit.cov_params()
    for r in res.k.itertuples():
        a, p = res.fit.params[f"x[{r.role}]"], res.fit.params[f"x_partner[{r.role}]"]
        g = np.array([-p / a**2, 1 / a])
        sub = cov.loc[
            [f"x[{r.role}]", f"x_partner[{r.role}]"], [f"x[{r.role}]", f"x_partner[{r.role}]"]
        ]
        assert r.estimate == pytest.approx(p / a)
        assert r.std_error == pytest.approx(np.sqrt(g @ sub.to_numpy() @ g))
        assert r.conf_low < r.estimate < r.conf_high


def test_recovers_known_actor_and_partner_effects():
    rng = np.random.default_rng(8)
    n = 400
    x = rng.normal(size=(n, 2))
    e = rng.multivariate_normal([0, 0], [[1, -0.3], [-0.3, 1]], size=n)
    # role 0 ("a"): actor 0.5, partner 0.1; role 1 ("b"): actor 0.2, partner 0.4
    y = np.c_[0.5 * x[:, 0] + 0.1 * x[:, 1], 0.2 * x[:, 1] + 0.4 * x[:, 0]] + e
    df = pd.DataFrame(
        {
            "d": np.repeat(np.arange(n), 2),
            "r": np.tile(["a", "b"], n),
            "x": x.ravel(),
            "y": y.ravel(),
        }
    )
    res = hs.apim(df, y="y", x="x", dyad="d", role="r")
    t = res.table.set_index("term")
    for term, truth in {"x[a]": 0.5, "x_partner[a]": 0.1, "x[b]": 0.2, "x_partner[b]": 0.4}.items():
        assert t.loc[term, "conf_low"] < truth < t.loc[term, "conf_high"], term
    assert res.rho == pytest.approx(-0.3, abs=0.12)
    pooled = hs.apim(df, y="y", x="x", dyad="d")  # role ignored unless given
    assert pooled.table["term"].tolist() == ["Intercept", "x", "x_partner"]


def test_partner_x_attached_correctly_regardless_of_row_order(dyads):
    shuffled = dyads.sample(frac=1.0, random_state=1)
    a = hs.apim(dyads, y="y", x="x", dyad="dyad").table
    b = hs.apim(shuffled, y="y", x="x", dyad="dyad").table
    np.testing.assert_allclose(a["estimate"], b["estimate"], atol=1e-8)


def test_validation_names_dyads(dyads):
    bad = pd.concat([dyads, dyads.iloc[[0]]]).drop(index=2)  # d01 has 3 rows now, d02 has 1
    with pytest.raises(DataError, match=r"d01 \(3 rows\).*d02 \(1 row\)"):
        hs.apim(bad, y="y", x="x", dyad="dyad")
    same = dyads.copy()
    same.loc[same["dyad"] == "d05", "role"] = "man"
    with pytest.raises(DataError, match=r"d05.*same"):
        hs.apim(same, y="y", x="x", dyad="dyad", role="role")
    three = dyads.copy()
    three.loc[0, "role"] = "other"
    with pytest.raises(DataError, match="exactly two levels"):
        hs.apim(three, y="y", x="x", dyad="dyad", role="role")
    with pytest.raises(DataError, match="role"):
        hs.apim(dyads, y="y", x="x", dyad="dyad", distinguishable=True)


def test_missing_outcome_keeps_partner_row(dyads):
    d = dyads.copy()
    d.loc[0, "y"] = np.nan
    res = hs.apim(d, y="y", x="x", dyad="dyad", role="role")
    assert res.dropped["row"].tolist() == [0]
    assert res.n_obs == 119 and res.n_dyads == 60


def test_no_mutation_and_display(dyads):
    before = dyads.copy(deep=True)
    res = hs.apim(dyads, y="y", x="x", dyad="dyad", role="role")
    pd.testing.assert_frame_equal(dyads, before)
    assert "x_partner" not in dyads.columns
    assert "APIM" in res.summary() and "<table" in res._repr_html_()
