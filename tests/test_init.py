"""``hormonestats init``: a contract drafted from the data files validates once settled."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.datasets import CATALOGUE, dataset_path
from hormonestats.errors import ContractError, DataError
from hormonestats.study.drafting import TODO, draft_contract, settle


def _settle_and_validate(draft, data_dir: Path, out_dir: Path):
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "contract.yaml"
    path.write_text(settle(draft.text), encoding="utf-8")
    study = hs.read_study(path, data_dir)
    return study, hs.validate(study)


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_draft_of_every_bundled_study_validates_on_its_data(name, tmp_path):
    folder = dataset_path(name)
    draft = draft_contract(folder)
    study, report = _settle_and_validate(draft, folder, tmp_path)
    assert report.ok, report.summary()
    bundled = hs.load_contract(folder / "contract.yaml")
    # the draft finds what the hand-written contract declares
    assert set(study.contract.tables) == set(bundled.tables)
    assert set(study.contract.analytes) == set(bundled.analytes)
    assert set(study.contract.snps) == set(bundled.snps)
    assert set(study.contract.instruments) == set(bundled.instruments)
    assert set(study.contract.agents) == set(bundled.agents)
    assert study.contract.design == bundled.design
    for analyte, spec in bundled.analytes.items():
        assert set(study.contract.analytes[analyte].units) == set(spec.units)
        assert set(study.contract.analytes[analyte].matrices) == set(spec.matrices)


def _user_study(tmp_path: Path) -> Path:
    """The example study without its RMET key, with a questionnaire of the lab's own and a
    second session of every sample (repeated measures without a stated design)."""
    folder = tmp_path / "data"
    shutil.copytree(dataset_path("example_study"), folder)
    (folder / "rmet_key.csv").unlink()
    (folder / "contract.yaml").unlink()
    (folder / "truth.json").unlink()
    responses = pd.read_csv(folder / "responses.csv", dtype=str)
    ids = pd.read_csv(folder / "subjects.csv", dtype=str)["subject_id"]
    mood = pd.DataFrame([{"subject_id": s, "session": "test", "instrument": "mood",
                          "item": str(i), "response": str((k + i) % 5 + 1)}
                         for k, s in enumerate(ids) for i in (1, 2, 3)])
    pd.concat([responses, mood]).to_csv(folder / "responses.csv", index=False)
    samples = pd.read_csv(folder / "samples.csv", dtype=str)
    later = samples[samples["sample_type"] == "subject"].assign(session="followup")
    pd.concat([samples, later]).to_csv(folder / "samples.csv", index=False)
    return folder


def test_draft_marks_what_it_cannot_infer_and_validates_once_settled(tmp_path):
    folder = _user_study(tmp_path)
    draft = draft_contract(folder, name="my_lab_study")
    assert draft.data["name"] == "my_lab_study"
    todos = "\n".join(draft.todos)
    assert "answer key" in todos and "'mood' is not a built-in instrument" in todos
    assert "several sessions per subject" in todos
    # every TODO line lists its choices
    lines = [ln for ln in draft.text.splitlines() if f": {TODO}  #" in ln]
    assert len(lines) == len(draft.todos) == 3
    assert all("choices: " in ln for ln in lines)
    assert "choices: between | within | crossover | dyadic" in draft.text

    # unsettled, the draft does not pass
    contract_dir = tmp_path / "contract"
    contract_dir.mkdir()
    (contract_dir / "contract.yaml").write_text(draft.text, encoding="utf-8")
    with pytest.raises(ContractError, match="TODO"):
        hs.load_contract(contract_dir / "contract.yaml")

    # settle: the key goes into the data folder, the definition beside the contract
    shutil.copy(dataset_path("example_study") / "rmet_key.csv", folder / "rmet_key.csv")
    (contract_dir / "mood.yaml").write_text(
        "name: mood\nitems: 3\nresponse_min: 1\nresponse_max: 5\nscoring: mean\n"
        "subscales: {total: all}\n",
        encoding="utf-8")

    def choose(key, question, choices):
        return "within" if key == "design" else choices[0]

    (contract_dir / "contract.yaml").write_text(settle(draft.text, choose), encoding="utf-8")
    study = hs.read_study(contract_dir / "contract.yaml", folder)
    report = hs.validate(study)
    assert report.ok, report.summary()
    assert study.contract.design == "within"
    assert study.contract.instruments["mood"].definition == "mood.yaml"
    assert study.contract.instruments["rmet"].key == "rmet_key.csv"


def test_draft_recognises_tables_by_their_columns_in_any_format(tmp_path):
    folder = tmp_path / "d"
    shutil.copytree(dataset_path("biopsykit_cortisol"), folder)
    # a lab's own file name, and not csv
    pd.read_csv(folder / "samples.csv").to_parquet(folder / "saliva_export.parquet")
    (folder / "samples.csv").unlink()
    pd.read_csv(folder / "subjects.csv").to_excel(folder / "subjects.xlsx", index=False)
    (folder / "subjects.csv").unlink()
    draft = draft_contract(folder)
    assert draft.tables == {"subjects": "subjects.xlsx", "samples": "saliva_export.parquet"}
    assert "original_cortisol_sample.csv" in draft.ignored
    _, report = _settle_and_validate(draft, folder, tmp_path / "c")
    assert report.ok, report.summary()


def test_draft_flags_unknown_units_and_reverse_strand(tmp_path):
    folder = tmp_path / "d"
    shutil.copytree(dataset_path("couples_study"), folder)
    samples = pd.read_csv(folder / "samples.csv", dtype=str)
    samples.loc[samples["analyte"] == "cortisol", "unit"] = "mg/furlong"
    samples.to_csv(folder / "samples.csv", index=False)
    geno = pd.read_csv(folder / "genotypes.csv", dtype=str)
    geno["genotype"] = geno["genotype"].str.translate(str.maketrans("AG", "TC"))
    geno.to_csv(folder / "genotypes.csv", index=False)
    draft = draft_contract(folder)
    assert any("mg/furlong" in t for t in draft.todos)
    assert draft.data["snps"]["rs53576"] == {"strand": "reverse"}


def test_draft_without_subjects_table_is_an_error(tmp_path):
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="no subjects table"):
        draft_contract(tmp_path)
    with pytest.raises(DataError, match="not found"):
        draft_contract(tmp_path / "missing")


def test_cli_init_writes_refuses_to_overwrite_and_fails_cleanly(tmp_path, capsys):
    from hormonestats.cli import main

    out = tmp_path / "c" / "contract.yaml"
    # as a user runs it: a subprocess
    proc = subprocess.run([sys.executable, "-m", "hormonestats", "init",
                           str(dataset_path("tsst_study")), "--out", str(out)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "Nothing left to settle" in proc.stdout
    assert hs.load_contract(out).design == "between"
    assert main(["init", str(dataset_path("tsst_study")), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--force" in err and "Traceback" not in err
    assert main(["init", str(dataset_path("tsst_study")), "--out", str(out), "--force"]) == 0
    capsys.readouterr()
    assert main(["init", str(tmp_path / "nope"), "--out", str(tmp_path / "n.yaml")]) == 2
    err = capsys.readouterr().err
    assert "not found" in err and "Traceback" not in err
