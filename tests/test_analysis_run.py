"""The object a whole-study run returns (AnalysisRun, DemoRun): fields, display, old keys."""

from __future__ import annotations

import warnings
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from hormonestats.results import Summary
from hormonestats.workflows.analysis_run import AnalysisRun, DemoRun


def _run(**changes) -> AnalysisRun:
    table = pd.DataFrame({"hypothesis": ["h1", "h2"], "term": ["x", "x:m"],
                          "estimate": [0.5, -0.25], "p_value": [0.01, 0.2],
                          "n": [40, 40], "status": ["tested", "tested"],
                          "covariates": ["sex", "sex"]})
    roles = pd.DataFrame({"hypothesis": ["h1", "h2", "h3"],
                          "status": ["applicable", "applicable", "not applicable"],
                          "reason": ["", "", "needs repeated measures"]})
    family = SimpleNamespace(table=table.drop(columns="covariates"),
                             results={"h1": "fit1", "h2": "fit2"})
    fields = dict(folder=Path("out"), validation="report", processed="processed",
                  qc={"lod_summary": pd.DataFrame()}, roles=roles, hypotheses=family,
                  hypotheses_table=table, methods="Methods.", tables={"hypotheses": table},
                  figures={"forest": None}, manifest={"seed": 1})
    return AnalysisRun(**{**fields, **changes})


def test_fields_are_named_and_frozen():
    run = _run()
    assert run.hypotheses_table["estimate"].tolist() == [0.5, -0.25]
    assert run.fits == {"h1": "fit1", "h2": "fit2"}
    assert run.imputed is None and run.sensitivity is None
    with pytest.raises(AttributeError):
        run.methods = "other"  # type: ignore[misc]


def test_old_keys_still_read_with_a_warning_naming_the_attribute():
    run = _run()
    with pytest.warns(DeprecationWarning, match=r"use the attribute \.hypotheses_table"):
        assert run["hypotheses_table"] is run.hypotheses_table
    with pytest.warns(DeprecationWarning, match=r"\.folder"):
        assert run["folder"] == Path("out")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(KeyError, match="not a dictionary any more.*hypotheses_table"):
            run["table1"]  # never a key of the old dictionary either


def test_summary_and_html_go_through_one_display():
    run = _run()
    text = run.summary()
    assert isinstance(text, Summary)
    assert text.startswith("Analysis run: 2 of 3 hypotheses tested")
    assert "needs repeated measures" in text and "Results folder: out" in text
    assert "covariates" not in text  # the summary shows the decisive columns only
    page = run._repr_html_()
    assert page.startswith("<h4>Analysis run: 2 of 3 hypotheses tested</h4>")
    assert "<table" in page and "needs repeated measures" in page
    assert repr(run) == "<AnalysisRun: Analysis run: 2 of 3 hypotheses tested; results in out>"


def test_demo_run_reads_old_keys_through_its_analysis():
    power = pd.DataFrame({"n": [100, 200], "power": [0.4, 0.7]})
    demo = DemoRun(analysis=_run(), power=power)
    with pytest.warns(DeprecationWarning, match=r"\.analysis\.hypotheses"):
        assert demo["hypotheses"] is demo.analysis.hypotheses
    with pytest.warns(DeprecationWarning, match=r"\.power"):
        assert demo["power"] is power
    assert "Power by sample size" in demo.summary()
    assert demo.within_person is None
