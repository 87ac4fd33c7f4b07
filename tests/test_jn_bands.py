"""Johnson–Neyman simultaneous bands (Scheffé-type, Bauer & Curran 2005), boundary intervals and
the caution for a non-significant interaction.

The familywise rate is checked by simulation under the null (the slope of x is zero at every
moderator value): the share of datasets in which the region claims some significant stretch
inside the observed moderator range. Pointwise regions exceed alpha; the simultaneous band must
not. Fits are plain least squares in numpy (an independent computation of the coefficients and
their covariance), the regions come from the function under test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import hormonestats as hs
from hormonestats.models._slopes import johnson_neyman_from_cov

TERMS = ["Intercept", "x", "m", "x:m"]


def _null_fits(n_sims, n, seed):
    """OLS of y on x, m, x*m for n_sims null datasets: params (B, 4), covariances (B, 4, 4)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_sims, n))
    m = rng.normal(size=(n_sims, n))
    y = 0.5 * m + rng.normal(size=(n_sims, n))  # m matters, the slope of x is 0 everywhere
    X = np.stack([np.ones_like(x), x, m, x * m], axis=2)
    xtx_inv = np.linalg.inv(np.einsum("bni,bnj->bij", X, X))
    beta = np.einsum("bij,bnj,bn->bi", xtx_inv, X, y)
    resid = y - np.einsum("bni,bi->bn", X, beta)
    s2 = (resid**2).sum(axis=1) / (n - 4)
    return beta, xtx_inv * s2[:, None, None], m.min(axis=1), m.max(axis=1)


def familywise_rate(n_sims, n=80, seed=1, band="pointwise"):
    beta, cov, lo, hi = _null_fits(n_sims, n, seed)
    hits = 0
    for b in range(n_sims):
        p = pd.Series(beta[b], index=TERMS)
        v = pd.DataFrame(cov[b], index=TERMS, columns=TERMS)
        jn = johnson_neyman_from_cov(
            p, v, x_term="x", xm_term="x:m", m_range=(lo[b], hi[b]), df=n - 4, n_points=40,
            band=band,
        )
        hits += bool(jn.grid["significant"].any() or any(jn.in_range))
    return hits / n_sims


def test_familywise_rate_fast():
    n_sims = 300
    point = familywise_rate(n_sims, band="pointwise")
    simul = familywise_rate(n_sims, band="simultaneous")
    se = np.sqrt(0.05 * 0.95 / n_sims)
    assert simul <= 0.05 + 3 * se
    assert point > simul


@pytest.mark.slow
def test_familywise_rate_slow():
    """5,000 null datasets (n = 80): measured 0.145 pointwise and 0.050 simultaneous."""
    n_sims = 5000
    point = familywise_rate(n_sims, seed=2, band="pointwise")
    simul = familywise_rate(n_sims, seed=2, band="simultaneous")
    se = np.sqrt(0.05 * 0.95 / n_sims)
    assert simul <= 0.05 + 2.5 * se
    assert point > 0.05 + 5 * se  # the pointwise region's inflation the issue reported


def _fit(seed=4, n=200, interaction=0.4):
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({"x": rng.normal(size=n), "m": rng.normal(1, 2, size=n)})
    d["y"] = 0.2 * d.x + interaction * d.x * d.m + rng.normal(size=n)
    return hs.moderation(d, y="y", x="x", m="m")


def test_simultaneous_critical_value_and_band():
    res = _fit()
    point = res.johnson_neyman()
    simul = res.johnson_neyman(band="simultaneous")
    df = res.df_resid
    assert point.critical == pytest.approx(stats.t.ppf(0.975, df))
    assert simul.critical == pytest.approx(np.sqrt(2 * stats.f.ppf(0.95, 2, df)))
    # at each boundary the band touches zero: |slope| = q * se
    for jn in (point, simul):
        s = res.simple_slopes(at=list(jn.bounds))
        np.testing.assert_allclose(np.abs(s["estimate"]), jn.critical * s["std_error"], rtol=1e-8)
    # the simultaneous region is smaller: every simultaneously significant point is pointwise too
    assert not (simul.grid["significant"] & ~point.grid["significant"]).any()
    assert simul.grid["significant"].sum() < point.grid["significant"].sum()
    assert "Scheffé-type" in simul.summary() and not simul.caution


def test_boundary_intervals_match_numerical_derivative():
    """The delta-method SE of each boundary equals the one from a numerical derivative of the
    root with respect to (b_x, b_xm), computed here by re-solving the quadratic."""
    res = _fit()
    jn = res.johnson_neyman()
    p, v = res._slope_terms_original_scale()
    vv = v.to_numpy()
    q2 = jn.critical**2

    def roots(bx, bxm):
        a = bxm**2 - q2 * vv[1, 1]
        b = 2 * (bx * bxm - q2 * vv[0, 1])
        c = bx**2 - q2 * vv[0, 0]
        return np.sort(np.roots([a, b, c]).real)

    h = 1e-6
    base = roots(*p.to_numpy())
    np.testing.assert_allclose(base, jn.bounds, rtol=1e-8)
    grad = np.column_stack(
        [(roots(*(p.to_numpy() + h * e)) - roots(*(p.to_numpy() - h * e))) / (2 * h)
         for e in np.eye(2)]
    )
    se = np.sqrt(np.einsum("ri,ij,rj->r", grad, vv, grad))
    z = stats.t.ppf(0.975, res.df_resid)
    ci = np.array(jn.bounds_ci)
    np.testing.assert_allclose((ci[:, 1] - ci[:, 0]) / (2 * z), se, rtol=1e-4)
    tab = jn.table
    assert list(tab.columns) == ["bound", "conf_low", "conf_high", "in_range"]


def test_caution_when_interaction_not_significant():
    res = _fit(interaction=0.0, seed=9)
    p = res.table.set_index("term").loc["x:m", "p_value"]
    assert p > 0.05
    jn = res.johnson_neyman()
    assert jn.interaction_p == pytest.approx(p)
    assert "not significant" in jn.caution and jn.caution in jn.summary()
    with pytest.raises(ValueError, match="band"):
        res.johnson_neyman(band="bonferroni")
