"""Reporting checklists filled from the contract and the data, and the `checklist` command."""

from __future__ import annotations

import dataclasses

import pandas as pd

import hormonestats as hs
from hormonestats.cli import main
from hormonestats.report.checklists import (
    CHECKLIST_COLUMNS,
    checklist,
    checklist_section_html,
)


def _status(table, item):
    return table.set_index("item").loc[item, "status"]


def _with(study, **tables):
    return dataclasses.replace(study, tables={**study.tables, **tables})


def test_example_study_items_and_applicability():
    study = hs.read_dataset("example_study")
    tab = checklist(study)
    assert list(tab.columns) == CHECKLIST_COLUMNS
    assert set(tab["status"]) <= {"met", "not met", "not recorded"}
    # a between-subjects oxytocin trial: no awakening samples, no cycles table
    assert set(tab["guideline"]) == {"Intranasal oxytocin (Guastella et al. 2013)", "Hormone assays"}
    assert _status(tab, "Dose in IU") == "met"
    assert _status(tab, "Kit lot") == "not recorded"
    assert "columns.samples.lot" in tab.set_index("item").loc["Kit lot", "where"]
    assert _status(tab, "Inter-assay CV (controls across plates)") == "met"


def test_items_follow_the_data():
    study = hs.read_dataset("example_study")
    samples = study["samples"].assign(kit="Salimetrics 1-3002", lot="L123")
    samples.loc[samples.index[0], "lot"] = None
    trt = study["treatments"].assign(dose_unit=lambda t: t["dose_unit"].where(
        t["agent"] != "intranasal_oxytocin", "ug"))
    tab = checklist(_with(study, samples=samples, treatments=trt))
    assert _status(tab, "Kit (manufacturer, catalogue number)") == "met"
    assert _status(tab, "Kit lot") == "not met"
    assert _status(tab, "Dose in IU") == "not met"
    no_ctl = samples.loc[samples["sample_type"] != "control"]
    assert _status(checklist(_with(study, samples=no_ctl)),
                   "Inter-assay CV (controls across plates)") == "not met"


def test_cycle_items():
    study = hs.read_dataset("cycle_study")
    tab = checklist(study)
    assert _status(tab, "Ovulation confirmed (LH test)") == "met"
    cycles = study["cycles"].loc[study["cycles"]["event"] != "lh_positive"]
    assert _status(checklist(_with(study, cycles=cycles)), "Ovulation confirmed (LH test)") == \
        "not met"


def test_car_items_from_waking_and_sample_times():
    study = hs.read_dataset("tsst_study")
    s = study["samples"]
    # reading a study turns clock times into minutes since midnight: wake_time is minutes
    wake = pd.to_datetime("2026-01-01") + pd.to_timedelta(pd.to_numeric(s["wake_time"]),
                                                          unit="min")
    minutes = 3 + 15 * (s["sample_number"].astype(float) - 1)  # 3, 18, 33, ... after waking
    clock = (wake + pd.to_timedelta(minutes, unit="min")).dt.strftime("%H:%M")
    car = s.assign(clock_time=clock.where(s["wake_time"].notna()))
    tab = checklist(_with(study, samples=car))
    assert "Cortisol awakening response (Stalder et al. 2016)" in set(tab["guideline"])
    assert _status(tab, "First sample within 5 min of waking") == "met"
    assert _status(tab, "Objective verification of waking and sampling times") == "not recorded"
    late = car.copy()
    first = late.index[(late["subject_id"] == late["subject_id"].iloc[0])
                       & (late["sample_number"] == 1)]
    late.loc[first, "clock_time"] = (wake[first] + pd.Timedelta(minutes=20)).dt.strftime("%H:%M")
    tab2 = checklist(_with(study, samples=late))
    assert _status(tab2, "First sample within 5 min of waking") == "not met"
    assert "1 of" in tab2.set_index("item").loc["First sample within 5 min of waking", "evidence"]


def test_html_sections():
    tab = checklist(hs.read_dataset("example_study"))
    html = checklist_section_html(tab)
    assert "<h2>Reporting checklists</h2>" in html and "items met" in html and "<table" in html


def test_checklist_command(capsys):
    from hormonestats.datasets import dataset_path

    folder = dataset_path("example_study")
    code = main(["checklist", "--contract", str(folder / "contract.yaml"), "--data", str(folder)])
    assert code == 0
    out = capsys.readouterr().out
    assert "Hormone assays:" in out and "not recorded" in out
    assert main(["checklist", "--contract", str(folder / "nope.yaml"), "--data", str(folder)]) == 2
