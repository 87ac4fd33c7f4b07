"""Scanned studies (samples on disk as parquet): the same results as the study read into memory.

Every bundled study and every bad-input case of the validation tests is written with its
samples table as a parquet dataset of three files, then read both ways: ``hs.read_study``
(into memory) and ``hs.scan_study`` with small partitions (so that subjects, plates and
sessions are spread over many partitions and files cut through subjects).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import yaml
from conftest import MINI_CONTRACT, mini_tables
from test_validation import CASES

import hormonestats as hs
from hormonestats.log import LOG_COLUMNS

DATASETS = ["example_study", "cycle_study", "crossover_study", "couples_study", "tsst_study",
            "biopsykit_cortisol", "cortisol_elisa"]


def _parquet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns pyarrow cannot write as they are (numbers and text mixed) as text."""
    out = frame.copy()
    for c in out.columns:
        try:
            pa.array(out[c], from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            out[c] = out[c].map(lambda v: v if v is None or (isinstance(v, float) and
                                                               np.isnan(v)) else str(v))
    return out


def _split(samples: pd.DataFrame, folder: Path, n_files: int = 3) -> None:
    folder.mkdir(parents=True)
    cuts = np.linspace(0, len(samples), n_files + 1).astype(int)
    for i, (a, b) in enumerate(zip(cuts[:-1], cuts[1:])):
        _parquet_safe(samples.iloc[a:b]).to_parquet(folder / f"part-{i}.parquet", index=False)


def _bundled(name: str, tmp: Path) -> Path:
    """A bundled study copied with its samples as a three-file parquet dataset."""
    src = hs.read_dataset(name).data_folder
    for f in src.iterdir():
        if f.name != "samples.csv" and f.is_file():
            shutil.copy(f, tmp / f.name)
    raw = pd.read_csv(src / "samples.csv", dtype={c: "str" for c in
                                                  ("subject_id", "sample_id", "plate_id")})
    _split(raw, tmp / "samples")
    contract = yaml.safe_load((src / "contract.yaml").read_text())
    contract["tables"]["samples"] = "samples"
    (tmp / "contract.yaml").write_text(yaml.safe_dump(contract))
    return tmp / "contract.yaml"


def _mini(tables: dict, tmp: Path) -> Path:
    contract = {**MINI_CONTRACT, "tables": {**MINI_CONTRACT["tables"], "samples": "samples"}}
    for t, frame in tables.items():
        if t == "samples":
            _split(frame, tmp / "samples")
        else:
            frame.to_csv(tmp / f"{t}.csv", index=False)
    (tmp / "contract.yaml").write_text(yaml.safe_dump(contract))
    return tmp / "contract.yaml"


def _findings(frame: pd.DataFrame) -> pd.DataFrame:
    """Findings in one order, the file named in a scanned study's message taken out."""
    out = frame.assign(message=frame["message"].map(
        lambda m: re.sub(r" \(part-\d+\.parquet row \d+\)", "", m)))
    out = out.astype({c: "object" for c in out.columns})
    out = out.where(out.notna(), None)
    return out.sort_values(["table", "row", "column", "check", "message"],
                           key=lambda s: s.astype(str)).reset_index(drop=True)


def _log(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[LOG_COLUMNS].copy()
    out["row"] = pd.to_numeric(out["row"]).astype("Float64")
    out = out.astype({c: "object" for c in LOG_COLUMNS if c != "row"})
    return out.sort_values(["step", "table", "row", "subject_id", "reason"],
                           key=lambda s: s.astype(str)).reset_index(drop=True)


def _assert_same_processing(mem, scanned, out, **options):
    a = hs.process_study(mem, **options)
    b = hs.process_study(scanned, out=out, **options)
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(a.accounting(), b.accounting())
    for part in ("lod_summary", "inter_cv"):
        pd.testing.assert_frame_equal(getattr(a.samples, part), getattr(b.samples, part))
    pd.testing.assert_frame_equal(a.samples.intra_cv, b.samples.intra_cv, check_exact=False,
                                  rtol=1e-12)
    keys = [k for k in ("subject_id", "session", "sample_id", "sample_number", "analyte",
                        "matrix") if k in a.samples.samples.columns]
    sa = a.samples.samples.sort_values(keys, kind="stable").reset_index(drop=True)
    sb = b.samples.read_samples().sort_values(keys, kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(sa, sb, check_dtype=False, check_exact=False, rtol=1e-12)
    wells = b.samples.read_log()
    pd.testing.assert_frame_equal(_log(a.log), _log(pd.concat([wells, b.log])))
    return a, b


@pytest.mark.parametrize("name", DATASETS)
def test_bundled_study_scanned_equals_in_memory(name, tmp_path):
    contract = _bundled(name, tmp_path)
    mem = hs.read_study(contract, tmp_path)
    size = max(10, len(mem["samples"]) // 8)
    with hs.scan_study(contract, tmp_path, partition_rows=size) as scanned:
        assert len(scanned.partitions()) > 3
        pd.testing.assert_frame_equal(
            pd.concat([scanned.read_partition(i) for i in range(len(scanned.partitions()))])
            .sort_index(), mem["samples"])
        a, b = hs.validate(mem), hs.validate(scanned)
        pd.testing.assert_frame_equal(_findings(a.failures), _findings(b.failures))
        pd.testing.assert_frame_equal(_findings(a.warnings), _findings(b.warnings))
        assert a.n_rows == b.n_rows
        _assert_same_processing(mem, scanned, tmp_path / "out")


@pytest.mark.parametrize("options", [{"lod_policy": "flag"}, {"winsorize_k": 2.0},
                                     {"exclude_imprecise": True, "max_cv": 5.0},
                                     {"lod_policy": "censored", "transform": None}])
def test_processing_options_scanned_equal_in_memory(options, tmp_path):
    contract = _bundled("example_study", tmp_path)
    with hs.scan_study(contract, tmp_path, partition_rows=200) as scanned:
        _assert_same_processing(hs.read_study(contract, tmp_path), scanned, tmp_path / "out",
                                **options)


@pytest.mark.parametrize(("edit", "table", "column", "check"), CASES)
def test_bad_input_found_the_same_when_scanned(edit, table, column, check, tmp_path):
    tables, _ = edit(mini_tables())
    contract = _mini(tables, tmp_path)
    mem = hs.read_study(contract, tmp_path)
    scanned = hs.scan_study(contract, tmp_path, partition_rows=8)
    a, b = hs.validate(mem), hs.validate(scanned)
    assert not b.ok
    pd.testing.assert_frame_equal(_findings(a.failures), _findings(b.failures))
    differ = b.warnings["check"] == "dataset files differ"  # a column typed apart by file
    assert differ.any() == (edit.__name__ == "text_in_value")
    pd.testing.assert_frame_equal(_findings(a.warnings), _findings(b.warnings.loc[~differ]))
    scanned.close()


def test_failures_in_every_partition_are_collected_and_name_file_and_row(tmp_path):
    tables = mini_tables()
    samples = tables["samples"].astype({"unit": object, "value": object})
    samples.loc[0, "unit"] = "mg/dL"            # first file
    samples.loc[len(samples) - 1, "value"] = "twelve"  # last file, another subject
    tables["samples"] = samples
    contract = _mini(tables, tmp_path)
    with hs.scan_study(contract, tmp_path, partition_rows=4) as scanned:
        report = hs.validate(scanned)
        f = report.failures
        assert {"unit not valid for analyte", "must be a number or a censored reading such as "
                "'<0.5' or 'ND'"} <= set(f["check"])
        last = f.loc[f["check"].str.startswith("must be a number")].iloc[0]
        n = len(samples)
        assert last["row"] == n + 1  # the dataset's row: header row 1, first data row 2
        rows_per_file = np.diff(np.linspace(0, n, 4).astype(int))
        in_file = n - rows_per_file[:2].sum() + 1
        assert f"(part-2.parquet row {in_file})" in last["message"]
        assert "samples row 2 (part-0.parquet row 2)" in \
            f.loc[f["check"] == "unit not valid for analyte", "message"].iloc[0]


def test_files_that_disagree_on_a_column_type_are_reported_and_read(tmp_path):
    tables = mini_tables()
    contract = _mini(tables, tmp_path)
    part = tmp_path / "samples" / "part-1.parquet"
    frame = pd.read_parquet(part)
    frame["lod"] = frame["lod"].astype(str)  # one file writes the LOD as text
    frame.drop(columns=["plate_id"]).to_parquet(part, index=False)
    with hs.scan_study(contract, tmp_path, partition_rows=8) as scanned:
        report = hs.validate(scanned)
        text = " ".join(report.warnings["message"])
        assert "column 'lod' is stored as" in text and "read as text" in text
        assert "part-1.parquet): column 'plate_id' is missing from this file" in text
        assert report.n_rows["samples"] == len(tables["samples"])


def test_scanning_never_touches_the_data_and_removes_only_its_own_files(tmp_path):
    (tmp_path / "data").mkdir()
    contract = _bundled("example_study", tmp_path / "data")
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "data").rglob("*")}
    work = tmp_path / "work"
    work.mkdir()
    (work / "mine.txt").write_text("a file the study did not write")
    scanned = hs.scan_study(contract, tmp_path / "data", partition_rows=300, workdir=work)
    hs.validate(scanned)
    made = [p for p in work.iterdir() if p.name != "mine.txt"]
    assert len(made) == 1 and any(made[0].glob("part-*.parquet"))
    out = tmp_path / "out"
    hs.process_study(scanned, out=out)
    assert {p.name for p in out.iterdir()} == {"samples", "log"}
    with pytest.raises(hs.DataError, match="not empty"):
        hs.process_study(scanned, out=out)
    scanned.close()
    assert [p.name for p in work.iterdir()] == ["mine.txt"]
    assert before == {p: p.stat().st_mtime_ns for p in (tmp_path / "data").rglob("*")}


def test_scanned_samples_must_be_parquet(tmp_path):
    contract = _bundled("biopsykit_cortisol", tmp_path)
    spec = yaml.safe_load(contract.read_text())
    pd.read_parquet(tmp_path / "samples").to_csv(tmp_path / "samples.csv", index=False)
    spec["tables"]["samples"] = "samples.csv"
    contract.write_text(yaml.safe_dump(spec))
    with pytest.raises(hs.DataError, match="reads the samples table from parquet"):
        hs.scan_study(contract, tmp_path)
    with pytest.raises(hs.DataError, match="out= is for a scanned study"):
        hs.process_study(hs.read_study(contract, tmp_path), out=tmp_path / "out")


def test_partitions_run_on_local_processes_with_the_same_results(tmp_path):
    contract = _bundled("tsst_study", tmp_path)
    with hs.scan_study(contract, tmp_path, partition_rows=200) as one, \
            hs.scan_study(contract, tmp_path, partition_rows=200, n_jobs=2) as two:
        a, b = hs.process_study(one, out=tmp_path / "a"), hs.process_study(two, out=tmp_path / "b")
        pd.testing.assert_frame_equal(a.table, b.table)
        pd.testing.assert_frame_equal(hs.validate(one).warnings, hs.validate(two).warnings)


def test_partitions_run_on_a_dask_local_cluster_with_the_same_results(tmp_path):
    from hormonestats.parallel import local_cluster

    contract = _bundled("example_study", tmp_path)
    with local_cluster(2) as cluster, \
            hs.scan_study(contract, tmp_path, partition_rows=300, scheduler=cluster) as scanned:
        mem = hs.read_study(contract, tmp_path)
        pd.testing.assert_frame_equal(_findings(hs.validate(mem).warnings),
                                      _findings(hs.validate(scanned).warnings))
        _assert_same_processing(mem, scanned, tmp_path / "out")


def test_cli_validate_and_qc_scan_the_samples_as_a_user_runs_them(tmp_path):
    import subprocess
    import sys

    contract = _bundled("example_study", tmp_path)

    def run(*args):
        return subprocess.run([sys.executable, "-m", "hormonestats", *args], text=True,
                              capture_output=True, cwd=tmp_path)

    ok = run("validate", str(contract), str(tmp_path), "--scan")
    assert ok.returncode == 0, ok.stderr
    assert "valid (" in ok.stdout and "samples 2072" in ok.stdout
    qc = run("qc", str(contract), str(tmp_path), "--scan", "--workers", "2")
    assert qc.returncode == 0, qc.stderr
    assert "Intra-assay CV" in qc.stdout and "Row accounting" in qc.stdout
    # bad input: exit 2, the file and row named, no traceback
    part = tmp_path / "samples" / "part-2.parquet"
    frame = pd.read_parquet(part)
    frame.loc[frame.index[0], "unit"] = "mg/dL"
    frame.to_parquet(part, index=False)
    bad = run("validate", str(contract), str(tmp_path), "--scan")
    assert bad.returncode == 2
    assert "(part-2.parquet row 2)" in bad.stdout and "Traceback" not in bad.stderr + bad.stdout
    wrong = run("validate", str(contract), str(tmp_path), "--workers", "2")
    assert wrong.returncode == 2 and "apply with --scan" in wrong.stdout + wrong.stderr


def test_a_failed_run_leaves_no_half_written_results(tmp_path, monkeypatch):
    from hormonestats.derive import scanned_processing

    contract = _bundled("biopsykit_cortisol", tmp_path)
    with hs.scan_study(contract, tmp_path, partition_rows=40) as scanned:
        out = tmp_path / "out"
        # an unknown option is refused at the door, before anything is written
        with pytest.raises(hs.HormoneStatsError, match="policy 'half of it' is unknown"):
            hs.process_study(scanned, out=out, lod_policy="half of it")
        assert not out.exists()
        # a run that fails half-way (after the sample means are written) leaves nothing

        def fail(*args, **kwargs):
            raise hs.HormoneStatsError("the wide table failed")

        with monkeypatch.context() as patch:
            patch.setattr(scanned_processing, "_wide_task", fail)
            with pytest.raises(hs.HormoneStatsError, match="the wide table failed"):
                hs.process_study(scanned, out=out)
        assert out.is_dir() and not any(out.iterdir())
        # without out=, each run gets its own folder in the working folder
        a, b = hs.process_study(scanned), hs.process_study(scanned)
        assert a.samples.folder != b.samples.folder
        pd.testing.assert_frame_equal(a.table, b.table)


def test_scanned_processing_takes_process_samples_options_and_defaults():
    import inspect

    from hormonestats.derive.hormone_table import SAMPLE_OPTIONS
    from hormonestats.derive.scanned_processing import process_scanned_samples

    params = inspect.signature(hs.process_samples).parameters
    assert {k: p.default for k, p in params.items() if k != "study"} == SAMPLE_OPTIONS
    with pytest.raises(TypeError, match="lod_polcy"):
        process_scanned_samples(None, lod_polcy="lod/2")
