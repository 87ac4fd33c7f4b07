"""Every model family meets the result protocol (docs/architecture.md, rule 3).

One conformance check over all families, in the spirit of scikit-learn's ``check_estimator``:
each family is fitted on small data and :func:`hormonestats.results.protocol_problems` must
find nothing; the summary shows as text, the HTML through the one display path, and the old
names (``n``, ``dropped``) still read the protocol's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.models.runners import _regression
from hormonestats.results import FAMILIES, ModelResult, Summary, conforms, protocol_problems

REF = Path(__file__).parent / "reference"


def _between(n=120, seed=3):
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({"x": rng.normal(size=n), "m": rng.normal(size=n),
                      "c": rng.normal(size=n), "g": rng.integers(0, 3, n).astype(float)})
    d["med"] = 0.4 * d.x + rng.normal(size=n)
    d["y"] = 0.3 * d.x + 0.2 * d.m + 0.3 * d.x * d.m + 0.4 * d.med + 0.2 * d.g * d.x \
        + rng.normal(size=n)
    d.loc[0, "y"] = np.nan  # one row left out, logged in .excluded
    return d


def _moderation():
    return hs.moderation(_between(), y="y", x="x", m="m", covariates=["c"])


def _family():
    d = _between()
    return hs.test_hypotheses(
        d.rename(columns={"x": "ot", "m": "e2", "y": "rmet"}),
        mapping={"outcome": "rmet", "oxytocin": "ot", "estradiol": "e2"},
        hypotheses=["estradiol_oxytocin"])


def _multiverse():
    from hormonestats.workflows.pipeline import DEFAULT_MAPPING

    study = hs.simulate_study("between", n=80, seed=11)
    return hs.multiverse(study, hypothesis="estradiol_oxytocin",
                         mapping={**DEFAULT_MAPPING, "estradiol": "log_estradiol"},
                         decisions={"outliers": ["kept", "excluded"]}, seed=3)


def _sensitivity():
    from hormonestats.workflows.pipeline import DEFAULT_MAPPING
    from hormonestats.workflows.sensitivity import DEFAULT_VARIANTS

    return hs.sensitivity(hs.read_dataset("example_study"), mapping=DEFAULT_MAPPING,
                          hypotheses=["progesterone_anxiety"], variants=DEFAULT_VARIANTS[:2],
                          seed=1)


def _pooled():
    from hormonestats.models.pooling import pool

    return pool([hs.moderation(_between(seed=s), y="y", x="x", m="m") for s in (1, 2, 3)])


FITS = {
    "moderation": _moderation,
    "mediation": lambda: hs.mediation(_between(), x="x", mediator="med", y="y", n_boot=50,
                                      seed=1),
    "conditional_process": lambda: hs.moderated_mediation(
        _between(), x="x", mediator="med", y="y", m="m", model=7, n_boot=50, seed=1),
    "gxe": lambda: hs.gxe(_between(), y="y", x="x", m="g"),
    "regression": lambda: _regression(_between(), y="y", x="x", covariates=["c"]),
    "censored": lambda: hs.censored_regression(pd.read_csv(REF / "censored_data.csv"), y="y",
                                               x="x", covariates=["age"]),
    "censored_mixed": lambda: hs.censored_mixed(
        "log_p4 ~ luteal + age_c + (1 | subject_id)",
        pd.read_csv(REF / "censored_mixed_sim.csv"), n_agq=5),
    "mixed": lambda: hs.mixed(pd.read_csv(REF / "mixed_cycle_sim.csv"), y="y", x="estradiol",
                              subject="subject_id"),
    "crossover": lambda: hs.crossover(pd.read_csv(REF / "crossover_sim.csv"), y="y",
                                      drug="drug", period="period", subject="subject",
                                      sequence="sequence"),
    "apim": lambda: hs.apim(pd.read_csv(REF / "apim_sim.csv"), y="y", x="x", dyad="dyad"),
    "cycle": lambda: hs.cycle_models(pd.read_csv(REF / "mixed_cycle_sim.csv"), y="y",
                                     hormones=["estradiol"], random_slopes=False),
    "therapy": lambda: hs.therapy_over_time(pd.read_csv(REF / "mixed_therapy_sim.csv"), y="y",
                                            time="month", treatment="treatment",
                                            subject="subject"),
    "equivalence": lambda: hs.equivalence_test(_moderation(), term="x:m", bounds=(-1, 1)),
    "hypothesis_family": _family,
    "multiverse": _multiverse,
    "sensitivity": _sensitivity,
    "coverage": lambda: _moderation().coverage_check(n_sims=5, seed=1),
    "pooled": _pooled,
}


def test_every_family_has_a_conformance_case():
    """A new family in FAMILIES needs its case here."""
    assert set(FAMILIES) <= set(FITS)


@pytest.mark.parametrize("family", sorted(FITS))
def test_family_meets_the_protocol(family):
    result = FITS[family]()
    assert protocol_problems(result) == []
    assert isinstance(result, ModelResult)
    assert result.family == family
    text = result.summary()
    assert isinstance(text, Summary) and repr(text) == str(text)  # shows as text, not quoted
    assert text.splitlines()[1].startswith("=")  # the one display path: title, rule
    assert result._repr_html_().startswith("<h4>")
    facts = result.methods_facts()
    assert facts["family"] == family and facts["n_obs"] == result.n_obs
    assert facts["n_excluded"] == len(result.excluded)
    assert len(repr(result)) < 400


@pytest.mark.parametrize("family", ["moderation", "mediation", "regression", "gxe"])
def test_left_out_rows_are_in_excluded_and_n_is_the_old_name(family):
    result = FITS[family]()
    assert result.excluded["row"].tolist() == [0]
    assert result.n == result.n_obs == 119


@pytest.mark.parametrize("family", ["mixed", "crossover", "apim", "cycle", "therapy"])
def test_dropped_is_the_old_name_of_excluded(family):
    result = FITS[family]()
    assert result.dropped is result.excluded


def test_protocol_problems_names_what_is_missing():
    class Bare:
        table = pd.DataFrame({"term": ["x"]})

    problems = protocol_problems(Bare())
    assert "Bare has no n_obs" in problems and "Bare has no summary" in problems


def test_conforms_refuses_a_class_that_cannot_conform():
    from dataclasses import dataclass

    with pytest.raises(ValueError, match="not one of FAMILIES"):
        conforms("anova")
    with pytest.raises(TypeError, match="_facts"):
        @conforms("regression")
        @dataclass(frozen=True)
        class NoFacts:
            table: pd.DataFrame

            def _display(self):
                return "t", [], []


def test_methods_text_reads_the_facts_not_the_class_name():
    from hormonestats.report.methods_sentences import describe_model

    res = FITS["moderation"]()
    text = describe_model(res)
    assert text.startswith("in a moderation model") and "(n = 119)" in text
    facts = {**res.methods_facts(), "family": "gxe", "gene": "g", "env": "x",
             "coding": "additive"}
    assert describe_model(facts).startswith("in a gene × environment model")


def test_generalized_mixed_result_meets_the_protocol_and_draws_its_figure():
    """A GLMM result is of the mixed family; its figure (the fixed effects as odds ratios with
    their intervals) is drawn by itself and by the family's entry in FAMILY_FIGURES, which draws
    nothing for a linear mixed model."""
    import matplotlib.pyplot as plt

    from hormonestats.report.plots import FAMILY_FIGURES

    trials, _ = hs.simulate_trust_trials(n_subjects=16, seed=5)
    res = hs.mixed(trials, family="binomial",
                   formula="choice ~ oxytocin + face_trust + (1 | subject) + (1 | face)")
    assert protocol_problems(res) == [] and res.family == "mixed"
    fig = FAMILY_FIGURES["mixed"]["fixed_effects"](res)
    ax = fig.axes[0]
    bar = ax.containers[0]  # the errorbar: points at the odds ratios, bars at the interval
    x, _ = bar.lines[0].get_data()
    tab = res.table.set_index("term").loc[["oxytocin", "face_trust"]]
    np.testing.assert_allclose(x, np.exp(tab["estimate"]))
    ends = np.sort(np.concatenate([seg[:, 0] for seg in bar.lines[2][0].get_segments()]))
    np.testing.assert_allclose(ends, np.sort(np.exp(np.r_[tab["conf_low"], tab["conf_high"]])))
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "Odds ratio (95% CI)"
    assert ax.spines["right"].get_visible() is False  # the package theme
    plt.close(fig)
    assert FAMILY_FIGURES["mixed"]["fixed_effects"](FITS["mixed"]()) is None
