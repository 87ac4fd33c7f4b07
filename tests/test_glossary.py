"""The column glossary explains every column the report tables of a run carry."""

from __future__ import annotations

import pandas as pd

import hormonestats as hs
from hormonestats.derive.processing import process_study
from hormonestats.report.glossary import COLUMNS, column_notes, explain_column


def test_every_report_column_of_the_example_study_is_explained():
    study = hs.read_dataset("example_study")
    processed = process_study(study)
    family = hs.test_hypotheses(processed.table.head(0), mapping={}, hypotheses=[])
    tables = {
        "analysis_table": processed.table,
        "hypotheses": family.table.assign(covariates=""),
        "lod_summary": processed.samples.lod_summary,
        "intra_assay_cv": processed.samples.intra_cv,
        "inter_assay_cv": processed.samples.inter_cv,
        "sample_accounting": processed.samples.accounting(),
        "genotype_qc": processed.genotype_qc,
        "table1": hs.report.table1(study["subjects"], group="arm"),
        "power": hs.power({"family": "two_group"}, n=[20], n_sims=10, seed=1, progress=False),
    }
    for name, frame in tables.items():
        unknown = [c for c in frame.columns if explain_column(c) is None]
        assert not unknown, (name, unknown)


def test_explanations_name_the_pieces_of_built_names():
    assert "AUC" not in explain_column("cortisol_auc_g")  # says it in words
    assert "ground" in explain_column("cortisol_auc_g")
    assert "increase" in explain_column("cortisol_auc_i")
    assert "first (baseline) sample" in explain_column("cortisol")
    assert explain_column("rs53576_GG_vs_Acarrier") == (
        "rs53576: two-level grouping, GG vs Acarrier.")
    assert explain_column("iri_ec").startswith("iri: score of the ec scale")
    assert explain_column("no such thing!") is None
    notes = column_notes(["agrees", "predicted_sign", "agrees"])
    assert len(notes) == 2 and notes[0].startswith("agrees: ")
    assert all(text.endswith(".") for text in COLUMNS.values())


def test_one_glossary_for_table_notes_and_the_reference():
    """The report's table notes read the glossary: the two say the same about a column."""
    from hormonestats.report import columns, glossary

    assert columns.COLUMN_NOTES is glossary.TABLE_NOTES
    note = columns.column_notes(pd.DataFrame({"hypothesis": ["h"], "agrees": [True]}))
    assert "confidence interval excludes 0" in note and "predicted sign" in note
    assert "confidence interval excludes 0" in glossary.COLUMNS["agrees"]
