"""The canned analysis, the CLI run/power commands and the demo, end to end."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.cli import main
from hormonestats.workflows.pipeline import AnalysisRun, run_analysis

CONTRACT = "schemas/example_study.yaml"
DATA = "hormonestats/datasets/example_study"


@pytest.fixture(scope="module")
def example():
    return hs.read_study(CONTRACT, DATA)


def test_run_analysis_writes_a_complete_reproducible_folder(example, tmp_path):
    names = ["estradiol_oxytocin", "progesterone_anxiety"]
    a = run_analysis(example, out=tmp_path / "a", n_boot=300, seed=7, hypotheses=names,
                     covariates=["sex"])
    run_analysis(example, out=tmp_path / "b", n_boot=300, seed=7, hypotheses=names,
                 covariates=["sex"])
    for name in ("hypotheses.csv", "analysis_table.csv", "genotype_qc.csv"):
        pa = next((tmp_path / "a").rglob(name))
        pb = next((tmp_path / "b").rglob(name))
        assert pa.read_bytes() == pb.read_bytes(), name
    html = (tmp_path / "a" / "report.html").read_text()
    assert "estradiol_oxytocin" in html and "<img" in html
    assert (tmp_path / "a" / "manifest.json").exists()
    # the report's numbers are the result's numbers
    table = pd.read_csv(next((tmp_path / "a").rglob("hypotheses.csv")))
    res = a.hypotheses.table
    assert table["estimate"].to_numpy() == pytest.approx(res["estimate"].to_numpy(), rel=1e-9,
                                                          nan_ok=True)
    # the methods text reports the real exclusion count from the log
    n_controls = int((example["samples"]["sample_type"] == "control").sum())
    assert f"{n_controls} plate-control wells" in a.methods

    # the covariate reaches every model: the adjusted estimates are those hs.test_hypotheses
    # gives on the same table with the same covariate, and adjusting changes them
    from hormonestats.workflows.roles import merge_mapping

    frame = a.processed.table
    mapping = merge_mapping({}, frame.columns)
    direct = hs.test_hypotheses(frame, mapping=mapping, hypotheses=names, covariates=["sex"])
    plain = hs.test_hypotheses(frame, mapping=mapping, hypotheses=names)
    slope = res.set_index("hypothesis").loc["progesterone_anxiety", "estimate"]
    assert slope == pytest.approx(direct.table.set_index("hypothesis").loc[
        "progesterone_anxiety", "estimate"], rel=1e-12)
    assert slope != pytest.approx(plain.table.set_index("hypothesis").loc[
        "progesterone_anxiety", "estimate"], rel=1e-3)
    assert table["covariates"].tolist() == ["sex", "sex"]
    assert "adjusted for sex" in a.methods
    assert json.loads((tmp_path / "a" / "manifest.json").read_text())["parameters"][
        "covariates"] == ["sex"]
    # the run names what it wrote: every table and figure of the folder, the manifest
    assert isinstance(a, AnalysisRun) and a.folder == tmp_path / "a"
    assert set(a.tables) == {p.stem for p in (tmp_path / "a" / "tables").glob("*.csv")}
    assert {f"{n}.png" for n in a.figures} == {
        p.name for p in (tmp_path / "a" / "figures").glob("*.png")}
    assert a.manifest["parameters"]["covariates"] == ["sex"]
    assert set(a.fits) == set(names)


def test_cli_run_and_unknown_analysis(tmp_path, capsys):
    code = main(["run", "progesterone_anxiety", "--contract", CONTRACT, "--data", DATA,
                 "--out", str(tmp_path / "r"), "--n-boot", "200"])
    assert code == 0
    assert (tmp_path / "r" / "report.html").exists()
    assert main(["run", "estradiol_oxytoxin", "--contract", CONTRACT, "--data", DATA,
                 "--out", str(tmp_path / "x")]) == 2
    assert "unknown analysis" in capsys.readouterr().err


def test_cli_power_accepts_several_n(tmp_path, capsys):
    code = main(["power", "estradiol_oxytocin", "--n", "50", "100", "--sims", "50",
                 "--out", str(tmp_path / "p")])
    assert code == 0
    table = pd.read_csv(next((tmp_path / "p").rglob("power.csv")))
    assert table["n"].tolist() == [50, 100]
    assert next((tmp_path / "p").rglob("power_curve.png")).stat().st_size > 0


def test_demo_runs_end_to_end(tmp_path):
    from rich.console import Console

    from hormonestats.workflows.demo import run_demo

    console = Console(record=True, width=120)
    results = run_demo(out=tmp_path / "demo", console=console, n_boot=300, power_sims=50)
    text = console.export_text()
    assert "valid" in text and "Hypotheses" in text and "Genotype QC" in text
    assert (tmp_path / "demo" / "report.html").exists()
    assert results.analysis.hypotheses.table["status"].eq("tested").sum() >= 4


def test_run_analysis_rejects_unknown_columns(example, tmp_path):
    with pytest.raises(hs.ModelError, match="closest: sex"):
        run_analysis(example, out=tmp_path / "x", covariates=["sexx"])
    assert not (tmp_path / "x").exists()


def test_role_plan_sets_hypotheses_the_design_rules_out_apart():
    from hormonestats.workflows.roles import role_plan

    table = pd.DataFrame(columns=["subject_id", "session", "log_estradiol", "rmet_total",
                                  "oxytocin_arm", "iri_ec"])
    plan = role_plan(table, design="within").set_index("hypothesis")
    assert plan.loc["estradiol_within_person", "status"] == "applicable"
    assert plan.loc["estradiol_within_person", "columns"] == (
        "outcome=rmet_total; estradiol=log_estradiol; subject=subject_id")
    assert plan.loc["estradiol_oxytocin", "status"] == "not applicable"
    assert "one row per person" in plan.loc["estradiol_oxytocin", "reason"]
    between = role_plan(table, design="between").set_index("hypothesis")
    assert between.loc["estradiol_oxytocin", "status"] == "applicable"
    assert "repeated measures" in between.loc["estradiol_within_person", "reason"]
    assert between.loc["progesterone_anxiety", "fix"] == ""  # nothing stands for progesterone
    assert "anxiety: no column 'pss10_total'" in between.loc["progesterone_anxiety", "reason"]
    mapped = role_plan(table, design="between", mapping={"outcome": "iri_ec"})
    assert "outcome=iri_ec" in mapped.set_index("hypothesis").loc["estradiol_oxytocin", "columns"]


def test_run_accepts_a_study_without_replicate_wells(tmp_path):
    """Whatever validate passes, run accepts: the BioPsyKit set has one well per sample."""
    study = hs.read_dataset("biopsykit_cortisol")
    assert hs.validate(study).ok
    results = run_analysis(study, out=tmp_path / "bp", seed=1, n_boot=200)
    methods = results.methods
    assert "coefficient of variation" not in methods
    assert (tmp_path / "bp" / "report.html").exists()
    # seven samples per person: the reliability of the sampling is in the report
    assert len(results.qc["sampling_reliability"]) == 1
    assert "Reliability of repeated hormone sampling" in (
        tmp_path / "bp" / "report.html").read_text(encoding="utf-8")
