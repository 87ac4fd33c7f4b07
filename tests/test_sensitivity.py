"""Sensitivity of the hypothesis family to LOD handling and winsorising."""

from __future__ import annotations

import pandas as pd

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
