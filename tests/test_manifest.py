"""Tests of the manifest and the atomic results folder (hs.report.manifest, results_folder)."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.errors import DataError
from hormonestats.report import (
    COMPLETE_MARKER,
    file_sha256,
    is_complete,
    manifest,
    results_folder,
    write_manifest,
)


# ----------------------------------------------------------------------------- manifest
def test_manifest_records_versions_platform_inputs_and_parameters(tmp_path):
    data = tmp_path / "samples.csv"
    data.write_text("subject_id,value\ns1,1.5\n", encoding="utf-8")
    contract = tmp_path / "study.yaml"
    contract.write_text("name: demo\nanalytes: [cortisol]\n", encoding="utf-8")
    m = manifest(inputs=[data], contract=contract, parameters={"max_cv": 15.0, "lod": "half"},
                 seed={"bootstrap": 7})  # fmt: skip
    assert m["hormonestats_version"] == hs.__version__
    assert m["packages"]["pandas"] == pd.__version__
    assert m["packages"]["statsmodels"]  # a dependency, with a version
    assert m["python"]["version"] == platform.python_version()
    assert m["platform"]["system"] == platform.system()
    (entry,) = m["inputs"]
    assert entry["name"] == "samples.csv"
    assert entry["sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()
    assert entry["bytes"] == data.stat().st_size
    assert m["contract"]["text"] == contract.read_text(encoding="utf-8")
    assert m["contract"]["sha256"] == file_sha256(contract)
    assert m["parameters"] == {"max_cv": 15.0, "lod": "half"}
    assert m["seed"] == {"bootstrap": 7}
    assert m["created_utc"].endswith("Z")


def test_manifest_hash_changes_when_data_change(tmp_path):
    data = tmp_path / "samples.csv"
    data.write_text("subject_id,value\ns1,1.5\n", encoding="utf-8")
    first = manifest(inputs={"samples": data})["inputs"][0]["sha256"]
    assert manifest(inputs={"samples": data})["inputs"][0]["sha256"] == first  # stable
    data.write_text("subject_id,value\ns1,1.6\n", encoding="utf-8")
    assert manifest(inputs={"samples": data})["inputs"][0]["sha256"] != first


def test_manifest_hashes_dataframes_and_rejects_missing_files(tmp_path):
    df = pd.DataFrame({"subject_id": ["s1", "s2"], "value": [1.0, 2.0]})
    h1 = manifest(inputs={"samples": df})["inputs"][0]
    assert h1["kind"] == "dataframe" and h1["shape"] == [2, 2]
    changed = df.assign(value=[1.0, 2.000001])
    assert manifest(inputs={"samples": changed})["inputs"][0]["sha256"] != h1["sha256"]
    assert df["value"].tolist() == [1.0, 2.0]  # input untouched
    with pytest.raises(DataError, match="does not exist"):
        manifest(inputs=[tmp_path / "missing.csv"])


def test_write_manifest_roundtrip_and_jsonable_values(tmp_path):
    import numpy as np

    m = manifest(parameters={"alpha": np.float64(0.05), "levels": ("lo", "hi"), "inf": np.inf},
                 seed=np.int64(3))  # fmt: skip
    path = write_manifest(tmp_path / "manifest.json", m)
    back = json.loads(path.read_text(encoding="utf-8"))
    assert back["parameters"] == {"alpha": 0.05, "levels": ["lo", "hi"], "inf": "inf"}
    assert back["seed"] == 3
    assert back["packages"] == m["packages"]


# ----------------------------------------------------------------------------- results folder
def test_results_folder_success_writes_marker_last_and_leaves_no_partial(tmp_path):
    target = tmp_path / "run"
    with results_folder(target) as out:
        assert out.parent == tmp_path and out.name.startswith(".run.partial-")
        (out / "a.csv").write_text("x\n1\n")
        assert not target.exists()  # nothing visible before the block ends
    assert sorted(p.name for p in target.iterdir()) == [COMPLETE_MARKER, "a.csv"]
    assert is_complete(target)
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_results_folder_exception_leaves_nothing(tmp_path):
    target = tmp_path / "run"
    with pytest.raises(RuntimeError, match="boom"):
        with results_folder(target) as out:
            (out / "a.csv").write_text("x\n1\n")
            raise RuntimeError("boom")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_results_folder_replaces_existing_and_keeps_it_on_failure(tmp_path):
    target = tmp_path / "run"
    with results_folder(target) as out:
        (out / "old.csv").write_text("old\n")
    with pytest.raises(RuntimeError):
        with results_folder(target) as out:
            (out / "new.csv").write_text("new\n")
            raise RuntimeError("interrupted")
    assert sorted(p.name for p in target.iterdir()) == [COMPLETE_MARKER, "old.csv"]
    with results_folder(target) as out:
        (out / "new.csv").write_text("new\n")
    assert sorted(p.name for p in target.iterdir()) == [COMPLETE_MARKER, "new.csv"]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # the old folder was deleted
    with pytest.raises(DataError, match="overwrite"):
        with results_folder(target, overwrite=False):
            pass
    (tmp_path / "file").write_text("x")
    with pytest.raises(DataError, match="not a folder"):
        with results_folder(tmp_path / "file"):
            pass


def test_killed_run_leaves_only_a_partial_folder(tmp_path):
    target = tmp_path / "run"
    code = textwrap.dedent(
        """
        import sys, time
        from hormonestats.report import results_folder
        with results_folder(sys.argv[1]) as out:
            (out / "table.csv").write_text("a\\n1\\n")
            print("writing", flush=True)
            time.sleep(60)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(target)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "writing"
    finally:
        proc.kill()
        proc.wait(timeout=30)
        proc.stdout.close()
    assert proc.returncode != 0
    assert not target.exists()
    leftovers = list(tmp_path.iterdir())
    assert len(leftovers) == 1 and leftovers[0].name.startswith(".run.partial-")
    assert not is_complete(leftovers[0])
    assert (leftovers[0] / "table.csv").exists()


# ------------------------------------------------- results folders never destroy foreign files
def test_results_folder_refuses_a_folder_with_the_researchers_own_files(tmp_path):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.docx").write_text("my thesis")
    with pytest.raises(DataError, match=r"did not write \(notes.docx\).*new or empty folder"):
        with results_folder(target) as out:
            (out / "a.csv").write_text("a\n1\n")
    assert (target / "notes.docx").read_text() == "my thesis"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]  # no partial left behind


def test_results_folder_refuses_an_earlier_results_folder_with_added_files(tmp_path):
    target = tmp_path / "run"
    with results_folder(target) as out:
        (out / "a.csv").write_text("a\n1\n")
    (target / "my_edit.txt").write_text("keep me")
    with pytest.raises(DataError, match="my_edit.txt"):
        with results_folder(target):
            pass
    assert (target / "my_edit.txt").exists()


def test_results_folder_accepts_an_empty_folder_and_lists_its_files(tmp_path):
    target = tmp_path / "empty"
    target.mkdir()
    with results_folder(target) as out:
        (out / "sub").mkdir()
        (out / "sub" / "t.csv").write_text("a\n1\n")
    marker = (target / COMPLETE_MARKER).read_text().splitlines()
    assert marker[1:] == ["files:", "sub/t.csv"]
    from hormonestats.report.provenance import is_results_folder

    assert is_results_folder(target)
    assert not is_results_folder(tmp_path)


@pytest.mark.parametrize("where", ["same", "inside", "parent"])
def test_results_folder_refuses_protected_folders(tmp_path, where):
    data = tmp_path / "study" / "data"
    data.mkdir(parents=True)
    (data / "samples.csv").write_text("x\n1\n")
    target = {"same": data, "inside": data / "results", "parent": tmp_path / "study"}[where]
    with pytest.raises(DataError, match="holds the study.s data"):
        with results_folder(target, protect=[data]):
            pass
    assert sorted(p.name for p in data.iterdir()) == ["samples.csv"]


def test_write_report_never_replaces_a_foreign_folder(tmp_path):
    from hormonestats.report import write_report

    (tmp_path / "keep.csv").write_text("a\n1\n")
    with pytest.raises(DataError, match="keep.csv"):
        write_report(tmp_path, title="x", tables={})
    assert (tmp_path / "keep.csv").exists()
