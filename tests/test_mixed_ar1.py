"""AR(1) and continuous-time AR(1) residual correlation in ``hs.mixed`` against ``nlme::lme``
with ``corAR1`` / ``corCAR1``, fitted with tight control by ``tests/reference/mixed_ar1.R``.

Data: Ovary (Pinheiro & Bates 2000; nlme, AR(1) over the within-mare occasion; also with every
fourth occasion missing, where nlme's corAR1 becomes ARMA(1, 0) over the occasion values and
residuals k occasions apart correlate phi^k), BodyWeight
(Crowder & Hand 1990; nlme, CAR(1) over days) and a diurnal cortisol study simulated by the R
script (CAR(1) over individual, irregular sample times in hours).

Targets (issue 26): log-likelihood within 1e-6 relative, fixed effects 1e-5, phi 1e-4, REML and
ML. Also compared: standard errors (nlme's varFix) and sigma and the random-effect SDs within
1e-4 relative; the likelihood-ratio statistic against the model without the correlation within
1e-6 relative; phi's 95% Wald interval (nlme's ``intervals``) within 1e-3 absolute (nlme takes
its Hessian by coarser finite differences, ``fdHess``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.errors import DataError, ModelError
from hormonestats.results import protocol_problems

REF = Path(__file__).parent / "reference"

CASES = {
    "ovary": ("follicles ~ s + c + (1 | mare)", hs.ar1("occ")),
    "ovary_gaps": ("follicles ~ s + c + (1 | mare)", hs.ar1("occ")),
    "bodyweight": ("weight ~ time * diet + (time | rat)", hs.car1("time")),
    "diurnal": ("log_cortisol ~ hours + group + (hours | id)", hs.car1("hours")),
}


def _values(name: str, method: str) -> pd.DataFrame:
    v = pd.read_csv(REF / "mixed_ar1_values.csv")
    return v[(v["data"] == name) & (v["method"] == method)]


def _q(v: pd.DataFrame, quantity: str) -> np.ndarray:
    return v.loc[v["quantity"] == quantity, "value"].to_numpy(float)


_FITS: dict = {}


def _fit(name: str, method: str, correlation=True):
    key = (name, method, correlation)
    if key not in _FITS:
        formula, corr = CASES[name]
        data = pd.read_csv(REF / f"mixed_ar1_{name}.csv")
        _FITS[key] = hs.mixed(data, formula=formula, reml=method == "REML",
                              correlation=corr if correlation else None)
    return _FITS[key]


@pytest.mark.parametrize("method", ["REML", "ML"])
@pytest.mark.parametrize("name", list(CASES))
def test_matches_nlme(name, method):
    res = _fit(name, method)
    v = _values(name, method)
    lmm = res.fit
    assert res.converged and not res.warnings
    loglik = -res.deviance / 2
    assert loglik == pytest.approx(_q(v, "loglik")[0], rel=1e-6)
    est = v[v["quantity"] == "estimate"]
    # the same columns in the same order (nlme "dietd2" is "diet[d2]" here)
    r_names = [t.replace("(Intercept)", "Intercept") for t in est["term"]]
    ours = [t.replace("[", "").replace("]", "") for t in res.table["term"]]
    assert ours == r_names
    np.testing.assert_allclose(res.table["estimate"], est["value"], rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(res.table["std_error"], _q(v, "std_error"), rtol=1e-4)
    assert lmm.serial.phi == pytest.approx(_q(v, "phi")[0], abs=1e-4)
    assert np.sqrt(lmm.sigma2) == pytest.approx(_q(v, "sigma")[0], rel=1e-4)
    vc = res.variance_components
    sds = vc.loc[(vc["group"] != "residual") & vc["sd"].notna(), "sd"].to_numpy()
    np.testing.assert_allclose(sds, _q(v, "re_sd"), rtol=1e-4)
    # phi is in the variance components and in residual_correlation() with nlme's interval
    assert vc["correlation"].iloc[-1] == lmm.serial.phi
    rc = res.residual_correlation()
    assert rc["phi"].iloc[0] == lmm.serial.phi
    assert rc["conf_low"].iloc[0] == pytest.approx(_q(v, "phi_lower")[0], abs=1e-3)
    assert rc["conf_high"].iloc[0] == pytest.approx(_q(v, "phi_upper")[0], abs=1e-3)


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_lrt_against_independent_residuals(method):
    name = "diurnal"
    v = _values(name, method)
    lrt = hs.mixed_lrt(_fit(name, method, correlation=False), _fit(name, method))
    chisq = 2 * (_q(v, "loglik")[0] - _q(v, "loglik_independent")[0])
    assert lrt["chisq"].iloc[1] == pytest.approx(chisq, rel=1e-6)
    assert lrt["df"].iloc[1] == 1
    assert lrt["p_value"].iloc[1] < 1e-10


def test_result_protocol_and_facts():
    res = _fit("ovary", "REML")
    assert protocol_problems(res) == []
    facts = res.methods_facts()
    assert "AR(1)" in facts["correlation"] and facts["phi"] == res.fit.serial.phi
    assert "phi = 0.607" in str(res.summary())
    from hormonestats.report.methods_sentences import describe_model

    assert describe_model(res).endswith(
        "with AR(1) residual correlation over occ within mare (phi = .61)")
    assert "phi among the variance parameters" in res.df_method
    assert res.fit.n_params == _fit("ovary", "REML", correlation=False).fit.n_params + 1
    assert _fit("ovary", "REML", correlation=False).residual_correlation().empty


def test_text_and_keyword_forms_agree():
    data = pd.read_csv(REF / "mixed_ar1_ovary.csv")
    before = data.copy()
    a = hs.mixed(data, formula="follicles ~ s + c + (1 | mare)", correlation="ar1(occ | mare)")
    b = _fit("ovary", "REML")
    assert a.fit.serial.phi == pytest.approx(b.fit.serial.phi, abs=1e-10)
    pd.testing.assert_frame_equal(data, before)  # the caller's data untouched
    # the keyword interface takes it too (subject is the group)
    k = hs.mixed(data, y="follicles", x="s", subject="mare", random_slopes=False,
                 correlation=hs.ar1("occ"))
    assert 0.4 < k.fit.serial.phi < 0.8


def test_row_order_does_not_matter():
    data = pd.read_csv(REF / "mixed_ar1_ovary.csv")
    shuffled = data.sample(frac=1.0, random_state=3)
    res = hs.mixed(shuffled, formula="follicles ~ s + c + (1 | mare)",
                   correlation=hs.ar1("occ"))
    ref = _fit("ovary", "REML")
    assert res.deviance == pytest.approx(ref.deviance, rel=1e-10)
    assert res.fit.serial.phi == pytest.approx(ref.fit.serial.phi, abs=1e-7)


def test_rows_missing_time_are_logged():
    data = pd.read_csv(REF / "mixed_ar1_ovary.csv")
    data.loc[[3, 50], "occ"] = np.nan
    res = hs.mixed(data, formula="follicles ~ s + c + (1 | mare)", correlation=hs.ar1("occ"))
    assert len(res.excluded) == 2 and res.n_obs == len(data) - 2


def test_bad_input_errors():
    data = pd.read_csv(REF / "mixed_ar1_diurnal.csv")
    f = "log_cortisol ~ hours + (1 | id)"
    with pytest.raises(DataError, match="integer occasions"):
        hs.mixed(data, formula=f, correlation=hs.ar1("hours"))
    dup = data.copy()
    dup.loc[1, "hours"] = dup.loc[0, "hours"]
    with pytest.raises(DataError, match="unique within each 'id'"):
        hs.mixed(dup, formula=f, correlation=hs.car1("hours"))
    with pytest.raises(DataError, match="lacks column"):
        hs.mixed(data, formula=f, correlation=hs.car1("minutes"))
    with pytest.raises(ModelError, match="correlation must be"):
        hs.mixed(data, formula=f, correlation="arma(hours)")
    with pytest.raises(ModelError, match="Kenward-Roger"):
        hs.mixed(data, formula=f, correlation=hs.car1("hours"), df_method="kenward-roger")
    with pytest.raises(ModelError, match="innermost"):
        hs.mixed(data.assign(slot=data.index % 3),
                 formula="log_cortisol ~ hours + (1 | id) + (1 | slot)",
                 correlation=hs.car1("hours", group="id"))
    # a grouping constant within the correlation group (persons nested in groups) is fine
    nested = hs.mixed(data, formula="log_cortisol ~ hours + (1 | id) + (1 | group)",
                      correlation=hs.car1("hours", group="id"))
    assert 0.3 < nested.fit.serial.phi < 0.9
    with pytest.raises(ModelError, match="Gaussian"):
        hs.mixed(data.assign(b=(data["log_cortisol"] > 2).astype(int)),
                 formula="b ~ hours + (1 | id)", family="binomial", correlation="car1(hours)")


def _simulate_ar1(rng, n_sub=150, n_occ=8, phi=0.6, sd_int=0.5, sigma=1.0, gap_every=0):
    rows = []
    for i in range(n_sub):
        e = np.empty(n_occ)
        e[0] = rng.normal()
        for k in range(1, n_occ):
            e[k] = phi * e[k - 1] + np.sqrt(1 - phi**2) * rng.normal()
        occ = np.arange(n_occ)
        y = 1.0 + 0.3 * occ + rng.normal(0, sd_int) + sigma * e
        keep = np.ones(n_occ, bool) if not gap_every else (occ % gap_every != 1)
        rows.append(pd.DataFrame({"id": i, "occ": occ[keep], "y": y[keep]}))
    return pd.concat(rows, ignore_index=True)


def test_known_phi_recovered():
    """Simulated AR(1) with phi = 0.6 (150 persons x 8 occasions, and with every third occasion
    missing, where residuals two occasions apart correlate phi^2): the estimate lies within 3 SE
    of the truth and the interval covers it."""
    rng = np.random.default_rng(26)
    for gaps in (0, 3):
        d = _simulate_ar1(rng, gap_every=gaps)
        res = hs.mixed(d, formula="y ~ occ + (1 | id)", correlation=hs.ar1("occ"))
        sf = res.fit.serial
        lo, hi = sf.interval(0.95)
        assert lo < 0.6 < hi
        assert abs(sf.phi - 0.6) < 0.1
        slope = res.table.set_index("term").loc["occ"]
        assert abs(slope["estimate"] - 0.3) < 4 * slope["std_error"]


def test_simulator_serial_phi_recovered():
    """The power simulator's within-person data with AR(1) residuals (phi = 0.5): hs.mixed with
    an AR(1) structure recovers phi, and the slope."""
    from hormonestats.simulate.families import mixed_data

    rng = np.random.default_rng(7)
    n, k = 200, 8
    x, y = mixed_data(rng, n, 1, beta=0.3, k=k, icc=0.5, slope_sd=0.0, x_sd=1.0,
                      phi=0.5, x_phi=0.3)
    d = pd.DataFrame({"id": np.repeat(np.arange(n), k), "occ": np.tile(np.arange(k), n),
                      "x": x.ravel(), "y": y.ravel()})
    res = hs.mixed(d, formula="y ~ x + (1 | id)", correlation=hs.ar1("occ"))
    lo, hi = res.fit.serial.interval()
    assert lo < 0.5 < hi and abs(res.fit.serial.phi - 0.5) < 0.08
    slope = res.table.set_index("term").loc["x"]
    assert abs(slope["estimate"] - 0.3) < 4 * slope["std_error"]


def test_power_with_serial_correlation():
    """hs.power's ``mixed`` family with AR(1) residuals (phi = 0.7) and a serially correlated
    predictor (x_phi = 0.9): the two-stage Knapp-Hartung test, which takes its variance from
    the spread of the per-subject slopes, about keeps its level (measured 5.8% over 4,000
    simulations, Monte-Carlo SE 0.35 points) and its interval about its coverage; the slope
    is unbiased."""
    spec = {"family": "mixed", "n_obs": 8, "slope_sd": 0.0, "x_phi": 0.9, "phi": 0.7}
    null = hs.power({**spec, "effects": {"x": 0.0}}, n=[30], n_sims=4000, seed=4,
                    progress=False)
    assert abs(null["power"].iloc[0] - 0.05) < 0.015
    alt = hs.power({**spec, "effects": {"x": 0.1}}, n=[30], n_sims=2000, seed=3,
                   progress=False)
    assert abs(alt["coverage"].iloc[0] - 0.95) < 0.02
    assert abs(alt["mean_estimate"].iloc[0] - 0.1) < 0.01
    with pytest.raises(hs.errors.HormoneStatsError, match="phi must lie"):
        hs.power({**spec, "phi": 1.0}, n=[30], n_sims=10, seed=1, progress=False)


def _coverage_study(rng, n_sub=40, n_occ=8, phi=0.6, slope=-0.1):
    """A diurnal-like series: 8 equally spaced samples per person, a linear decline, random
    intercept, AR(1) residuals."""
    e = rng.standard_normal((n_sub, n_occ))
    for k in range(1, n_occ):
        e[:, k] = phi * e[:, k - 1] + np.sqrt(1 - phi**2) * e[:, k]
    occ = np.arange(n_occ, dtype=float)
    y = 2.0 + slope * occ + rng.normal(0, 0.5, (n_sub, 1)) + 0.4 * e
    return pd.DataFrame({"id": np.repeat(np.arange(n_sub), n_occ),
                         "occ": np.tile(occ, n_sub), "y": y.ravel()})


@pytest.mark.slow
def test_ignoring_ar1_makes_slope_intervals_too_narrow():
    """400 simulated studies (40 persons x 8 samples, phi = 0.6): the 95% interval of the time
    slope from the random-intercept model without the AR(1) covers the truth clearly less than
    95% of the time; with the AR(1) structure (Satterthwaite df with phi) it covers 93-97%
    (Monte-Carlo SE 1.1 points), and phi is recovered on average."""
    rng = np.random.default_rng(2026)
    hits_plain, hits_ar1, phis = [], [], []
    for _ in range(400):
        d = _coverage_study(rng)
        for corr, hits in ((None, hits_plain), (hs.ar1("occ"), hits_ar1)):
            res = hs.mixed(d, formula="y ~ occ + (1 | id)", correlation=corr)
            row = res.table.set_index("term").loc["occ"]
            hits.append(row["conf_low"] < -0.1 < row["conf_high"])
            if corr is not None:
                phis.append(res.fit.serial.phi)
    assert np.mean(hits_plain) < 0.88
    assert 0.93 <= np.mean(hits_ar1) <= 0.97
    assert abs(np.mean(phis) - 0.6) < 0.03


def _tsst_series(phi: float) -> pd.DataFrame:
    from hormonestats.simulate.designs import _gamma_curve

    st = hs.simulate_study("tsst", n=200, seed=5, serial_phi=phi)
    s = st.tables["samples"]
    s = s[s["sample_type"] == "subject"].assign(value=pd.to_numeric(s["value"]))
    m = s.groupby(["subject_id", "sample_time"], as_index=False)["value"].mean()
    return m.assign(ly=np.log(m["value"]), t=m["sample_time"].astype(str),
                    g=_gamma_curve(m["sample_time"].to_numpy()))


def test_tsst_simulator_serial_correlation():
    """The stress-test simulator with CAR(1) noise over the sample times (serial_phi = 0.6 per
    10 minutes): hs.mixed with car1 over the sample time (minutes), the per-person response
    amplitude as a random slope of the known curve, finds the correlation at 10 minutes
    somewhat below 0.6 (the simulated assay's independent well and plate errors add a nugget
    that attenuates it) and none (phi on its boundary 0) without serial_phi."""
    f = "ly ~ t + (1 + g | subject_id)"
    res = hs.mixed(_tsst_series(0.6), formula=f, correlation=hs.car1("sample_time"))
    r10 = res.fit.serial.phi ** 10
    assert 0.4 < r10 < 0.6
    st = hs.simulate_study("tsst", n=20, seed=5, serial_phi=0.6)
    assert st.truth["serial_phi_per_minute"] == pytest.approx(0.6**0.1)
    res0 = hs.mixed(_tsst_series(0.0), formula=f, correlation=hs.car1("sample_time"))
    assert res0.fit.serial.phi ** 10 < 0.1 and res0.converged
    with pytest.raises(hs.errors.HormoneStatsError, match="serial_phi"):
        hs.simulate_study("tsst", n=20, seed=5, serial_phi=1.0)


def test_hypothesis_runner_passes_the_correlation():
    """A within-person hypothesis whose options name a correlation structure is fitted with it
    by the ``mixed`` runner (the default hypotheses keep independent residuals: their visits
    are days to weeks apart)."""
    from hormonestats.models.claims import Hypothesis
    from hormonestats.models.runners import RUNNERS

    rng = np.random.default_rng(11)
    d = _simulate_ar1(rng, n_sub=60, sd_int=1.0).assign(x=lambda f: rng.normal(size=len(f)))
    hyp = Hypothesis(name="serial", claim="x predicts y within person", family="mixed",
                     roles={"y": "y", "x": "x", "subject": "id"}, key_term="within",
                     predicted_sign=1, source="test",
                     options={"correlation": "ar1(occ)", "random_slopes": False})
    res, key = RUNNERS["mixed"](d, hyp, {"y": "y", "x": "x", "subject": "id"}, ["occ"],
                                {"conf_level": 0.95})
    assert res.fit.serial is not None and 0.3 < res.fit.serial.phi < 0.9
    assert key["term"] == "x_within"
    with pytest.raises(ModelError, match="Profile intervals"):
        res.confint_profile()
