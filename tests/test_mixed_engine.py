"""The mixed-model engine (models/lmm) and hs.mixed's formula interface against lme4/lmerTest/
emmeans, fitted with tight optimiser tolerances by ``tests/reference/mixed_engine.R``.

Data: sleepstudy (Belenky et al. 2003; lme4), Orthodont (Potthoff & Roy 1964; nlme), Penicillin
and Pastes (Davies & Goldsmith 1972; lme4), Machines (Milliken & Johnson 1992; nlme) and a
simulated subjects-by-plates study (written by the R script).

Targets (issue: mixed-model engine): REML criterion within 1e-8 relative of lme4, fixed effects,
standard errors and variance components within 1e-5 relative, Satterthwaite df within 1e-4
relative of lmerTest.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.errors import DataError, ModelError
from hormonestats.models.lmm import parse_formula
from hormonestats.models.mixed import MixedModelWarning

REF = Path(__file__).parent / "reference"

CASES = {
    # name: (data file, formula, reference levels, categorical columns)
    "sleep": ("sleepstudy", "Reaction ~ Days + (Days | Subject)", None),
    "sleep_uncor": ("sleepstudy", "Reaction ~ Days + (Days || Subject)", None),
    "orthodont": ("orthodont", "distance ~ age * Sex + (age | Subject)", {"Sex": "Male"}),
    "orthodont_ri": ("orthodont", "distance ~ age + Sex + (1 | Subject)", {"Sex": "Male"}),
    "penicillin": ("penicillin", "diameter ~ 1 + (1 | plate) + (1 | sample)", None),
    "pastes": ("pastes", "strength ~ 1 + (1 | batch/cask)", None),
    "machines": ("machines", "score ~ Machine + (1 | Worker/Machine)", None),
    "plates": ("plates", "y ~ x + group + (x | subject) + (1 | plate)", {"group": "control"}),
    "slopes2": ("slopes2", "y ~ x + z + (x + z | subject)", None),
    "plates_inter": (
        "plates",
        "y ~ x * group + (1 | subject) + (1 | plate)",
        {"group": "control"},
    ),
}


def _data(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / f"mixed_engine_{name}.csv")


def _r_term(term: str, cats: dict) -> str:
    """lme4's column names (``SexFemale``, ``(Intercept)``) in hormonestats' (``Sex[Female]``)."""
    parts = []
    for p in term.split(":"):
        if p == "(Intercept)":
            p = "Intercept"
        for var, levels in cats.items():
            for lv in levels:
                if p == f"{var}{lv}":
                    p = f"{var}[{lv}]"
        parts.append(p)
    return ":".join(parts)


def _group_key(group: str) -> str:
    group = re.sub(r"\.\d+$", "", group)  # lme4 labels a second (x || g) term "g.1"
    return ":".join(sorted(group.split(":")))


_FITS: dict = {}


def _fit(name: str, reml: bool = True):
    key = (name, reml)
    if key not in _FITS:
        file, formula, ref = CASES[name]
        _FITS[key] = hs.mixed(_data(file), formula=formula, reference=ref, reml=reml)
    return _FITS[key]


def _cats(res) -> dict:
    return res._lmm.design.levels


@pytest.mark.parametrize("name", list(CASES))
def test_fixed_effects_and_criterion_against_lmertest(name):
    res = _fit(name)
    extra = pd.read_csv(REF / f"mixed_engine_{name}_extra.csv").iloc[0]
    assert res.reml_criterion == pytest.approx(extra["reml_criterion"], rel=1e-8)
    assert res.singular == bool(extra["singular"])
    ref = pd.read_csv(REF / f"mixed_engine_{name}_fixed.csv")
    ref["term"] = [_r_term(t, _cats(res)) for t in ref["term"]]
    got = res.table.set_index("term").loc[ref["term"]]
    np.testing.assert_allclose(got["estimate"], ref["estimate"], rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(got["std_error"], ref["std_error"], rtol=1e-5)
    np.testing.assert_allclose(got["df"], ref["df"], rtol=1e-4)
    np.testing.assert_allclose(got["p_value"], ref["p_value"], rtol=1e-3, atol=1e-12)


def _compare_varcorr(res, path):
    ref = pd.read_csv(path)
    mine = res.variance_components.assign(key=lambda v: v["group"].map(_group_key))
    n_checked = 0
    for r in ref.itertuples():
        if r.grp == "Residual":
            row = mine[mine["group"] == "residual"].iloc[0]
            assert row["sd"] == pytest.approx(r.sdcor, rel=1e-5)
            assert row["variance"] == pytest.approx(r.vcov, rel=1e-5)
        else:
            a = "Intercept" if r.var1 == "(Intercept)" else r.var1
            if pd.isna(r.var2):
                term = a
                col = "sd"
            else:
                b = "Intercept" if r.var2 == "(Intercept)" else r.var2
                term = f"{a}~{b}"
                col = "correlation"
            sel = mine[(mine["key"] == _group_key(r.grp)) & (mine["term"] == term)]
            assert len(sel) == 1, (r.grp, term)
            assert sel[col].iloc[0] == pytest.approx(r.sdcor, rel=1e-5)
            assert sel["variance"].iloc[0] == pytest.approx(r.vcov, rel=1e-5)
        n_checked += 1
    assert n_checked == len(mine)


@pytest.mark.parametrize("name", list(CASES))
def test_variance_components_against_lme4(name):
    _compare_varcorr(_fit(name), REF / f"mixed_engine_{name}_varcorr.csv")


@pytest.mark.parametrize("name", ["sleep", "penicillin", "machines", "plates"])
def test_maximum_likelihood_against_lme4(name):
    res = _fit(name, reml=False)
    extra = pd.read_csv(REF / f"mixed_engine_{name}_extra.csv").iloc[0]
    assert np.isnan(res.reml_criterion)
    assert res.deviance == pytest.approx(extra["ml_deviance"], rel=1e-8)
    _compare_varcorr(res, REF / f"mixed_engine_{name}_ml_varcorr.csv")
    ref = pd.read_csv(REF / f"mixed_engine_{name}_ml_fixed.csv")
    ref["term"] = [_r_term(t, _cats(res)) for t in ref["term"]]
    got = res.table.set_index("term").loc[ref["term"]]
    np.testing.assert_allclose(got["std_error"], ref["std_error"], rtol=1e-5)
    np.testing.assert_allclose(got["df"], ref["df"], rtol=1e-4)


@pytest.mark.parametrize("name", ["machines", "plates"])
def test_emmeans_and_pairwise_contrasts(name):
    res = _fit(name)
    factor = "Machine" if name == "machines" else "group"
    means, pairs = res.emmeans(factor)
    ref = pd.read_csv(REF / f"mixed_engine_{name}_emmeans.csv").set_index(factor)
    got = means.set_index(factor).loc[ref.index]
    np.testing.assert_allclose(got["estimate"], ref["emmean"], rtol=1e-6)
    np.testing.assert_allclose(got["std_error"], ref["SE"], rtol=1e-5)
    np.testing.assert_allclose(got["df"], ref["df"], rtol=1e-4)
    np.testing.assert_allclose(got["conf_low"], ref["lower.CL"], rtol=1e-5)
    rp = pd.read_csv(REF / f"mixed_engine_{name}_pairs.csv")
    mine = pairs.set_index("contrast")
    for r in rp.itertuples():
        a, b = r.contrast.split(" - ")
        sign = 1.0
        if r.contrast in mine.index:
            row = mine.loc[r.contrast]
        else:  # the same pair, the other way round
            row, sign = mine.loc[f"{b} - {a}"], -1.0
        assert sign * row["estimate"] == pytest.approx(r.estimate, rel=1e-6)
        assert row["std_error"] == pytest.approx(r.SE, rel=1e-5)
        assert row["df"] == pytest.approx(r.df, rel=1e-4)
        assert row["p_value"] == pytest.approx(r._6, rel=1e-3)


def test_likelihood_ratio_test_against_anova():
    d = _data("plates")
    small = hs.mixed(d, formula="y ~ x + (x | subject) + (1 | plate)", reml=False)
    big = hs.mixed(d, formula="y ~ x + group + (x | subject) + (1 | plate)", reml=False)
    ref = pd.read_csv(REF / "mixed_engine_plates_lrt.csv").iloc[0]
    out = hs.mixed_lrt(small, big).set_index("model")
    assert out.loc["larger", "chisq"] == pytest.approx(ref["chisq"], rel=1e-6)
    assert out.loc["larger", "df"] == ref["df"]
    assert out.loc["larger", "p_value"] == pytest.approx(ref["p_value"], rel=1e-5)
    assert out.loc["smaller", "deviance"] == pytest.approx(ref["small_deviance"], rel=1e-8)
    # REML fits with different fixed effects are not comparable
    with pytest.raises(ModelError, match="reml=False"):
        hs.mixed_lrt(_fit("plates_inter"), _fit("plates"))


def test_keyword_and_formula_interfaces_agree():
    d = _data("sleepstudy")
    a = hs.mixed(d, y="Reaction", x="Days", subject="Subject", decompose=False)
    b = _fit("sleep")
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.formula == "Reaction ~ Days + (1 + Days | Subject)"
    assert a.n_subjects == 18 and b.n_groups == {"Subject": 18}


def test_formula_parser():
    s = parse_formula("y ~ a*b + c:d + (x || g) + (0 + z | h) + (1 | p/q) - 1")
    assert s.response == "y" and not s.intercept
    assert s.terms == (("a",), ("b",), ("a", "b"), ("c", "d"))
    groups = [(r.group, r.intercept, r.terms, r.correlated) for r in s.random]
    assert groups == [
        (("g",), True, (), False),
        (("g",), False, (("x",),), False),
        (("h",), False, (("z",),), True),
        (("p",), True, (), True),
        (("p", "q"), True, (), True),
    ]
    assert parse_formula("`my y` ~ `dose (IU)` + (1 | id)").terms == (("dose (IU)",),)


@pytest.mark.parametrize(
    "bad",
    ["y ~ log(x) + (1 | g)", "y ~ x + (1 | g", "y x", "y ~ __import__('os') + (1 | g)"],
)
def test_formula_terms_are_names_never_code(bad):
    with pytest.raises(ModelError):
        parse_formula(bad)


def test_formula_errors_name_missing_columns():
    d = _data("sleepstudy")
    with pytest.raises(DataError, match="Dayz"):
        hs.mixed(d, formula="Reaction ~ Dayz + (1 | Subject)")
    with pytest.raises(ModelError, match="random-effect"):
        hs.mixed(d, formula="Reaction ~ Days")


def test_reference_level_is_selectable():
    d = _data("machines")
    res = hs.mixed(d, formula="score ~ Machine + (1 | Worker/Machine)", reference={"Machine": "C"})
    t = res.table.set_index("term")
    ref = pd.read_csv(REF / "mixed_engine_machines_fixed.csv").set_index("term")
    # the C - A contrast is minus lme4's MachineC (reference A)
    assert t.loc["Machine[A]", "estimate"] == pytest.approx(-ref.loc["MachineC", "estimate"])
    assert t.loc["Intercept", "estimate"] == pytest.approx(
        ref.loc["(Intercept)", "estimate"] + ref.loc["MachineC", "estimate"]
    )


def test_singular_fit_note_and_flag():
    """Known truth: no plate variance at all, so the plate intercept variance is on the
    boundary (lme4's isSingular)."""
    rng = np.random.default_rng(11)
    n_sub, n_obs = 40, 5
    subj = np.repeat(np.arange(n_sub), n_obs)
    plate = rng.integers(0, 6, subj.size)
    y = rng.normal(0, 1, n_sub)[subj] + rng.normal(0, 1, subj.size)
    d = pd.DataFrame({"s": subj, "plate": plate, "y": y})
    with pytest.warns(MixedModelWarning, match="Singular"):
        res = hs.mixed(d, formula="y ~ 1 + (1 | s) + (1 | plate)")
    if not res.singular:  # the simulated plate variance must be estimated at zero
        pytest.fail("expected a singular fit")
    assert "plate" in res.warnings[0] and "WARNING" in res.summary()


def test_recovers_known_crossed_variances():
    """Simulated subjects x plates with known SDs (1.0 subject, 0.6 plate, 0.5 residual)."""
    rng = np.random.default_rng(5)
    n_sub, n_plate = 300, 25
    subj = np.repeat(np.arange(n_sub), n_plate)
    plate = np.tile(np.arange(n_plate), n_sub)
    x = rng.normal(size=subj.size)
    y = 1 + 0.3 * x + rng.normal(0, 1.0, n_sub)[subj] + rng.normal(0, 0.6, n_plate)[plate]
    y = y + rng.normal(0, 0.5, subj.size)
    d = pd.DataFrame({"s": subj, "plate": plate, "x": x, "y": y})
    with warnings.catch_warnings():
        warnings.simplefilter("error", MixedModelWarning)
        res = hs.mixed(d, formula="y ~ x + (1 | s) + (1 | plate)")
    vc = res.variance_components.set_index("group")
    assert vc.loc["s", "sd"] == pytest.approx(1.0, rel=0.12)
    assert vc.loc["plate", "sd"] == pytest.approx(0.6, rel=0.35)
    assert vc.loc["residual", "sd"] == pytest.approx(0.5, rel=0.05)
    lo, hi = res.table.set_index("term").loc["x", ["conf_low", "conf_high"]]
    assert lo < 0.3 < hi


def test_does_not_mutate_input_and_logs_missing():
    d = _data("plates")
    before = d.copy(deep=True)
    d2 = d.copy()
    d2.loc[[1, 7], "x"] = np.nan
    res = hs.mixed(d2, formula="y ~ x + group + (1 | subject) + (1 | plate)")
    assert sorted(res.dropped["row"]) == [1, 7] and res.n_obs == len(d) - 2
    hs.mixed(d, formula="y ~ x + (1 | subject)")
    pd.testing.assert_frame_equal(d, before)


@pytest.mark.parametrize("name", ["sleep", "orthodont", "orthodont_ri", "machines", "slopes2"])
def test_kenward_roger_against_pbkrtest(name):
    file, formula, ref_levels = CASES[name]
    res = hs.mixed(_data(file), formula=formula, reference=ref_levels, df_method="kenward-roger")
    assert "Kenward" in res.df_method
    ref = pd.read_csv(REF / f"mixed_engine_{name}_fixed.csv")
    ref["term"] = [_r_term(t, _cats(res)) for t in ref["term"]]
    got = res.table.set_index("term").loc[ref["term"]]
    np.testing.assert_allclose(got["std_error"], ref["kr_std_error"], rtol=1e-5)
    np.testing.assert_allclose(got["df"], ref["kr_df"], rtol=1e-4)
    np.testing.assert_allclose(got["estimate"], ref["estimate"], rtol=1e-5)


def test_kenward_roger_emmeans_against_emmeans():
    file, formula, _ = CASES["machines"]
    res = hs.mixed(_data(file), formula=formula, df_method="kenward-roger")
    means, _ = res.emmeans("Machine")
    ref = pd.read_csv(REF / "mixed_engine_machines_emmeans_kr.csv")
    np.testing.assert_allclose(means["std_error"], ref["SE"], rtol=1e-5)
    np.testing.assert_allclose(means["df"], ref["df"], rtol=1e-4)


def test_families_share_the_engine():
    """hs.crossover and hs.therapy_over_time fit through the same set-up as the formula
    interface: identical estimates to the equivalent formula, engine fit objects."""
    from hormonestats.models.lmm import LMMFit

    rng = np.random.default_rng(4)
    rows = []
    for i in range(30):
        u = rng.normal()
        order = ["active", "placebo"] if i % 2 else ["placebo", "active"]
        for p, dr in enumerate(order, start=1):
            rows.append({"id": f"p{i}", "period": p, "drug": dr, "y": u + 0.7 * (dr == "active")})
            rows[-1]["y"] += rng.normal(0, 0.5)
    d = pd.DataFrame(rows)
    cx = hs.crossover(d, y="y", drug="drug", period="period", subject="id")
    assert isinstance(cx.fit, LMMFit)
    f = hs.mixed(
        d.assign(period=d["period"].astype(str)),
        formula="y ~ drug + period + (1 | id)",
        reference={"drug": "placebo"},
    )
    a = cx.table.set_index("term")
    b = f.table.set_index("term")
    assert a.loc["drug[active]", "estimate"] == pytest.approx(b.loc["drug[active]", "estimate"])
    assert a.loc["drug[active]", "df"] == pytest.approx(b.loc["drug[active]", "df"], rel=1e-6)
    # complete 2x2: the drug effect has the classical n - 2 df (Senn 2002)
    assert a.loc["drug[active]", "df"] == pytest.approx(28, rel=1e-4)


def test_huge_dense_remainder_is_refused_with_a_message():
    n = 6000
    rng = np.random.default_rng(0)
    d = pd.DataFrame({"a": np.arange(n), "b": rng.permutation(n), "y": rng.normal(size=n)}).astype(
        {"a": str, "b": str}
    )
    with pytest.raises(ModelError, match="densely"):
        hs.mixed(d, formula="y ~ 1 + (1 | a) + (1 | b)")


def test_warnings_point_at_the_caller():
    rng = np.random.default_rng(11)
    subj = np.repeat(np.arange(40), 5)
    plate = rng.integers(0, 6, subj.size)
    y = rng.normal(0, 1, 40)[subj] + rng.normal(0, 1, subj.size)
    d = pd.DataFrame({"s": subj, "plate": plate, "y": y})
    with pytest.warns(MixedModelWarning) as rec:
        hs.mixed(d, formula="y ~ 1 + (1 | s) + (1 | plate)")
    assert all(Path(w.filename).name == "test_mixed_engine.py" for w in rec)


def test_formula_and_keywords_are_not_mixed():
    with pytest.raises(ModelError, match="either formula"):
        hs.mixed(_data("sleepstudy"), formula="Reaction ~ Days + (1 | Subject)", y="Reaction")
