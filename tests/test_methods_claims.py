"""The methods text and Table 1, claim by claim, on studies built to contradict each sentence's
default: single wells, mixed wells and methods, no plates, no arm, an arm only in the treatments
table, dates among the subjects' columns."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.derive.processing import process_study
from hormonestats.report import apa_table, table1
from hormonestats.report.methods import methods_sections
from hormonestats.report.methods_sentences import replicates, samples_sentence
from hormonestats.workflows.pipeline import subjects_by_group

CONTRACT = {
    "name": "contradicting", "design": "between",
    "tables": {"subjects": "subjects.csv", "samples": "samples.csv"},
    "analytes": {"cortisol": {"unit": "nmol/L", "matrix": "saliva"},
                 "testosterone": {"unit": "pg/mL", "matrix": "saliva"}},
}


def _study(*, n=24, plates=True, treatments=False, arm=False, single_only=False):
    """``n`` subjects; cortisol: 2 samples each, single wells, no plate; testosterone: one
    sample each in duplicate wells on 4 plates (unless ``single_only``)."""
    rng = np.random.default_rng(7)
    ids = [f"S{i:02d}" for i in range(n)]
    subjects = pd.DataFrame({"subject_id": ids, "age": rng.integers(20, 40, n).astype(float),
                             "enrolled": [f"2024-0{1 + i % 3}-1{i % 10}" for i in range(n)]})
    if arm:
        subjects["arm"] = ["oxytocin", "placebo"] * (n // 2)
    rows = []
    for i, sid in enumerate(ids):
        for k in (1, 2):
            rows.append({"subject_id": sid, "session": "s1", "sample_number": k,
                         "sample_id": f"{sid}-{k}", "analyte": "cortisol", "matrix": "saliva", "value": 8.0 + rng.random(),
                         "unit": "nmol/L", "lod": 0.5, "replicate": 1, "sample_type": "subject",
                         "method": "immunoassay", "plate_id": None})
        wells = (1,) if single_only else (1, 2)
        for rep in wells:
            rows.append({"subject_id": sid, "session": "s1", "sample_number": 3,
                         "sample_id": f"{sid}-3", "analyte": "testosterone", "matrix": "saliva",
                         "value": 80.0 + rng.random(), "unit": "pg/mL", "lod": 2.0,
                         "replicate": rep, "sample_type": "subject", "method": "LC-MS/MS",
                         "plate_id": f"T{i % 4}" if plates else None})
    samples = pd.DataFrame(rows)
    if not plates:
        samples = samples.drop(columns="plate_id")
    tables = {"subjects": subjects, "samples": samples}
    contract = dict(CONTRACT, tables=dict(CONTRACT["tables"]))
    if treatments:
        tables["treatments"] = pd.DataFrame({
            "subject_id": ids, "agent": ["intranasal_oxytocin", "placebo"] * (n // 2),
            "dose": [24, 0] * (n // 2), "dose_unit": "IU", "route": "intranasal"})
        contract["tables"]["treatments"] = "treatments.csv"
        contract["agents"] = ["intranasal_oxytocin", "placebo"]
    return hs.Study(contract=hs.load_contract(contract), tables=tables)


def _methods(study) -> dict[str, str]:
    processed = process_study(study)
    subjects, group = subjects_by_group(study)
    samples = processed.samples
    return dict(methods_sections(subjects=subjects, group=group, samples_summary=samples.samples,
                                 max_cv=samples.settings["max_cv"], log=processed.log))


def _no_reprs(text: str) -> None:
    assert not re.search(r"\bnan\b|\bNone\b|\bNaT\b|(?<![A-Za-z])'[^'\s]*'|\[|\]", text), text


def test_single_wells_without_plates_and_duplicates_on_plates_said_as_they_are():
    text = _methods(_study())["Sampling and assays"]
    _no_reprs(text)
    assert ("cortisol in saliva by immunoassay (48 samples, each in a single well, no plate "
            "recorded)") in text
    assert "testosterone in saliva by LC-MS/MS (24 samples, each in duplicate wells, on 4 " \
           "plates)" in text
    assert "Hormone concentrations were determined in 72 samples from 24 participants" in text
    # wells averaged: only the 24 samples that had two, of 72
    assert "The readings of the wells of the 24 samples (33.3%) assayed in more than one " \
           "well were averaged" in text
    assert "Each sample was assayed" not in text and "Samples were assayed on" not in text


def test_a_study_of_single_wells_claims_no_averaging_and_no_plates():
    text = _methods(_study(plates=False, single_only=True))["Sampling and assays"]
    _no_reprs(text)
    assert "testosterone in saliva by LC-MS/MS (24 samples, each in a single well, no plate " \
           "recorded)" in text
    assert "averaged" not in text and "duplicate" not in text and "plates" not in text
    assert "CV" not in text


def test_mixed_wells_and_methods_within_one_analyte():
    samples = pd.DataFrame({
        "subject_id": ["a", "b", "c", "d"], "analyte": "cortisol", "matrix": "saliva",
        "method": ["immunoassay", "immunoassay", "LC-MS/MS", "LC-MS/MS"],
        "plate_id": ["P1", None, "P2", "P2"], "value": [1.0, 2.0, 3.0, 4.0],
        "n_replicates": [2, 1, 1, 1], "cv": [5.0, np.nan, np.nan, np.nan]})
    text = samples_sentence(samples)
    _no_reprs(text)
    assert ("cortisol in saliva by LC-MS/MS (2 samples, each in a single well, on 1 plate) and "
            "cortisol in saliva by immunoassay (2 samples, 1 in a single well and 1 in "
            "duplicate wells, on 1 plate (plate not recorded for 1))") in text
    assert replicates(samples, 15.0).startswith("The readings of the wells of the 1 sample "
                                                "(25.0%) assayed in more than one well")


def test_raw_wells_count_samples_not_wells():
    wells = pd.DataFrame({"subject_id": ["a", "a", "b"], "sample_id": ["a1", "a1", "b1"],
                          "analyte": "cortisol", "replicate": [1, 2, 1], "value": [1.0, 1.1, 2.0]})
    text = samples_sentence(wells)
    assert "determined in 2 samples from 2 participants" in text
    assert "1 in a single well and 1 in duplicate wells" in text


def test_participants_without_arm_and_table1_unsplit():
    study = _study()
    subjects, group = subjects_by_group(study)
    assert group is None
    participants = _methods(study)["Participants"]
    assert participants.startswith("The sample comprised 24 participants.")
    t1 = table1(subjects, group=group)
    assert set(t1["group"]) == {"All"}


@pytest.mark.parametrize("where", ["subjects", "treatments"])
def test_table1_and_participants_split_by_the_arm_wherever_it_is_defined(where):
    study = _study(arm=where == "subjects", treatments=where == "treatments")
    subjects, group = subjects_by_group(study)
    assert group == "arm"
    assert "arm" not in study["subjects"].columns or where == "subjects"  # caller's table kept
    t1 = table1(subjects, group=group)
    sizes = t1[t1["kind"] == "n"].set_index("group")["n"].to_dict()
    assert sizes["All"] == 24 and sorted(v for g, v in sizes.items() if g != "All") == [12, 12]
    text = _methods(study)["Participants"]
    assert "12 in the" in text and " arm" in text


def test_table1_gives_dates_as_a_range_not_as_categories():
    study = _study(arm=True)
    t1 = table1(study["subjects"], group="arm")
    dates = t1[t1["variable"] == "enrolled"]
    assert (dates["kind"] == "date").all() and len(dates) == 3  # one row per group
    assert dates.set_index("group").loc["All", "level"] == "2024-01-10 – 2024-03-18"
    shown = apa_table(t1)
    assert "enrolled, range" in shown and "2024-02-11 |" not in shown
    _no_reprs(shown.replace("|:---|", ""))
