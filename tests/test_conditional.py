"""Tests of hs.moderated_mediation (PROCESS models 7, 14, 58).

References we did not write:
- PROCESS for SPSS 2.16.3 output (HC3 SEs, 5,000 bias-corrected bootstrap resamples) from
  pyprocessmacro's test data (MIT, tests/reference/process_LICENSE.txt), parsed from
  tests/reference/process_model{7,14,58}_results_ols.txt (nothing retyped).
- pyprocessmacro (a Python port of PROCESS) with a covariate, nonrobust SEs.
- Simulated data with known conditional indirect effects and index (coverage, bias).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.errors import ModelError

_spec = importlib.util.spec_from_file_location(
    "_mediation_helpers", Path(__file__).parent / "test_mediation.py"
)
_helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_helpers)
parse_process = _helpers.parse_process
read_process_data = _helpers.read_process_data
mc_tolerances = _helpers.mc_tolerances
assert_printed = _helpers.assert_printed
REF = _helpers.REF


@pytest.fixture(scope="module", params=[7, 14, 58])
def process_run(request):
    model = request.param
    data, (x, y, w, m1, m2) = read_process_data(model)
    ref = parse_process(REF / f"process_model{model}_results_ols.txt")
    res = hs.moderated_mediation(
        data,
        x=x,
        mediator=[m1, m2],
        y=y,
        m=w,
        model=model,
        n_boot=10_000,
        ci="bc",
        robust="HC3",
        seed=model,
    )
    return model, ref, res


def test_process_paths(process_run):
    """Coefficients, HC3 SEs, t, p, CIs, R-sq and MSE equal PROCESS's printed 4 decimals."""
    model, ref, res = process_run
    for outcome, rows in ref["coef"].items():
        key = "outcome" if outcome == "y" else f"mediator:{outcome}"
        fit = res.fits[key]
        ci = fit.conf_int(0.05)
        names = {"constant": "Intercept", **ref["products"][outcome]}
        assert {names.get(t, t) for t in rows} == set(fit.params.index)
        for term, vals in rows.items():
            name = names.get(term, term)
            assert_printed(fit.params[name], vals["coeff"], f"model {model} {outcome}:{term}")
            assert_printed(fit.bse[name], vals["se"], f"model {model} {outcome}:{term} se")
            assert_printed(fit.tvalues[name], vals["t"], f"model {model} {outcome}:{term} t")
            assert_printed(fit.pvalues[name], vals["p"], f"model {model} {outcome}:{term} p")
            assert_printed(ci.loc[name, 0], vals["llci"], f"model {model} {outcome}:{term} lo")
            assert_printed(ci.loc[name, 1], vals["ulci"], f"model {model} {outcome}:{term} hi")
        assert_printed(fit.rsquared, ref["fit"][outcome]["rsq"], f"{outcome} R-sq")
        assert_printed(fit.mse_resid, ref["fit"][outcome]["mse"], f"{outcome} MSE")
    # tidy paths carry the statsmodels numbers
    p = res.paths.query("equation == 'outcome' and term == 'x'").iloc[0]
    assert p["std_error"] == res.fits["outcome"].bse["x"]
    d = res.direct.iloc[0]
    for ours, key in [
        ("estimate", "effect"),
        ("std_error", "se"),
        ("statistic", "t"),
        ("conf_low", "llci"),
        ("conf_high", "ulci"),
    ]:
        assert_printed(d[ours], ref["direct"][key], f"direct {key}")


def test_process_conditional_indirect(process_run):
    """Point estimates and W values to the printed 4 decimals; bootstrap SE and BC limits
    within 3 Monte-Carlo SDs (derived in test_mediation.mc_tolerances)."""
    model, ref, res = process_run
    theirs = ref["indirect"]
    ours = res.conditional_indirect
    assert len(theirs) == len(ours) == 6
    assert ours["mediator"].tolist() == theirs["mediator"].tolist()
    for i, row in theirs.iterrows():
        o = ours.iloc[i]
        assert_printed(o["w_value"], row["w"], f"model {model} w value")
        assert_printed(o["estimate"], row["effect"], f"model {model} {row['mediator']} effect")
        tol_se, tol_lo, tol_hi = mc_tolerances(
            res.boot_conditional[:, i],
            o["estimate"],
            o["conf_low"],
            o["conf_high"],
            ref["n_boot"],
        )
        where = f"model {model} {row['mediator']} w={row['w']}"
        assert abs(o["std_error"] - row["se"]) < tol_se, (where, o["std_error"], row["se"])
        assert abs(o["conf_low"] - row["llci"]) < tol_lo, (where, o["conf_low"], row["llci"])
        assert abs(o["conf_high"] - row["ulci"]) < tol_hi, (where, o["conf_high"], row["ulci"])
    assert ours["w_label"].tolist()[:3] == ["mean - 1 SD", "mean", "mean + 1 SD"]


def test_process_index(process_run):
    """Index of moderated mediation (models 7 and 14) vs PROCESS; none for model 58."""
    model, ref, res = process_run
    if model == 58:
        assert ref["index"].empty  # PROCESS prints no index for model 58
        assert res.index.empty and list(res.index.columns)[0] == "mediator"
        assert "quadratic" in res.summary()
        return
    theirs = ref["index"].set_index("mediator")
    cond = res.conditional_indirect
    for j, (med, row) in enumerate(theirs.iterrows()):
        o = res.index.set_index("mediator").loc[med]
        assert_printed(o["estimate"], row["index"], f"model {model} index {med}")
        # the conditional indirect effect is linear in W here, so the index replicates are
        # the slope between two conditional-effect replicates
        c = cond[cond["mediator"] == med]
        cols = c.index.to_numpy()
        boot = (res.boot_conditional[:, cols[-1]] - res.boot_conditional[:, cols[0]]) / (
            c["w_value"].iloc[-1] - c["w_value"].iloc[0]
        )
        assert np.std(boot, ddof=1) == pytest.approx(o["std_error"], rel=1e-8)
        tol_se, tol_lo, tol_hi = mc_tolerances(
            boot, o["estimate"], o["conf_low"], o["conf_high"], ref["n_boot"]
        )
        assert abs(o["std_error"] - row["se"]) < tol_se, (model, med, o["std_error"], row["se"])
        assert abs(o["conf_low"] - row["llci"]) < tol_lo, (model, med, o["conf_low"])
        assert abs(o["conf_high"] - row["ulci"]) < tol_hi, (model, med, o["conf_high"])
        assert j in (0, 1)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("model", [7, 14, 58])
def test_pyprocessmacro_with_covariate(model):
    """pyprocessmacro (independent port of PROCESS), with a covariate and nonrobust SEs:
    coefficients and SEs to 1e-8 relative, conditional indirect effects to 1e-8."""
    import pyprocessmacro as ppm
    data, (x, y, w, m1, m2) = read_process_data(model)
    mod_kw = {"v" if model == 14 else "w": w}
    p = ppm.Process(
        data=data,
        model=model,
        x=x,
        y=y,
        m=[m1, m2],
        controls=["z"],
        boot=50,
        seed=1,
        suppr_init=True,
        **mod_kw,
    )
    res = hs.moderated_mediation(
        data, x=x, mediator=[m1, m2], y=y, m=w, model=model, covariates=["z"], n_boot=50, seed=1
    )
    for outcome in (m1, m2, y):
        theirs = p.outcome_models[outcome].coeff_summary()
        fit = res.fits["outcome" if outcome == y else f"mediator:{outcome}"]
        names = {t: ("Intercept" if t == "Cons" else t.replace("*", ":")) for t in theirs.index}
        assert set(names.values()) == set(fit.params.index)
        for t, name in names.items():
            assert fit.params[name] == pytest.approx(theirs.loc[t, "coeff"], rel=1e-8)
            assert fit.bse[name] == pytest.approx(theirs.loc[t, "se"], rel=1e-8)
    ind = p.indirect_model.coeff_summary()
    np.testing.assert_allclose(res.conditional_indirect["estimate"], ind["Effect"], rtol=1e-8)
    np.testing.assert_allclose(res.conditional_indirect["w_value"], ind.iloc[:, 1], rtol=1e-8)


# ----------------------------------------------------------------------------- known truth


def _simulate(rng, n, model):
    """x, w ~ N(0, 1); a(w) = 0.3 + 0.3 w (models 7, 58), b(w) = 0.4 + 0.2 w (14, 58)."""
    x, w, c = rng.normal(size=(3, n))
    a3 = 0.3 if model in (7, 58) else 0.0
    b3 = 0.2 if model in (14, 58) else 0.0
    m = 0.3 * x + 0.2 * w + a3 * x * w + 0.2 * c + rng.normal(size=n)
    y = 0.1 * x + 0.4 * m + 0.1 * w + b3 * m * w - 0.1 * c + rng.normal(size=n)
    return pd.DataFrame({"x": x, "w": w, "m": m, "y": y, "c": c})


def _truth(model, wv):
    a3 = 0.3 if model in (7, 58) else 0.0
    b3 = 0.2 if model in (14, 58) else 0.0
    cond = (0.3 + a3 * wv) * (0.4 + b3 * wv)
    index = {7: 0.3 * 0.4, 14: 0.3 * 0.2, 58: None}[model]
    return cond, index


@pytest.mark.parametrize(("model", "reps"), [(7, 200), (14, 100), (58, 100)])
def test_coverage_and_bias(model, reps):
    """Percentile CIs of the conditional indirect effects (W = -1, 1) and of the index cover
    the truth: 200 runs give a binomial SD of 1.5 points, accept [0.904, 0.996] (0.95 +- 3 SD);
    100 runs: SD 2.2 points, accept [0.885, 1.0]. Mean estimates within 3 MC SE of the truth."""
    rng = np.random.default_rng(100 + model)
    wv = np.array([-1.0, 1.0])
    cond_true, index_true = _truth(model, wv)
    hits, ests, idx_hits = [], [], []
    for rep in range(reps):
        d = _simulate(rng, 150, model)
        r = hs.moderated_mediation(
            d,
            x="x",
            mediator="m",
            y="y",
            m="w",
            model=model,
            covariates=["c"],
            m_values=wv,
            n_boot=500,
            seed=rep,
        )
        ci = r.conditional_indirect
        hits.append((ci["conf_low"] <= cond_true) & (cond_true <= ci["conf_high"]))
        ests.append(ci["estimate"].to_numpy())
        if index_true is not None:
            ix = r.index.iloc[0]
            idx_hits.append(ix["conf_low"] <= index_true <= ix["conf_high"])
    lo, hi = (0.904, 0.996) if reps == 200 else (0.885, 1.0)
    coverage = np.mean(hits, axis=0)
    assert ((coverage >= lo) & (coverage <= hi)).all(), coverage
    if index_true is not None:
        assert lo <= np.mean(idx_hits) <= hi, np.mean(idx_hits)
    ests = np.asarray(ests)
    mc_se = ests.std(axis=0, ddof=1) / np.sqrt(reps)
    assert (np.abs(ests.mean(axis=0) - cond_true) < 3 * mc_se).all()


# ------------------------------------------------ rules of docs/architecture.md


@pytest.fixture(scope="module")
def small():
    data, _ = read_process_data(58)
    return data.iloc[:200].copy()


def test_table_and_display(small):
    res = hs.moderated_mediation(
        small, x="x", mediator="m1", y="y", m="w", model=58, n_boot=100, seed=1
    )
    assert list(res.paths.columns) == [
        "equation",
        "mediator",
        "term",
        "estimate",
        "std_error",
        "statistic",
        "df",
        "p_value",
        "conf_low",
        "conf_high",
    ]
    assert res.paths.query("equation == 'outcome'")["term"].tolist() == [
        "Intercept",
        "m1",
        "x",
        "w",
        "m1:w",
    ]
    assert res.paths.query("equation == 'mediator'")["term"].tolist() == [
        "Intercept",
        "x",
        "w",
        "x:w",
    ]
    assert list(res.conditional_indirect.columns) == [
        "mediator",
        "w_value",
        "w_label",
        "estimate",
        "std_error",
        "conf_low",
        "conf_high",
        "ci_method",
    ]
    t = res.table
    assert set(t["section"]) == {"path", "direct", "conditional_indirect"}
    assert len(t) == len(res.paths) + 1 + len(res.conditional_indirect)
    for col in ("estimate", "std_error", "conf_low", "conf_high", "w_value"):
        assert t[col].dtype == np.float64
    assert t.attrs == {}
    assert "PROCESS model 58" in res.summary() and "<table" in res._repr_html_()
    assert res.boot_conditional.shape == (100, 3)
    r7 = hs.moderated_mediation(
        small, x="x", mediator="m1", y="y", m="w", model=7, n_boot=100, seed=1
    )
    assert "index" in set(r7.table["section"])
    assert r7.table.query("section == 'index'")["term"].tolist() == ["index_of_moderated_mediation"]


def test_w_values_given_and_dichotomous(small):
    res = hs.moderated_mediation(
        small, x="x", mediator="m1", y="y", m="w", model=7, m_values=[0, 0.5], n_boot=50, seed=1
    )
    assert res.conditional_indirect["w_value"].tolist() == [0.0, 0.5]
    assert res.conditional_indirect["w_label"].tolist() == ["0", "0.5"]
    d = small.assign(g=(small["w"] > small["w"].median()).astype(int))
    res = hs.moderated_mediation(d, x="x", mediator="m1", y="y", m="g", model=7, n_boot=50, seed=1)
    assert res.conditional_indirect["w_value"].tolist() == [0.0, 1.0]
    # model 7 conditional indirect effect = (a1 + a3 w) b, from the fitted coefficients
    pa = res.fits["mediator:m1"].params
    b = res.fits["outcome"].params["m1"]
    np.testing.assert_allclose(
        res.conditional_indirect["estimate"],
        [(pa["x"] + pa["x:g"] * g) * b for g in (0, 1)],
        rtol=1e-12,
    )
    assert res.index["estimate"].iloc[0] == pytest.approx(pa["x:g"] * b, rel=1e-12)


def test_reproducible_no_mutation_missing(small):
    d = small.copy()
    d.loc[d.index[[1, 5]], "w"] = np.nan
    before = d.copy(deep=True)
    r1 = hs.moderated_mediation(
        d, x="x", mediator=["m1", "m2"], y="y", m="w", model=14, n_boot=200, seed=9, ci="bca"
    )
    r2 = hs.moderated_mediation(
        d, x="x", mediator=["m1", "m2"], y="y", m="w", model=14, n_boot=200, seed=9, ci="bca"
    )
    pd.testing.assert_frame_equal(r1.table, r2.table)
    np.testing.assert_array_equal(r1.boot_conditional, r2.boot_conditional)
    pd.testing.assert_frame_equal(d, before)
    assert r1.n == len(d) - 2
    assert r1.excluded["row"].tolist() == list(d.index[[1, 5]])
    assert set(r1.excluded["reason"]) == {"missing value in w"}
    assert (r1.conditional_indirect["ci_method"] == "bca").all()


def test_errors(small):
    with pytest.raises(ModelError) as err:
        hs.moderated_mediation(
            small, x="x", mediator="m1", y="y", m="nope", model=8, m_values=["a"]
        )
    msg = str(err.value)
    assert "model must be one of 7, 14, 58" in msg and "'nope'" in msg and "m_values" in msg
    with pytest.raises(ModelError, match="both as x and as m"):
        hs.moderated_mediation(small, x="x", mediator="m1", y="y", m="x")
