"""Every reading accounted for: each well of the samples table is either behind a sample whose
value sits in the analysis table, or logged as excluded with its reason.

Checked on every bundled study and on simulated studies of every design, counting by hand
here (not through ``accounting()``, which is checked to agree).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.simulate.simulator import DESIGNS
from hormonestats.study.readings import control_mask


def _session(value) -> str:
    return "" if pd.isna(value) else str(value)


def _check_every_reading(study, **options):
    processed = hs.process_study(study, **options)
    ps = processed.samples
    wells = study.tables["samples"]
    log = processed.log
    excluded = log[(log["table"] == "samples") & (log["action"] == "excluded")]
    # 1. no well is excluded twice, and every excluded well is a row of the samples table
    assert not excluded["row"].duplicated().any()
    assert set(excluded["row"]) <= set(wells.index)
    assert (excluded["reason"].astype(str).str.len() > 0).all()
    # 2. wells: input = used + excluded; controls are among the excluded
    assert ps.n_input_rows == len(wells)
    assert ps.n_used_wells + len(excluded) == len(wells)
    assert set(wells.index[control_mask(wells)]) <= set(excluded["row"])
    # 3. the used wells are exactly those behind the analysed samples
    samples = ps.samples
    n_wells = samples["n_replicates"].sum() if "n_replicates" in samples.columns else len(samples)
    assert int(n_wells) == ps.n_used_wells
    # 4. every analysed sample's value is in its own cell of the study's analysis table
    keys = ["subject_id", "session"] if "session" in samples.columns else ["subject_id"]
    table = processed.table
    cells = {}
    for _, row in table.iterrows():
        key = tuple([row["subject_id"]] + ([_session(row["session"])] if len(keys) > 1 else []))
        assert key not in cells, f"two analysis-table rows for {key}"
        cells[key] = row
    assert samples["table_column"].notna().all()
    taken = set()
    for _, s in samples.iterrows():
        key = tuple([s["subject_id"]] + ([_session(s["session"])] if len(keys) > 1 else []))
        column = s["table_column"]
        assert (key, column) not in taken, f"two samples share the cell {key} {column}"
        taken.add((key, column))
        assert key in cells, f"subject x session {key} is not in the analysis table"
        assert math.isclose(float(cells[key][column]), float(s["value"]), rel_tol=1e-12), \
            (key, column)
    # 5. accounting() says the same
    acc = processed.accounting().set_index("stage")["n"]
    assert acc["wells in analysed samples"] == ps.n_used_wells
    assert acc["analysed samples in the study's analysis table"] == len(samples)
    return processed


@pytest.mark.parametrize("name", list(hs.list_datasets()["name"]))
def test_every_reading_of_every_bundled_study_is_accounted_for(name):
    study = hs.read_dataset(name)
    if "samples" not in study.tables:
        pytest.fail(f"{name} has no samples table")  # every bundled study has one
    _check_every_reading(study)


@pytest.mark.parametrize("design", DESIGNS)
def test_every_reading_of_simulated_studies_is_accounted_for(design):
    n = 8 if design == "dyadic" else 16
    _check_every_reading(hs.simulate_study(design, n=n, seed=11))


def test_accounting_with_exclusions_and_flag_policy():
    study = hs.simulate_study("between", n=40, seed=5, issues=True)
    out = _check_every_reading(study, lod_policy="flag", exclude_imprecise=True)
    reasons = out.log.loc[out.log["action"] == "excluded", "reason"]
    assert reasons.str.contains("replicate CV").any()


def test_post_dose_samples_reach_the_analysis_table():
    """The crossover study's second (post-dose) oxytocin sample has its own column."""
    out = hs.process_study(hs.read_dataset("crossover_study"))
    table = out.table
    assert {"oxytocin_s1", "oxytocin_s2", "log_oxytocin_s2"} <= set(table.columns)
    # the first sample stays in ``oxytocin``
    np.testing.assert_allclose(table["oxytocin"], table["oxytocin_s1"])
    assert table["oxytocin_s2"].notna().sum() == 96
    assert not np.allclose(table["oxytocin_s1"], table["oxytocin_s2"])


def test_sample_labels_fall_back_to_time_order():
    tables = {
        "samples": pd.DataFrame({
            "subject_id": ["a", "a", "b", "b"], "session": "1", "analyte": "oxytocin",
            "matrix": "saliva", "unit": "pg/mL", "sample_time": [50.0, 0.0, 0.0, 45.0],
            "value": [20.0, 5.0, 6.0, 25.0],
        })
    }
    out = hs.process_samples(tables["samples"])
    t = out.table.set_index("subject_id")
    # canonical unit (pmol/L): the ratios of the readings survive the conversion
    assert t.loc["a", "oxytocin_s2"] / t.loc["a", "oxytocin_s1"] == pytest.approx(4.0)
    assert t.loc["b", "oxytocin_s2"] / t.loc["b", "oxytocin"] == pytest.approx(25.0 / 6.0)
    assert out.accounting().set_index("stage").loc["analysed samples in the analysis table",
                                                   "n"] == 4


def test_unplaced_sample_breaks_the_accounting():
    out = hs.process_samples(hs.read_dataset("crossover_study"))
    broken = type(out)(**{**out.__dict__, "table": out.table.drop(columns=["oxytocin_s2"])})
    assert len(broken.unplaced()) == 96
    with pytest.raises(AssertionError, match="not in the table"):
        broken.accounting()
