"""The output guard: no output option ever overwrites an input of the run or writes into the
data folder; a results folder may sit beside the contract; links are followed."""

from __future__ import annotations

import hashlib
import types
from pathlib import Path

import pandas as pd
import pytest
from conftest import mini_tables, write_study

from hormonestats.cli import main
from hormonestats.errors import DataError
from hormonestats.report.output_guard import (
    check_output_file,
    check_results_folder,
    run_inputs,
    study_inputs,
)
from hormonestats.report.provenance import results_folder

PLATES = Path(__file__).resolve().parents[1] / "hormonestats" / "datasets" / "cortisol_elisa"


def _hashes(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def project(tmp_path):
    """contract.yaml, data/ (tables and an answer key) in one project folder."""
    proj = tmp_path / "project"
    data = proj / "data"
    contract = write_study(data, mini_tables())
    contract = contract.rename(proj / "contract.yaml")
    (data / "rmet_key.csv").write_text("item,correct\n1,a\n")
    return proj


def _study_options(proj: Path):
    contract, data = proj / "contract.yaml", proj / "data"
    return {
        "validate --json": lambda t: ["validate", str(contract), str(data), "--json", str(t)],
        "checklist --html": lambda t: ["checklist", "--contract", str(contract), "--data",
                                       str(data), "--html", str(t)],
        "run --out": lambda t: ["run", "full_study", "--contract", str(contract), "--data",
                                str(data), "--out", str(t), "--n-boot", "20"],
        "multiverse --out": lambda t: ["multiverse", "estradiol_oxytocin", "--contract",
                                       str(contract), "--data", str(data), "--out", str(t),
                                       "--n-null", "0"],
        "init --out": lambda t: ["init", str(data), "--out", str(t), "--force"],
    }


_INPUTS = {
    "the contract": "contract.yaml",
    "a data file": "data/subjects.csv",
    "an answer key": "data/rmet_key.csv",
    "the data folder": "data",
    "a new file inside the data folder": "data/new_output.html",
    "the project folder holding the data": ".",
}


# init writes the contract: --force replacing a draft is its purpose
_CASES = [(o, k) for o in _study_options(Path(".")) for k in _INPUTS
          if (o, k) != ("init --out", "the contract")]


@pytest.mark.parametrize(("option", "kind"), _CASES)
def test_every_study_output_refuses_every_input(project, option, kind, capsys):
    before = _hashes(project)
    target = project / _INPUTS[kind]
    code = main(_study_options(project)[option](target))
    err = capsys.readouterr().err
    assert code == 2, (option, kind, err)
    assert "Traceback" not in err and "error:" in err
    assert _hashes(project) == before, (option, kind)


def test_init_may_replace_its_own_draft_but_not_a_data_file(project, capsys):
    draft = project / "draft.yaml"
    assert main(["init", str(project / "data"), "--out", str(draft)]) == 0
    assert main(["init", str(project / "data"), "--out", str(draft), "--force"]) == 0
    capsys.readouterr()


def test_links_are_followed_before_deciding(project, capsys):
    before = _hashes(project)
    link = project.parent / "report.json"
    link.symlink_to(project / "contract.yaml")
    code = main(["validate", str(project / "contract.yaml"), str(project / "data"),
                 "--json", str(link)])
    assert code == 2 and "a link to" in capsys.readouterr().err
    linked_data = project.parent / "elsewhere"
    linked_data.symlink_to(project / "data")
    code = main(["validate", str(project / "contract.yaml"), str(project / "data"),
                 "--json", str(linked_data / "x.json")])
    assert code == 2
    assert _hashes(project) == before


@pytest.mark.parametrize("option", ["--out", "--qc"])
@pytest.mark.parametrize("kind", ["export_1.csv", "export_3.xlsx", "layout.csv"])
def test_plates_outputs_refuse_exports_and_layout(tmp_path, option, kind, capsys):
    import shutil

    plates = tmp_path / "plates"
    shutil.copytree(PLATES / "plates", plates)
    before = _hashes(plates)
    outputs = {"--out": tmp_path / "samples.csv", "--qc": tmp_path / "qc.html"}
    outputs[option] = plates / kind
    code = main(["plates", *map(str, sorted(plates.glob("export_*"))),
                 "--layout", str(plates / "layout.csv"), "--analyte", "cortisol",
                 "--unit", "nmol/L", "--out", str(outputs["--out"]),
                 "--qc", str(outputs["--qc"])])
    assert code == 2 and "input of this run" in capsys.readouterr().err
    assert _hashes(plates) == before
    assert not (tmp_path / "samples.csv").exists() and not (tmp_path / "qc.html").exists()


def test_plates_qc_and_out_must_differ(tmp_path, capsys):
    plates = PLATES / "plates"
    same = tmp_path / "samples.csv"
    code = main(["plates", str(plates / "export_1.csv"), "--layout", str(plates / "layout.csv"),
                 "--analyte", "cortisol", "--unit", "nmol/L", "--out", str(same),
                 "--qc", str(same)])
    assert code == 2 and "same file" in capsys.readouterr().err
    assert not same.exists()


def test_run_writes_results_beside_the_contract(tmp_path, capsys, monkeypatch):
    """The project layout the docs show: contract.yaml, data/, results/ in one folder."""
    import shutil

    from hormonestats.datasets import dataset_path

    project = tmp_path / "project"
    shutil.copytree(dataset_path("example_study"), project / "data")
    (project / "data" / "contract.yaml").rename(project / "contract.yaml")
    monkeypatch.chdir(project)
    before = _hashes(project)
    code = main(["run", "estradiol_oxytocin", "--contract", "contract.yaml", "--data", "data",
                 "--out", "results", "--n-boot", "20"])
    assert code == 0, capsys.readouterr().err
    assert (project / "results" / "COMPLETE").is_file()
    after = {k: v for k, v in _hashes(project).items() if not k.startswith("results/")}
    assert after == before
    assert sorted(p.name for p in project.iterdir()) == ["contract.yaml", "data", "results"]


# ----------------------------------------------------------------------------- the API
def test_results_folder_through_a_link_leaves_nothing_beside_it(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "results"
    link.symlink_to(real)
    for _ in range(2):  # new, then replacing its own earlier folder
        with results_folder(link) as out:
            (out / "t.csv").write_text("a\n1\n")
    assert link.is_symlink() and (real / "t.csv").is_file() and (real / "COMPLETE").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["real", "results"]


def test_results_folder_never_holds_an_input(tmp_path):
    contract = tmp_path / "contract.yaml"
    contract.write_text("name: x\n")
    with pytest.raises(DataError, match="an input of this run"):
        check_results_folder(tmp_path, run_inputs([contract]))
    assert check_results_folder(tmp_path / "results", run_inputs([contract], [tmp_path / "d"]))


def test_study_inputs_name_definitions_and_answer_keys(tmp_path):
    contract = types.SimpleNamespace(
        path=str(tmp_path / "contract.yaml"),
        instruments={"mini": types.SimpleNamespace(definition="defs/mini.yaml", key=None),
                     "rmet": types.SimpleNamespace(definition=None, key="rmet_key.csv")})
    study = types.SimpleNamespace(contract=contract,
                                  sources={"subjects": str(tmp_path / "data" / "subjects.csv")},
                                  data_folder=tmp_path / "data")
    inputs = study_inputs(study)
    names = {p.relative_to(tmp_path.resolve()).as_posix() for p in inputs.files}
    assert names == {"contract.yaml", "defs/mini.yaml", "data/subjects.csv", "data/rmet_key.csv"}
    assert inputs.data_folders == ((tmp_path / "data").resolve(),)
    with pytest.raises(DataError, match="input of this run"):
        check_output_file(tmp_path / "defs" / "mini.yaml", inputs)


def test_figures_word_files_and_report_folders_refuse_inputs(tmp_path):
    import matplotlib.pyplot as plt

    from hormonestats.report import write_report
    from hormonestats.report.docx_export import to_docx
    from hormonestats.report.figure_theme import save

    data = tmp_path / "data"
    data.mkdir()
    (data / "subjects.csv").write_text("subject_id\nS1\n")
    (tmp_path / "c").mkdir()
    contract = tmp_path / "c" / "contract.yaml"
    contract.write_text("name: x\n")
    inputs = run_inputs([contract, data / "subjects.csv"], [data])
    before = _hashes(tmp_path)
    fig, _ax = plt.subplots()
    with pytest.raises(DataError, match="holds the study's data"):
        save(fig, data / "figure", protect=inputs)
    plt.close(fig)
    with pytest.raises(DataError, match="input of this run"):
        to_docx({"t": pd.DataFrame({"a": [1]})}, contract, protect=inputs)
    # a manifest naming its inputs protects them without being told
    from hormonestats.report.provenance import manifest

    man = manifest(inputs={"subjects": str(data / "subjects.csv")}, contract=str(contract))
    with pytest.raises(DataError, match="holds the study's data"):
        write_report(data, title="x", tables={}, manifest=man)
    with pytest.raises(DataError, match="an input of this run"):
        write_report(tmp_path / "c", title="x", tables={}, manifest=man)
    assert _hashes(tmp_path) == before


def test_power_refuses_a_foreign_folder_before_simulating(tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.docx").write_text("years of work")
    code = main(["power", "estradiol_oxytocin", "--n", "50", "--sims", "100",
                 "--out", str(mine)])
    captured = capsys.readouterr()
    assert code == 2 and "thesis.docx" in captured.err
    assert "power" not in captured.out  # no table: nothing was simulated
    assert sorted(p.name for p in mine.iterdir()) == ["thesis.docx"]  # no chunks left
