"""Sensitivity of the hypothesis family to LOD handling and winsorising."""

from __future__ import annotations

import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.workflows.pipeline import DEFAULT_MAPPING
from hormonestats.workflows.sensitivity import DEFAULT_VARIANTS


def test_variants_change_what_they_should():
    study = hs.read_dataset("example_study")
    tab = hs.sensitivity(study, mapping=DEFAULT_MAPPING,
                         hypotheses=["progesterone_anxiety", "estradiol_oxytocin"], seed=1).table
    assert set(tab["variant"]) == {label for label, _ in DEFAULT_VARIANTS}
    prog = tab[tab["hypothesis"] == "progesterone_anxiety"].set_index("variant")
    # progesterone has readings below LOD: excluding them loses those participants
    n_below = int(hs.process_samples(study).lod_summary.set_index("analyte")
                  .loc["progesterone", "n_below_lod"])
    assert n_below > 0
    assert prog.loc["below-LOD readings excluded", "n"] < prog.loc["LOD/sqrt(2)", "n"]
    # LOD/2 and LOD/sqrt(2) substitute different values: the estimate moves
    assert prog.loc["LOD/2", "estimate"] != prog.loc["LOD/sqrt(2)", "estimate"]
    # estradiol has no reading below LOD in this study: LOD policies leave it unchanged
    est = tab[tab["hypothesis"] == "estradiol_oxytocin"].set_index("variant")["estimate"]
    assert est["LOD/2"] == est["LOD/sqrt(2)"]


def test_same_table_in_worker_processes():
    study = hs.read_dataset("example_study")
    kw = {"mapping": DEFAULT_MAPPING, "hypotheses": ["progesterone_anxiety"], "seed": 1}
    variants = DEFAULT_VARIANTS[2:3]  # one variant: runs in a worker process all the same
    serial = hs.sensitivity(study, variants=variants, **kw).table
    parallel = hs.sensitivity(study, variants=variants, n_jobs=2, **kw).table
    pd.testing.assert_frame_equal(serial, parallel)
    assert list(serial["variant"].unique()) == [label for label, _ in variants]


def test_the_planned_variant_is_the_main_fit_reused():
    """The same specification shows the same numbers wherever it is reported: the variant
    processed as the main analysis was takes the main analysis's rows, not a second fit."""
    from hormonestats.derive.processing import process_study
    from hormonestats.options import ProcessingOptions

    study = hs.read_dataset("example_study")
    options = ProcessingOptions(lod_policy="lod/2", max_cv=20.0)
    processed = process_study(study, options=options)
    family = hs.test_hypotheses(processed.table, mapping=DEFAULT_MAPPING,
                                hypotheses=["progesterone_anxiety"], seed=1)
    marked = family.table.assign(p_value=0.123456789)  # a value no refit would give
    res = hs.sensitivity(study, mapping=DEFAULT_MAPPING, hypotheses=["progesterone_anxiety"],
                         seed=1, base={"max_cv": 20.0},
                         planned=(options, marked, len(processed.table)))
    tab = res.table
    assert dict(res.variants)["LOD/2"]["max_cv"] == 20.0  # every variant starts from the run's
    by = tab.set_index("variant")["p_value"]
    assert by["LOD/2"] == 0.123456789  # the run's own settings: reused
    assert (by.drop("LOD/2") != 0.123456789).all()  # the others: fitted
    assert list(tab["variant"]) == [label for label, _ in DEFAULT_VARIANTS]


@pytest.mark.slow
def test_run_shows_one_p_value_per_specification(tmp_path):
    """Table 2 and the sensitivity table agree on the planned specification even when the
    sensitivity runs fewer bootstrap resamples (mediation: bootstrap CI)."""
    from hormonestats.workflows.pipeline import run_analysis

    results = run_analysis(hs.read_dataset("example_study"), out=tmp_path / "r", seed=3,
                           hypotheses=["testosterone_aromatization"], n_boot=2100)
    main = results.hypotheses_table.iloc[0]
    planned = results.sensitivity.table.iloc[0]
    assert planned["variant"] == "LOD/sqrt(2)"
    for col in ("estimate", "conf_low", "conf_high", "p_value"):
        assert planned[col] == main[col], col
