"""Command line: exit codes, readable reports, no tracebacks for bad data."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import mini_tables, write_study

from hormonestats.cli import main


def test_version(capsys):
    assert main(["--version"]) == 0
    assert "hormonestats 0.1.0" in capsys.readouterr().out


def test_validate_valid_study_exits_0(tmp_path, capsys):
    contract = write_study(tmp_path, mini_tables())
    assert main(["validate", str(contract), str(tmp_path)]) == 0
    assert "valid" in capsys.readouterr().out


def test_validate_bad_study_exits_2_and_names_rows(tmp_path, capsys):
    tables = mini_tables()
    samples = tables["samples"].astype({"unit": object})
    samples.loc[4, "unit"] = "mg/dL"
    tables["samples"] = samples
    genotypes = tables["genotypes"].copy()
    genotypes.loc[1, "genotype"] = "A/T"
    tables["genotypes"] = genotypes
    contract = write_study(tmp_path / "data", tables)
    out_json = tmp_path / "failures.json"  # beside the data folder, never inside it
    code = main(["validate", str(contract), str(tmp_path / "data"), "--json", str(out_json)])
    out = capsys.readouterr()
    assert code == 2
    assert "[samples]" in out.out and "[genotypes]" in out.out
    # rows as the file shows them: header = row 1, so table position 4 is row 6
    assert "samples row 6" in out.out and "genotypes row 3" in out.out
    assert "Traceback" not in out.out + out.err
    data = json.loads(out_json.read_text())
    assert {f["table"] for f in data["failures"]} == {"samples", "genotypes"}


def test_unreadable_study_exits_2_without_traceback(tmp_path, capsys):
    contract = write_study(tmp_path, mini_tables())
    (tmp_path / "genotypes.csv").write_text("")
    assert main(["validate", str(contract), str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "genotypes" in err and "empty" in err and "Traceback" not in err


def test_bad_contract_exits_2(tmp_path, capsys):
    (tmp_path / "c.yaml").write_text("name: x\nanalytes: {cortisoll: {}}\n")
    assert main(["validate", str(tmp_path / "c.yaml"), str(tmp_path)]) == 2
    assert "cortisoll" in capsys.readouterr().err


def test_usage_error_exits_2():
    assert main(["validate"]) == 2


def test_python_dash_m_works(tmp_path):
    contract = write_study(tmp_path, mini_tables())
    proc = subprocess.run([sys.executable, "-m", "hormonestats", "validate", str(contract),
                           str(tmp_path)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "valid" in proc.stdout


def test_datasets_lists_catalogue(capsys):
    assert main(["datasets"]) == 0
    assert "biopsykit_cortisol" in capsys.readouterr().out


def test_qc_prints_genotype_and_assay_quality(capsys):
    code = main(["qc", "schemas/example_study.yaml", "hormonestats/datasets/example_study"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Genotype QC" in out and "rs53576" in out and "hwe_p" in out
    assert "Readings below the limit of detection" in out and "Reliability" in out and "iri_ec" in out


def test_validate_names_every_bad_fixture_and_exits_2(tmp_path, capsys):
    """Every bad-input fixture of the validation tests, written to files, through the CLI."""
    from test_validation import CASES

    for i, case in enumerate(CASES):
        edit, table, column, check = case.values
        tables, row = edit(mini_tables())
        folder = tmp_path / f"case{i}"
        contract = write_study(folder, tables)
        code = main(["validate", str(contract), str(folder)])
        out = capsys.readouterr().out
        assert code == 2, case.id
        assert f"[{table}]" in out and check in out, (case.id, out)
        if row is not None:
            assert f"{table} row {row + 2}" in out, (case.id, out)  # header = row 1


# ----------------------------------------------- run --out never deletes what it did not write
def _snapshot(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_run_refuses_the_data_folder_its_parent_and_a_folder_inside_it(tmp_path, capsys):
    data = tmp_path / "study"
    contract = write_study(data, mini_tables())
    before = _snapshot(tmp_path)
    for out in (data, tmp_path, data / "results"):
        code = main(["run", "full_study", "--contract", str(contract), "--data", str(data),
                     "--out", str(out), "--n-boot", "50"])
        err = capsys.readouterr()
        assert code == 2
        assert "Traceback" not in err.out + err.err
        assert "outside it" in err.err or "did not write" in err.err
    assert _snapshot(tmp_path) == before


def test_run_refuses_a_folder_with_the_users_files(tmp_path, capsys):
    data = tmp_path / "study"
    contract = write_study(data, mini_tables())
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.docx").write_text("years of work")
    code = main(["run", "full_study", "--contract", str(contract), "--data", str(data),
                 "--out", str(mine), "--n-boot", "50"])
    err = capsys.readouterr().err
    assert code == 2 and "thesis.docx" in err and "new or empty folder" in err
    assert (mine / "thesis.docx").read_text() == "years of work"


def test_demo_refuses_a_folder_with_the_users_files(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("x")
    assert main(["demo", "--out", str(tmp_path), "--quiet"]) == 2
    assert "keep.txt" in capsys.readouterr().err
    assert (tmp_path / "keep.txt").exists()
