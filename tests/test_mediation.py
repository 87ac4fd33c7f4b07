"""Tests of hs.mediation (PROCESS model 4) and the vectorised bootstrap helpers.

References we did not write:
- PROCESS for SPSS 2.16.3 text output (model 4, HC3 SEs, 5,000 bias-corrected bootstrap
  resamples), via pyprocessmacro's test data (MIT, tests/reference/process_LICENSE.txt);
  parsed from tests/reference/process_model4_results_ols.txt, not retyped.
- R lavaan point estimates (tests/reference/mediation.R -> mediation_lavaan.csv).
- numpy's lstsq per resample (loop) for the batched solvers; scipy.stats.bootstrap (BCa) on the
  same resamples; pingouin.mediation_analysis point estimates.
- Simulated data with a known indirect effect (coverage).

Tolerances are stated next to each check.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import hormonestats as hs
from hormonestats.errors import ModelError
from hormonestats.models._bootstrap import (
    batched_ols,
    bootstrap_interval,
    jackknife_ols,
    resample_counts,
    weighted_ols,
    weighted_ols_system,
)

REF = Path(__file__).parent / "reference"
NUM = r"-?\d*\.\d+|-?\d+"


# ----------------------------------------------------------------------------- PROCESS parsing


def parse_process(path: Path) -> dict:
    """Parse PROCESS 2.16 text output (UTF-8 BOM, CRLF): per outcome the model summary and the
    coefficient table, the product-term key (``int_1`` -> ``"x:w"``), the direct effect, the
    (conditional) indirect effects, the index of moderated mediation and the number of
    bootstrap samples."""
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    out = {
        "coef": {},
        "fit": {},
        "products": {},
        "direct": None,
        "indirect": [],
        "index": [],
        "n_boot": None,
    }
    section, outcome = None, None
    for i, raw in enumerate(lines):
        toks = raw.split()
        line = " ".join(toks)
        numeric = bool(toks) and all(re.fullmatch(NUM, t) for t in toks[1:])
        if line.startswith("Outcome:"):
            outcome, section = toks[1], None
            out["coef"][outcome], out["products"][outcome] = {}, {}
        elif line.startswith("R R-sq MSE"):
            vals = lines[i + 1].split()
            out["fit"][outcome] = {"rsq": float(vals[1]), "mse": float(vals[2])}
        elif line.startswith("coeff se t p"):
            section = "coef"
        elif line.startswith("Product terms key"):
            section = "products"
        elif line.startswith("Direct effect of X on Y"):
            vals = [float(v) for v in lines[i + 2].split()]
            out["direct"] = dict(zip(["effect", "se", "t", "p", "llci", "ulci"], vals))
            section = None
        elif line.startswith(("Indirect effect of X on Y", "Conditional indirect effect")):
            section = "indirect"
        elif "INDEX OF MODERATED MEDIATION" in line:
            section = "index"
        elif line.startswith("Number of bootstrap samples"):
            out["n_boot"] = int(lines[i + 1].split()[0])
        elif line.startswith(("*", "Values")):
            section = None
        elif section == "coef" and numeric and len(toks) == 7:
            out["coef"][outcome][toks[0]] = dict(
                zip(["coeff", "se", "t", "p", "llci", "ulci"], map(float, toks[1:]))
            )
        elif section == "products" and len(toks) == 4 and toks[0].startswith("int_"):
            out["products"][outcome][toks[0]] = f"{toks[1]}:{toks[3]}"
        elif section == "indirect" and numeric and len(toks) in (5, 6):
            vals = list(map(float, toks[1:]))
            w = vals.pop(0) if len(vals) == 5 else np.nan
            out["indirect"].append(
                dict(mediator=toks[0], w=w, effect=vals[0], se=vals[1], llci=vals[2], ulci=vals[3])
            )
        elif section == "index" and numeric and len(toks) == 5:
            vals = list(map(float, toks[1:]))
            out["index"].append(
                dict(mediator=toks[0], index=vals[0], se=vals[1], llci=vals[2], ulci=vals[3])
            )
    out["indirect"] = pd.DataFrame(out["indirect"])
    out["index"] = pd.DataFrame(out["index"])
    return out


def read_process_data(model: int) -> tuple[pd.DataFrame, list[str]]:
    data = pd.read_csv(REF / f"process_model{model}_data.csv", encoding="utf-8-sig")
    varlist = (REF / f"process_model{model}_varlist.txt").read_text("utf-8-sig").split()[0]
    return data, varlist.split(",")


def mc_tolerances(
    boot: np.ndarray,
    estimate: float,
    lo: float,
    hi: float,
    b_theirs: int,
    conf_level: float = 0.95,
    method: str = "bc",
) -> tuple[float, float, float]:
    """3 x Monte-Carlo SD of (ours - theirs) for the bootstrap SE, lower and upper limit.

    SE: var(sd_hat) ~ sd^2 (kurtosis - 1) / (4B) for each run. Limit at level p: the sample
    quantile has var p(1-p) / (B f(q)^2) (f = density of the bootstrap distribution, from a
    kernel estimate of our replicates); with BC the level itself varies through z0_hat, adding
    (dp/dz0)^2 var(z0_hat), var(z0_hat) = p0 (1 - p0) / (B phi(z0)^2). Both runs contribute.
    Printed 4-decimal rounding adds 5e-5.
    """
    boot = boot[np.isfinite(boot)]
    b_ours = boot.size
    inv = 1 / b_ours + 1 / b_theirs
    sd = boot.std(ddof=1)
    kurt = stats.kurtosis(boot, fisher=False)
    tol_se = 3 * sd * np.sqrt((kurt - 1) / 4 * inv) + 5e-5
    kde = stats.gaussian_kde(boot)
    p0 = np.mean(boot < estimate)
    z0 = stats.norm.ppf(p0) if method == "bc" else 0.0
    tols = []
    for limit, zq in (
        (lo, stats.norm.ppf((1 - conf_level) / 2)),
        (hi, stats.norm.ppf(1 - (1 - conf_level) / 2)),
    ):
        p = stats.norm.cdf(2 * z0 + zq)
        var_p = p * (1 - p) * inv
        if method == "bc":
            dp_dz0 = 2 * stats.norm.pdf(2 * z0 + zq)
            var_p += dp_dz0**2 * p0 * (1 - p0) / stats.norm.pdf(z0) ** 2 * inv
        tols.append(3 * np.sqrt(var_p) / kde(limit)[0] + 5e-5)
    return tol_se, tols[0], tols[1]


def assert_printed(ours: float, printed: float, what: str) -> None:
    """Equal to the printed 4 decimals: |ours - printed| <= 5e-5 (half a unit in the last
    printed place; a hair more for float noise)."""
    assert abs(ours - printed) <= 5e-5 + 1e-9, f"{what}: ours {ours:.6f}, PROCESS {printed}"


# ----------------------------------------------------------------------------- PROCESS model 4


@pytest.fixture(scope="module")
def model4():
    data, (x, y, m1, m2) = read_process_data(4)
    ref = parse_process(REF / "process_model4_results_ols.txt")
    res = hs.mediation(
        data, x=x, mediator=[m1, m2], y=y, n_boot=10_000, ci="bc", robust="HC3", seed=4
    )
    return data, ref, res


def test_process_model4_regression_paths(model4):
    _, ref, res = model4
    assert set(ref["coef"]) == {"m1", "m2", "y"}
    for outcome, rows in ref["coef"].items():
        fit = res.fits["outcome" if outcome == "y" else f"mediator:{outcome}"]
        ci = fit.conf_int(0.05)
        for term, vals in rows.items():
            name = "Intercept" if term == "constant" else term
            assert_printed(fit.params[name], vals["coeff"], f"{outcome}:{term} coeff")
            assert_printed(fit.bse[name], vals["se"], f"{outcome}:{term} se")
            assert_printed(fit.tvalues[name], vals["t"], f"{outcome}:{term} t")
            assert_printed(fit.pvalues[name], vals["p"], f"{outcome}:{term} p")
            assert_printed(ci.loc[name, 0], vals["llci"], f"{outcome}:{term} llci")
            assert_printed(ci.loc[name, 1], vals["ulci"], f"{outcome}:{term} ulci")
    for outcome, vals in ref["fit"].items():
        fit = res.fits["outcome" if outcome == "y" else f"mediator:{outcome}"]
        assert_printed(fit.rsquared, vals["rsq"], f"{outcome} R-sq")
        assert_printed(fit.mse_resid, vals["mse"], f"{outcome} MSE")
    # the tidy table carries the same numbers
    t = res.table.set_index(["term", "mediator"])
    assert_printed(t.loc[("a", "m1"), "std_error"], ref["coef"]["m1"]["x"]["se"], "a m1 se")
    assert_printed(t.loc[("b", "m2"), "conf_low"], ref["coef"]["y"]["m2"]["llci"], "b m2 lo")
    direct = res.table.query("term == 'direct'").iloc[0]
    for ours, key in [
        ("estimate", "effect"),
        ("std_error", "se"),
        ("statistic", "t"),
        ("p_value", "p"),
        ("conf_low", "llci"),
        ("conf_high", "ulci"),
    ]:
        assert_printed(direct[ours], ref["direct"][key], f"direct {key}")


def test_process_model4_indirect_effects(model4):
    _, ref, res = model4
    assert ref["n_boot"] == 5000
    ind = ref["indirect"].set_index("mediator")
    assert list(ind.index) == ["TOTAL", "m1", "m2"]
    table = res.table
    for med, row in ind.iterrows():
        if med == "TOTAL":
            ours = table.query("term == 'total_indirect'").iloc[0]
            boot = res.boot_indirect.sum(axis=1)
        else:
            ours = table.query("term == 'indirect' and mediator == @med").iloc[0]
            boot = res.boot_indirect[:, list(res.mediators).index(med)]
        assert_printed(ours["estimate"], row["effect"], f"indirect {med}")
        tol_se, tol_lo, tol_hi = mc_tolerances(
            boot, ours["estimate"], ours["conf_low"], ours["conf_high"], ref["n_boot"]
        )
        assert abs(ours["std_error"] - row["se"]) < tol_se, (med, ours["std_error"], row["se"])
        assert abs(ours["conf_low"] - row["llci"]) < tol_lo, (med, ours["conf_low"], row["llci"])
        assert abs(ours["conf_high"] - row["ulci"]) < tol_hi, (med, ours["conf_high"], row["ulci"])
        assert ours["ci_method"] == "bc"


def test_mc_tolerance_is_not_vacuous(model4):
    """The derived tolerances are a few hundredths of the bootstrap SE, not arbitrary."""
    _, _, res = model4
    row = res.table.query("term == 'indirect' and mediator == 'm1'").iloc[0]
    tol_se, tol_lo, tol_hi = mc_tolerances(
        res.boot_indirect[:, 0], row["estimate"], row["conf_low"], row["conf_high"], 5000
    )
    assert tol_se < 0.1 * row["std_error"]
    assert max(tol_lo, tol_hi) < 0.25 * row["std_error"]


# ----------------------------------------------------------------------------- lavaan


@pytest.fixture(scope="module")
def lavaan_data():
    data = pd.read_csv(REF / "mediation_data.csv")
    ref = pd.read_csv(REF / "mediation_lavaan.csv")
    return data, ref


@pytest.mark.parametrize(
    ("model", "mediators", "covariates"),
    [("simple", ["m1"], ["c1"]), ("parallel", ["m1", "m2"], ["c1", "c2"])],
)
def test_lavaan_point_estimates(lavaan_data, model, mediators, covariates):
    """OLS path estimates equal lavaan's ML estimates of the same just-identified model;
    relative tolerance 1e-6 (lavaan's optimiser converges to about 1e-8)."""
    data, ref = lavaan_data
    want = ref.query("model == @model").set_index("label")["estimate"]
    res = hs.mediation(
        data, x="x", mediator=mediators, y="y", covariates=covariates, n_boot=50, seed=1
    )
    t = res.table.set_index(["term", "mediator"])["estimate"]
    got = {"cp": res.table.query("term == 'direct'")["estimate"].iloc[0]}
    for j, m in enumerate(mediators, start=1):
        got[f"a{j}"] = t[("a", m)]
        got[f"b{j}"] = t[("b", m)]
        got[f"ind_{m}"] = t[("indirect", m)]
    if model == "parallel":
        got["total_ind"] = res.table.query("term == 'total_indirect'")["estimate"].iloc[0]
        got["total"] = res.table.query("term == 'total'")["estimate"].iloc[0]
    assert set(got) == set(want.index)
    for label, value in got.items():
        assert value == pytest.approx(want[label], rel=1e-6), label


def test_pingouin_point_estimates(lavaan_data):
    """pingouin.mediation_analysis (an independent implementation): equal point estimates.
    (pingouin's "Y ~ M" row is Y regressed on M without X, so it is not our b path.)"""
    import pingouin as pg
    data, _ = lavaan_data
    theirs = pg.mediation_analysis(
        data=data, x="x", m=["m1", "m2"], y="y", covar=["c1"], n_boot=50, seed=1
    ).set_index("path")["coef"]
    ours = hs.mediation(
        data, x="x", mediator=["m1", "m2"], y="y", covariates=["c1"], n_boot=50, seed=1
    ).table
    t = ours.set_index(["term", "mediator"])["estimate"]
    for m in ("m1", "m2"):
        assert t[("a", m)] == pytest.approx(theirs[f"{m} ~ X"], rel=1e-10)
        assert t[("indirect", m)] == pytest.approx(theirs[f"Indirect {m}"], rel=1e-10)
    assert ours.query("term == 'total'")["estimate"].iloc[0] == pytest.approx(theirs["Total"])
    assert ours.query("term == 'direct'")["estimate"].iloc[0] == pytest.approx(theirs["Direct"])


# ----------------------------------------------------------------------------- vectorised solvers


def test_batched_ols_equals_lstsq_loop():
    rng = np.random.default_rng(0)
    X = np.concatenate([np.ones((20, 40, 1)), rng.normal(3, 2, size=(20, 40, 3))], axis=2)
    Y = rng.normal(size=(20, 40, 2))
    got = batched_ols(X, Y)
    want = np.stack([np.linalg.lstsq(X[b], Y[b], rcond=None)[0] for b in range(20)])
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(batched_ols(X, Y[..., 0]), want[..., 0], rtol=1e-9, atol=1e-12)


def test_batched_ols_ill_conditioned_and_singular():
    """Large offsets and scales (a product term of uncentred variables) stay accurate;
    a singular design gives NaN, not garbage."""
    rng = np.random.default_rng(1)
    x = rng.normal(1000, 1, size=(5, 60))
    w = rng.normal(50, 0.1, size=(5, 60))
    X = np.stack([np.ones_like(x), x, w, x * w], axis=2)
    Y = 1 + 0.5 * x - 2 * w + 0.01 * x * w + rng.normal(size=x.shape)
    want = np.stack([np.linalg.lstsq(X[b], Y[b], rcond=None)[0] for b in range(5)])
    np.testing.assert_allclose(batched_ols(X, Y), want, rtol=1e-6)
    Xs = X.copy()
    Xs[2, :, 3] = Xs[2, :, 1]  # duplicated column in one design
    got = batched_ols(Xs, Y)
    assert np.isnan(got[2]).all() and np.isfinite(got[[0, 1, 3, 4]]).all()


def test_weighted_ols_equals_stacked_resamples():
    """Count-weighted fits equal fits on the materialised (n_boot, n, p) resampled designs."""
    rng = np.random.default_rng(2)
    n = 30
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 2))])
    y = rng.normal(size=n)
    idx = np.random.default_rng(9).integers(0, n, size=(50, n))
    counts = np.vstack(list(resample_counts(np.random.default_rng(9), n, 50)))
    np.testing.assert_array_equal(counts, np.stack([np.bincount(i, minlength=n) for i in idx]))
    np.testing.assert_allclose(
        weighted_ols(X, y, counts), batched_ols(X[idx], y[idx]), rtol=1e-9, atol=1e-12
    )


def test_weighted_ols_system_shared_columns():
    """One cross-product matrix serves equations where a column is the response in one and a
    predictor in another, with and without an intercept; equal to per-equation lstsq fits."""
    rng = np.random.default_rng(8)
    n = 50
    x, c = rng.normal(5, 2, size=(2, n))
    m = 0.5 * x + rng.normal(size=n)
    y = 0.3 * m + 0.2 * x + rng.normal(size=n)
    V = np.column_stack([np.ones(n), x, c, m, y])
    w = rng.integers(0, 3, size=(4, n)).astype(float)
    eqs = [([0, 1, 2], 3), ([0, 1, 3, 2], 4), ([1, 3], 4)]
    got = weighted_ols_system(V, eqs, w)
    for (pred, resp), coef in zip(eqs, got):
        for b in range(4):
            sw = np.sqrt(w[b])
            want = np.linalg.lstsq(V[:, pred] * sw[:, None], V[:, resp] * sw, rcond=None)[0]
            np.testing.assert_allclose(coef[b], want, rtol=1e-9, atol=1e-12)


def test_resample_counts_do_not_depend_on_chunking(monkeypatch):
    import hormonestats.models._bootstrap as bs

    whole = np.vstack(list(resample_counts(np.random.default_rng(3), 10, 25)))
    monkeypatch.setattr(bs, "_CHUNK_ELEMENTS", 70)  # 7 resamples per chunk
    chunks = list(resample_counts(np.random.default_rng(3), 10, 25))
    assert len(chunks) == 4
    np.testing.assert_array_equal(np.vstack(chunks), whole)


def test_jackknife_ols_equals_refits():
    rng = np.random.default_rng(4)
    X = np.column_stack([np.ones(25), rng.normal(size=(25, 2))])
    Y = rng.normal(size=(25, 2))
    got = jackknife_ols(X, Y)
    for i in range(25):
        keep = np.arange(25) != i
        np.testing.assert_allclose(
            got[i], np.linalg.lstsq(X[keep], Y[keep], rcond=None)[0], rtol=1e-9, atol=1e-12
        )


def test_bootstrap_matches_explicit_loop():
    """The vectorised indirect-effect replicates equal a per-resample loop over the same
    index matrix (rng.integers(0, n, (n_boot, n)) from default_rng(seed))."""
    data = pd.read_csv(REF / "mediation_data.csv")
    res = hs.mediation(data, x="x", mediator="m1", y="y", covariates=["c1"], n_boot=40, seed=11)
    idx = np.random.default_rng(11).integers(0, len(data), size=(40, len(data)))
    want = []
    for i in idx:
        d = data.iloc[i]
        Xa = np.column_stack([np.ones(len(d)), d["x"], d["c1"]])
        Xb = np.column_stack([np.ones(len(d)), d["x"], d["m1"], d["c1"]])
        a = np.linalg.lstsq(Xa, d["m1"], rcond=None)[0][1]
        b = np.linalg.lstsq(Xb, d["y"], rcond=None)[0][2]
        want.append(a * b)
    np.testing.assert_allclose(res.boot_indirect[:, 0], want, rtol=1e-9)


@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_intervals_match_scipy_bootstrap(method):
    """scipy.stats.bootstrap draws the same (n_resamples, n) index matrix from the same
    Generator, so on the same resamples our percentile and BCa limits must equal scipy's
    (Efron & Tibshirani 1993 formulas, jackknife acceleration); rel. tolerance 1e-8."""
    data = pd.read_csv(REF / "mediation_data.csv").iloc[:60]
    n_boot = 400
    res = hs.mediation(data, x="x", mediator="m1", y="y", n_boot=n_boot, ci=method, seed=5)
    X, M, Y = (data[c].to_numpy() for c in ("x", "m1", "y"))

    def indirect(i):
        i = i.astype(int)
        a = np.polyfit(X[i], M[i], 1)[0]
        Xb = np.column_stack([np.ones(len(i)), X[i], M[i]])
        return a * np.linalg.lstsq(Xb, Y[i], rcond=None)[0][2]

    sp = stats.bootstrap(
        (np.arange(len(data)),),
        indirect,
        vectorized=False,
        n_resamples=n_boot,
        method="BCa" if method == "bca" else "percentile",
        rng=np.random.default_rng(5),
    )
    ours = res.table.query("term == 'indirect'").iloc[0]
    np.testing.assert_allclose(res.boot_indirect[:, 0], sp.bootstrap_distribution, rtol=1e-9)
    assert ours["conf_low"] == pytest.approx(sp.confidence_interval.low, rel=1e-8)
    assert ours["conf_high"] == pytest.approx(sp.confidence_interval.high, rel=1e-8)
    assert ours["std_error"] == pytest.approx(sp.standard_error, rel=1e-8)


def test_bootstrap_interval_bc_equals_bca_without_acceleration():
    draws = np.random.default_rng(0).gamma(2.0, size=3000)
    jack = np.zeros(10)  # no spread -> acceleration 0
    assert bootstrap_interval(draws, 1.8, method="bc") == bootstrap_interval(
        draws, 1.8, method="bca", jackknife=jack
    )


# ----------------------------------------------------------------------------- known truth


def _simulate(rng, n, a, b, cp):
    x = rng.normal(size=n)
    m = a * x + rng.normal(size=n)
    y = cp * x + b * m + rng.normal(size=n)
    c = rng.normal(size=n)
    return pd.DataFrame({"x": x, "m": m, "y": y + 0.2 * c, "c": c})


@pytest.mark.parametrize(("a", "b"), [(0.4, 0.4), (0.0, 0.4)])
def test_percentile_ci_coverage(a, b):
    """200 simulated data sets (n = 100, n_boot = 1000): the percentile CI covers the true
    indirect effect a*b about 95% of the time. With 200 runs the binomial SD of the coverage
    is 1.5 points; accept 0.95 +- 3 SD = [0.904, 0.996]. Estimates are unbiased within 3 MC SE."""
    rng = np.random.default_rng(2024 if a else 7)
    hits, estimates = [], []
    for rep in range(200):
        d = _simulate(rng, 100, a, b, 0.2)
        r = hs.mediation(d, x="x", mediator="m", y="y", covariates=["c"], n_boot=1000, seed=rep)
        row = r.table.query("term == 'indirect'").iloc[0]
        hits.append(row["conf_low"] <= a * b <= row["conf_high"])
        estimates.append(row["estimate"])
    coverage = np.mean(hits)
    assert 0.904 <= coverage <= 0.996, coverage
    est = np.asarray(estimates)
    assert abs(est.mean() - a * b) < 3 * est.std(ddof=1) / np.sqrt(len(est))


# ------------------------------------------------ rules of docs/architecture.md


def test_same_seed_same_numbers_and_no_mutation():
    data = pd.read_csv(REF / "mediation_data.csv")
    before = data.copy(deep=True)
    r1 = hs.mediation(data, x="x", mediator=["m1", "m2"], y="y", n_boot=300, seed=42, ci="bca")
    r2 = hs.mediation(data, x="x", mediator=["m1", "m2"], y="y", n_boot=300, seed=42, ci="bca")
    r3 = hs.mediation(data, x="x", mediator=["m1", "m2"], y="y", n_boot=300, seed=43, ci="bca")
    pd.testing.assert_frame_equal(r1.table, r2.table)
    np.testing.assert_array_equal(r1.boot_indirect, r2.boot_indirect)
    assert not np.array_equal(r1.boot_indirect, r3.boot_indirect)
    pd.testing.assert_frame_equal(data, before)
    assert r1.boot_indirect.shape == (300, 2)


def test_missing_rows_are_reported():
    data = pd.read_csv(REF / "mediation_data.csv")
    data.loc[[3, 10], "m1"] = np.nan
    data.loc[10, "y"] = np.nan
    data.loc[20, "c1"] = np.nan
    res = hs.mediation(data, x="x", mediator="m1", y="y", covariates=["c1"], n_boot=20, seed=0)
    assert res.n == len(data) - 3
    ex = res.excluded.set_index("row")
    assert list(ex.index) == [3, 10, 20]
    assert ex.loc[10, "reason"] == "missing value in m1, y"
    assert ex.loc[20, "reason"] == "missing value in c1"
    assert set(ex["action"]) == {"excluded"}
    full = hs.mediation(
        data.drop(index=[3, 10, 20]),
        x="x",
        mediator="m1",
        y="y",
        covariates=["c1"],
        n_boot=20,
        seed=0,
    )
    pd.testing.assert_frame_equal(res.table, full.table)
    assert "3 rows excluded" in res.summary()


def test_errors_list_every_problem():
    data = pd.read_csv(REF / "mediation_data.csv")
    data["group"] = "a"
    with pytest.raises(ModelError) as err:
        hs.mediation(
            data, x="x", mediator=["m9", "group"], y="y", covariates=["zz"], ci="normal", n_boot=0
        )
    msg = str(err.value)
    for piece in ("'m9'", "'zz'", "'group'", "must be numeric", "ci must be", "n_boot"):
        assert piece in msg
    with pytest.raises(ModelError, match="both as x and as mediator"):
        hs.mediation(data, x="x", mediator="x", y="y")
    with pytest.raises(ModelError, match="no variance"):
        hs.mediation(data.assign(m1=1.0), x="x", mediator="m1", y="y")
    with pytest.raises(ModelError, match="complete rows"):
        hs.mediation(data.iloc[:3], x="x", mediator="m1", y="y")
    with pytest.raises(hs.DataError):
        hs.mediation(data.to_numpy(), x="x", mediator="m1", y="y")


def test_result_shape_and_display():
    data = pd.read_csv(REF / "mediation_data.csv")
    res = hs.mediation(data, x="x", mediator=["m1", "m2"], y="y", n_boot=100, seed=1)
    assert list(res.table.columns) == [
        "term",
        "mediator",
        "estimate",
        "std_error",
        "statistic",
        "df",
        "p_value",
        "conf_low",
        "conf_high",
        "ci_method",
    ]
    assert res.table["term"].tolist() == [
        "a",
        "b",
        "a",
        "b",
        "total",
        "direct",
        "indirect",
        "indirect",
        "total_indirect",
        "proportion_mediated",
    ]
    for col in ("estimate", "std_error", "conf_low", "conf_high", "df", "p_value"):
        assert res.table[col].dtype == np.float64
    assert res.table.attrs == {}
    boot_rows = res.table[res.table["ci_method"] == "percentile"]
    assert boot_rows["p_value"].isna().all() and boot_rows["std_error"].gt(0).all()
    # c = c' + sum(a b) exactly
    t = res.table.set_index("term")["estimate"]
    assert t["total"] == pytest.approx(t["direct"] + t["total_indirect"], rel=1e-10)
    assert "Parallel mediation" in res.summary() and "<table" in res._repr_html_()
    assert set(res.fits) == {"mediator:m1", "mediator:m2", "outcome", "total"}
    with pytest.raises(AttributeError):
        res.n = 5  # frozen


def test_categorical_covariate_equals_its_dummy():
    """A text covariate enters as treatment-coded dummies: the same fit as a 0/1 column."""
    rng = np.random.default_rng(5)
    n = 150
    sex = rng.choice(["female", "male"], size=n)
    x = rng.normal(size=n)
    m = 0.5 * x + 0.3 * (sex == "male") + rng.normal(size=n)
    y = 0.4 * m + 0.2 * x - 0.5 * (sex == "male") + rng.normal(size=n)
    data = pd.DataFrame({"x": x, "m": m, "y": y, "sex": sex})
    text = hs.mediation(data, x="x", mediator="m", y="y", covariates=["sex"], n_boot=200,
                        seed=4)
    coded = hs.mediation(data.assign(male=(data["sex"] == "male").astype(float)), x="x",
                         mediator="m", y="y", covariates=["male"], n_boot=200, seed=4)
    pd.testing.assert_series_equal(text.table["estimate"], coded.table["estimate"])
    assert "sex[T.male]" in text.fits["outcome"].params.index
    assert list(data.columns) == ["x", "m", "y", "sex"]  # the caller's frame is untouched
