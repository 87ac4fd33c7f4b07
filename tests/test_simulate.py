"""Tests of the study simulator: validity, determinism and recovery of the known truth.

Recovery: for each design, the tables are turned into an analysis table with plain pandas
(hormones: mean of duplicate wells, below-LOD readings set to LOD/2, natural log; RMET scored
against the key; IRI/PSS summed with reverse keys) and the design's analysis model is fitted
with statsmodels. Over R simulations the mean estimate must lie within 3.5 Monte-Carlo SEs of
the truth (SE = SD of the estimates / sqrt(R)), and the 95% CIs must cover the truth at a rate
within 3 binomial SEs of 0.95 (sqrt(0.95 * 0.05 / R)); the slow tests (R = 400) also require
93-97 %.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import hormonestats as hs
from hormonestats.errors import HormoneStatsError
from hormonestats.study.readings import parse_readings

DESIGNS = ("between", "cycle", "crossover", "dyadic", "tsst")
SMALL_N = {"between": 80, "cycle": 12, "crossover": 16, "dyadic": 20, "tsst": 20}


# ------------------------------------------------------------------ analysis-table helpers
def hormone_means(samples: pd.DataFrame, by=("subject_id",)) -> pd.DataFrame:
    """log of the mean of the wells per sample (below LOD -> LOD/2), wide by analyte."""
    s = samples.loc[samples["sample_type"] == "subject"].copy()
    parsed = parse_readings(s["value"], lod=s["lod"])
    s["v"] = np.where(
        parsed["below_lod"].to_numpy(), s["lod"].to_numpy() / 2, parsed["value"].to_numpy()
    )
    wide = s.groupby([*by, "analyte"])["v"].mean().unstack("analyte")
    return np.log(wide).add_prefix("log_")


def rmet_total(responses: pd.DataFrame, key, by=("subject_id",)) -> pd.Series:
    r = responses.loc[responses["instrument"] == "rmet"].copy()
    if (r["item"] == "total").all():
        return r.set_index(list(by))["response"].astype(float).rename("rmet_total")
    keymap = {str(i + 1): k for i, k in enumerate(key)}
    correct = (r["response"] == r["item"].map(keymap)).astype(float)
    r["c"] = correct.where(r["response"].notna())
    return (r.groupby(list(by))["c"].mean() * 36).rename("rmet_total")


def scale_sum(responses, instrument, items, reverse, item_max=4, by=("subject_id",)):
    r = responses.loc[
        (responses["instrument"] == instrument) & responses["item"].isin([str(i) for i in items])
    ].copy()
    rev = r["item"].isin([str(i) for i in reverse])
    r["v"] = np.where(rev, item_max - r["response"].astype(float), r["response"].astype(float))
    return r.groupby(list(by))["v"].mean() * len(items)


def between_frame(study) -> pd.DataFrame:
    t = study.tables
    sub = t["subjects"].set_index("subject_id")
    d = pd.DataFrame(index=sub.index)
    d["female"] = (sub["sex"] == "female").astype(float)
    d["oxytocin"] = (sub["arm"] == "oxytocin").astype(float)
    d = d.join(hormone_means(t["samples"]))
    g = t["genotypes"]
    g = g.loc[g["snp"] == "rs53576"].set_index("subject_id")["genotype"]
    d["rs53576_gg"] = (g == "GG").astype(float).where(g != "--")
    d["rmet_total"] = rmet_total(t["responses"], study.truth["rmet_key"])
    d["iri_ec"] = scale_sum(t["responses"], "iri", [2, 4, 9, 14, 18, 20, 22], [4, 14, 18])
    d["pss_total"] = scale_sum(t["responses"], "pss10", range(1, 11), [4, 5, 7, 8])
    return d


def fit_between(study) -> dict:
    d = between_frame(study)
    out = {}
    for outcome in ("rmet_total", "iri_ec", "pss_total"):
        model = study.truth["models"][outcome]
        fit = smf.ols(model["formula"], d).fit()
        ci = fit.conf_int()
        for term in model["coef"]:
            if term == "Intercept":
                continue
            out[f"{outcome}/{term}"] = (
                fit.params[term],
                ci.loc[term, 0],
                ci.loc[term, 1],
                model["coef"][term],
            )
    return out


def recovery(design: str, n: int, sims: int, fit, *, seed=0, strict=False):
    rows = []
    for i in range(sims):
        study = hs.simulate_study(design, n=n, seed=np.random.SeedSequence([seed, i]))
        for name, (est, lo, hi, true) in fit(study).items():
            rows.append({"param": name, "est": est, "lo": lo, "hi": hi, "true": true})
    res = pd.DataFrame(rows)
    res["cover"] = (res["lo"] <= res["true"]) & (res["true"] <= res["hi"])
    summary = res.groupby("param").agg(
        mean=("est", "mean"), sd=("est", "std"), true=("true", "first"), cover=("cover", "mean")
    )
    mc_se = summary["sd"] / np.sqrt(sims)
    bad_mean = summary.loc[(summary["mean"] - summary["true"]).abs() > 3.5 * mc_se]
    assert bad_mean.empty, f"{design}: estimates do not average to the truth:\n{bad_mean}"
    # coverage pooled over the parameters of the design, and per parameter
    binom = np.sqrt(0.95 * 0.05 / sims)
    bad_cover = summary.loc[(summary["cover"] - 0.95).abs() > 3 * binom]
    assert bad_cover.empty, f"{design}: CI coverage off:\n{bad_cover}"
    if strict:
        assert summary["cover"].between(0.93, 0.97).all(), summary
    return summary


# -------------------------------------------------------------------------------- tests
def test_between_validates_and_has_all_tables():
    study = hs.simulate_study("between", n=60, seed=3)
    assert set(study.tables) == {"subjects", "samples", "genotypes", "responses", "treatments"}
    report = hs.validate(study)
    assert report.ok, report.summary()
    s = study["samples"]
    assert {"CTRL_low", "CTRL_high"} <= set(s.loc[s["sample_type"] == "control", "subject_id"])
    # every plate carries both controls
    ctrl = s.loc[s["sample_type"] == "control"].groupby("plate_id")["subject_id"].nunique()
    assert (ctrl == 2).all() and set(ctrl.index) == set(s["plate_id"])
    assert (s.groupby(["subject_id", "analyte", "plate_id"]).size() <= 2).all()
    tr = study["treatments"]
    assert set(tr["agent"]) == {"intranasal_oxytocin", "placebo"}
    assert (tr.loc[tr["agent"] == "intranasal_oxytocin", "dose"] == 24).all()


def test_rmet_items_carry_the_total_exactly():
    study = hs.simulate_study("between", n=30, seed=5, issues=False)
    lat_free = rmet_total(study["responses"], study.truth["rmet_key"])
    assert ((lat_free >= 0) & (lat_free <= 36)).all()
    assert np.allclose(lat_free, np.round(lat_free))  # no skipped items -> whole numbers
    r = study["responses"]
    assert r.loc[r["instrument"] == "iri", "response"].between(0, 4).all()
    assert r.loc[r["instrument"] == "rmet", "response"].between(1, 4).all()


def test_same_seed_same_tables_and_different_seed_differs():
    a = hs.simulate_study("between", n=40, seed=11)
    b = hs.simulate_study("between", n=40, seed=11)
    c = hs.simulate_study("between", n=40, seed=12)
    for table in a.tables:
        pd.testing.assert_frame_equal(a[table], b[table])
    assert not a["samples"].equals(c["samples"])


def test_unknown_design_and_effect_raise():
    with pytest.raises(HormoneStatsError, match="expected one of"):
        hs.simulate_study("parallel", n=10, seed=1)
    with pytest.raises(HormoneStatsError, match="estradiol_x_oxytocin"):
        hs.simulate_study("between", n=10, seed=1, effects={"estradiol_x_oxitocin": 0.2})


def test_effect_override_reaches_truth():
    study = hs.simulate_study("between", n=10, seed=1, effects={"rs53576_gg": 0.5})
    assert study.truth["models"]["rmet_total"]["coef"]["rs53576_gg"] == pytest.approx(0.5 * 3.6)
    assert study.truth["mediation"]["indirect"] == pytest.approx(0.35 * 0.2 * 4.0)


def test_between_genotypes_follow_hardy_weinberg_within_ancestry():
    # pooled over ancestries HWE fails by design (Wahlund effect); within one it must hold
    study = hs.simulate_study("between", n=3000, seed=2, issues=False)
    anc = study["subjects"].set_index("subject_id")["ancestry"]
    g = study["genotypes"]
    g = g.loc[(g["snp"] == "rs53576") & g["subject_id"].map(anc).eq("european").to_numpy()]
    counts = g["genotype"].value_counts()
    n = int(counts.sum())
    p = (2 * counts.get("AA", 0) + counts.get("AG", 0)) / (2 * n)
    assert p == pytest.approx(0.35, abs=4 * np.sqrt(0.35 * 0.65 / (2 * n)))
    assert (
        hs.hwe_exact(int(counts.get("AG", 0)), int(counts.get("AA", 0)), int(counts.get("GG", 0)))
        > 1e-3
    )


def test_between_recovery_quick():
    recovery("between", SMALL_N["between"] * 2, 40, fit_between)


@pytest.mark.slow
def test_between_recovery_full():
    recovery("between", 200, 400, fit_between, strict=True)


def fit_cycle(study) -> dict:
    t = study.tables
    h = hormone_means(t["samples"], by=("subject_id", "session"))
    y = rmet_total(t["responses"], None, by=("subject_id", "session"))
    d = h.join(y).reset_index()
    for name in ("log_estradiol", "log_progesterone"):
        pm = d.groupby("subject_id")[name].transform("mean")
        d[f"{name}_within"] = d[name] - pm
        d[f"{name}_between"] = pm
    coef = study.truth["models"]["rmet_total"]["coef"]
    within = smf.ols(
        "rmet_total ~ log_estradiol_within + log_progesterone_within + C(subject_id)", d
    ).fit()
    means = d.groupby("subject_id")[["rmet_total", "log_estradiol_between"]].mean()
    between = smf.ols("rmet_total ~ log_estradiol_between", means).fit()
    out = {}
    for fit, term in (
        (within, "log_estradiol_within"),
        (within, "log_progesterone_within"),
        (between, "log_estradiol_between"),
    ):
        lo, hi = fit.conf_int().loc[term]
        out[term] = (fit.params[term], lo, hi, coef[term])
    return out


def fit_crossover(study) -> dict:
    t = study.tables
    y = rmet_total(t["responses"], None, by=("subject_id", "session")).unstack("session")
    seq = t["subjects"].set_index("subject_id")["sequence"]
    d = pd.DataFrame(
        {"diff": y["p1"] - y["p2"], "s": np.where(seq.loc[y.index] == "AB", 1.0, -1.0)}
    )
    fit = smf.ols("diff ~ s", d).fit()
    ci = fit.conf_int()
    coef = study.truth["models"]["rmet_total"]["coef"]
    # period 1 - period 2 = (+/-) oxytocin - period2: slope = oxytocin, intercept = -period2
    return {
        "oxytocin": (fit.params["s"], *ci.loc["s"], coef["oxytocin"]),
        "period2": (
            -fit.params["Intercept"],
            -ci.loc["Intercept", 1],
            -ci.loc["Intercept", 0],
            coef["period2"],
        ),
    }


def fit_dyadic(study) -> dict:
    # exchangeable residuals: dyad sums and differences have independent errors, so OLS of the
    # sum on (x_f + x_m) estimates actor + partner and of the difference on (x_f - x_m) actor -
    # partner, with exact CIs
    t = study.tables
    sub = t["subjects"].set_index("subject_id")
    d = hormone_means(t["samples"]).join(sub[["dyad_id", "role"]])
    d["iri_ec"] = scale_sum(t["responses"], "iri", [2, 4, 9, 14, 18, 20, 22], [4, 14, 18])
    w = d.pivot(index="dyad_id", columns="role", values=["log_oxytocin", "iri_ec"])
    f, m = "female_partner", "male_partner"
    frame = pd.DataFrame(
        {
            "ys": w[("iri_ec", f)] + w[("iri_ec", m)],
            "xs": w[("log_oxytocin", f)] + w[("log_oxytocin", m)],
            "yd": w[("iri_ec", f)] - w[("iri_ec", m)],
            "xd": w[("log_oxytocin", f)] - w[("log_oxytocin", m)],
        }
    )
    coef = study.truth["models"]["iri_ec"]["coef"]
    a, p = coef["log_oxytocin_actor"], coef["log_oxytocin_partner"]
    s = smf.ols("ys ~ xs", frame).fit()
    dd = smf.ols("yd ~ xd", frame).fit()
    return {
        "actor_plus_partner": (s.params["xs"], *s.conf_int().loc["xs"], a + p),
        "actor_minus_partner": (dd.params["xd"], *dd.conf_int().loc["xd"], a - p),
    }


def fit_tsst(study) -> dict:
    t = study.tables
    h = hormone_means(t["samples"], by=("subject_id", "sample_time"))["log_cortisol"].unstack()
    sub = t["subjects"].set_index("subject_id")
    d = pd.DataFrame(
        {
            "log_reactivity": h[40] - h[-1],
            "oxytocin": (sub["arm"] == "oxytocin").astype(float),
            "male": (sub["sex"] == "male").astype(float),
        }
    )
    fit = smf.ols("log_reactivity ~ oxytocin + male", d).fit()
    ci = fit.conf_int()
    coef = study.truth["models"]["log_reactivity"]["coef"]
    return {k: (fit.params[k], *ci.loc[k], v) for k, v in coef.items()}


FITS = {
    "between": fit_between,
    "cycle": fit_cycle,
    "crossover": fit_crossover,
    "dyadic": fit_dyadic,
    "tsst": fit_tsst,
}


@pytest.mark.parametrize("design", DESIGNS)
def test_every_design_validates_and_is_reproducible(design):
    a = hs.simulate_study(design, n=SMALL_N[design], seed=4)
    report = hs.validate(a)
    assert report.ok, report.summary()
    b = hs.simulate_study(design, n=SMALL_N[design], seed=4)
    for table in a.tables:
        pd.testing.assert_frame_equal(a[table], b[table])
    assert a.truth["models"]


def test_cycle_events_and_trajectories():
    study = hs.simulate_study("cycle", n=30, seed=6)
    ev = study["cycles"]
    assert set(ev["event"]) == {"menses_onset", "lh_positive", "lh_negative"}
    onsets = ev.loc[ev["event"] == "menses_onset"].groupby("subject_id").size()
    assert (onsets == 3).all()  # 2 cycles: 3 onsets
    # luteal progesterone (after the LH surge) exceeds follicular progesterone on average
    h = hormone_means(study["samples"], by=("subject_id", "session")).reset_index()
    visit = h["session"].str[1:].astype(int)
    luteal = h.loc[visit.isin([3, 7]), "log_progesterone"].mean()
    follicular = h.loc[visit.isin([1, 5]), "log_progesterone"].mean()
    assert luteal - follicular > 1.0


def test_tsst_schedule_and_peak():
    study = hs.simulate_study("tsst", n=30, seed=7)
    s = study["samples"]
    subj = s.loc[s["sample_type"] == "subject"]
    assert sorted(subj["sample_time"].unique().tolist()) == [-30, -1, 30, 40, 50, 60, 70]
    h = hormone_means(s, by=("subject_id", "sample_time"))["log_cortisol"].unstack()
    assert h.mean().idxmax() in (40, 50)
    # clock wake times ("06:23") become minutes since midnight when the study is built
    assert subj["wake_time"].between(0, 24 * 60).all()


@pytest.mark.parametrize("design", ["cycle", "crossover", "dyadic", "tsst"])
def test_recovery_quick(design):
    recovery(
        design,
        {"cycle": 16, "crossover": 40, "dyadic": 40, "tsst": 40}[design],
        40,
        FITS[design],
        seed=1,
    )


@pytest.mark.slow
@pytest.mark.parametrize("design", ["cycle", "crossover", "dyadic", "tsst"])
def test_recovery_full(design):
    recovery(
        design,
        {"cycle": 30, "crossover": 60, "dyadic": 60, "tsst": 60}[design],
        400,
        FITS[design],
        seed=2,
        strict=True,
    )


def test_bundled_datasets_contracts_identical_and_valid():
    import json
    from pathlib import Path

    root = Path(hs.__file__).parent / "datasets"
    repo_schemas = Path(hs.__file__).parents[1] / "schemas"
    names = ["example_study", "cycle_study", "crossover_study", "couples_study", "tsst_study"]
    total = 0
    for name in names:
        folder = root / name
        contract = folder / "contract.yaml"
        if (repo_schemas / f"{name}.yaml").exists():  # source checkout (not a wheel)
            assert contract.read_text() == (repo_schemas / f"{name}.yaml").read_text()
        study = hs.read_study(contract, folder)
        report = hs.validate(study)
        assert report.ok, report.summary()
        truth = json.loads((folder / "truth.json").read_text())
        assert truth["dataset"] == name
        total += sum(p.stat().st_size for p in folder.iterdir())
    assert total < 1.5 * 1024 * 1024


def test_example_study_files_match_the_simulator():
    # the committed data are what the generation script produces from its seed
    from pathlib import Path

    folder = Path(hs.__file__).parent / "datasets" / "example_study"
    seed = 20240501
    study = hs.simulate_study("between", n=200, seed=seed, name="example_study")
    on_disk = pd.read_csv(folder / "subjects.csv", dtype=str)
    fresh = study["subjects"].astype(str).replace("nan", np.nan)
    assert on_disk["subject_id"].tolist() == fresh["subject_id"].tolist()
    assert on_disk["arm"].tolist() == fresh["arm"].tolist()
    values = pd.read_csv(folder / "samples.csv", dtype=str)["value"]
    assert values.tolist() == study["samples"]["value"].astype(str).tolist()
