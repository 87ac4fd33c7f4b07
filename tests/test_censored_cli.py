"""lod_policy="censored" through ``hormonestats run`` and the multiverse on the cycle study.

The bundled cycle study has no reading below its progesterone LOD (10 pg/mL), so these tests
use a copy of it whose progesterone assay has an LOD of 25 pg/mL: the readings below 25 pg/mL
(13% of the progesterone wells, nearly all follicular; a salivary immunoassay's LOD of that
order is realistic) are written "<LOD", as a lab's export would. The bundled study itself is
unchanged, as other tests pin its numbers.
"""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from hormonestats.cli import main
from hormonestats.datasets import dataset_path

HYPOTHESIS = "progesterone_luteal_within_person"
RAISED_LOD = 25.0  # pg/mL


@pytest.fixture(scope="module")
def censored_cycle(tmp_path_factory):
    """A copy of the cycle study whose progesterone LOD is 25 pg/mL (readings below: '<LOD')."""
    folder = tmp_path_factory.mktemp("cycle_lod25") / "cycle_study"
    shutil.copytree(dataset_path("cycle_study"), folder)
    path = folder / "samples.csv"
    samples = pd.read_csv(path, dtype=str, keep_default_na=False)
    p4 = samples["analyte"] == "progesterone"
    value = pd.to_numeric(samples["value"], errors="coerce")
    samples.loc[p4, "lod"] = f"{RAISED_LOD:g}"
    samples.loc[p4 & (value < RAISED_LOD), "value"] = "<LOD"
    samples.to_csv(path, index=False)
    below = (samples.loc[p4, "value"] == "<LOD").mean()
    assert 0.10 < below < 0.16
    return folder


def _cli(capsys, *args):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err, out.err
    return code, out.out


def test_run_full_study_tests_the_phase_hypothesis_with_a_censored_likelihood(
        censored_cycle, tmp_path, capsys):
    out = tmp_path / "results"
    code, text = _cli(capsys, "run", "full_study", "--contract", censored_cycle / "contract.yaml",
                      "--data", censored_cycle, "--lod-policy", "censored", "--out", out)
    assert code == 0, text
    hyp = pd.read_csv(out / "tables" / "hypotheses.csv").set_index("hypothesis")
    assert hyp.loc[HYPOTHESIS, "status"] == "tested"
    assert hyp.loc[HYPOTHESIS, "agrees"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert "censored" in json.dumps(manifest)
    methods = (out / "methods.md").read_text()
    assert "treated as left-censored at the LOD" in methods
    sentence = next(s for s in methods.split("For hypothesis") if HYPOTHESIS in s)
    assert "censored outcome" in sentence and "were treated as censored" in sentence
    table = pd.read_csv(out / "tables" / "analysis_table.csv")
    n_cens = int(table["progesterone_censored"].sum())
    assert n_cens > 0
    # the hormone as a predictor: censored rows left out, not read at their LOD
    n_p4 = hyp.loc["progesterone_within_person", "n"]
    assert n_p4 == int((table["log_progesterone"].notna() & table["rmet_total"].notna()
                        & ~table["progesterone_censored"].astype(bool)).sum())


def test_multiverse_runs_the_censored_choice_on_the_cycle_study(censored_cycle, tmp_path,
                                                                capsys):
    out = tmp_path / "mv"
    code, text = _cli(capsys, "multiverse", HYPOTHESIS, "--contract",
                      censored_cycle / "contract.yaml", "--data", censored_cycle, "--out", out,
                      "--decision", "lod=censored,excluded", "--n-null", "0")
    assert code == 0, text
    specs = pd.read_csv(out / "tables" / "specifications.csv").set_index("lod")
    assert (specs["status"] == "tested").all() and len(specs) == 2
    # censored keeps every phase sample (40 women, 132 mid-follicular or mid-luteal visits);
    # 'excluded' loses the 18 samples with every well below the LOD
    assert specs.loc["censored", "n"] == 132
    assert specs.loc["excluded", "n"] == 132 - 18
    # leaving the low follicular readings out shrinks the luteal contrast
    assert specs.loc["excluded", "estimate"] < specs.loc["censored", "estimate"]


def test_multiverse_keeps_censored_not_applicable_for_a_hormone_predictor(censored_cycle,
                                                                          tmp_path, capsys):
    out = tmp_path / "mv_pred"
    code, text = _cli(capsys, "multiverse", "progesterone_within_person", "--contract",
                      censored_cycle / "contract.yaml", "--data", censored_cycle, "--out", out,
                      "--decision", "lod=lod/sqrt2,censored", "--n-null", "0")
    assert code == 0, text
    skipped = pd.read_csv(out / "tables" / "skipped.csv")
    assert (skipped["lod"] == "censored").all() and len(skipped) == 1
    assert skipped["reason"].str.contains("needs the hormone as the model's outcome").all()
